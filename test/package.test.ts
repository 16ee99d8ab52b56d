/**
 * The package as users get it: `import { createStudy, space } from 'tunekit'` resolves through package.json "exports" to the
 * built dist/ (npm install builds it via `prepare`), and the `tunekit` bin runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(`${root}package.json`, 'utf8')) as { bin: { tunekit: string }; exports: { '.': { import: string } } };

test('dist is built (npm install runs `prepare`); otherwise run `npm run build`', () => {
  assert.ok(fs.existsSync(`${root}${pkg.exports['.'].import.slice(2)}`), 'dist/src/index.js missing: run `npm run build`');
});

test("import { createStudy, space, runTrial } from 'tunekit' works from the repo itself and runs a sweep", () => {
  const script = `
    import { createStudy, loadStudy, space, runTrial, loadMnist, loadTabular, LEADERBOARD_SCHEMA_VERSION } from 'tunekit';
    for (const f of [createStudy, loadStudy, runTrial, loadMnist, loadTabular, space.float]) if (typeof f !== 'function') throw new Error('missing export');
    const study = await createStudy({ name: 'pkg', space: { x: space.float(0, 1) }, seed: 1, searcher: 'sobol' });
    await study.optimize((p) => (p.x - 0.3) ** 2, { trials: 16 });
    console.log(JSON.stringify({ best: study.best.value, n: (await study.trials()).length, v: LEADERBOARD_SCHEMA_VERSION }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop() as string) as { best: number; n: number; v: number };
  assert.is(r.n, 16);
  assert.ok(r.best < 0.01, `best ${r.best}`);
  assert.is(r.v, 1);
});

test('the tunekit bin prints its usage', () => {
  const out = execFileSync(process.execPath, [`${root}${pkg.bin.tunekit.slice(2)}`, 'help'], { encoding: 'utf8' });
  assert.match(out, /tunekit report <storage-file-or-dir>/);
});

test.run();
