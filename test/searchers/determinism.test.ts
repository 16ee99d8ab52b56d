/**
 * Runs the per-trial determinism contract (contract.ts) over the registries: every registered searcher type, and every
 * registered scheduler composed with every searcher that takes one. A type that cannot be built for a single-objective study
 * of the test spaces (e.g. one that needs several objectives) is listed and skipped; the known ones must all be covered.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSearcher, searcherTypes } from '../../searchers/index.js';
import { composeSearcher, schedulerTypes } from '../../searchers/schedulers/index.js';
import type { SearcherInit } from '../../searchers/types.js';
import { determinismContract, discrete, everyKind, type DeterminismCase } from './contract.js';

const budget = { min: 1, max: 27 };
const SELF_SCHEDULED = ['asha', 'hyperband', 'bohb'];

/** The first of the test spaces a spec builds on (grid needs the discrete one). */
function buildable(build: (init: SearcherInit) => unknown): SearcherInit | undefined {
  for (const space of [everyKind, discrete]) {
    const init: SearcherInit = { space, seed: 17, direction: 'minimize', budget };
    try {
      build(init);
      return init;
    } catch {
      // try the next space
    }
  }
  return undefined;
}

const cases: DeterminismCase[] = [];
const skipped: string[] = [];
const plain: string[] = [];
for (const type of searcherTypes()) {
  const init = buildable((i) => createSearcher(type, i));
  if (!init) {
    skipped.push(type);
    continue;
  }
  if (!SELF_SCHEDULED.includes(type)) plain.push(type);
  cases.push({ name: type, sp: init.space, make: () => createSearcher(type, init) });
}
for (const scheduler of schedulerTypes()) {
  for (const searcher of plain) {
    const spec = { searcher, scheduler: scheduler === 'pbt' ? { type: 'pbt', interval: 3, population: 4 } : scheduler };
    const init = buildable((i) => composeSearcher(spec, i));
    if (!init) {
      skipped.push(`${searcher}+${scheduler}`);
      continue;
    }
    cases.push({ name: `${searcher}+${scheduler}`, sp: init.space, make: () => composeSearcher(spec, init) });
  }
}

// Option variants of the composition: the other learning rule, the other bracket order, the stop rule.
const variants: [string, { searcher: string; scheduler: { type: string; [k: string]: string | number } }][] = [
  ['tpe+hyperband (learnFrom deepest)', { searcher: 'tpe', scheduler: { type: 'hyperband', learnFrom: 'deepest' } }],
  ['gp+asha (learnFrom deepest)', { searcher: 'gp', scheduler: { type: 'asha', learnFrom: 'deepest' } }],
  ['sobol+hyperband (conservative-first)', { searcher: 'sobol', scheduler: { type: 'hyperband', order: 'conservative-first' } }],
  ['tpe+asha (stop mode)', { searcher: 'tpe', scheduler: { type: 'asha', mode: 'stop' } }],
  ['random+hyperband (stop mode)', { searcher: 'random', scheduler: { type: 'hyperband', mode: 'stop' } }],
];
for (const [name, spec] of variants) {
  const init: SearcherInit = { space: everyKind, seed: 17, direction: 'minimize', budget };
  cases.push({ name, sp: everyKind, make: () => composeSearcher(spec, init) });
}

test('the determinism contract covers the known searchers and schedulers', () => {
  if (skipped.length) console.log(`  not buildable for a single-objective test study (skipped): ${skipped.join(', ')}`);
  const names = cases.map((c) => c.name);
  for (const n of ['random', 'grid', 'sobol', 'tpe', 'gp', 'hyperband', 'asha', 'bohb', 'tpe+asha', 'gp+hyperband', 'random+pbt']) {
    assert.ok(names.includes(n), `${n} is covered`);
  }
});
test.run();

determinismContract(cases);
