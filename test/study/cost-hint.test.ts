/**
 * What the ask-ahead queue predicts from when the executor counts a trial's work (Executor.costHint, src/study/cost.ts), and
 * how deep it asks for searchers that ignore results (src/study/feeder.ts `perLane`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CostModel } from '../../src/study/cost.js';
import type { CostHint } from '../../src/core/executor.js';
import type { TrialRecord } from '../../src/core/types.js';
import { compileSpace, space } from '../../spaces/index.js';
import { createStudy } from '../../src/study/open.js';
import { registerSearcher } from '../../searchers/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (ms: number) => new Date(Date.UTC(2026, 11, 5, 0, 0, 0, ms)).toISOString();
const record = (number: number, params: object, ms: number): TrialRecord =>
  ({
    number,
    state: 'complete',
    value: 0,
    params,
    intermediate: [{ step: 1, value: 0 }],
    userAttrs: {},
    system: {},
    created: at(0),
    started: at(0),
    finished: at(ms),
  }) as TrialRecord;

// The sweep example's shape: a model branch and an optimiser branch. The model's size decides the cost; the optimiser does not.
const cube = compileSpace({
  model: space.choice({ attention: { dim: space.choice([32, 64]), layers: space.int(1, 2) }, mlp: { units: space.int(64, 512) } }),
  optimizer: space.choice({ adam: { lr: space.float(1e-4, 1e-2, { log: true }) }, adamw: { lr: space.float(1e-4, 1e-2, { log: true }) } }),
});
type P = { model: { type: string; dim?: number; layers?: number; units?: number } };
/** A hint like the built-in trainer's: the model's kind and a work count that grows with its size. */
const hint = (params: unknown): CostHint => {
  const m = (params as P).model;
  return m.type === 'attention'
    ? { kind: 'attention', work: [(m.dim ?? 0) ** 2 * (m.layers ?? 1) * 100] }
    : { kind: 'mlp', work: [(m.units ?? 0) * 100] };
};
const big = { type: 'attention', dim: 64, layers: 2 };
const small = { type: 'attention', dim: 32, layers: 1 };

test('with hints, a queued trial is predicted from the finished trial of the same work, not from one that shares its optimiser', () => {
  const finished = [
    record(0, { model: small, optimizer: { type: 'adam', lr: 0.0026 } }, 8_000),
    record(1, { model: big, optimizer: { type: 'adamw', lr: 0.0057 } }, 24_000),
    record(2, { model: { type: 'mlp', units: 256 }, optimizer: { type: 'adam', lr: 0.001 } }, 3_000),
  ];
  const queued = { params: { model: big, optimizer: { type: 'adam', lr: 0.0056 } } };
  const hinted = new CostModel(cube, hint);
  const plain = new CostModel(cube);
  for (const t of finished) {
    hinted.observe(t);
    plain.observe(t);
  }
  const withHint = hinted.predict(queued) as number;
  const inCube = plain.predict(queued) as number;
  assert.ok(withHint > 20_000, `predicted ${withHint} ms from its twin's 24,000`);
  // Why hints: in the cube the optimiser branch weighs as much as the model, and the small adam trial is nearest.
  assert.ok(inCube < 12_000, `the cube predicted ${inCube} ms`);
});

test('with hints, kinds never mix: a kind no finished trial had is unknown; a throwing hint falls back to the cube', () => {
  const model = new CostModel(cube, hint);
  model.observe(record(0, { model: { type: 'mlp', units: 128 }, optimizer: { type: 'adam', lr: 0.001 } }, 2_000));
  assert.is(model.predict({ params: { model: small, optimizer: { type: 'adam', lr: 0.001 } } }), undefined);
  const p = model.predict({ params: { model: { type: 'mlp', units: 256 }, optimizer: { type: 'adamw', lr: 0.003 } } });
  assert.ok(p !== undefined && Math.abs(p - 2_000) < 200, `predicted ${String(p)}`);
  const flaky = new CostModel(cube, () => {
    throw new Error('cannot count');
  });
  flaky.observe(record(0, { model: small, optimizer: { type: 'adam', lr: 0.001 } }, 5_000));
  assert.ok(Math.abs((flaky.predict({ params: { model: small, optimizer: { type: 'adam', lr: 0.001 } } }) as number) - 5_000) < 1e-6);
});

test("with hints, a neighbour's time is scaled by the square root of the size ratio: a bigger model of a kind is slower", () => {
  const sized = (params: unknown): CostHint => ({ ...hint(params), size: hint(params).work[0]! });
  const model = new CostModel(cube, sized);
  model.observe(record(0, { model: small, optimizer: { type: 'adam', lr: 0.001 } }, 8_000));
  // big: 64^2 * 2 against 32^2 * 1, eight times the size -> sqrt(8) times the time of the only attention trial finished.
  const p = model.predict({ params: { model: big, optimizer: { type: 'adam', lr: 0.001 } } }) as number;
  assert.ok(Math.abs(p - 8_000 * Math.sqrt(8)) < 1e-6, `predicted ${p}`);
  // Without sizes, the same observation predicts the small model's time.
  const flat = new CostModel(cube, hint);
  flat.observe(record(0, { model: small, optimizer: { type: 'adam', lr: 0.001 } }, 8_000));
  assert.ok(Math.abs((flat.predict({ params: { model: big, optimizer: { type: 'adam', lr: 0.001 } } }) as number) - 8_000) < 1e-6);
});

// Two searchers that propose the same points: one says it ignores results, the other does not.
for (const ignores of [true, false]) {
  registerSearcher(`depth-test-${ignores}`, (init) => ({
    type: `depth-test-${ignores}`,
    ...(ignores ? { ignoresResults: true } : {}),
    suggest: ({ number }) => ({ kind: 'suggest', params: init.space.decode([(number * 0.618) % 1]) }),
  }));
}

/** Trials stored as running (started or queued) while trial 0 runs, in a 2-lane sweep asking ahead. */
async function inFlight(ignores: boolean): Promise<number> {
  const study = await createStudy({
    name: `depth-${ignores}`,
    space: { x: space.float(0, 1) },
    searcher: `depth-test-${ignores}`,
    seed: 1,
  });
  let seen = -1;
  await study.optimize(
    async (_p, ctx) => {
      await sleep(40);
      if (ctx.number === 0) seen = (await study.trials()).filter((t) => t.state === 'running').length;
      return ctx.number;
    },
    { trials: 16, concurrency: 2, askAhead: true },
  );
  assert.is((await study.trials()).filter((t) => t.state === 'complete').length, 16, 'the budget, exactly');
  await study.close();
  return seen;
}

test('a searcher that ignores results is asked four trials ahead per lane; one that learns from them, one', async () => {
  assert.is(await inFlight(true), 2 + 8, 'two running, eight queued');
  assert.is(await inFlight(false), 2 + 2, 'two running, two queued');
});

test.run();
