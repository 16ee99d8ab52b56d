import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lptSplit, sweepTrials, type OracleTrial } from '../../bench/oracle.js';

const trial = (number: number, seconds: number): OracleTrial => ({ number, config: { n: number }, seconds });
const load = (lane: readonly OracleTrial[]) => lane.reduce((s, t) => s + t.seconds, 0);

test('lptSplit: longest first, each to the least-loaded lane; every trial exactly once', () => {
  // The 12-trial scaling sweep's durations (bench/pool, 2026-12-05): its ask order ended on trial 9 alone for ~10 s.
  const secs = [5, 6, 8, 8, 24, 4, 3, 14, 3, 22, 2, 11];
  const lanes = lptSplit(
    secs.map((s, i) => trial(i, s)),
    2,
  );
  assert.equal(
    lanes.map((l) => l.map((t) => t.number)),
    [
      [4, 11, 2, 1, 5, 10],
      [9, 7, 3, 0, 6, 8],
    ],
  );
  assert.equal(lanes.map(load), [55, 55]);
  assert.equal(
    lanes
      .flat()
      .map((t) => t.number)
      .sort((a, b) => a - b),
    secs.map((_, i) => i),
  );
});

test('lptSplit: ties go to the lower lane and the lower trial number; more lanes than trials leaves lanes empty', () => {
  assert.equal(
    lptSplit([trial(0, 1), trial(1, 1), trial(2, 1)], 2).map((l) => l.map((t) => t.number)),
    [[0, 2], [1]],
  );
  assert.equal(
    lptSplit([trial(0, 3)], 3).map((l) => l.length),
    [1, 0, 0],
  );
});

test('sweepTrials: reads each trial config and start from trials/<n>/config.json, the finish from the map', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-oracle-'));
  try {
    for (const [n, started] of [
      [0, '2026-12-05T08:00:00.000Z'],
      [1, '2026-12-05T08:00:02.500Z'],
    ] as const) {
      fs.mkdirSync(path.join(dir, 'trials', String(n)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'trials', String(n), 'config.json'), JSON.stringify({ started, config: { epochs: 3, n } }));
    }
    const finished = new Map([
      [1, '2026-12-05T08:00:10.000Z'],
      [0, '2026-12-05T08:00:04.000Z'],
    ]);
    assert.equal(sweepTrials(dir, finished), [
      { number: 0, config: { epochs: 3, n: 0 }, seconds: 4 },
      { number: 1, config: { epochs: 3, n: 1 }, seconds: 7.5 },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
