/**
 * Acquisition functions of the GP searcher (both maximised, on the standardised, maximisation-oriented model output):
 *
 * - log expected improvement: log EI(x) = log h(z) + log sigma, z = (mu - best) / sigma, h(z) = phi(z) + z Phi(z). Computed in
 *   log space the way Ament et al. (2023, "Unexpected improvements to expected improvement") do, so it stays finite, smooth and
 *   monotone far below the incumbent where EI itself underflows to 0 (z < -38 or so) and the optimiser would see a flat zero;
 * - upper confidence bound: mu + sqrt(beta) sigma.
 *
 * The special functions (erf, erfc, erfcx) are implemented here from their series and continued fraction rather than taken
 * from a table of rational coefficients: relative accuracy ~1e-14, ample for ranking candidates and verified in the tests.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf(x) for |x| < ~3 by the all-positive series erf x = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (2n+1)!! (no cancellation). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 0; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * The scaled complementary error function erfcx(x) = e^{x^2} erfc(x) for x >= 0 (finite where erfc underflows; ~1/(x sqrt pi)
 * for large x). Below 2: from the series; from 2 on: the Laplace continued fraction
 * erfcx(x) sqrt(pi) = 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...)))), evaluated backwards from a fixed depth (stable).
 */
export function erfcx(x: number): number {
  if (x < 0) throw new RangeError(`erfcx is implemented for x >= 0, got ${x}`);
  if (x < 2) return Math.exp(x * x) * (1 - erfSeries(x));
  if (x > 1e8) return 1 / (x * SQRT_PI); // the fraction's tail terms are below double precision here
  const depth = x < 3 ? 160 : x < 6 ? 80 : 40;
  let f = x;
  for (let k = depth; k >= 1; k--) f = x + k / 2 / f;
  return 1 / (f * SQRT_PI);
}

/** erfc(x) for any real x: 1 - erf(x) for small |x|, e^{-x^2} erfcx(x) in the tail (relative accuracy kept in both). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  return Math.exp(-x * x) * erfcx(x);
}

/** Standard normal CDF Phi(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal density phi(z). */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - HALF_LOG_2PI);
}

/**
 * 1 - t R(t) and R(t) = Phi(-t)/phi(t) (the Mills ratio) for t >= 1: directly from erfcx below 10 (cancellation costs at most
 * a factor t^2 = 100 in relative accuracy), from the asymptotic series 1 - tR = t^-2 (1 - 3/t^2 + 15/t^4 - ...) above, where it
 * converges to full precision (terms shrink until k ~ t^2 / 2).
 */
function millsTail(t: number): { oneMinusTR: number; logOneMinusTR: number; r: number } {
  if (t < 10) {
    const r = SQRT_HALF_PI * erfcx(t / Math.SQRT2);
    const a = 1 - t * r;
    return { oneMinusTR: a, logOneMinusTR: Math.log(a), r };
  }
  const inv2 = 1 / (t * t);
  let term = 1;
  let s = 1;
  for (let k = 0; k < 100; k++) {
    const next = -term * (2 * k + 3) * inv2;
    if (Math.abs(next) >= Math.abs(term) || Math.abs(next) < 1e-17) break;
    term = next;
    s += term;
  }
  const a = s * inv2;
  return { oneMinusTR: a, logOneMinusTR: Math.log(s) - 2 * Math.log(t), r: (1 - a) / t };
}

/**
 * log h(z) with h(z) = phi(z) + z Phi(z) = E[max(Z + z, 0)] (EI of a unit-variance posterior), finite for every finite z, and
 * d log h / dz = Phi(z) / h(z) (> 0: strictly increasing). Called for every candidate the GP searcher scores.
 */
export function logH(z: number): { value: number; slope: number } {
  if (z > -1) {
    const cdf = normalCdf(z);
    const h = normalPdf(z) + z * cdf;
    return { value: Math.log(h), slope: cdf / h };
  }
  // z <= -1: h = phi(z) (1 - t R(t)), t = -z; Phi(z)/h(z) = R / (1 - tR).
  const t = -z;
  const m = millsTail(t);
  return { value: -0.5 * z * z - HALF_LOG_2PI + m.logOneMinusTR, slope: m.r / m.oneMinusTR };
}

/** Expected improvement computed naively, sigma * (phi(z) + z Phi(z)); underflows to 0 for z below ~-38. For tests. */
export function expectedImprovement(mean: number, sigma: number, best: number): number {
  const z = (mean - best) / sigma;
  return sigma * (normalPdf(z) + z * normalCdf(z));
}

/** Which acquisition the searcher maximises. */
export type AcquisitionKind = 'logei' | 'ucb';

/** An acquisition over the model output (maximisation): value and gradient from mean/variance and their gradients. */
export interface Acquisition {
  /** Value at a point with posterior mean `mean` and latent variance `variance`. */
  value(mean: number, variance: number): number;
  /**
   * Value and gradient (into `grad`) given the gradients of mean and variance in x. Used by the local refinement.
   */
  valueAndGradient(mean: number, variance: number, gMean: Float64Array, gVar: Float64Array, grad: Float64Array): number;
}

/**
 * Log expected improvement over `best` (the best standardised observation). Called by the searcher once per suggestion.
 */
export function logEiAcquisition(best: number): Acquisition {
  return {
    value(mean, variance) {
      const sigma = Math.sqrt(variance);
      return logH((mean - best) / sigma).value + Math.log(sigma);
    },
    valueAndGradient(mean, variance, gMean, gVar, grad) {
      const sigma = Math.sqrt(variance);
      const z = (mean - best) / sigma;
      const { value, slope } = logH(z);
      for (let c = 0; c < grad.length; c++) {
        const dSigmaOverSigma = gVar[c]! / (2 * variance); // d sigma / sigma
        grad[c] = slope * (gMean[c]! / sigma - z * dSigmaOverSigma) + dSigmaOverSigma;
      }
      return value + Math.log(sigma);
    },
  };
}

/** Upper confidence bound mu + sqrt(beta) sigma (beta >= 0; larger explores more). */
export function ucbAcquisition(beta: number): Acquisition {
  const k = Math.sqrt(beta);
  return {
    value: (mean, variance) => mean + k * Math.sqrt(variance),
    valueAndGradient(mean, variance, gMean, gVar, grad) {
      const sigma = Math.sqrt(variance);
      for (let c = 0; c < grad.length; c++) grad[c] = gMean[c]! + (k * gVar[c]!) / (2 * sigma);
      return mean + k * sigma;
    },
  };
}
