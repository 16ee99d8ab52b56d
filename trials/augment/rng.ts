/**
 * The one random source of an augmenter. Everything random in augmentation (which samples an op hits, flip directions, affine
 * parameters, gaussian noise, mixup's lambda and permutation) is drawn from here, in a fixed order, so a seed reproduces a run.
 */
import seedrandom from 'seedrandom';

/**
 * Seeded uniform / gaussian / gamma / beta sampler. Made once per augmenter by `makeAugmenter` and advanced by every batch.
 * Uses seedrandom's `alea` generator: augmentation draws ~100k numbers per MNIST batch when noise is on, and alea is several
 * times faster than seedrandom's default ARC4 while still being seedable and well distributed.
 */
export class RandomSource {
  private readonly u: () => number;
  /** Box-Muller makes gaussians in pairs; the second one waits here (NaN = none waiting). */
  private spare = Number.NaN;

  constructor(seed: number) {
    // A prefix keeps this stream distinct from other seedrandom users fed the same trial seed (model init, data shuffling).
    this.u = seedrandom.alea(`tunekit/augment/${seed}`);
  }

  /** Uniform in [0, 1). So `uniform() < p` is never true for p = 0 and always true for p = 1. */
  uniform(): number {
    return this.u();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.u() * n);
  }

  /** Uniform in [-a, a]. */
  symmetric(a: number): number {
    return (2 * this.u() - 1) * a;
  }

  /** Standard normal via Box-Muller (pairs, one cached). */
  gaussian(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return z;
    }
    const u1 = 1 - this.u(); // (0, 1]: log(u1) is finite
    const u2 = this.u();
    const r = Math.sqrt(-2 * Math.log(u1));
    const t = 2 * Math.PI * u2;
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /**
   * Adds N(0, std^2) to every element of `out`. The per-pixel noise hot loop: Marsaglia's polar method (pairs, one log and one
   * sqrt, no trig, ~27% of pairs rejected) is faster than going through `gaussian()` one value at a time.
   */
  addGaussian(out: Float32Array, std: number): void {
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      let a: number;
      let b: number;
      let r: number;
      do {
        a = 2 * this.u() - 1;
        b = 2 * this.u() - 1;
        r = a * a + b * b;
      } while (r >= 1 || r === 0);
      const f = std * Math.sqrt((-2 * Math.log(r)) / r);
      out[i] += a * f;
      if (i + 1 < n) out[i + 1] += b * f;
    }
  }

  /**
   * Gamma(shape, 1) by Marsaglia & Tsang (2000). For shape < 1 it uses the boost Gamma(a) = Gamma(a + 1) * U^(1/a), since the
   * squeeze only holds for shape >= 1. `shape` must be > 0 (callers validate).
   */
  gamma(shape: number): number {
    if (shape < 1) {
      const g = this.gamma(shape + 1);
      return g * Math.pow(1 - this.u(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.gaussian();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = 1 - this.u(); // (0, 1] so log(u) is finite
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    const s = x + y;
    // Tiny shapes can underflow both gammas to 0; Beta(a, b) with a, b -> 0 puts its mass on {0, 1}, so pick one of those.
    if (s === 0) return this.uniform() < a / (a + b) ? 1 : 0;
    return x / s;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
