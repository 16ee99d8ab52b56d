/**
 * The sweep's output writer (per-trial files, top-k checkpoint retention, leaderboard) and the progress display, driven with
 * hand-made events and records (no pool).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { checkpointDir, SweepOutput, trialDir } from '../../src/sweep/output.js';
import { formatDuration, Progress } from '../../src/sweep/progress.js';
import type { TrialRecord } from '../../src/core/types.js';
import { tempDirs } from '../helpers/tmp.js';

const tmp = tempDirs(test);

function record(number: number, state: TrialRecord['state'], value?: number): TrialRecord {
  return {
    number,
    state,
    params: { x: number },
    ...(value !== undefined ? { value } : {}),
    intermediate: [],
    userAttrs: {},
    system: {},
    created: '2024-01-01T00:00:00.000Z',
    started: '2024-01-01T00:00:00.000Z',
    finished: '2024-01-01T00:00:03.000Z',
  };
}

function fakeCheckpoint(dir: string, n: number): void {
  fs.mkdirSync(checkpointDir(dir, n), { recursive: true });
  fs.writeFileSync(path.join(checkpointDir(dir, n), 'model.json'), '{}');
}

test('only the best k complete trials keep their checkpoints; curves and config are written', async () => {
  const dir = tmp('tunekit-out-');
  let boards = 0;
  const output = new SweepOutput(dir, {
    keep: 2,
    direction: 'maximize',
    leaderboard: async () => ({ n: ++boards }),
    leaderboardIntervalMs: 10_000,
  });
  const values = [0.5, 0.9, 0.7, 0.95, 0.1];
  for (const [n, v] of values.entries()) {
    output.started({ number: n, slot: n % 2, device: 'cpu', params: { x: n }, config: { x: n, lr: 0.1 } });
    output.report({ number: n, slot: n % 2, step: 1, value: { acc: v / 2 }, curve: { epochMs: 5 } });
    output.report({ number: n, slot: n % 2, step: 2, value: { acc: v } });
    fakeCheckpoint(dir, n);
    await output.finished(record(n, 'complete', v));
  }
  output.started({ number: 5, slot: 0, device: 'cpu', params: { x: 5 }, config: { x: 5 } });
  fakeCheckpoint(dir, 5);
  await output.finished(record(5, 'pruned', 0.99));
  assert.equal(output.checkpoints, [1, 3], 'the two best complete trials (0.9, 0.95); a pruned trial never keeps one');
  for (const n of [0, 2, 4, 5]) assert.not.ok(fs.existsSync(checkpointDir(dir, n)), `trial ${n} checkpoint deleted`);
  assert.ok(fs.existsSync(path.join(checkpointDir(dir, 3), 'model.json')));
  const config = JSON.parse(fs.readFileSync(path.join(trialDir(dir, 2), 'config.json'), 'utf8')) as {
    number: number;
    device: string;
    config: { lr: number };
  };
  assert.is(config.number, 2);
  assert.is(config.device, 'cpu');
  assert.is(config.config.lr, 0.1);
  const curves = JSON.parse(fs.readFileSync(path.join(trialDir(dir, 2), 'curves.json'), 'utf8')) as {
    step: number;
    acc: number;
    epochMs?: number;
  }[];
  assert.equal(
    curves.map((c) => [c.step, c.acc, c.epochMs]),
    [
      [1, 0.35, 5],
      [2, 0.7, undefined],
    ],
  );
  // Throttled: no leaderboard yet (interval 10 s), then flush writes the latest one.
  await output.flush();
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'leaderboard.json'), 'utf8')), { n: boards });

  // A resumed sweep: init() takes the stored trials (and their checkpoints) into the retention.
  const again = new SweepOutput(dir, { keep: 1, direction: 'maximize', leaderboard: async () => ({}) });
  again.init(values.map((v, n) => record(n, 'complete', v)));
  assert.equal(again.checkpoints, [3]);
  assert.not.ok(fs.existsSync(checkpointDir(dir, 1)));
});

test('multi-fidelity sweeps keep the best k checkpoints of each budget (promotions continue from them)', async () => {
  const dir = tmp('tunekit-out-mf-');
  const output = new SweepOutput(dir, { keep: 1, direction: 'minimize', leaderboard: async () => ({}) });
  const rows: [number, number, number][] = [
    [0, 1, 0.9],
    [1, 1, 0.5],
    [2, 1, 0.7],
    [3, 3, 0.6],
    [4, 3, 0.4],
  ];
  for (const [n, budget, value] of rows) {
    output.started({ number: n, slot: 0, device: 'cpu', params: {}, config: {}, budget });
    fakeCheckpoint(dir, n);
    await output.finished({ ...record(n, 'complete', value), budget });
  }
  assert.equal(output.checkpoints, [1, 4], 'the best of budget 1 (#1, 0.5) and of budget 3 (#4, 0.4)');
});

test('progress: plain lines per finished trial and a summary with ETA and best', () => {
  const written: string[] = [];
  const p = new Progress(
    { write: (s) => written.push(s), isTTY: false },
    { name: 'demo', total: 10, already: 2, metric: 'acc', direction: 'maximize', slots: ['cpu', 'cpu'] },
  );
  p.started({ number: 2, slot: 0, device: 'cpu', params: {}, config: {} });
  p.report({ number: 2, slot: 0, step: 1, value: { acc: 0.5 } });
  p.finished(record(2, 'complete', 0.8), 0);
  p.finished({ ...record(3, 'failed'), reason: 'worker crashed' }, 1);
  assert.match(written[0] ?? '', /^\[3\/10\] trial 2 complete acc=0\.8000 3s \(best 0\.8000 #2\)\n$/);
  assert.match(written[1] ?? '', /^\[4\/10\] trial 3 failed acc=- worker crashed 3s \(best 0\.8000 #2\)\n$/);
  assert.match(
    p.summary(),
    /^demo: 4\/10 finished \(1 complete, 0 pruned, 1 failed\), 0 running, elapsed \d+s, ETA \S+, best acc 0\.8000 \(#2\)$/,
  );
});

test('progress on a TTY: a live block with one line per worker, redrawn in place', () => {
  const written: string[] = [];
  const p = new Progress(
    { write: (s) => written.push(s), isTTY: true, columns: 200 },
    { name: 'demo', total: 4, already: 0, metric: 'acc', direction: 'maximize', slots: ['gpu:0', 'gpu:1'], maxEpochs: 5 },
  );
  p.started({ number: 7, slot: 1, device: 'gpu:1', params: {}, config: {} });
  p.report({ number: 7, slot: 1, step: 3, value: 0.25 });
  const lines = p.lines();
  assert.is(lines.length, 4);
  assert.match(lines[0] ?? '', /^demo \[-{30}\]\s+0% {2}0\/4 trials {2}elapsed \d+s {2}ETA - {2}best -$/);
  assert.is(lines[1], '  0 complete, 0 pruned, 0 failed');
  assert.match(lines[2] ?? '', /worker 0\s+gpu:0\s+idle/);
  assert.match(lines[3] ?? '', /worker 1\s+gpu:1\s+trial 7\s+epoch 3\/5\s+acc 0\.2500/);
  p.start();
  p.log('hello');
  p.stop();
  const text = written.join('');
  assert.ok(text.includes('\x1b[4A\x1b[Jhello\n'), 'the drawn block (4 lines) is cleared, the log line printed, then the block redrawn');
  assert.ok(text.endsWith('acc 0.2500\n'));
  assert.is(formatDuration(3_725_000), '1h02m');
  assert.is(formatDuration(65_000), '1m05s');
});

test.run();
