/**
 * Seeded test inputs: the same values for the same seed on every run and machine.
 */
import seedrandom from 'seedrandom';

/** `n` floats uniform in [-1, 1) from seedrandom(`seed`). */
export function seededUniform(n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}
