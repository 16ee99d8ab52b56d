/**
 * `tunekit run` under the faults an unattended sweep meets: a SIGTERM while a trial is stuck in a blocking loop (the sweep
 * stops within a bounded time, the trial recorded interrupted and retried on resume), and a stdout that closes early
 * (`| head -2`: the sweep finishes its budget anyway).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStorage } from '../../src/storage/index.js';
import { tempDirs } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(root, 'dist/src/cli/main.js');
const MODULE = path.join(root, 'test/fixtures/pool/trainable.ts');
const tmp = tempDirs(test);

function sweepFile(dir: string, mode: string, trials: number): string {
  const file = path.join(dir, 'sweep.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: `signals-${mode}`,
      trainable: { module: MODULE },
      defaults: { mode, steps: 3, ms: 5 },
      space: { x: { _type: 'float', low: -1, high: 1 } },
      searcher: 'sobol',
      objective: { metric: 'loss', direction: 'minimize' },
      budget: { trials },
      workers: 1,
      seed: 3,
    }),
  );
  return file;
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function trialsOf(dir: string) {
  const storage = await FileStorage.openReadOnly(path.join(dir, 'study.json'));
  try {
    const [name] = await storage.listStudies();
    return await storage.getTrials(name as string);
  } finally {
    await storage.close();
  }
}

test('one SIGTERM stops a sweep whose trial is stuck in a blocking loop, within a bounded time; the trial is interrupted and retried', async () => {
  const work = tmp('tk-term-');
  const out = path.join(work, 'run');
  const child = spawn(process.execPath, [bin, 'run', sweepFile(work, 'hang', 2), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => fs.existsSync(path.join(out, 'trials', '0', 'config.json')), 60_000);
  await new Promise((r) => setTimeout(r, 500));
  const sent = Date.now();
  child.kill('SIGTERM');
  const code = await exited;
  const took = Date.now() - sent;
  assert.is(code, 130, stderr);
  assert.ok(took < 30_000, `the sweep took ${took} ms to stop after SIGTERM`);
  const trials = await trialsOf(out);
  assert.is(trials[0]?.state, 'failed');
  assert.is(trials[0]?.reason, 'interrupted');
  assert.ok(
    trials.some((t) => t.state === 'waiting' && t.system['retryOf'] === 0),
    'no retry enqueued',
  );
  assert.ok(trials.every((t) => t.state !== 'running'));
});

test('`tunekit run ... | head -2`: a closed stdout never stops the sweep; it finishes its budget', async () => {
  const work = tmp('tk-pipe-');
  const out = path.join(work, 'run');
  const child = spawn(process.execPath, [bin, 'run', sweepFile(work, 'ok', 4), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let seen = '';
  child.stdout.on('data', (d: Buffer) => {
    seen += d.toString();
    if (seen.split('\n').length > 2) child.stdout.destroy(); // what `head -2` does once it has its lines
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.is(code, 0, stderr);
  assert.not.match(stderr, /EPIPE|\n\s+at /);
  const trials = await trialsOf(out);
  assert.is(trials.filter((t) => t.state === 'complete').length, 4);
});

test.run();
