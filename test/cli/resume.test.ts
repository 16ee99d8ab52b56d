/**
 * `tunekit resume` runs only the program the sweep started with: a trainable module whose content changed is refused unless
 * `--allow-changed-trainable` says otherwise, and the command says which module will run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDirs } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(root, 'dist/src/cli/main.js');
const tmp = tempDirs(test);

const run = (args: readonly string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

test('resume refuses a changed trainable module (naming both hashes and the flag), and --allow-changed-trainable continues', () => {
  const work = tmp('tk-hash-');
  const module = path.join(work, 'train.mjs');
  fs.writeFileSync(module, 'export default async (config) => ({ loss: (config.x - 0.2) ** 2 });\n');
  const sweep = path.join(work, 'sweep.json');
  fs.writeFileSync(
    sweep,
    JSON.stringify({
      name: 'hash',
      trainable: { module: './train.mjs' },
      space: { x: { _type: 'float', low: -1, high: 1 } },
      searcher: 'sobol',
      objective: { metric: 'loss', direction: 'minimize' },
      budget: { trials: 2 },
      workers: 1,
      seed: 1,
    }),
  );
  const out = path.join(work, 'run');
  const first = run(['run', sweep, '--out', out]);
  assert.is(first.status, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`trainable: ${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(sha256 [0-9a-f]{12}`));
  fs.appendFileSync(module, '// changed\n');
  const refused = run(['resume', out, '--trials', '3']);
  assert.is(refused.status, 1);
  assert.match(refused.stderr, /changed since/);
  assert.match(refused.stderr, /--allow-changed-trainable/);
  const allowed = run(['resume', out, '--trials', '3', '--allow-changed-trainable']);
  assert.is(allowed.status, 0, allowed.stderr);
  assert.match(allowed.stdout, /warning: .*changed since the sweep started/);
});

test.run();
