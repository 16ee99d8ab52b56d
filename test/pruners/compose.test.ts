/**
 * Composition (any/all, reason policies) and sweep-file specs: `createPruner` for names, option objects and nested specs,
 * errors naming unknown types/options and listing the known ones, and `registerPruner`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  all,
  any,
  createPruner,
  exploding,
  median,
  nanGuard,
  plateau,
  prunerTypes,
  registerPruner,
  threshold,
  type Pruner,
} from '../../src/pruners/index.js';
import { completed, prunedWith, replay, sig } from './helpers.js';

const broken = [sig(1), sig(2, { valLoss: NaN, gradNorm: 2000 })];

test("any prunes when a member prunes; the first pruning member's reason by default, all reasons on request", async () => {
  const first = await replay(any([nanGuard(), exploding()]), broken);
  assert.is(first.length, 2);
  assert.is(prunedWith(first), 'NaN loss at epoch 2 (valLoss=NaN)');
  const swapped = prunedWith(await replay(any([exploding(), nanGuard()]), broken));
  assert.match(swapped ?? '', /^exploding gradients: global norm 2000 at epoch 2/);
  const joined = prunedWith(await replay(any([nanGuard(), exploding(), plateau()], { reasons: 'all' }), broken));
  assert.is(
    joined,
    'NaN loss at epoch 2 (valLoss=NaN); exploding gradients: global norm 2000 at epoch 2, x1000 in 1 epoch (above maxNorm 1000; growth over x100)',
  );
  assert.is(prunedWith(await replay(any([nanGuard(), exploding()]), [sig(1), sig(2), sig(3)])), undefined);
  assert.is(any([nanGuard()]).type, 'any');
});

test('any stops asking members after the first prune (reasons: first)', async () => {
  let asked = 0;
  const counting: Pruner = { type: 'count', decide: () => (asked++, { action: 'continue' }) };
  await replay(any([nanGuard(), counting]), broken);
  assert.is(asked, 1, 'asked at epoch 1 only');
  asked = 0;
  await replay(any([nanGuard(), counting], { reasons: 'all' }), broken);
  assert.is(asked, 2);
});

test('all prunes only when every member prunes, joining their reasons', async () => {
  const curve = [1, 0.8, 0.81, 0.8, 0.82, 5];
  const both = await replay(all([threshold({ upper: 0.81 }), plateau({ patience: 2 })]), curve);
  // Step 3 (0.8): plateau prunes but 0.8 is within the threshold; step 4 (0.82): both prune.
  assert.is(both.length, 5);
  assert.is(
    prunedWith(both),
    'threshold: value 0.82 at step 4 is above upper 0.81; plateau: no improvement of the objective for 2 steps (steps 3-4: 0.8, 0.82; best 0.8 at step 1; minimize, minDelta 0)',
  );
  assert.is(prunedWith(await replay(all([threshold({ upper: 10 }), plateau()]), curve)), undefined);
  // Nested composition works like any other member.
  const others = completed([
    [1, 1],
    [1, 1],
    [1, 1],
    [1, 1],
    [1, 1],
  ]);
  const nested = any([nanGuard(), all([median(), threshold({ upper: 1.5 })])]);
  assert.is((await replay(nested, [1.2, 2], { others })).length, 2);
});

test('any/all reject empty or non-pruner members', () => {
  assert.throws(
    () => any([]),
    (e: Error) => e instanceof TypeError && /any\(\) needs a non-empty array of pruners/.test(e.message),
  );
  assert.throws(() => all([median(), 3 as never]), /all\(\): member \[1\] must be a pruner/);
  assert.throws(
    () => any([median()], { reasons: 'some' as never }),
    /option "reasons" of pruner "any" must be one of "first", "all", got "some"/,
  );
});

test('createPruner builds from names, option objects and nested specs; they decide like the code-built pruners', async () => {
  assert.is(createPruner('median').type, 'median');
  assert.is(createPruner('none').type, 'none');
  const others = completed([[1, 1]]);
  assert.ok(prunedWith(await replay(createPruner({ type: 'median', startupTrials: 1 }), [2], { others })));
  assert.is(prunedWith(await replay(createPruner('median'), [2], { others })), undefined, 'default startupTrials 5');
  const spec = { type: 'any', of: ['nan_guard', { type: 'exploding', maxNorm: 1e4 }] };
  const p = createPruner(spec);
  assert.is(p.type, 'any');
  const big = [sig(1, { gradNorm: 500 }), sig(2, { gradNorm: 900 }), sig(3, { gradNorm: 2000 })];
  assert.is(prunedWith(await replay(p, big)), undefined, 'maxNorm 1e4 from the spec, not the default 1e3');
  assert.ok(prunedWith(await replay(createPruner('exploding'), big)));
  const d = await replay(p, [sig(1, { gradNorm: 300 }), sig(2, { gradNorm: 2e4 })]);
  assert.is(prunedWith(d), 'exploding gradients: global norm 2e4 at epoch 2, x66.67 in 1 epoch (above maxNorm 1e4)');
  const viaCode = await replay(any([nanGuard(), exploding({ maxNorm: 1e4 })]), [sig(1, { gradNorm: 300 }), sig(2, { gradNorm: 2e4 })]);
  assert.equal(d, viaCode);
  const pat = createPruner({ type: 'patience', patience: 1, wrapped: { type: 'threshold', upper: 0.5 } });
  assert.match(prunedWith(await replay(pat, [0.4, 0.9, 0.9])) ?? '', /^patience: .*; threshold: value 0.9 at step 2 is above upper 0.5$/);
  const existing = median();
  assert.is(createPruner(existing), existing, 'a Pruner passes through');
});

test('createPruner errors name the unknown type/option (with its place in the spec) and list the known ones', () => {
  const known = prunerTypes().join(', ');
  assert.ok(known.includes('nan_guard') && known.includes('median') && known.includes('any'));
  const is = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof TypeError && re.test(e.message), String(re));
  is(() => createPruner('medain'), new RegExp(`^unknown pruner "medain"; known types: ${known}$`));
  is(
    () => createPruner({ type: 'median', startup: 5 }),
    /^unknown option "startup" for pruner "median"; known options: startupTrials, warmupSteps, interval, minTrials$/,
  );
  is(() => createPruner({ type: 'any', of: ['nan_guard', { type: 'explodng' }] }), /^in of\[1\]: unknown pruner "explodng"; known types: /);
  is(
    () => createPruner({ type: 'any', of: ['nan_guard', { type: 'exploding', maxNorm: -1 }] }),
    /^in of\[1\]: option "maxNorm" of pruner "exploding" must be a finite number > 0, got -1$/,
  );
  is(() => createPruner({ type: 'all', of: [{ type: 'any', of: ['x'] }] }), /^in of\[0\]: in of\[0\]: unknown pruner "x"/);
  is(() => createPruner({ type: 'any', of: [] }), /pruner "any" needs `of`: a non-empty array of pruner specs/);
  is(() => createPruner({ type: 'any' }), /pruner "any" needs `of`/);
  is(
    () => createPruner({ type: 'any', of: ['median'], reason: 'all' }),
    /unknown option "reason" for pruner "any"; known options: of, reasons/,
  );
  is(() => createPruner({ type: 'patience', patience: 2, wrapped: 'nope' }), /^in wrapped: unknown pruner "nope"/);
  is(() => createPruner({ type: 'none', x: 1 }), /unknown option "x" for pruner "none"; it takes no options/);
  is(() => createPruner({ type: 'percentile' }), /needs `percentile`/);
  is(() => createPruner(5 as never), /a pruner spec must be a type name or \{ type, \.\.\.options \}, got 5; known types: /);
  is(() => createPruner(['median'] as never), /a pruner spec must be a type name/);
});

test('registerPruner adds a type usable in specs, nested ones included', async () => {
  registerPruner('always_test', (o) => ({
    type: 'always_test',
    decide: () => ({ action: 'prune', reason: `always (${JSON.stringify(o)})` }),
  }));
  assert.ok(prunerTypes().includes('always_test'));
  const p = createPruner({ type: 'any', of: [{ type: 'always_test', k: 1 }] });
  assert.is(prunedWith(await replay(p, [1])), 'always ({"k":1})');
  assert.throws(() => registerPruner('Bad Name', () => median()), /pruner type must match/);
  assert.throws(() => registerPruner('ok', 3 as never), /factory must be a function/);
});

test.run();
