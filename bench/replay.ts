/**
 * bench/replay: the ask-ahead queue's start order replayed on measured trial durations, without training anything, to compare
 * queue rules on the same durations in a second (a real 12-trial scaling pair takes four minutes and drifts with the host).
 *
 *   node --import tsx bench/replay.ts /tmp/scal12.log [more bench/pool logs...]
 *
 * Input: bench/pool.ts scaling logs; each 2-worker line's `start order (trial:seconds)` gives one set of durations (the
 * examples/mnist-sweep.json trials, Sobol, seed 1, so trial n's params are known). For each set, two lanes run the trials
 * with the feeder's rules (src/study/feeder.ts: a queue of `perLane` trials per lane, a free lane starts the trial of unknown
 * cost first, else the predicted-longest, a trial passed over as many times as the queue holds goes first) and the real
 * CostModel (src/study/cost.ts), learning each trial's duration when it finishes. It prints when the last trial ends under:
 * one per lane without cost hints (the rules before hints), one per lane with the built-in trainer's hints, four per lane with
 * hints (what the pool does now for searchers that ignore results), and the best any split could do (max(sum / 2, longest)).
 * What a replay leaves out: the controller's own time, and two trainings slowing each other (durations are taken as measured).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSearcher } from '../searchers/index.js';
import { spaceFromJSON } from '../spaces/index.js';
import type { SpaceJson } from '../spaces/types.js';
import type { CostHint } from '../src/core/executor.js';
import type { Params, TrialRecord } from '../src/core/types.js';
import { builtinConfig, builtinCostHint } from '../src/pool/config.js';
import type { JsonObject } from '../src/pool/protocol.js';
import { CostModel } from '../src/study/cost.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sweep = JSON.parse(fs.readFileSync(path.join(root, 'examples/mnist-sweep.json'), 'utf8')) as {
  space: SpaceJson;
  defaults: JsonObject;
};
const space = spaceFromJSON(sweep.space);
const objective = { metric: 'valAccuracy', direction: 'maximize' as const };
const mnist = { inputShape: [28, 28, 1], task: 'classification' as const, numClasses: 10 };
const hint = (params: unknown): CostHint | undefined =>
  builtinCostHint(builtinConfig(sweep.defaults, params as JsonObject, { seed: 1, objective }), mnist);

/** Every `start order` of the 2-worker lines of `file`, as durations indexed by trial number. */
export function durationSets(text: string): number[][] {
  return [...text.matchAll(/start order \(trial:seconds\) ([0-9:s. ]+)/g)].map((m) => {
    const d: number[] = [];
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const [n, s] = pair.split(':');
      d[Number(n)] = parseFloat(s!);
    }
    return d;
  });
}

/** When the last of the trials ends on two lanes under the feeder's rules (see the file comment). */
export function replay(durations: readonly number[], params: readonly Params[], perLane: number, withHints: boolean): number {
  const lanes = 2;
  const capacity = lanes * perLane;
  const cost = new CostModel(space, withHints ? hint : undefined);
  const ready: { n: number; passed: number }[] = [];
  let next = 0;
  const refill = () => {
    while (ready.length < capacity && next < durations.length) ready.push({ n: next++, passed: 0 });
  };
  const pick = (): number => {
    let best = 0;
    let bestCost = -Infinity;
    for (let i = 0; ready.length > 1 && i < ready.length; i++) {
      if (ready[i]!.passed >= capacity) {
        best = i;
        break;
      }
      const c = cost.predict({ params: params[ready[i]!.n] }) ?? Infinity;
      if (c > bestCost) [best, bestCost] = [i, c];
    }
    ready.forEach((h, i) => i !== best && h.passed++);
    const [h] = ready.splice(best, 1);
    refill();
    return h!.n;
  };
  refill();
  const running = Array.from({ length: lanes }, () => pick()).map((n) => ({ n, end: durations[n]! }));
  let end = 0;
  while (running.length > 0) {
    running.sort((a, b) => a.end - b.end);
    const done = running.shift()!;
    end = Math.max(end, done.end);
    const steps = [1, 2, 3].map((step) => ({ step, value: 0 }));
    const record = { number: done.n, state: 'complete', value: 0, params: params[done.n], intermediate: steps };
    cost.observe({ ...record, userAttrs: {}, system: {}, created: '' } as TrialRecord, durations[done.n]! * 1000);
    if (ready.length > 0) {
      const n = pick();
      running.push({ n, end: done.end + durations[n]! });
    }
  }
  return end;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node --import tsx bench/replay.ts <bench/pool log> [...]');
    process.exit(2);
  }
  const sets = files.flatMap((f) => durationSets(fs.readFileSync(f, 'utf8')));
  const sobol = createSearcher('sobol', { space, seed: 1, direction: 'maximize' });
  const params: Params[] = [];
  for (let n = 0; n < Math.max(...sets.map((d) => d.length)); n++) {
    const s = await sobol.suggest({ number: n, trials: [] });
    if (s.kind === 'suggest') params.push(s.params);
  }
  console.log(`bench/replay: ${sets.length} measured sets of durations; seconds until the last trial ends on 2 lanes`);
  console.log('trials  best split  1/lane, no hints  1/lane, hints  4/lane, hints');
  for (const d of sets) {
    const best = Math.max(d.reduce((a, b) => a + b, 0) / 2, ...d);
    const cells = [replay(d, params, 1, false), replay(d, params, 1, true), replay(d, params, 4, true)];
    console.log(
      `${String(d.length).padStart(6)}  ${best.toFixed(1).padStart(10)}  ${cells.map((c, i) => c.toFixed(1).padStart([16, 13, 13][i]!)).join('  ')}`,
    );
  }
}
