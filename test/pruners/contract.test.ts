/**
 * The contract every registered pruner type passes, iterated over `prunerTypes()` so that a newly registered type is covered
 * (or fails here until it gets a minimal spec):
 * - its minimal JSON spec builds it, the pruner carries the registered type name, and the spec survives JSON text unchanged;
 * - it is stateless: a fresh pruner built from the same spec and handed the same stored history (a deep copy, asked in reverse
 *   order) decides exactly what the first one decided, which is what makes a restarted study prune the same trials;
 * - every prune has a non-empty reason, and the scripted histories below make every type but `none` prune at least once
 *   (otherwise the reason check would prove nothing);
 * - an unknown option is refused with an OptionsError naming the option and the type;
 * and composites `any`/`all` over every other type decide as their members do.
 *
 * The type list is read when this file is imported: test files that register their own types (compose.test.ts) do so inside
 * their tests, which run later, so only the built-in types are iterated.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OptionsError } from '../../src/core/errors.js';
import type { Direction, Metrics, TrialRecord } from '../../src/core/types.js';
import { createPruner, prunerTypes, type Pruner, type PruneDecision, type PrunerSpec, type PruneRequest } from '../../src/pruners/index.js';
import { sig, trialWith } from './helpers.js';

/** The smallest valid spec of each built-in type (types with required options get them). */
const MINIMAL: { readonly [type: string]: PrunerSpec } = {
  none: 'none',
  median: 'median',
  percentile: { type: 'percentile', percentile: 25 },
  threshold: { type: 'threshold', upper: 1 },
  patience: { type: 'patience', patience: 1 },
  nan_guard: 'nan_guard',
  exploding: 'exploding',
  vanishing: 'vanishing',
  diverging: 'diverging',
  overfitting: 'overfitting',
  plateau: 'plateau',
  any: { type: 'any', of: ['nan_guard'] },
  all: { type: 'all', of: ['nan_guard'] },
};

const TYPES = prunerTypes();
const COMPOSITES = new Set(['any', 'all']);
const EPOCHS = 8;

/** Per-epoch signals (epoch 1..EPOCHS) of a named failure mode; the objective is `valLoss`. */
const CURVES: { readonly [name: string]: (e: number) => Metrics } = {
  healthy: (e) => sig(e, { trainLoss: 0.9 / e, valLoss: 1 / e }),
  // Worse than every completed trial at every step: median and percentile.
  worse: (e) => sig(e, { trainLoss: 0.9 / e, valLoss: 1 / e + 1 }),
  // NaN loss with the non-finite flag at epoch 3: nan_guard, threshold (NaN value).
  nan: (e) => (e === 3 ? sig(e, { valLoss: NaN, nonFinite: 1 }) : sig(e, { valLoss: 1 / e })),
  exploding: (e) => sig(e, { valLoss: 1 / e, gradNorm: e === 2 ? 5000 : 2 }),
  vanishing: (e) => sig(e, { valLoss: 1 / e, gradNorm: 1e-9 }),
  // Both losses rise every epoch: diverging, threshold (above upper 1), patience (no new best).
  diverging: (e) => sig(e, { trainLoss: e, valLoss: e }),
  // Train loss falls while val loss rises past the tolerance: overfitting.
  overfitting: (e) => sig(e, { trainLoss: 1 / e, valLoss: 0.5 + 0.2 * e }),
  // Flat objective: plateau.
  flat: (e) => sig(e, { trainLoss: 0.5, valLoss: 0.5 }),
};

/** Six healthy completed trials (numbers 0..5) with slightly different curves, enough for median's 5 start-up trials. */
const completedTrials: TrialRecord[] = Array.from({ length: 6 }, (_, n) =>
  trialWith(
    n,
    Array.from({ length: EPOCHS }, (_, i) => sig(i + 1, { trainLoss: 0.9 / (i + 1), valLoss: 1 / (i + 1) + 0.01 * n })),
  ),
);

/**
 * Every request a study would make for the scripted curves, in both directions: running trial k (numbered after the completed
 * ones) reports its epochs one at a time; the stored history of each request holds the reports so far. No request stops at a
 * prune, so later steps are covered too.
 */
function battery(): PruneRequest[] {
  const out: PruneRequest[] = [];
  for (const direction of ['minimize', 'maximize'] as Direction[]) {
    Object.values(CURVES).forEach((curve, k) => {
      const reports = Array.from({ length: EPOCHS }, (_, i) => curve(i + 1));
      for (let i = 0; i < EPOCHS; i++) {
        const trial = trialWith(completedTrials.length + k, reports.slice(0, i + 1), { state: 'running' });
        out.push({ trial, step: i, trials: [...completedTrials, trial], direction, metrics: reports[i]! });
      }
    });
  }
  return out;
}

/** Decisions of `pruner` over `requests`, asked one after another as the study asks them. */
async function decideAll(pruner: Pruner, requests: readonly PruneRequest[]): Promise<PruneDecision[]> {
  const out: PruneDecision[] = [];
  for (const req of requests) out.push(await pruner.decide(req));
  return out;
}

/** What each of `members` decides on one request. */
async function eachDecides(members: readonly Pruner[], req: PruneRequest): Promise<PruneDecision[]> {
  const out: PruneDecision[] = [];
  for (const m of members) out.push(await m.decide(req));
  return out;
}

/** A deep copy of a request: the fresh pruner must not depend on object identity (a restart reloads records from storage). */
function copy(req: PruneRequest): PruneRequest {
  return structuredClone(req);
}

function minimal(type: string): PrunerSpec {
  const spec = MINIMAL[type];
  if (spec === undefined) throw new Error(`pruner type "${type}" is registered but has no minimal spec in MINIMAL: add one`);
  return spec;
}

/** The spec as an object with `type`, so options can be added to it. */
function asObject(spec: PrunerSpec): { readonly type: string; readonly [option: string]: PrunerSpec | number | string | boolean } {
  return typeof spec === 'string' ? { type: spec } : (spec as { readonly type: string });
}

const requests = battery();

test('the registry holds the built-in types, each with a minimal spec here', () => {
  for (const t of ['none', 'median', 'percentile', 'threshold', 'patience', 'nan_guard', 'any', 'all']) assert.ok(TYPES.includes(t), t);
  for (const t of TYPES) minimal(t);
});

for (const type of TYPES) {
  test(`${type}: its minimal spec builds it, with the registered type name, and the spec survives JSON text`, async () => {
    const spec = minimal(type);
    const pruner = createPruner(spec);
    assert.is(pruner.type, type);
    const reread = JSON.parse(JSON.stringify(spec)) as PrunerSpec;
    assert.equal(reread, spec);
    assert.equal(await decideAll(createPruner(reread), requests), await decideAll(pruner, requests));
  });

  test(`${type}: a fresh pruner from the same spec, given the same stored history in any order, decides the same`, async () => {
    const live = await decideAll(createPruner(minimal(type)), requests);
    const reversed = requests.map(copy).reverse();
    const rebuilt = (await decideAll(createPruner(minimal(type)), reversed)).reverse();
    assert.equal(rebuilt, live);
    // Asking the same pruner again changes nothing either: no hidden state accumulates between decisions.
    const again = createPruner(minimal(type));
    await decideAll(again, requests);
    assert.equal(await decideAll(again, requests), live);
  });

  test(`${type}: every prune carries a non-empty reason, and the scripted histories make it prune`, async () => {
    const decisions = await decideAll(createPruner(minimal(type)), requests);
    const prunes = decisions.filter((d): d is Extract<PruneDecision, { action: 'prune' }> => d.action === 'prune');
    for (const d of decisions) assert.ok(d.action === 'continue' || d.action === 'prune', `unknown action ${JSON.stringify(d)}`);
    for (const d of prunes) assert.ok(typeof d.reason === 'string' && d.reason.trim().length > 0, `empty reason from ${type}`);
    if (type === 'none') assert.is(prunes.length, 0, 'none never prunes');
    else assert.ok(prunes.length > 0, `no curve in CURVES makes ${type} prune: add one that does`);
  });

  test(`${type}: an unknown option is refused with an OptionsError naming the option and the type`, () => {
    const spec = { ...asObject(minimal(type)), colour: 'blue' } as PrunerSpec;
    assert.throws(
      () => createPruner(spec),
      (e: unknown) => e instanceof OptionsError && e.message.includes('"colour"') && e.message.includes(`"${type}"`),
    );
  });
}

/** The minimal specs of every non-composite type, the members of the composites below. */
const leaves = TYPES.filter((t) => !COMPOSITES.has(t)).map(minimal);

test('any over every other type: prunes exactly when a member does, with the first pruning member reason', async () => {
  const spec: PrunerSpec = { type: 'any', of: leaves };
  const members = leaves.map((s) => createPruner(s));
  const got = await decideAll(createPruner(JSON.parse(JSON.stringify(spec)) as PrunerSpec), requests);
  for (let i = 0; i < requests.length; i++) {
    const req = requests[i]!;
    const first = (await eachDecides(members, req)).find((d) => d.action === 'prune');
    assert.equal(got[i], first ?? { action: 'continue' }, `request ${i}`);
  }
  assert.ok(got.some((d) => d.action === 'prune'));
});

test('all over every other type but none: prunes exactly when every member does, reasons joined', async () => {
  // `none` never prunes, so an `all` containing it never would: leave it out to make the check bite.
  const of = leaves.filter((s) => s !== 'none');
  const members = of.map((s) => createPruner(s));
  const got = await decideAll(createPruner({ type: 'all', of }), requests);
  for (let i = 0; i < requests.length; i++) {
    const ds = await eachDecides(members, requests[i]!);
    const every = ds.every((d) => d.action === 'prune');
    const reasons = ds.map((d) => (d.action === 'prune' ? d.reason : '')).join('; ');
    assert.equal(got[i], every ? { action: 'prune', reason: reasons } : { action: 'continue' }, `request ${i}`);
  }
  // Two members that do prune together on the diverging curve: the composite prunes with both reasons.
  const pair = await decideAll(createPruner({ type: 'all', of: ['diverging', { type: 'threshold', upper: 1 }] }), requests);
  assert.ok(pair.some((d) => d.action === 'prune' && /^diverging: .*; threshold: /.test(d.reason)));
});

test('nested composites round-trip through JSON and stay stateless', async () => {
  const spec: PrunerSpec = {
    type: 'any',
    of: [
      { type: 'all', of: ['diverging', { type: 'threshold', upper: 1 }] },
      { type: 'patience', patience: 1, wrapped: 'median' },
      'nan_guard',
    ],
    reasons: 'all',
  };
  const text = JSON.stringify(spec);
  const live = await decideAll(createPruner(spec), requests);
  const rebuilt = (await decideAll(createPruner(JSON.parse(text) as PrunerSpec), requests.map(copy).reverse())).reverse();
  assert.equal(rebuilt, live);
  assert.ok(live.some((d) => d.action === 'prune'));
});

test('unknown options inside composites are refused with their place in the spec', () => {
  for (const type of TYPES.filter((t) => !COMPOSITES.has(t) && t !== 'none')) {
    const bad = { ...asObject(minimal(type)), colour: 'blue' } as PrunerSpec;
    assert.throws(
      () => createPruner({ type: 'all', of: ['nan_guard', { type: 'any', of: [bad] }] }),
      (e: unknown) => e instanceof OptionsError && e.message.startsWith('in of[1]: in of[0]: ') && e.message.includes('"colour"'),
      type,
    );
  }
});

test.run();
