import seedrandom from 'seedrandom';
import { fitParzen } from '../searchers/tpe/parzen.js';
import type { CubeDim } from '../spaces/types.js';
const dims: CubeDim[] = Array.from({ length: 8 }, (_, i) => ({ path: `x${i}`, type: 'continuous', levels: Infinity }));
const rng = seedrandom.alea('x');
const pts = Array.from({ length: 975 }, () => Float64Array.from({ length: 8 }, () => rng()));
const g = fitParzen(pts, dims, { bandwidthFactor: 0.8, normalize: false });
const q = Array.from({ length: 4000 }, () => Float64Array.from({ length: 8 }, () => rng()));
for (let r = 0; r < 4; r++) {
  let t0 = performance.now(); let acc = 0;
  for (const x of q) acc += g.logpdf(x);
  const t1 = performance.now();
  for (let k = 0; k < 20; k++) fitParzen(pts, dims, { bandwidthFactor: 0.8, normalize: false });
  console.log('logpdf us/call', ((t1 - t0) * 1000 / q.length).toFixed(1), 'fit ms', ((performance.now() - t1) / 20).toFixed(2), acc.toFixed(3));
}
