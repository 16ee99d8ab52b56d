/**
 * The `tunekit` command as users start it: through a symlinked bin (npx, node_modules/.bin, a global install), with
 * commander's help, version, suggestions and exit codes; a closed stdout; user data with control characters; `--out` safety.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudy, space } from '../../src/index.js';
import { COMMANDS, RUN } from '../../src/cli/commands.js';
import { tempDirs } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(root, 'dist/src/cli/main.js');
const tmp = tempDirs(test);

/** A symlink to the built bin, as node_modules/.bin/tunekit is. */
function linkedBin(): string {
  const dir = tmp('tk-bin-');
  const link = path.join(dir, 'tunekit');
  fs.symlinkSync(bin, link);
  return link;
}

function tunekit(args: readonly string[], cwd = root): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [linkedBin(), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('through a symlinked bin the CLI runs (it does not silently exit 0): status of a missing dir is a usage error', () => {
  assert.ok(fs.existsSync(bin), 'dist/src/cli/main.js missing: run `npm run build`');
  const r = tunekit(['status', path.join(tmp('tk-none-'), 'nope')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^tunekit: .*holds no study\.json/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});

test('--version prints the package version; <command> --help describes every option', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const v = tunekit(['--version']);
  assert.is(v.code, 0);
  assert.is(v.stdout.trim(), pkg.version);
  const h = tunekit(['run', '--help']);
  assert.is(h.code, 0);
  for (const o of RUN.options) {
    const long = o.flags.split(' ')[0] as string;
    assert.ok(h.stdout.includes(long), `run --help lacks ${long}`);
    assert.ok(
      h.stdout.replace(/\s+/g, ' ').includes(o.description.split(' ').slice(0, 4).join(' ')),
      `run --help lacks the description of ${long}`,
    );
  }
  const all = tunekit(['--help']);
  for (const c of COMMANDS)
    assert.ok(all.stdout.includes(`${c.name} [options]`) || all.stdout.includes(`  ${c.name} `), `--help lacks ${c.name}`);
});

test('an unknown option or command is a usage error (exit 2) with a suggestion', () => {
  const r = tunekit(['run', 'x.json', '--trails', '3']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown option '--trails'/);
  assert.match(r.stderr, /Did you mean --trials\?/);
  const c = tunekit(['stauts', 'x']);
  assert.is(c.code, 2);
  assert.match(c.stderr, /Did you mean status\?/);
  const bad = tunekit(['run', 'x.json', '--trials', '1e308']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--trials must be an integer >= 1 and <= 1000000/);
});

async function storedStudy(name: string, params: (i: number) => { label: string; x: number }, n: number): Promise<string> {
  const dir = tmp('tk-study-');
  const file = path.join(dir, 'study.json');
  const study = await createStudy({ name, space: { label: space.choice(['a', 'b']), x: space.float(0, 1) }, storage: file, seed: 1 });
  for (let i = 0; i < n; i++) {
    const t = await study.ask();
    await study.setTrialUserAttr(t.number, 'note', params(i).label);
    await study.tell(t.number, i === 1 ? { state: 'failed', error: new Error(`bad\u001b[31mred\nrank 0 forged row`) } : params(i).x);
  }
  await study.close();
  return dir;
}

test('report and status piped into a reader that closes early exit quietly (no EPIPE stack trace)', async () => {
  const dir = await storedStudy('pipe', (i) => ({ label: 'a', x: i / 1000 }), 400);
  const r = spawnSync(
    '/bin/sh',
    ['-c', `"${process.execPath}" "${linkedBin()}" report "${dir}" --json - | head -c 100 >/dev/null; echo "rc=\${PIPESTATUS:-$?}"`],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.is(r.stderr, '', 'nothing on stderr');
  const s = spawnSync(
    '/bin/bash',
    ['-c', `set -o pipefail; "${process.execPath}" "${linkedBin()}" report "${dir}" | head -n 2 >/dev/null; echo "\${PIPESTATUS[0]}"`],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.is(s.stderr, '');
  assert.is(s.stdout.trim(), '0', 'report exits 0 after its reader went away');
});

test('names, params and error text print with control characters escaped: no escape sequence reaches the terminal, no forged row', async () => {
  const dir = await storedStudy('esc\u001b]0;pwned\u0007', (i) => ({ label: 'a', x: i }), 3);
  const r = tunekit(['report', dir]);
  assert.is(r.code, 0);
  assert.not.ok(r.stdout.includes('\u001b'), 'a raw ESC reached the terminal');
  assert.not.ok(r.stdout.includes('\u0007'), 'a raw BEL reached the terminal');
  assert.match(r.stdout, /esc\\e\]0;pwned\\u0007/);
  assert.match(r.stdout, /bad\\e\[31mred\\nrank 0 forged row/);
  assert.not.match(r.stdout, /^rank 0 forged row/m);
});

test('run --out: a file (or a path under one) is refused; a non-empty directory that is not a run is refused (--force writes beside, never over, what is there)', () => {
  const sweep = path.join(root, 'test/fixtures/pool/sweep.json');
  const file = path.join(tmp('tk-out-'), 'a-file');
  fs.writeFileSync(file, 'mine');
  const r1 = tunekit(['run', sweep, '--out', file]);
  assert.is(r1.code, 2);
  assert.match(r1.stderr, /is a file, not a directory/);
  const under = tunekit(['run', sweep, '--out', path.join(file, 'sub')]);
  assert.is(under.code, 2);
  assert.match(under.stderr, /cannot be created: .*a-file is a file, not a directory/);
  assert.not.match(under.stderr, /ENOTDIR|cannot be read|\n\s+at /);
  assert.is(fs.readFileSync(file, 'utf8'), 'mine');

  const foreign = tmp('tk-foreign-');
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'keep me');
  fs.mkdirSync(path.join(foreign, 'trials', '0', 'model'), { recursive: true });
  fs.writeFileSync(path.join(foreign, 'trials', '0', 'model', 'weights.bin'), 'precious');
  fs.writeFileSync(path.join(foreign, 'leaderboard.json'), '{"mine":true}');
  const r2 = tunekit(['run', sweep, '--out', foreign]);
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /is not empty and is not a tunekit run directory/);
  const r3 = tunekit(['run', sweep, '--out', foreign, '--force']);
  assert.is(r3.code, 2);
  assert.match(r3.stderr, /holds leaderboard\.json, trials that tunekit did not write/);
  assert.is(fs.readFileSync(path.join(foreign, 'trials', '0', 'model', 'weights.bin'), 'utf8'), 'precious');
  assert.is(fs.readFileSync(path.join(foreign, 'leaderboard.json'), 'utf8'), '{"mine":true}');
  assert.is(fs.readFileSync(path.join(foreign, 'notes.txt'), 'utf8'), 'keep me');
});

test.run();
