/**
 * Sobol generation speed: 100,000 scrambled points in 10 dimensions, through the sequential fast path (`fill`) and through
 * random access (`point`, what the searcher uses: one point per trial). Prints points/s; asserts nothing (figures only).
 * Run: `node --import tsx bench/sobol.ts`.
 */
import { SobolSequence } from '../searchers/sobol/sequence.js';

const N = 100_000;
const DIM = 10;

function time(label: string, run: () => number): void {
  run(); // warm-up, so the JIT has compiled the loop before it is timed
  const t0 = process.hrtime.bigint();
  const check = run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // `check` (a sum of coordinates, ~N*DIM/2) keeps the work observable so it cannot be optimised away.
  console.log(
    `${label.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms  ${Math.round((N / ms) * 1000)
      .toLocaleString('en-US')
      .padStart(12)} points/s  (sum ${check.toFixed(1)})`,
  );
}

const t0 = process.hrtime.bigint();
const seq = new SobolSequence(DIM, { seed: 1 });
console.log(`construct (dim ${DIM}, scrambled)       ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`);

time(`fill(0, ${N}) dim ${DIM}`, () => seq.fill(0, N).reduce((a, b) => a + b, 0));
time(`point(i) x ${N} dim ${DIM}`, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += seq.point(i)[DIM - 1]! * DIM;
  return s;
});
const t1 = process.hrtime.bigint();
new SobolSequence(4096, { seed: 1 });
console.log(`construct (dim 4096, scrambled)     ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(2)} ms`);
