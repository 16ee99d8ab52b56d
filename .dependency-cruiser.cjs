/**
 * The dependency rules of docs/architecture.md, checked by `npm run depcheck` (dependency-cruiser).
 *
 * PARTS below is the document's arrow table: each part lists the parts it may import (any import: static, dynamic, type-only).
 * Every other arrow between two parts of ours is forbidden. Change the table and the document together.
 *
 * Two passes: this file checks the arrows and the cycles over spaces/ searchers/ trials/ src/; .dependency-cruiser.entry.cjs
 * checks that the root entry src/index.ts does not load TF.js, onnxruntime or piscina through its static runtime imports
 * (dependency-cruiser cannot restrict one reachability rule to static imports, so that pass leaves dynamic and type-only
 * imports out of its whole graph).
 */
'use strict';

/** A part: the folder(s) it is, and the parts (or single files, as regexes) it may import. */
const PARTS = {
  spaces: { path: '^spaces/', may: [] },
  // core -> spaces is type-only (see the `core-to-spaces-types-only` rule): the shared record types mention params and space JSON.
  core: { path: '^src/core/', may: ['spaces'] },
  // Schedulers offer their stop rules as pruners (searchers/schedulers/stop.ts).
  searchers: { path: '^searchers/', may: ['spaces', 'core', 'pruners'] },
  trials: { path: '^trials/', may: ['core'] },
  pruners: { path: '^src/pruners/', may: ['core'] },
  storage: { path: '^src/storage/', may: ['core'] },
  // report -> searchers: the leaderboard ranks multi-objective trials with the Pareto maths of searchers/objectives.ts;
  // report -> trials: the per-trial page reads the trainer's epoch signals (types).
  report: { path: '^src/report/', may: ['core', 'storage', 'spaces', 'searchers', 'trials'] },
  // The study ranks its own trials with the leaderboard builder: that one file of report, which itself may only use core.
  // study -> pool: Study.optimize(trainable) loads the pool executor on demand (the pool never imports the study).
  study: {
    path: '^src/study/',
    may: ['core', 'spaces', 'searchers', 'pruners', 'storage', 'pool', { report: '^src/report/leaderboard\\.ts$' }],
  },
  // pool -> deploy: trials that ask for ONNX figures get the exporter from the worker (trials may not import it).
  pool: { path: '^src/pool/', may: ['core', 'trials', 'spaces', 'deploy'] },
  sweep: { path: '^src/sweep/', may: ['study', 'pool', 'storage', 'pruners', 'core', 'trials', 'spaces', 'searchers', 'report'] },
  deploy: { path: '^src/deploy/', may: ['trials', 'core'] },
  cli: { path: '^src/cli/', may: ['*'] },
  // Package entries (src/index.ts and the subpath entries src/entries/*) re-export parts; they never import the CLI.
  entry: {
    path: '^src/(index\\.ts$|entries/)',
    may: ['spaces', 'core', 'searchers', 'trials', 'pruners', 'storage', 'report', 'study', 'pool', 'sweep', 'deploy'],
  },
};

const OURS = '^(spaces|searchers|trials|src)/';
const partNames = Object.keys(PARTS);

/** The parts a part may import, as part names (`*`: every other part). */
function targets(name) {
  const may = PARTS[name].may;
  if (may.includes('*')) return partNames.filter((p) => p !== name);
  return may.map((m) => (typeof m === 'string' ? m : Object.keys(m)[0]));
}

/**
 * The table must be acyclic: then no cycle between parts can exist without a forbidden arrow, which is the "no cycles between
 * parts" rule of the document. A cyclic table is a mistake in this file, so it throws instead of reporting.
 */
function assertAcyclic() {
  const state = new Map();
  const visit = (name, trail) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open')
      throw new Error(`.dependency-cruiser.cjs: the PARTS table has a cycle: ${[...trail, name].join(' -> ')}`);
    state.set(name, 'open');
    for (const t of targets(name)) {
      if (!PARTS[t]) throw new Error(`.dependency-cruiser.cjs: part ${name} names an unknown part ${t}`);
      visit(t, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of partNames) visit(name, []);
}
assertAcyclic();

/** One rule per part: any import of our code outside the part itself and its allowed targets is an error. */
function arrowRules() {
  return partNames.map((name) => {
    const allowed = PARTS[name].may.includes('*')
      ? partNames
          .filter((p) => p !== name && p !== 'entry')
          .map((p) => PARTS[p].path)
          .concat(PARTS.entry.path)
      : PARTS[name].may.map((m) => (typeof m === 'string' ? PARTS[m].path : Object.values(m)[0]));
    return {
      name: `${name}-arrows`,
      severity: 'error',
      comment: `${name} may import only: ${
        PARTS[name].may.map((m) => (typeof m === 'string' ? m : `${Object.keys(m)[0]} (${Object.values(m)[0]} only)`)).join(', ') ||
        'nothing of ours'
      } (docs/architecture.md)`,
      from: { path: PARTS[name].path },
      to: { path: OURS, pathNot: [PARTS[name].path, ...allowed] },
    };
  });
}

/** A cycle that leaves the part it starts in: named per part so the report says which parts are tangled. */
function partCycleRules() {
  return partNames.flatMap((name) => [
    {
      name: 'no-cycle-between-parts',
      severity: 'error',
      comment: `a cycle from ${name} through another part: one of its arrows is forbidden; remove that one`,
      from: { path: PARTS[name].path },
      to: { circular: true, via: { pathNot: PARTS[name].path } },
    },
    {
      // Inside a part too: a cycle makes load order matter and hides which module owns what. (Cycles that leave the part are
      // the rule above, so each cycle is reported once.)
      name: 'no-circular',
      severity: 'error',
      comment: `a cycle inside ${name}: move what both modules need into a third one (e.g. the part's types.ts)`,
      from: { path: PARTS[name].path },
      to: { circular: true, viaOnly: { path: PARTS[name].path } },
    },
  ]);
}

const allPartPaths = partNames.map((p) => PARTS[p].path);

module.exports = {
  forbidden: [
    ...arrowRules(),
    ...partCycleRules(),
    {
      name: 'core-to-spaces-types-only',
      severity: 'error',
      comment: 'src/core may use the space types (`import type`) but no space code: core stays a leaf at run time',
      from: { path: PARTS.core.path },
      to: { path: PARTS.spaces.path, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'leaderboard-is-core-only',
      severity: 'error',
      comment:
        'src/report/leaderboard.ts is the one file of report that the study imports, so it may use only src/core and the Pareto maths',
      from: { path: '^src/report/leaderboard\\.ts$' },
      to: { path: OURS, pathNot: [PARTS.core.path, '^searchers/(objectives|pareto)\\.ts$'] },
    },
    {
      name: 'belongs-to-a-part',
      severity: 'error',
      comment: 'a module outside every part of docs/architecture.md: add its folder to the document and to PARTS',
      from: { path: OURS, pathNot: allPartPaths },
      to: { path: OURS },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that resolves to no file: a typo, or a package missing from package.json',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'a package that is not in package.json: it works here by accident (hoisted) and breaks for users',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment: 'shipped code imports a devDependency, which users of the package do not get (type-only imports are fine)',
      from: { path: OURS },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: ['node_modules/@types/'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    // Type-only imports are arrows too: a part that needs another's types depends on it (shared types belong in src/core).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts', '.mjs', '.cjs'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      archi: { collapsePattern: '^(?:src/[^/]+|spaces|searchers|trials)|node_modules/(?:@[^/]+/[^/]+|[^/]+)' },
    },
  },
};

// For test/docs/architecture.test.ts, which checks this table against docs/architecture.md. Not enumerable: dependency-cruiser
// rejects unknown keys in a configuration.
Object.defineProperty(module.exports, 'PARTS', { value: PARTS, enumerable: false });
