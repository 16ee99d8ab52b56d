/**
 * runSweep's output directory cannot be created: a tunekit OptionsError naming the file in the way (never a raw ENOTDIR or
 * EEXIST), and the file is left as it was.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OptionsError } from '../../src/core/errors.js';
import { validateSweep } from '../../src/sweep/spec.js';
import { runSweep } from '../../src/sweep/runner.js';
import { tempDirs } from '../helpers/tmp.js';
import { rejects } from '../storage/contract.js';

const tmp = tempDirs(test);
const TRAINABLE = fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url));

function sweep() {
  const r = validateSweep(
    {
      name: 'out',
      trainable: { module: TRAINABLE },
      defaults: { mode: 'fast', steps: 2 },
      space: { x: { _type: 'float', low: 0, high: 1 } },
      objective: { metric: 'loss' },
      budget: { trials: 1 },
    },
    { baseDir: process.cwd() },
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.sweep;
}

const run = (out: string) => runSweep(sweep(), { out, sink: { write: () => true, isTTY: false } });

test('out under a file, or a file itself: an OptionsError names the file; the file keeps its content', async () => {
  const file = path.join(tmp('tunekit-out-file-'), 'notes.txt');
  fs.writeFileSync(file, 'mine');
  const under = await rejects(run(path.join(file, 'run', 'deeper')), OptionsError);
  assert.match(under.message, /cannot be created: .*notes\.txt is a file, not a directory/);
  assert.not.match(under.message, /ENOTDIR/);
  const itself = await rejects(run(file), OptionsError);
  assert.match(itself.message, /notes\.txt cannot be created: it is a file/);
  assert.is(fs.readFileSync(file, 'utf8'), 'mine');
});

test.run();
