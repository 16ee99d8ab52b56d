// ESLint 9 flat config: typescript-eslint's type-checked recommended rules over the sources, tests and benches (the files of
// tsconfig.check.json). Formatting is prettier's job (.prettierrc), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The files of tsconfig.check.json: only these have type information. */
const TYPED = ['{spaces,searchers,trials,src,test,bench}/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'runs/**', 'bench/out/**', '.tunekit/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The check config, not tsconfig.json: it also covers test/ and bench/, so every linted .ts file has type information.
        project: './tsconfig.check.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection kills the sweep, or the error is silently lost).
      // `void p` marks the deliberate fire-and-forget cases.
      '@typescript-eslint/no-floating-promises': 'error',
      // `_`-prefixed names are the convention for deliberately unused parameters and destructured-away keys.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Numbers and booleans in messages are fine; `undefined`, `null` and objects ("[object Object]") in a message are bugs.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowRegExp: true, allowNullish: false },
      ],
      // The code writes `xs[i] as number` on indexed reads, ready for noUncheckedIndexedAccess; with it off those assertions are
      // redundant but harmless, and 1,200 of them are no bug.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Storages and executors implement Promise-returning interfaces with `async` methods on purpose: a throw becomes a
      // rejection, as callers expect. An async function without await is no bug there.
      '@typescript-eslint/require-await': 'off',
      // A switch over a union that forgets a member is a real bug (e.g. a new trial state or outcome kind).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Everything outside the TypeScript project (JS config files, examples run by the sweep loader, stray scripts) is linted
    // without type information: the typed rules would fail to find these files in tsconfig.check.json.
    files: ['**/*.{js,cjs,mjs,ts,mts,cts}'],
    ignores: [...TYPED],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
