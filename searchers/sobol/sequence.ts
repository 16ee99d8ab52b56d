/**
 * A Sobol low-discrepancy sequence with Joe & Kuo (2008) direction numbers, optionally scrambled the way scipy's
 * `scipy.stats.qmc.Sobol(scramble=True)` is: a random linear matrix scramble (LMS) followed by a digital shift, both drawn from
 * seedrandom keyed by the seed, so a (seed, index) pair always gives the same point.
 *
 * Conventions (as scipy): points come in Gray-code order, so the unscrambled point 0 is the origin and point n is the XOR of the
 * direction numbers of the set bits of n ^ (n >> 1). Direction numbers are 32-bit integers, so indices go up to 2^32 - 1 and
 * every coordinate is k / 2^32 for an integer k: exactly representable, and always in [0, 1).
 */
import seedrandom from 'seedrandom';
import { SOBOL_TABLE_BASE64, SOBOL_TABLE_DIMS } from './directions.js';

/** Largest supported dimension (the packed table's size). */
export const SOBOL_MAX_DIM = SOBOL_TABLE_DIMS;
/** Largest supported point index: 32-bit direction numbers give 2^32 distinct points per dimension. */
export const SOBOL_MAX_INDEX = 0xffffffff;

const BITS = 32;
const SCALE = 2 ** -BITS;

/** One row of the Joe-Kuo table: a primitive polynomial of degree `s` with inner coefficients `a`, and initial numbers m_1..m_s. */
export interface DirectionEntry {
  readonly s: number;
  readonly a: number;
  readonly m: readonly number[];
}

let table: DirectionEntry[] | undefined;

/**
 * Decodes the packed table (see `./directions.ts`) once and caches it. Entry i is 0-based dimension i + 1, i.e. Joe-Kuo
 * dimension i + 2 (0-based dimension 0, van der Corput, has no entry). Called by `sobolDirections`; exported for tests.
 */
export function readDirectionTable(): readonly DirectionEntry[] {
  if (table) return table;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const value = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) value[alphabet.charCodeAt(i)] = i;
  const sextets: number[] = [];
  for (let i = 0; i < SOBOL_TABLE_BASE64.length; i++) {
    const code = SOBOL_TABLE_BASE64.charCodeAt(i);
    if (code === 10 || code === 13 || code === 32) continue; // line breaks and spaces are layout only
    const v = code < 128 ? value[code]! : -1;
    if (v < 0) throw new Error(`corrupt Sobol direction table: character ${JSON.stringify(SOBOL_TABLE_BASE64[i])} is not base64`);
    sextets.push(v);
  }
  let pos = 0; // bit position in the stream
  const read = (width: number): number => {
    let v = 0;
    for (let i = 0; i < width; i++, pos++) v = v * 2 + ((sextets[(pos / 6) | 0]! >> (5 - (pos % 6))) & 1);
    return v;
  };
  const entries: DirectionEntry[] = [];
  for (let d = 1; d < SOBOL_TABLE_DIMS; d++) {
    const s = read(5);
    const a = read(s - 1);
    const m: number[] = [];
    for (let i = 1; i <= s; i++) m.push(read(i - 1) * 2 + 1);
    entries.push({ s, a, m });
  }
  // The stream must end within the last character's padding: a longer stream means the count and the data disagree.
  if (sextets.length * 6 - pos >= 6) throw new Error('corrupt Sobol direction table: data left over after the last dimension');
  table = entries;
  return entries;
}

/**
 * The 32 direction numbers v_1..v_32 of 0-based dimension `d` as 32-bit integers (v_j = m_j * 2^(32-j)), extended past the
 * table's m_1..m_s by the Bratley-Fox recurrence v_j = v_(j-s) ^ (v_(j-s) >> s) ^ XOR_k a_k v_(j-k). Called by the sequence
 * constructor. Requires 0 <= d < SOBOL_MAX_DIM.
 */
export function sobolDirections(d: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (d === 0) {
    for (let j = 1; j <= BITS; j++) v[j - 1] = 2 ** (BITS - j); // van der Corput: every m_j = 1
    return v;
  }
  const { s, a, m } = readDirectionTable()[d - 1]!;
  for (let j = 1; j <= BITS; j++) {
    if (j <= s) {
      v[j - 1] = m[j - 1]! * 2 ** (BITS - j);
      continue;
    }
    const back = v[j - s - 1]!;
    let x = back ^ (back >>> s);
    for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) x ^= v[j - k - 1]!;
    v[j - 1] = x; // the typed array stores the int32 bit pattern as unsigned
  }
  return v;
}

/** Parity (XOR of all bits) of a 32-bit integer. */
function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** Options of {@link SobolSequence}. */
export interface SobolOptions {
  /** Seeds the scramble (any finite number; default 0). Ignored when `scramble` is false. */
  readonly seed?: number;
  /** LMS + digital shift scrambling (default true, as scipy). Unscrambled point 0 is the origin. */
  readonly scramble?: boolean;
}

function checkIndex(what: string, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > SOBOL_MAX_INDEX) {
    throw new RangeError(`Sobol ${what} must be an integer in [0, 2^32-1] (32-bit direction numbers), got ${index}`);
  }
}

/** Index of the lowest set bit of a nonzero integer below 2^32. */
function ctz(n: number): number {
  return 31 - Math.clz32(n & -n);
}

/**
 * The points of a `dim`-dimensional Sobol sequence, by index. Used by the `sobol` searcher (point n for trial n) and by anyone
 * needing quasi-random points in [0,1)^dim. Immutable after construction: `point(i)` is a pure function of (dim, seed, scramble,
 * i), so any call order gives the same points.
 *
 * Scrambling draws, dimension by dimension, a random lower-triangular binary matrix with unit diagonal (bit k of a coordinate,
 * counted from the most significant, becomes a random XOR of bits 1..k) and a random 32-bit XOR shift. Both are bijections that
 * keep the first k bits a function of the first k bits, so every (t,m,s)-net property of the plain sequence survives, and the
 * coordinates of the first k dimensions do not depend on how many dimensions follow.
 */
export class SobolSequence {
  /** Number of coordinates of each point. */
  readonly dim: number;
  /** Whether LMS + shift scrambling is applied. */
  readonly scrambled: boolean;
  /** The seed the scramble was drawn from (0 when not given). */
  readonly seed: number;
  /** Direction numbers, bit-major: `dirs[j * dim + d]` is v_(j+1) of dimension d (after scrambling). */
  private readonly dirs: Uint32Array;
  /** Point 0 as integers: the digital shift (zeros when unscrambled). */
  private readonly shift: Uint32Array;

  /**
   * @param dim number of coordinates, an integer in [0, SOBOL_MAX_DIM] (0 gives empty points).
   * @throws RangeError naming the limit when `dim` is out of range; RangeError when `seed` is not finite.
   */
  constructor(dim: number, options: SobolOptions = {}) {
    if (!Number.isInteger(dim) || dim < 0 || dim > SOBOL_MAX_DIM) {
      throw new RangeError(
        `Sobol dimension must be an integer in [0, ${SOBOL_MAX_DIM}] (the Joe-Kuo direction table shipped covers ` +
          `${SOBOL_MAX_DIM} dimensions), got ${dim}; use random search for larger spaces`,
      );
    }
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new RangeError(`Sobol "seed" must be a finite number, got ${seed}`);
    this.dim = dim;
    this.seed = seed;
    this.scrambled = options.scramble ?? true;
    this.dirs = new Uint32Array(BITS * dim);
    this.shift = new Uint32Array(dim);
    const rng = this.scrambled ? seedrandom.alea(`${seed}/sobol`) : undefined;
    const rows = new Int32Array(BITS);
    for (let d = 0; d < dim; d++) {
      const v = sobolDirections(d);
      if (rng) {
        // rows[p]: which input bits feed output bit p (p = 0 least significant). Unit diagonal, random bits only above p,
        // i.e. output digit k depends on input digits 1..k: lower-triangular when digits are counted from the top.
        for (let p = BITS - 1; p >= 0; p--) rows[p] = (p === BITS - 1 ? 0 : rng.int32() & (-1 << (p + 1))) | (1 << p);
        for (let j = 0; j < BITS; j++) {
          let out = 0;
          for (let p = 0; p < BITS; p++) out |= parity(rows[p]! & v[j]!) << p;
          v[j] = out;
        }
        this.shift[d] = rng.int32();
      }
      for (let j = 0; j < BITS; j++) this.dirs[j * dim + d] = v[j]!;
    }
  }

  /**
   * Point `index` (an integer in [0, 2^32-1]) as a new Float64Array of `dim` coordinates in [0,1). Costs O(dim * log2(index)).
   * @throws RangeError when `index` is out of range.
   */
  point(index: number): Float64Array {
    checkIndex('index', index);
    const acc = this.state(index);
    const out = new Float64Array(this.dim);
    for (let d = 0; d < this.dim; d++) out[d] = acc[d]! * SCALE;
    return out;
  }

  /**
   * The fast sequential path: points `start .. start+count-1`, row-major into `out` (length >= count * dim; allocated when
   * omitted), each after the first updated with one XOR per coordinate (Gray code: point n differs from n-1 by v_(ctz(n)+1)).
   * Equal, coordinate for coordinate, to calling `point` for each index.
   * @throws RangeError when the range leaves [0, 2^32-1] or `out` is too short.
   */
  fill(start: number, count: number, out?: Float64Array): Float64Array {
    checkIndex('start index', start);
    if (!Number.isInteger(count) || count < 0 || start + count - 1 > SOBOL_MAX_INDEX) {
      throw new RangeError(`Sobol count must be an integer >= 0 with start + count - 1 <= 2^32-1, got start=${start}, count=${count}`);
    }
    const dim = this.dim;
    const res = out ?? new Float64Array(count * dim);
    if (res.length < count * dim) throw new RangeError(`Sobol fill: "out" needs ${count * dim} slots, has ${res.length}`);
    if (count === 0) return res;
    const acc = this.state(start);
    const dirs = this.dirs;
    for (let i = 0, o = 0; ; i++) {
      for (let d = 0; d < dim; d++) res[o++] = acc[d]! * SCALE;
      if (i + 1 === count) break;
      const base = ctz(start + i + 1) * dim;
      for (let d = 0; d < dim; d++) acc[d] ^= dirs[base + d]!;
    }
    return res;
  }

  /** Point `index` as 32-bit integers: the shift XOR the direction numbers of the set bits of gray(index). */
  private state(index: number): Uint32Array {
    const acc = this.shift.slice();
    const dim = this.dim;
    let gray = (index ^ (index >>> 1)) >>> 0;
    for (let j = 0; gray !== 0; j++, gray >>>= 1) {
      if (gray & 1) {
        const base = j * dim;
        for (let d = 0; d < dim; d++) acc[d] ^= this.dirs[base + d]!;
      }
    }
    return acc;
  }
}
