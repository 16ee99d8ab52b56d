import seedrandom from 'seedrandom';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  affineInto,
  boxBlurInPlace,
  cutoutAt,
  flipHInPlace,
  flipVInPlace,
  makeAugmenter,
  RandomSource,
  rotate90Into,
  transposeInto,
  type AugmentContext,
} from '../../trials/augment.js';
import type { AugmentConfig, Batch, ImageAugmentConfig } from '../../trials/types.js';

// ---------------------------------------------------------------- helpers

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const img = (shape: readonly number[], seed = 1, outputs = 3): AugmentContext => ({
  inputShape: shape,
  task: 'classification',
  outputs,
  seed,
});

/** n samples of random values in [0.1, 1.1) (never 0, so cutout is visible) and one-hot labels. */
function batchOf(n: number, shape: readonly number[], outputs = 3, seed = 'data'): Batch {
  const r = seedrandom(seed);
  const x = Float32Array.from({ length: n * prod(shape) }, () => 0.1 + r());
  const y = new Float32Array(n * outputs);
  for (let i = 0; i < n; i++) y[i * outputs + (i % outputs)] = 1;
  return { x, y, n };
}
const copy = (b: Batch): Batch => ({ x: b.x.slice(), y: b.y.slice(), n: b.n });
const row = (a: Float32Array, i: number, size: number): Float32Array => a.subarray(i * size, (i + 1) * size);
const same = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 0): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) <= tol);
function meanStd(v: ArrayLike<number>): [number, number] {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const m = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - m) ** 2;
  return [m, Math.sqrt(q / v.length)];
}
/** Fraction of samples that the augmenter changed. */
function changedFraction(cfg: AugmentConfig, shape: readonly number[], n: number, seed = 7): number {
  const before = batchOf(n, shape);
  const after = makeAugmenter(cfg, img(shape, seed))(copy(before));
  const size = prod(shape);
  let changed = 0;
  for (let i = 0; i < n; i++) if (!same(row(before.x, i, size), row(after.x, i, size))) changed++;
  return changed / n;
}

const S = [6, 6, 2];
const IMAGE_OPS: Record<string, (p: number) => ImageAugmentConfig> = {
  flipH: (p) => ({ flipH: p }),
  flipV: (p) => ({ flipV: p }),
  rotate90: (p) => ({ rotate90: p }),
  transpose: (p) => ({ transpose: p }),
  noise: (p) => ({ noise: { p, std: 0.1 } }),
  affine: (p) => ({ affine: { p } }),
  blur: (p) => ({ blur: { p, radius: 1 } }),
  cutout: (p) => ({ cutout: { p, size: 2 } }),
  oneOf: (p) => ({ oneOf: [{ p, of: [{ flipH: 1 }, { flipV: 1 }] }] }),
};

// ---------------------------------------------------------------- every image op: shapes, labels, p = 0, p = 1, rate

for (const [name, make] of Object.entries(IMAGE_OPS)) {
  test(`${name}: keeps shapes and labels; p=0 is identity; p=1 changes every sample`, () => {
    const before = batchOf(40, S);
    const out = makeAugmenter(make(1), img(S))(copy(before));
    assert.is(out.n, 40);
    assert.is(out.x.length, before.x.length);
    assert.ok(same(out.y, before.y), 'labels untouched');
    assert.ok(same(makeAugmenter(make(0), img(S))(copy(before)).x, before.x), 'p=0 is identity');
    assert.is(changedFraction(make(1), S, 40), 1);
  });
}

test('probabilities are honoured: p=0.3 over 2,000 samples changes 0.3 +- 0.05', () => {
  for (const name of ['flipH', 'cutout', 'affine', 'oneOf']) {
    const f = changedFraction(IMAGE_OPS[name](0.3), [4, 4, 1], 2000);
    assert.ok(Math.abs(f - 0.3) < 0.05, `${name}: ${f}`);
  }
});

test('undefined or empty config is the identity (same batch back)', () => {
  const b = batchOf(3, S);
  assert.is(makeAugmenter(undefined, img(S))(b), b);
  assert.is(makeAugmenter({}, img(S))(b), b);
  assert.is(makeAugmenter({}, img([5]))(b), b);
});

// ---------------------------------------------------------------- hand-checked kernels

test('flipH / flipV on a hand 2x3 image; flipH twice is the identity', () => {
  const d = { h: 2, w: 3, c: 1 };
  const a = Float32Array.of(1, 2, 3, 4, 5, 6);
  flipHInPlace(a, d);
  assert.equal(Array.from(a), [3, 2, 1, 6, 5, 4]);
  flipHInPlace(a, d);
  assert.equal(Array.from(a), [1, 2, 3, 4, 5, 6]);
  flipVInPlace(a, d);
  assert.equal(Array.from(a), [4, 5, 6, 1, 2, 3]);
  // Channels move together.
  const rgb = Float32Array.of(1, 10, 2, 20);
  flipHInPlace(rgb, { h: 1, w: 2, c: 2 });
  assert.equal(Array.from(rgb), [2, 20, 1, 10]);
});

test('rotate90 of hand 2x2 and 3x3 images (clockwise quarter turns)', () => {
  const rot = (src: number[], n: number, k: 1 | 2 | 3): number[] => {
    const dst = new Float32Array(n * n);
    rotate90Into(Float32Array.from(src), dst, { h: n, w: n, c: 1 }, k);
    return Array.from(dst);
  };
  // a b / c d  -> clockwise: c a / d b
  assert.equal(rot([1, 2, 3, 4], 2, 1), [3, 1, 4, 2]);
  assert.equal(rot([1, 2, 3, 4], 2, 2), [4, 3, 2, 1]);
  assert.equal(rot([1, 2, 3, 4], 2, 3), [2, 4, 1, 3]);
  const m = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.equal(rot(m, 3, 1), [7, 4, 1, 8, 5, 2, 9, 6, 3]);
  assert.equal(rot(m, 3, 2), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(rot(m, 3, 3), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
});

test('rotate90 augmenter: square images get one of the three turns (all occur); non-square only 180', () => {
  const m = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const turns = [
    [7, 4, 1, 8, 5, 2, 9, 6, 3],
    [9, 8, 7, 6, 5, 4, 3, 2, 1],
    [3, 6, 9, 2, 5, 8, 1, 4, 7],
  ];
  const n = 300;
  const out = makeAugmenter(
    { rotate90: 1 },
    img([3, 3, 1]),
  )({ x: Float32Array.from({ length: n * 9 }, (_, i) => m[i % 9]), y: new Float32Array(n * 3), n });
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const k = turns.findIndex((t) => same(row(out.x, i, 9), t));
    assert.ok(k >= 0, `sample ${i} is not a quarter turn`);
    counts[k]++;
  }
  assert.ok(
    counts.every((c) => c > 60),
    `k is uniform-ish: ${counts.join(',')}`,
  );
  const wide = makeAugmenter({ rotate90: 1 }, img([2, 3, 1]))({ x: Float32Array.of(1, 2, 3, 4, 5, 6), y: new Float32Array(3), n: 1 });
  assert.equal(Array.from(wide.x), [6, 5, 4, 3, 2, 1]);
});

test('transpose of a hand 3x3 image; non-square transpose is an error', () => {
  const dst = new Float32Array(9);
  transposeInto(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), dst, { h: 3, w: 3, c: 1 });
  assert.equal(Array.from(dst), [1, 4, 7, 2, 5, 8, 3, 6, 9]);
  assert.throws(() => makeAugmenter({ transpose: 0.5 }, img([4, 5, 1])), /transpose needs a square image.*\[4, 5, 1\]/);
});

test('cutout zeroes exactly size*size pixels (all channels) for an interior hole, fewer when clipped', () => {
  const d = { h: 10, w: 10, c: 2 };
  for (const size of [3, 4]) {
    const a = new Float32Array(200).fill(1);
    cutoutAt(a, d, 5, 5, size);
    assert.is(a.filter((v) => v === 0).length, size * size * 2, `size ${size}`);
    // The square starts at centre - floor(size/2).
    const top = 5 - Math.floor(size / 2);
    assert.is(a[(top * 10 + top) * 2], 0);
    assert.is(a[((top - 1) * 10 + top) * 2], 1);
  }
  const corner = new Float32Array(200).fill(1);
  cutoutAt(corner, d, 0, 0, 3);
  assert.is(corner.filter((v) => v === 0).length, 2 * 2 * 2);
  // Random holes: between 1 and size*size pixels zeroed per sample.
  const out = makeAugmenter(
    { cutout: { p: 1, size: 3 } },
    img([8, 8, 1]),
  )({ x: new Float32Array(50 * 64).fill(1), y: new Float32Array(150), n: 50 });
  for (let i = 0; i < 50; i++) {
    const z = row(out.x, i, 64).filter((v) => v === 0).length;
    assert.ok(z >= 1 && z <= 9, `sample ${i}: ${z}`);
  }
});

test('noise has the requested std (within 10%) and mean ~0', () => {
  for (const [shape, std] of [
    [[8, 8, 1], 0.5],
    [[20], 2],
  ] as const) {
    const n = 100;
    const out = makeAugmenter(
      { noise: { p: 1, std } },
      img(shape),
    )({ x: new Float32Array(n * prod(shape)), y: new Float32Array(n * 3), n });
    const [m, s] = meanStd(out.x);
    assert.ok(Math.abs(s / std - 1) < 0.1, `std ${s} vs ${std}`);
    assert.ok(Math.abs(m) < 0.1 * std, `mean ${m}`);
  }
});

test('blur: a constant image stays constant; an interior impulse spreads with its mass kept', () => {
  for (const radius of [1, 2]) {
    const out = makeAugmenter(
      { blur: { p: 1, radius } },
      img([7, 5, 3]),
    )({ x: new Float32Array(2 * 105).fill(0.7), y: new Float32Array(6), n: 2 });
    assert.ok(same(out.x, new Float32Array(210).fill(0.7), 1e-6), `radius ${radius}`);
  }
  const a = new Float32Array(49);
  a[24] = 1;
  boxBlurInPlace(a, new Float32Array(49), { h: 7, w: 7, c: 1 }, 1);
  assert.ok(Math.abs(a.reduce((s, v) => s + v, 0) - 1) < 1e-6);
  assert.ok(Math.abs(a[24] - 1 / 9) < 1e-6 && Math.abs(a[16] - 1 / 9) < 1e-6 && a[8] === 0);
});

test('affine: an integer shift moves a bright pixel exactly; 90 degrees equals rotate90; no-op params are identity', () => {
  const d = { h: 9, w: 9, c: 1 };
  const a = new Float32Array(81);
  a[4 * 9 + 4] = 1;
  const dst = new Float32Array(81);
  affineInto(a, dst, d, { dx: 2, dy: -1, scale: 1, degrees: 0 });
  assert.is(dst[3 * 9 + 6], 1);
  assert.is(
    dst.reduce((s, v) => s + v, 0),
    1,
  );
  const r = Float32Array.from({ length: 81 }, (_, i) => i);
  affineInto(r, dst, d, { dx: 0, dy: 0, scale: 1, degrees: 0 });
  assert.ok(same(dst, r));
  const want = new Float32Array(81);
  rotate90Into(r, want, d, 1);
  affineInto(r, dst, d, { dx: 0, dy: 0, scale: 1, degrees: 90 });
  assert.ok(same(dst, want, 1e-3));
});

test('affine augmenter, shift only: the bright pixel keeps its mass and moves by at most shift * side', () => {
  const n = 200;
  const x = new Float32Array(n * 441);
  for (let i = 0; i < n; i++) x[i * 441 + 10 * 21 + 10] = 1;
  const out = makeAugmenter({ affine: { p: 1, shift: 0.2, scale: 0, rotate: 0 } }, img([21, 21, 1]))({ x, y: new Float32Array(n * 3), n });
  let moved = 0;
  for (let i = 0; i < n; i++) {
    const s = row(out.x, i, 441);
    let mass = 0,
      cx = 0,
      cy = 0;
    s.forEach((v, k) => ((mass += v), (cx += v * (k % 21)), (cy += v * Math.floor(k / 21))));
    assert.ok(Math.abs(mass - 1) < 1e-4, `mass ${mass}`);
    const [dx, dy] = [cx / mass - 10, cy / mass - 10];
    assert.ok(Math.abs(dx) <= 0.2 * 21 + 1e-4 && Math.abs(dy) <= 0.2 * 21 + 1e-4, `moved ${dx}, ${dy}`);
    if (Math.hypot(dx, dy) > 1) moved++;
  }
  assert.ok(moved > n / 2, `most samples moved by more than a pixel: ${moved}`);
});

// ---------------------------------------------------------------- oneOf

test('oneOf applies at most one member; members use their own probabilities', () => {
  const shape = [4, 4, 1];
  const before = batchOf(400, shape);
  const out = makeAugmenter({ oneOf: [{ p: 1, of: [{ flipH: 1 }, { flipV: 1 }] }] }, img(shape))(copy(before));
  let h = 0;
  for (let i = 0; i < 400; i++) {
    const fh = row(before.x, i, 16).slice(),
      fv = fh.slice();
    flipHInPlace(fh, { h: 4, w: 4, c: 1 });
    flipVInPlace(fv, { h: 4, w: 4, c: 1 });
    const o = row(out.x, i, 16);
    assert.ok(same(o, fh) !== same(o, fv), `sample ${i} got exactly one of the two flips`);
    if (same(o, fh)) h++;
  }
  assert.ok(Math.abs(h / 400 - 0.5) < 0.1, `members chosen uniformly: ${h}`);
  const f = changedFraction({ oneOf: [{ p: 1, of: [{ flipH: 0.5 }] }] }, shape, 2000);
  assert.ok(Math.abs(f - 0.5) < 0.05, `member probability honoured: ${f}`);
});

// ---------------------------------------------------------------- determinism

test('seeded: same seed same output, different seed different, each batch draws fresh randomness', () => {
  const cfg: ImageAugmentConfig = { flipH: 0.5, affine: { p: 0.5 }, cutout: { p: 0.5, size: 3 }, noise: { p: 0.5, std: 0.1 } };
  const run = (seed: number): Float32Array[] => {
    const aug = makeAugmenter(cfg, img([8, 8, 1], seed));
    return [0, 1, 2].map(() => aug(batchOf(16, [8, 8, 1])).x);
  };
  const [a, b, c] = [run(1), run(1), run(2)];
  a.forEach((x, i) => assert.ok(same(x, b[i]), `batch ${i} reproduced`));
  assert.not.ok(same(a[0], c[0]));
  assert.not.ok(same(a[0], a[1]), 'the stream advances between batches');
  const tab = (seed: number): Float32Array =>
    makeAugmenter({ mixup: { p: 1, alpha: 1 }, noise: { p: 1, std: 1 } }, img([5], seed))(batchOf(8, [5])).x;
  assert.ok(same(tab(3), tab(3)));
  assert.not.ok(same(tab(3), tab(4)));
});

// ---------------------------------------------------------------- tabular

test('mixup: labels stay distributions, x keeps its shape, p=0 identity', () => {
  const before = batchOf(64, [6], 4);
  const out = makeAugmenter({ mixup: { p: 1, alpha: 0.4 } }, img([6], 1, 4))(copy(before));
  assert.is(out.x.length, before.x.length);
  assert.is(out.y.length, before.y.length);
  assert.not.ok(same(out.x, before.x));
  for (let i = 0; i < 64; i++) {
    const r = row(out.y, i, 4);
    assert.ok(Math.abs(r.reduce((s, v) => s + v, 0) - 1) < 1e-5 && r.every((v) => v >= 0 && v <= 1), `row ${i}: ${r.join(',')}`);
  }
  assert.ok(same(makeAugmenter({ mixup: { p: 0, alpha: 1 } }, img([6], 1, 4))(copy(before)).x, before.x));
});

test('mixup: lambda ~ Beta(1,1) has mean ~0.5 and variance ~1/12; x and y mix alike (regression)', () => {
  const aug = makeAugmenter({ mixup: { p: 1, alpha: 1 } }, { inputShape: [1], task: 'regression', outputs: 1, seed: 5 });
  const lams: number[] = [];
  for (let t = 0; t < 3000; t++) {
    // Two samples x=y=0 and x=y=1: if swapped, sample 0 becomes 1 - lam.
    const out = aug({ x: Float32Array.of(0, 1), y: Float32Array.of(0, 1), n: 2 });
    assert.ok(same(out.x, out.y, 1e-6));
    if (out.x[1] !== 1) lams.push(out.x[1]);
  }
  const [m, s] = meanStd(lams);
  assert.ok(lams.length > 1000);
  assert.ok(Math.abs(m - 0.5) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(s * s - 1 / 12) < 0.01, `var ${s * s}`);
});

test('gamma and beta samplers: means k and a/(a+b), also for shape < 1', () => {
  const r = new RandomSource(11);
  for (const k of [0.3, 1, 2.5, 9]) {
    const [m] = meanStd(Array.from({ length: 20000 }, () => r.gamma(k)));
    assert.ok(Math.abs(m / k - 1) < 0.05, `gamma(${k}) mean ${m}`);
  }
  for (const [a, b] of [
    [0.2, 0.2],
    [2, 5],
  ]) {
    const [m] = meanStd(Array.from({ length: 20000 }, () => r.beta(a, b)));
    assert.ok(Math.abs(m - a / (a + b)) < 0.02, `beta(${a},${b}) mean ${m}`);
  }
});

test('featureDropout: rate honoured within chosen samples; p honoured per sample; labels untouched', () => {
  const ones = (n: number): Batch => ({ x: new Float32Array(n * 50).fill(1), y: batchOf(n, [50]).y, n });
  const b = ones(200);
  const y0 = b.y.slice();
  const out = makeAugmenter({ featureDropout: { p: 1, rate: 0.25 } }, img([50]))(b);
  const frac = out.x.filter((v) => v === 0).length / out.x.length;
  assert.ok(Math.abs(frac - 0.25) < 0.02, `zeroed ${frac}`);
  assert.ok(same(out.y, y0));
  const out2 = makeAugmenter({ featureDropout: { p: 0.3, rate: 0.5 } }, img([50]))(ones(2000));
  let hit = 0;
  for (let i = 0; i < 2000; i++) if (row(out2.x, i, 50).some((v) => v === 0)) hit++;
  assert.ok(Math.abs(hit / 2000 - 0.3) < 0.05, `samples hit ${hit / 2000}`);
});

test('tabular noise: p=0.3 per sample honoured, labels untouched', () => {
  const f = changedFraction({ noise: { p: 0.3, std: 1 } }, [5], 2000);
  assert.ok(Math.abs(f - 0.3) < 0.05, `${f}`);
});

// ---------------------------------------------------------------- validation

test('clear errors: wrong kind, unknown keys, bad probabilities and fields, bad shapes and batches', () => {
  const bad = (cfg: unknown, shape: number[], re: RegExp): void =>
    assert.throws(() => makeAugmenter(cfg as AugmentConfig, img(shape)), re, `${JSON.stringify(cfg)} should throw ${re}`);
  bad({ flipH: 0.5 }, [8], /augment\.flipH is an image augmentation.*tabular.*mixup, featureDropout, noise/);
  bad({ mixup: { p: 1, alpha: 1 } }, [4, 4, 1], /augment\.mixup is a tabular augmentation.*image inputs take: flipH/);
  bad({ flip: 1 }, [4, 4, 1], /augment\.flip is not a known augmentation.*flipH, flipV, rotate90/);
  bad({ flipH: 1.5 }, [4, 4, 1], /augment\.flipH is a probability.*\[0, 1\], got 1\.5/);
  bad({ noise: { p: -0.1, std: 1 } }, [3], /augment\.noise\.p is a probability/);
  bad({ noise: { p: Number.NaN, std: 1 } }, [3], /augment\.noise\.p is a probability/);
  bad({ noise: { p: 1 } }, [3], /augment\.noise\.std must be a finite number >= 0, got undefined/);
  bad({ affine: { p: 1, scale: 1 } }, [4, 4, 1], /augment\.affine\.scale must be .*< 1/);
  bad(
    { affine: { p: 1, shear: 1 } },
    [4, 4, 1],
    /augment\.affine\.shear is not a known field; augment\.affine takes: p, shift, scale, rotate/,
  );
  bad({ blur: { p: 1, radius: 0 } }, [4, 4, 1], /augment\.blur\.radius must be an integer >= 1/);
  bad({ cutout: { p: 1, size: 2.5 } }, [4, 4, 1], /augment\.cutout\.size must be an integer/);
  bad({ cutout: { p: 1, size: 9 } }, [4, 4, 1], /augment\.cutout\.size .*<= 4/);
  bad({ oneOf: [{ p: 1, of: [] }] }, [4, 4, 1], /augment\.oneOf\[0\]\.of must be a non-empty array/);
  bad({ oneOf: [{ p: 1, of: [{ mixup: 1 }] }] }, [4, 4, 1], /augment\.oneOf\[0\]\.of\[0\]\.mixup is a tabular augmentation/);
  bad({ mixup: { p: 1, alpha: 0 } }, [3], /augment\.mixup\.alpha must be a finite number > 0/);
  bad({ featureDropout: { p: 1, rate: 2 } }, [3], /augment\.featureDropout\.rate is a probability/);
  bad({ flipH: 1 }, [4, 4], /inputShape \[h, w, c\] \(images\) or \[features\] \(tabular\), got \[4, 4\]/);
  bad('flipH', [4, 4, 1], /augment must be an object/);
  const aug = makeAugmenter({ flipH: 1 }, img([2, 2, 1]));
  assert.throws(() => aug({ x: new Float32Array(7), y: new Float32Array(6), n: 2 }), /x\.length = n \* 4.*got x\.length=7/);
});

test.run();
