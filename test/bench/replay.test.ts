/**
 * bench/replay: the feeder's rules replayed on measured durations. The parser reads bench/pool's start-order lines, and the
 * replay of the 12-trial run the queue rules were changed for gives what the rules then and now do with those durations.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { durationSets, replay } from '../../bench/replay.js';
import { createSearcher } from '../../searchers/index.js';
import { spaceFromJSON } from '../../spaces/index.js';
import type { Params } from '../../src/core/types.js';
import fs from 'node:fs';

const line = (order: string) => `   workers 2: 64.4 s wall, tail: trial 9 alone for 10.8 s; start order (trial:seconds) ${order}\n`;

test('durationSets: one set per start-order line, indexed by trial number', () => {
  const text = `${line('0:6s 1:8s 3:8s 2:9.5s')}   workers 1: 103.4 s wall\n${line('1:2s 0:3s')}`;
  assert.equal(durationSets(text), [
    [6, 8, 9.5, 8],
    [3, 2],
  ]);
});

test('replay: on the 12-trial run whose attention trial ran alone at the end, hints and a deeper queue reach the best split', async () => {
  const sweep = JSON.parse(fs.readFileSync(new URL('../../examples/mnist-sweep.json', import.meta.url), 'utf8')) as { space: never };
  const sobol = createSearcher('sobol', { space: spaceFromJSON(sweep.space), seed: 1, direction: 'maximize' });
  const params: Params[] = [];
  for (let n = 0; n < 12; n++) {
    const s = await sobol.suggest({ number: n, trials: [] });
    if (s.kind === 'suggest') params.push(s.params);
  }
  // bench/pool, 2026-12-05: trial 9 (attention, 22 s) started tenth and ran alone for ~10 s; 110 s of trials, best split 55 s.
  const durations = [5, 6, 8, 8, 24, 4, 3, 14, 3, 22, 2, 11];
  assert.is(replay(durations, params, 1, false), 60, 'the rules before hints: the sweep as it ran');
  assert.is(replay(durations, params, 4, true), 56, 'four per lane with the trainer hints: 1 s after the best split (55 s)');
});

test.run();
