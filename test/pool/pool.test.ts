/**
 * The worker pool with a tiny user-module trainable (test/fixtures/pool/trainable.ts): concurrency, pruning, isolation of
 * throwing / exiting / out-of-memory / hanging trials, device pinning with a fake GPU list, and a crashing device process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import type { Pruner } from '../../src/pruners/index.js';
import { registerSearcher } from '../../searchers/index.js';
import { tempDirs } from '../helpers/tmp.js';
import { rejects } from '../helpers/rejects.js';

const MODULE = fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url));
const MODES = ['ok', 'throw', 'exit', 'oom', 'hang', 'crash'];

const tmp = tempDirs(test);

/** A study whose trials are exactly the given modes, in order (enqueued). */
async function studyOf(modes: readonly string[], extra: { pruner?: Pruner } = {}) {
  const study = await createStudy({
    name: 'pool',
    space: { mode: space.choice(MODES), x: space.float(-1, 1) },
    metric: 'loss',
    seed: 3,
    ...extra,
  });
  for (const [i, mode] of modes.entries()) await study.enqueue({ mode, x: (i % 5) / 5 });
  return study;
}

test('concurrency 2: every trial finishes, two run at once on two threads', async () => {
  const meetDir = tmp('tunekit-meet-');
  const study = await studyOf(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  const result = await study.optimize({ module: MODULE, defaults: { meetDir, steps: 2 } }, { trials: 6, workers: 2 });
  assert.is(result.stoppedBy, 'budget');
  assert.is(result.finished, 6);
  const trials = await study.trials();
  assert.is(trials.length, 6);
  assert.ok(
    trials.every((t) => t.state === 'complete'),
    'all complete',
  );
  // Trial 0 waited until another trial had started: only true concurrency lets it see 2 markers.
  assert.ok(
    trials.every((t) => t.metrics?.['met'] === 1),
    'the first trials met a concurrently running one',
  );
  assert.is(new Set(trials.map((t) => t.metrics?.['thread'])).size, 2, 'two worker threads');
  assert.ok(
    trials.every((t) => t.metrics?.['pid'] === process.pid),
    'cpu workers are threads of this process',
  );
  assert.ok(
    trials.every((t) => t.intermediate.length === 2 && t.userAttrs['ranOn'] !== undefined),
    'reports and user attrs reached the study',
  );
  assert.is(result.best?.value, Math.min(...trials.map((t) => t.value as number)));
  await study.close();
});

test('a prune decision ends the trial at that step', async () => {
  const pruner: Pruner = {
    type: 'at-step-2',
    decide: ({ step }) => (step >= 2 ? { action: 'prune', reason: 'pruned by the test at step 2' } : { action: 'continue' }),
  };
  const study = await studyOf(['ok', 'ok', 'ok'], { pruner });
  const result = await study.optimize({ module: MODULE, defaults: { steps: 50, ms: 5 } }, { trials: 3, workers: 2 });
  assert.is(result.finished, 3);
  for (const t of await study.trials()) {
    assert.is(t.state, 'pruned');
    assert.is(t.reason, 'pruned by the test at step 2');
    assert.is(t.intermediate.length, 2, 'no report after the prune decision (50 were planned)');
  }
  await study.close();
});

test('a throwing, an exiting and an out-of-memory trial each fail alone; the sweep completes', async () => {
  const modes = ['ok', 'throw', 'ok', 'exit', 'ok', 'oom', 'ok', 'ok'];
  const study = await studyOf(modes);
  const result = await study.optimize(
    { module: MODULE },
    { trials: modes.length, workers: 2, workerMemoryMb: 64, maxConsecutiveFailures: 0 },
  );
  assert.is(result.finished, modes.length);
  const trials = await study.trials();
  for (const t of trials) {
    const mode = t.params['mode'];
    if (mode === 'ok') assert.is(t.state, 'complete', `trial ${t.number} (ok)`);
    else assert.is(t.state, 'failed', `trial ${t.number} (${JSON.stringify(mode)})`);
  }
  const by = (mode: string) => trials.find((t) => t.params['mode'] === mode)!;
  assert.match(by('throw').error?.message ?? '', /deliberate failure in trial 1/);
  assert.match(by('throw').error?.stack ?? '', /trainable\.ts/, 'the stack from the worker is kept');
  assert.is(by('throw').reason, undefined);
  assert.is(by('exit').reason, 'worker crashed');
  assert.match(by('exit').error?.message ?? '', /exited with code: 7/);
  assert.is(by('oom').reason, 'worker crashed');
  assert.match(by('oom').error?.message ?? '', /memory/);
  await study.close();
});

test('trialTimeout fails a hung trial and replaces its worker', async () => {
  const study = await studyOf(['hang', 'ok', 'ok', 'ok']);
  const result = await study.optimize({ module: MODULE }, { trials: 4, workers: 2, trialTimeoutMs: 1500 });
  assert.is(result.finished, 4);
  const trials = await study.trials();
  assert.is(trials[0]?.state, 'failed');
  assert.is(trials[0]?.reason, 'timeout');
  assert.match(trials[0]?.error?.message ?? '', /trialTimeout = 1\.5 s/);
  assert.ok(trials.slice(1).every((t) => t.state === 'complete'));
  await study.close();
});

test('device pinning: each gpu:N is its own process with CUDA_VISIBLE_DEVICES=N, at most trialsPerDevice at once', async () => {
  const study = await studyOf(Array.from({ length: 8 }, () => 'ok'));
  const assigned = new Map<number, string>();
  const live = new Map<string, number>();
  let maxLive = 0;
  const result = await study.optimize(
    { module: MODULE, defaults: { steps: 3, ms: 20 } },
    {
      trials: 8,
      devices: ['gpu:0', 'gpu:1'],
      trialsPerDevice: 2,
      onTrialStarted: (e) => {
        assigned.set(e.number, e.device);
        live.set(e.device, (live.get(e.device) ?? 0) + 1);
        maxLive = Math.max(maxLive, live.get(e.device)!);
      },
      onTrialFinished: (t, e) => {
        live.set(e.device, live.get(e.device)! - 1);
      },
    },
  );
  assert.is(result.finished, 8);
  const trials = await study.trials();
  const pids = new Map<string, Set<number>>();
  for (const t of trials) {
    assert.is(t.state, 'complete');
    const device = assigned.get(t.number)!;
    assert.is(t.metrics?.['cuda'], Number(device.slice(4)), `trial ${t.number} saw CUDA_VISIBLE_DEVICES of ${device}`);
    assert.is.not(t.metrics?.['pid'], process.pid, 'runs in a child process');
    if (!pids.has(device)) pids.set(device, new Set());
    pids.get(device)!.add(t.metrics?.['pid'] as number);
  }
  assert.equal([...pids.keys()].sort(), ['gpu:0', 'gpu:1']);
  assert.ok(
    [...pids.values()].every((s) => s.size === 1),
    'one process per device',
  );
  assert.is.not([...pids.get('gpu:0')!][0], [...pids.get('gpu:1')!][0]);
  assert.ok(maxLive <= 2, `the controller never ran more than 2 trials on a device (saw ${maxLive})`);
  // The trials' own clocks agree: no instant at which 3 trials of one device were running.
  for (const device of ['gpu:0', 'gpu:1']) {
    const spans = trials
      .filter((t) => assigned.get(t.number) === device)
      .map((t) => [t.metrics?.['t0'] as number, t.metrics?.['t1'] as number] as const);
    for (const [start] of spans) {
      const overlapping = spans.filter(([a, b]) => a <= start && start < b).length;
      assert.ok(overlapping <= 2, `${device}: ${overlapping} trials overlapped`);
    }
  }
  await study.close();
});

test('a device process that dies fails only its trial, and a new process serves the next', async () => {
  const study = await studyOf(['ok', 'crash', 'ok']);
  const result = await study.optimize({ module: MODULE }, { trials: 3, devices: ['gpu:0'], trialsPerDevice: 1, maxConsecutiveFailures: 0 });
  assert.is(result.finished, 3);
  const [a, crash, b] = await study.trials();
  assert.is(a?.state, 'complete');
  assert.is(b?.state, 'complete');
  assert.is(crash?.state, 'failed');
  assert.is(crash?.reason, 'worker crashed');
  assert.match(crash?.error?.message ?? '', /process of device gpu:0 exited \(signal SIGKILL\)/);
  assert.is.not(a?.metrics?.['pid'], b?.metrics?.['pid'], 'the device process was replaced');
  await study.close();
});

test('stop, then kill: a trial ignoring the stop is terminated by the kill; running trials end interrupted and are retried', async () => {
  const study = await studyOf(['hang', 'ok', 'ok']);
  const stop = new AbortController();
  const kill = new AbortController();
  const started: number[] = [];
  const run = study.optimize(
    { module: MODULE, defaults: { steps: 1000, ms: 5 } },
    {
      trials: 3,
      workers: 2,
      signal: stop.signal,
      killSignal: kill.signal,
      onTrialStarted: (e) => started.push(e.number),
      onReport: () => {
        // The 'ok' trial reported: both trials are running (the hang one busy-loops). Stop gracefully, then for good.
        if (!stop.signal.aborted) {
          stop.abort();
          setTimeout(() => kill.abort(), 200);
        }
      },
    },
  );
  const result = await run;
  assert.is(result.stoppedBy, 'signal');
  assert.is(result.finished, 0);
  const trials = await study.trials();
  const interrupted = trials.filter((t) => t.reason === 'interrupted');
  // The pool asks ahead: the third trial was asked while the first two ran and never started; it is interrupted too.
  const asked = [0, 1, 2];
  assert.equal(interrupted.map((t) => t.number).sort(), asked, 'every started or asked-ahead trial was recorded interrupted');
  assert.equal([...started].sort(), [0, 1], 'the trial asked ahead never started');
  assert.ok(
    interrupted.some((t) => t.params['mode'] === 'hang'),
    'including the one that ignored the stop',
  );
  assert.is(trials.filter((t) => t.state === 'waiting').length, 3, 'one retry per interrupted trial waits for a resume');
  await study.close();
});

test("a promoted trial (continueFrom) gets the earlier trial's checkpoint and its epochs as the start", async () => {
  // A two-trial "multi-fidelity" searcher: x = 0.25 at budget 1, then the same params promoted to budget 3.
  registerSearcher('test-promote', () => ({
    type: 'test-promote',
    suggest: ({ number, trials }) => {
      if (number === 0) return { kind: 'suggest', params: { mode: 'ok', x: 0.25 }, budget: 1 };
      if (number === 1)
        return trials[0]?.state === 'complete'
          ? { kind: 'suggest', params: trials[0].params, budget: 3, system: { continueFrom: 0 } }
          : { kind: 'wait' };
      return { kind: 'exhausted' };
    },
  }));
  const dir = tmp('tunekit-promote-');
  const study = await createStudy({
    name: 'promote',
    space: { mode: space.choice(MODES), x: space.float(-1, 1) },
    metric: 'loss',
    seed: 1,
    searcher: 'test-promote',
  });
  const result = await study.optimize({ module: MODULE }, { trials: 5, workers: 2, checkpointDir: (n) => path.join(dir, String(n)) });
  assert.is(result.stoppedBy, 'exhausted');
  const [first, promoted] = await study.trials();
  assert.is(first?.metrics?.['warm'], -1, 'the first trial starts from scratch');
  assert.is(first?.metrics?.['budget'], 1);
  assert.is(promoted?.metrics?.['warm'], 0.25, "the promoted trial read its predecessor's checkpoint");
  assert.is(promoted?.metrics?.['startEpoch'], 1);
  assert.is(promoted?.metrics?.['budget'], 3);
  await study.close();
});

test('bad options are rejected before anything starts', async () => {
  const study = await studyOf([]);
  await rejects(() => study.optimize({ module: MODULE }, { trials: 1, devices: ['tpu:0'] }), /"cpu" or "gpu:<index>"/);
  await rejects(() => study.optimize({ module: MODULE }, { trials: 1, workers: 0 }), /`workers` must be an integer >= 1/);
  await rejects(() => study.optimize({ module: MODULE }, { trials: 1, bogus: 1 } as never), /unknown option "bogus"/);
  assert.is((await study.trials()).length, 0);
  await study.close();
});

test.run();
