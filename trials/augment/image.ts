/**
 * Image augmentations on one HWC sample at a time (a `Float32Array` view of h*w*c floats inside the batch's `x`). Pure JS: per
 * sample loops over 784 floats cost microseconds, where each TF.js op on the wasm backend costs milliseconds.
 *
 * Order, fixed (every op is decided per sample, independently, with its own probability p):
 *   flipH -> flipV -> rotate90 -> transpose -> affine -> blur -> oneOf groups (in array order) -> cutout -> noise
 * Geometry first, then smoothing, then the oneOf groups, then occlusion and pixel noise last, so a hole or the noise is never
 * blurred or warped away. A oneOf member is itself a full image config applied with its own probabilities, in this same order:
 * `{ flipH: 1 }` always flips once chosen, `{ flipH: 0.5 }` flips half the times it is chosen.
 */
import { OptionsError } from '../../src/core/errors.js';
import type { RandomSource } from './rng.js';
import { checkFields, checkKeys, num, prob, record, show, noiseConfig } from './validate.js';

/** Height, width, channels of one sample (the rank-3 `inputShape`). */
export interface ImageDims {
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

/** Changes one sample in place, drawing randomness from `rng`. */
export type ImageOp = (img: Float32Array, rng: RandomSource) => void;

// ---------------------------------------------------------------- deterministic kernels (exported for tests and reuse)

/** Mirrors columns in place: pixel (y, x) <- (y, w-1-x). */
export function flipHInPlace(img: Float32Array, { h, w, c }: ImageDims): void {
  for (let y = 0; y < h; y++) {
    for (let a = 0, b = w - 1; a < b; a++, b--) {
      const pa = (y * w + a) * c;
      const pb = (y * w + b) * c;
      for (let k = 0; k < c; k++) {
        const t = img[pa + k];
        img[pa + k] = img[pb + k];
        img[pb + k] = t;
      }
    }
  }
}

/** Mirrors rows in place: pixel (y, x) <- (h-1-y, x). */
export function flipVInPlace(img: Float32Array, { h, w, c }: ImageDims): void {
  const row = w * c;
  for (let a = 0, b = h - 1; a < b; a++, b--) {
    for (let i = 0; i < row; i++) {
      const t = img[a * row + i];
      img[a * row + i] = img[b * row + i];
      img[b * row + i] = t;
    }
  }
}

/**
 * Writes `src` rotated by k quarter turns clockwise into `dst` (k = 1, 2, 3). Odd k needs h == w (shapes never change);
 * k = 2 works for any shape.
 */
export function rotate90Into(src: Float32Array, dst: Float32Array, { h, w, c }: ImageDims, k: 1 | 2 | 3): void {
  if (k !== 2 && h !== w) throw new OptionsError(`rotate90 by ${k} quarter turns needs a square image, got ${h}x${w}`);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Source pixel of output (y, x): clockwise 90 reads (n-1-x, y); 180 reads (h-1-y, w-1-x); 270 reads (x, n-1-y).
      const sy = k === 1 ? h - 1 - x : k === 2 ? h - 1 - y : x;
      const sx = k === 1 ? y : k === 2 ? w - 1 - x : w - 1 - y;
      const o = (y * w + x) * c;
      const s = (sy * w + sx) * c;
      for (let ch = 0; ch < c; ch++) dst[o + ch] = src[s + ch];
    }
  }
}

/** Writes the transpose of a square `src` into `dst`: pixel (y, x) <- (x, y). */
export function transposeInto(src: Float32Array, dst: Float32Array, { h, w, c }: ImageDims): void {
  if (h !== w) throw new OptionsError(`transpose needs a square image, got ${h}x${w}`);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * c;
      const s = (x * w + y) * c;
      for (let ch = 0; ch < c; ch++) dst[o + ch] = src[s + ch];
    }
  }
}

/** One affine draw: shift in pixels, scale factor (1 = none), rotation in degrees, all about the image centre. */
export interface AffineParams {
  readonly dx: number;
  readonly dy: number;
  readonly scale: number;
  readonly degrees: number;
}

/**
 * Writes the warped `src` into `dst`: a source point p lands at centre + scale * R(degrees) * (p - centre) + (dx, dy). Each output
 * pixel is sampled from the inverse map with bilinear interpolation; neighbours outside the image count as 0 (zero fill).
 */
export function affineInto(src: Float32Array, dst: Float32Array, { h, w, c }: ImageDims, p: AffineParams): void {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const th = (p.degrees * Math.PI) / 180;
  const cos = Math.cos(th) / p.scale;
  const sin = Math.sin(th) / p.scale;
  for (let y = 0; y < h; y++) {
    const v = y - cy - p.dy;
    for (let x = 0; x < w; x++) {
      const u = x - cx - p.dx;
      const sx = cos * u + sin * v + cx;
      const sy = -sin * u + cos * v + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * w + x) * c;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // Hot path (most pixels): all four neighbours inside.
        const s00 = (y0 * w + x0) * c;
        const s10 = s00 + w * c;
        for (let ch = 0; ch < c; ch++) {
          dst[o + ch] = w00 * src[s00 + ch] + w01 * src[s00 + c + ch] + w10 * src[s10 + ch] + w11 * src[s10 + c + ch];
        }
        continue;
      }
      for (let ch = 0; ch < c; ch++) dst[o + ch] = 0;
      // Border: skipping out-of-image neighbours is the zero fill.
      for (let j = 0; j < 4; j++) {
        const yy = y0 + (j >> 1);
        const xx = x0 + (j & 1);
        if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
        const wt = j === 0 ? w00 : j === 1 ? w01 : j === 2 ? w10 : w11;
        if (wt === 0) continue;
        const s = (yy * w + xx) * c;
        for (let ch = 0; ch < c; ch++) dst[o + ch] += wt * src[s + ch];
      }
    }
  }
}

/**
 * Separable box blur of the given radius in place (`tmp` holds the horizontal pass). At borders the window is clipped and the
 * mean taken over the pixels inside, so a constant image stays exactly constant (no dark frame).
 */
export function boxBlurInPlace(img: Float32Array, tmp: Float32Array, { h, w, c }: ImageDims, radius: number): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const lo = Math.max(0, x - radius);
      const hi = Math.min(w - 1, x + radius);
      const o = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let xx = lo; xx <= hi; xx++) s += img[(y * w + xx) * c + ch];
        tmp[o + ch] = s / (hi - lo + 1);
      }
    }
  }
  for (let y = 0; y < h; y++) {
    const lo = Math.max(0, y - radius);
    const hi = Math.min(h - 1, y + radius);
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let yy = lo; yy <= hi; yy++) s += tmp[(yy * w + x) * c + ch];
        img[o + ch] = s / (hi - lo + 1);
      }
    }
  }
}

/**
 * Zeroes (all channels of) the size x size square whose top-left is (cy - floor(size/2), cx - floor(size/2)), clipped at the
 * borders. The centre pixel is always inside, so at least one pixel is zeroed; an interior hole zeroes exactly size*size.
 */
export function cutoutAt(img: Float32Array, { h, w, c }: ImageDims, cy: number, cx: number, size: number): void {
  const y0 = Math.max(0, cy - Math.floor(size / 2));
  const x0 = Math.max(0, cx - Math.floor(size / 2));
  const y1 = Math.min(h, cy - Math.floor(size / 2) + size);
  const x1 = Math.min(w, cx - Math.floor(size / 2) + size);
  for (let y = y0; y < y1; y++) img.fill(0, (y * w + x0) * c, (y * w + x1) * c);
}

// ---------------------------------------------------------------- config -> per-sample pipeline

/** Scratch buffers of one augmenter, shared by all its ops (ops run one after another, never nested mid-use). */
interface Work {
  readonly a: Float32Array;
}

/**
 * Validates an `ImageAugmentConfig` (as `unknown`, at `path`) and compiles it to one op applying the whole pipeline to a sample.
 * Called by `makeAugmenter` once per augmenter, and recursively for oneOf members. Ops with p = 0 are dropped. Returns
 * undefined when nothing can ever happen (empty config, every p = 0), so callers can skip the per-sample loop.
 */
export function compileImage(
  config: unknown,
  path: string,
  dims: ImageDims,
  inputShape: readonly number[],
  work: Work = { a: new Float32Array(dims.h * dims.w * dims.c) },
): ImageOp | undefined {
  const cfg = record(config, path, 'an image augmentation config');
  checkKeys(cfg, path, 'image', inputShape);
  const square = dims.h === dims.w;
  const ops: ImageOp[] = [];
  const tmp = work.a;
  const when = (p: number, op: ImageOp): void => {
    if (p > 0) ops.push((img, rng) => (rng.uniform() < p ? op(img, rng) : undefined));
  };
  /** Runs `into(src=copy, dst=img)`: the op reads a copy of the sample and writes the sample itself. */
  const viaCopy = (img: Float32Array, into: (src: Float32Array, dst: Float32Array) => void): void => {
    tmp.set(img);
    into(tmp, img);
  };

  if (cfg.flipH !== undefined) when(prob(cfg.flipH, `${path}.flipH`), (img) => flipHInPlace(img, dims));
  if (cfg.flipV !== undefined) when(prob(cfg.flipV, `${path}.flipV`), (img) => flipVInPlace(img, dims));
  if (cfg.rotate90 !== undefined) {
    const p = prob(cfg.rotate90, `${path}.rotate90`);
    // Non-square images keep their shape only under a half turn, so they get k = 2 always (documented in augment.ts).
    when(p, (img, rng) => {
      const k = square ? ((1 + rng.int(3)) as 1 | 2 | 3) : 2;
      viaCopy(img, (s, d) => rotate90Into(s, d, dims, k));
    });
  }
  if (cfg.transpose !== undefined) {
    const p = prob(cfg.transpose, `${path}.transpose`);
    if (!square) {
      throw new OptionsError(
        `${path}.transpose needs a square image (h == w), got inputShape [${inputShape.join(', ')}]; remove transpose (flips and rotate90 by 180 keep the shape)`,
      );
    }
    when(p, (img) => viaCopy(img, (s, d) => transposeInto(s, d, dims)));
  }
  if (cfg.affine !== undefined) {
    const at = `${path}.affine`;
    const a = record(cfg.affine, at, '{ p, shift?, scale?, rotate? }');
    checkFields(a, at, ['p', 'shift', 'scale', 'rotate']);
    const p = prob(a.p, `${at}.p`);
    const shift = num(a.shift, `${at}.shift`, { min: 0, max: 1 }, 0.1);
    const scale = num(a.scale, `${at}.scale`, { min: 0, max: 1, maxOpen: true }, 0.1);
    const rotate = num(a.rotate, `${at}.rotate`, { min: 0, max: 180 }, 15);
    when(p, (img, rng) => {
      const params: AffineParams = {
        dx: rng.symmetric(shift) * dims.w,
        dy: rng.symmetric(shift) * dims.h,
        scale: 1 + rng.symmetric(scale),
        degrees: rng.symmetric(rotate),
      };
      viaCopy(img, (s, d) => affineInto(s, d, dims, params));
    });
  }
  if (cfg.blur !== undefined) {
    const at = `${path}.blur`;
    const b = record(cfg.blur, at, '{ p, radius? }');
    checkFields(b, at, ['p', 'radius']);
    const p = prob(b.p, `${at}.p`);
    const radius = num(b.radius, `${at}.radius`, { min: 1, integer: true }, 1);
    when(p, (img) => boxBlurInPlace(img, tmp, dims, radius));
  }
  if (cfg.oneOf !== undefined) {
    const at = `${path}.oneOf`;
    if (!Array.isArray(cfg.oneOf)) throw new OptionsError(`${at} must be an array of { p, of: [configs] }, got ${typeof cfg.oneOf}`);
    (cfg.oneOf as readonly unknown[]).forEach((g, gi) => {
      const gp = `${at}[${gi}]`;
      const group = record(g, gp, '{ p, of: [image configs] }');
      checkFields(group, gp, ['p', 'of']);
      const p = prob(group.p, `${gp}.p`);
      if (!Array.isArray(group.of) || group.of.length === 0) {
        throw new OptionsError(`${gp}.of must be a non-empty array of image augmentation configs, got ${show(group.of)}`);
      }
      // Members that can never change anything still count in the uniform draw: choosing one is "apply nothing".
      const members = (group.of as readonly unknown[]).map((m, mi) => compileImage(m, `${gp}.of[${mi}]`, dims, inputShape, work));
      when(p, (img, rng) => members[rng.int(members.length)]?.(img, rng));
    });
  }
  if (cfg.cutout !== undefined) {
    const at = `${path}.cutout`;
    const co = record(cfg.cutout, at, '{ p, size, holes? }');
    checkFields(co, at, ['p', 'size', 'holes']);
    const p = prob(co.p, `${at}.p`);
    const size = num(co.size, `${at}.size`, { min: 1, max: Math.max(dims.h, dims.w), integer: true });
    const holes = num(co.holes, `${at}.holes`, { min: 1, integer: true }, 1);
    when(p, (img, rng) => {
      for (let i = 0; i < holes; i++) cutoutAt(img, dims, rng.int(dims.h), rng.int(dims.w), size);
    });
  }
  if (cfg.noise !== undefined) {
    const { p, std } = noiseConfig(cfg.noise, `${path}.noise`);
    if (std > 0) when(p, (img, rng) => rng.addGaussian(img, std));
  }
  if (ops.length === 0) return undefined;
  if (ops.length === 1) return ops[0];
  return (img, rng) => {
    for (const op of ops) op(img, rng);
  };
}
