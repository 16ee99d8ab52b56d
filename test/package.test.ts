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
const pkg = JSON.parse(fs.readFileSync(`${root}package.json`, 'utf8')) as {
  bin: { tunekit: string };
  exports: { '.': { import: string } };
};

test('dist is built (npm install runs `prepare`); otherwise run `npm run build`', () => {
  assert.ok(fs.existsSync(`${root}${pkg.exports['.'].import.slice(2)}`), 'dist/src/index.js missing: run `npm run build`');
});

test("import { createStudy, space } from 'tunekit' and { runTrial } from 'tunekit/trials' work from the repo itself and run a sweep", () => {
  const script = `
    import { createStudy, loadStudy, space, LEADERBOARD_SCHEMA_VERSION } from 'tunekit';
    import { runTrial, loadMnist, loadTabular } from 'tunekit/trials';
    import { exportOnnx } from 'tunekit/export';
    for (const f of [createStudy, loadStudy, runTrial, loadMnist, loadTabular, exportOnnx, space.float]) if (typeof f !== 'function') throw new Error('missing export');
    const study = await createStudy({ name: 'pkg', space: { x: space.float(0, 1) }, seed: 1, searcher: 'sobol' });
    await study.optimize((p) => (p.x - 0.3) ** 2, { trials: 16 });
    console.log(JSON.stringify({ best: study.best.value, n: (await study.trials()).length, v: LEADERBOARD_SCHEMA_VERSION }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop() as string) as { best: number; n: number; v: number };
  assert.is(r.n, 16);
  assert.ok(r.best < 0.01, `best ${r.best}`);
  assert.is(r.v, 2);
});

test("the root entry loads neither TF.js, nor onnxruntime-node, nor piscina (they load from 'tunekit/trials' / 'tunekit/export' / the pool)", () => {
  // A resolve hook records every module URL the import pulls in.
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const seen = [];
    port1.on('message', (u) => seen.push(u));
    const hook = 'let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }';
    register('data:text/javascript,' + encodeURIComponent(hook), { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
    const root = await import('tunekit');
    await new Promise((r) => setTimeout(r, 100));
    const heavy = (list) => list.filter((u) => /@tensorflow|onnxruntime|piscina|mathjs|echarts|node_modules[/]pg[/]/.test(u));
    const before = heavy(seen);
    await import('tunekit/trials');
    await new Promise((r) => setTimeout(r, 100));
    console.log(JSON.stringify({ before, after: heavy(seen).length, exports: Object.keys(root).length }));
    port1.close();
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop() as string) as { before: string[]; after: number; exports: number };
  assert.equal(r.before, [], 'the root entry loaded heavy modules');
  assert.ok(r.after > 0, 'the hook saw no TF.js module from tunekit/trials: the check itself is broken');
  assert.ok(r.exports > 20);
});

test('the tunekit bin prints its usage', () => {
  const out = execFileSync(process.execPath, [`${root}${pkg.bin.tunekit.slice(2)}`, 'help'], { encoding: 'utf8' });
  assert.match(out, /report \[options\] \[storage\]/);
  assert.match(out, /Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted/);
});

test.run();
