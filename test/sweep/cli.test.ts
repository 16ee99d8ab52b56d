/**
 * `tunekit run / resume / status` end to end, as child processes (test/fixtures/pool/cli.ts calls the command functions):
 * SIGKILL mid-sweep then resume completes the budget with no finished trial lost or repeated; SIGINT stops gracefully with
 * running trials recorded interrupted and retried on resume; `status` reads a sweep while another process runs it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStorage } from '../../src/storage/index.js';
import { readStatus, statusCommand } from '../../src/cli/status.js';
import { countsTowardBudget } from '../../src/study/optimize.js';
import type { TrialRecord } from '../../src/core/types.js';
import { tempDirs } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../fixtures/pool/cli.ts', import.meta.url));
const MODULE = fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url));

const tmp = tempDirs(test);

interface Run {
  readonly proc: ChildProcess;
  /** Trial numbers the process printed as finished (complete/pruned/failed), in order. */
  readonly finished: number[];
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

function start(args: readonly string[]): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const finished: number[] = [];
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    finished.length = 0;
    for (const m of out.matchAll(/^\[\d+\/\d+\] trial (\d+) (complete|pruned|failed)/gm)) finished.push(Number(m[1]));
  });
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      if (code !== 0 && code !== 130 && code !== null) process.stderr.write(`cli exited ${code}:\n${out}\n${err}\n`);
      resolve(code);
    }),
  );
  return { proc, finished, output: () => out + err, exit };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function trialsIn(dir: string, name: string): Promise<readonly TrialRecord[]> {
  const s = await FileStorage.openReadOnly(path.join(dir, 'study.json'));
  try {
    return await s.getTrials(name);
  } finally {
    await s.close();
  }
}

function sweepFile(dir: string, name: string, trials: number, defaults: object): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      name,
      trainable: { module: MODULE },
      defaults: { mode: 'ok', ...defaults },
      space: { x: { _type: 'float', low: -1, high: 1 } },
      searcher: 'sobol',
      objective: { metric: 'loss', direction: 'minimize' },
      budget: { trials },
      workers: 2,
      seed: 5,
    }),
  );
  return file;
}

test('SIGKILL mid-sweep, then resume: the budget completes, no finished trial lost or repeated', async () => {
  const dir = tmp('tunekit-cli-kill-');
  const out = path.join(dir, 'out');
  const TRIALS = 24;
  const first = start(['run', sweepFile(dir, 'killed', TRIALS, { steps: 3, ms: 30 }), '--out', out]);
  await until('8 finished trials', () => first.finished.length >= 8 || first.proc.exitCode !== null);
  first.proc.kill('SIGKILL');
  await first.exit;
  const reported = [...first.finished];
  assert.ok(reported.length >= 8 && reported.length < TRIALS, `killed mid-sweep (${reported.length} finished)`);
  const before = await trialsIn(out, 'killed');
  for (const n of reported) assert.ok(before[n] && countsTowardBudget(before[n]!), `trial ${n}, reported finished, is durable`);

  const second = start(['resume', out]);
  assert.is(await second.exit, 0, second.output());
  const after = await trialsIn(out, 'killed');
  const counted = after.filter(countsTowardBudget);
  assert.is(counted.length, TRIALS, 'exactly the budget');
  for (const t of before.filter(countsTowardBudget)) {
    const now = after[t.number]!;
    assert.is(now.state, t.state);
    assert.is(now.value, t.value);
    assert.is(now.finished, t.finished, `trial ${t.number} was not re-run`);
  }
  // Trials in flight at the kill were retried with the same params, each exactly once.
  const retries = after.filter((t) => typeof t.system['retryOf'] === 'number');
  assert.is(new Set(retries.map((t) => t.system['retryOf'])).size, retries.length, 'no trial retried twice');
  for (const r of retries) assert.equal(r.params, after[r.system['retryOf'] as number]!.params);
  assert.ok(
    after.every((t) => t.state !== 'running' && t.state !== 'waiting'),
    'nothing left running or waiting',
  );
  const lb = JSON.parse(fs.readFileSync(path.join(out, 'leaderboard.json'), 'utf8')) as {
    summary: { trials: number; states: { complete: number } };
  };
  assert.is(lb.summary.states.complete, TRIALS, 'the leaderboard was rewritten at the end');
  for (const t of counted)
    assert.ok(fs.existsSync(path.join(out, 'trials', String(t.number), 'config.json')), `trials/${t.number}/config.json`);
  const curves = JSON.parse(
    fs.readFileSync(path.join(out, 'trials', String(counted[counted.length - 1]!.number), 'curves.json'), 'utf8'),
  ) as { step: number; loss: number }[];
  assert.equal(
    curves.map((c) => c.step),
    [1, 2, 3],
  );
});

test('status while a sweep runs; SIGINT stops it gracefully (interrupted, resumable); resume finishes it', async () => {
  const dir = tmp('tunekit-cli-int-');
  const out = path.join(dir, 'out');
  const holdDir = path.join(dir, 'hold');
  fs.mkdirSync(holdDir);
  const TRIALS = 6;
  // Trials 0 and 1 finish; later ones block after their first report until released (or stopped).
  const run = start(['run', sweepFile(dir, 'stopped', TRIALS, { steps: 3, ms: 10, holdDir, holdFrom: 2 }), '--out', out]);
  await until('2 finished trials', () => run.finished.length >= 2 || run.proc.exitCode !== null);
  // The storage journals running trials within 1 s: wait until both blocked trials and their first reports are visible.
  await until(
    '2 trials running',
    async () => (await trialsIn(out, 'stopped')).filter((t) => t.state === 'running' && t.intermediate.length === 1).length === 2,
  );

  const status = await readStatus(out);
  assert.is(status.state, 'running');
  assert.is(status.pid, run.proc.pid);
  assert.is(status.finished, 2);
  assert.is(status.budget, TRIALS);
  assert.equal(
    status.running.map((r) => r.step),
    [1, 1],
  );
  const lines: string[] = [];
  await statusCommand({ dir: out }, (l) => lines.push(l));
  assert.match(lines[0] ?? '', new RegExp(`sweep stopped in .*: running \\(pid ${String(run.proc.pid)}\\)`));
  // The pool asks ahead: two more trials are asked and wait for a free worker (stored running, no config.json yet).
  assert.is(status.states.running, 2);
  assert.is(status.states.queued, 2);
  assert.match(
    lines[1] ?? '',
    new RegExp(`trials: 2/${TRIALS} finished \\(2 complete, 0 pruned, 0 failed\\), 2 running \\(2 more asked ahead\\)`),
  );
  assert.is(lines.filter((l) => l.includes('running #')).length, 2);

  run.proc.kill('SIGINT');
  assert.is(await run.exit, 130, 'exit code 130 after Ctrl-C');
  assert.match(run.output(), /stopping: running trials end within one batch/);
  assert.match(run.output(), /continue with: tunekit resume/);
  const stopped = await trialsIn(out, 'stopped');
  assert.not.ok(
    stopped.some((t) => t.state === 'running'),
    'no trial left running',
  );
  const interrupted = stopped.filter((t) => t.state === 'failed' && t.reason === 'interrupted');
  const ran = interrupted.filter((t) => fs.existsSync(path.join(out, 'trials', String(t.number), 'config.json')));
  assert.is(ran.length, 2, 'both running trials were recorded interrupted');
  assert.ok(
    ran.every((t) => t.intermediate.length === 1),
    'they stopped where they were (1 of 3 steps)',
  );
  assert.is(interrupted.length, 4, 'and so were the two trials asked ahead, which never started');
  assert.ok(interrupted.filter((t) => !ran.includes(t)).every((t) => t.intermediate.length === 0));
  for (const t of interrupted) {
    const retry = stopped.find((r) => r.system['retryOf'] === t.number);
    assert.is(retry?.state, 'waiting', `trial ${t.number} has a retry waiting`);
    assert.equal(retry?.params, t.params);
  }
  assert.is((await readStatus(out)).state, 'stopped');

  fs.writeFileSync(path.join(holdDir, 'release'), '');
  const resumed = start(['resume', out]);
  assert.is(await resumed.exit, 0, resumed.output());
  const final = await trialsIn(out, 'stopped');
  assert.is(final.filter(countsTowardBudget).length, TRIALS);
  assert.ok(final.filter(countsTowardBudget).every((t) => t.state === 'complete' && t.intermediate.length === 3));
  assert.is((await readStatus(out)).state, 'finished');
});

test.run();
