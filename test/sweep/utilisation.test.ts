/**
 * leaderboard.json says how busy the machine was during the sweep run that wrote it (the optional `run` object of schema
 * version 2), consistent with the runSweep result the CLI summary prints.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { validateSweep } from '../../src/sweep/spec.js';
import { runSweep } from '../../src/sweep/runner.js';
import { formatUtilisation } from '../../src/sweep/utilisation.js';
import type { Leaderboard } from '../../src/report/leaderboard.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TRAINABLE = path.join(root, 'test/fixtures/pool/trainable.ts');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schema/leaderboard.schema.json'), 'utf8')) as object;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

test('leaderboard.json carries the run utilisation: present, valid, plausible, and the one the summary prints', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-sweep-utilisation-'));
  const r = validateSweep(
    {
      name: 'busy',
      trainable: { module: TRAINABLE },
      defaults: { mode: 'fast', steps: 200 },
      space: { x: { _type: 'float', low: -1, high: 1 } },
      objective: { metric: 'loss', direction: 'minimize' },
      searcher: 'random',
      budget: { trials: 6 },
      workers: 2,
      seed: 9,
    },
    { baseDir: process.cwd() },
  );
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return;
  const t0 = performance.now();
  const result = await runSweep(r.sweep, {
    out,
    sink: { write: () => true, isTTY: false },
    prebuilt: { searcher: r.searcher, pruner: r.pruner },
  });
  const elapsed = performance.now() - t0;
  const file = JSON.parse(fs.readFileSync(path.join(out, 'leaderboard.json'), 'utf8')) as Leaderboard;
  assert.ok(validate(file), ajv.errorsText(validate.errors));
  const run = file.run;
  assert.ok(run, 'leaderboard.json has a run object');
  if (!run) return;
  assert.is(run.availableCores, os.availableParallelism(), 'the cores Node may use');
  assert.ok(run.wallMs > 0 && run.wallMs <= elapsed, `wallMs ${run.wallMs} within the run's ${elapsed} ms`);
  assert.ok(run.cpuMs > 0 && run.busyCores > 0, `cpuMs ${run.cpuMs}`);
  assert.ok(Math.abs(run.busyCores - run.cpuMs / run.wallMs) < 1e-9);
  assert.ok(Math.abs(run.ratio - run.busyCores / run.availableCores) < 1e-9);
  // Worker threads count: a process CPU time can exceed its wall time only on several cores; it cannot exceed them all by much.
  assert.ok(run.busyCores < run.availableCores * 1.5, `busyCores ${run.busyCores}`);
  // The file's figures are the final ones: the summary prints the same measure, taken right after the last write.
  assert.ok(result.utilisation.wallMs >= run.wallMs && result.utilisation.wallMs - run.wallMs < 5_000);
  assert.is(result.leaderboard.run, result.utilisation);
  assert.match(formatUtilisation(result.utilisation), /^utilisation \d+\.\d\d of \d+ cores \(\d+%\)$/);
  fs.rmSync(out, { recursive: true, force: true });
});

test.run();
