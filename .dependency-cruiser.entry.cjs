/**
 * The light-root-entry rule of docs/architecture.md, the second pass of `npm run depcheck`:
 *   depcruise src/index.ts --config .dependency-cruiser.entry.cjs
 *
 * `import 'tunekit'` must not load TF.js, onnxruntime or piscina: they cost seconds and hundreds of MB, and a user who only
 * runs a study over a plain async objective needs none of them. The heavy parts are reached through dynamic `import()` (the
 * worker pool, the built-in trainer) or the subpath entries (`tunekit/trials`, `tunekit/export`).
 *
 * So this pass cruises only what Node loads at `import` time: dynamic imports are left out of the graph (`exclude.dynamic`)
 * and so are type-only imports (`tsPreCompilationDeps: false`: TypeScript erases them). dependency-cruiser cannot restrict a
 * reachability rule to static imports within the main pass (.dependency-cruiser.cjs), whose arrows must count every import.
 */
'use strict';

const main = require('./.dependency-cruiser.cjs');

const HEAVY = '^node_modules/(@tensorflow/|onnxruntime-node/|onnxruntime-common/|piscina/)';

module.exports = {
  forbidden: [
    {
      name: 'root-entry-stays-light',
      severity: 'error',
      comment: 'src/index.ts reaches TF.js / onnxruntime / piscina through static runtime imports; use import() or a subpath entry',
      from: { path: '^src/index\\.ts$' },
      to: { path: HEAVY, reachable: true },
    },
  ],
  options: {
    ...main.options,
    tsPreCompilationDeps: false,
    exclude: { dynamic: true },
  },
};
