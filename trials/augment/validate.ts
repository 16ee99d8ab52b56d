/**
 * Field checks shared by the image and tabular compilers. Each takes the config path (e.g. `augment.oneOf[0].of[1].affine`) so
 * errors name exactly the field to fix. All throw `OptionsError` (augmentation configs are options validated up front).
 */
import { OptionsError } from '../../src/core/errors.js';

/** Keys an image input (`inputShape` [h, w, c]) accepts, in application order (see `image.ts`). */
export const IMAGE_KEYS = ['flipH', 'flipV', 'rotate90', 'transpose', 'affine', 'blur', 'oneOf', 'cutout', 'noise'] as const;
/** Keys a tabular input (`inputShape` [features]) accepts, in application order (see `tabular.ts`). */
export const TABULAR_KEYS = ['mixup', 'featureDropout', 'noise'] as const;

export type Kind = 'image' | 'tabular';

/** Describes a value for an error message without dumping huge objects. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

/** `v` must be a plain object; returns it as a record. */
export function record(v: unknown, path: string, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new OptionsError(`${path} must be an object (${what}), got ${show(v)}`);
  }
  return v as Record<string, unknown>;
}

/**
 * Every key of `obj` must be one of `known` for this input kind. A key that belongs to the other kind gets a message saying
 * it does not fit this input; any other key gets the list of known keys.
 */
export function checkKeys(obj: Record<string, unknown>, path: string, kind: Kind, inputShape: readonly number[]): void {
  const known: readonly string[] = kind === 'image' ? IMAGE_KEYS : TABULAR_KEYS;
  const other: readonly string[] = kind === 'image' ? TABULAR_KEYS : IMAGE_KEYS;
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const shape = `[${inputShape.join(', ')}]`;
    if (other.includes(key)) {
      throw new OptionsError(
        kind === 'image'
          ? `${path}.${key} is a tabular augmentation, but inputShape ${shape} is an image; image inputs take: ${known.join(', ')}`
          : `${path}.${key} is an image augmentation, but inputShape ${shape} is tabular (rank 1); tabular inputs take: ${known.join(', ')}`,
      );
    }
    throw new OptionsError(
      `${path}.${key} is not a known augmentation; ${kind} inputs (inputShape ${shape}) take: ${known.join(', ')}` +
        ` (image inputs: ${IMAGE_KEYS.join(', ')}; tabular inputs: ${TABULAR_KEYS.join(', ')})`,
    );
  }
}

/** Sub-object keys must be among `known` (e.g. affine takes p, shift, scale, rotate). */
export function checkFields(obj: Record<string, unknown>, path: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new OptionsError(`${path}.${key} is not a known field; ${path} takes: ${known.join(', ')}`);
  }
}

/** A probability: finite number in [0, 1]. */
export function prob(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new OptionsError(`${path} is a probability and must be a number in [0, 1], got ${show(v)}`);
  }
  return v;
}

/** A finite number in [min, max] (`maxOpen`: strictly below max); `fallback` when absent. */
export function num(
  v: unknown,
  path: string,
  range: { min: number; max?: number; maxOpen?: boolean; minOpen?: boolean; integer?: boolean },
  fallback?: number,
): number {
  if (v === undefined && fallback !== undefined) return fallback;
  const { min, max = Number.POSITIVE_INFINITY, maxOpen = false, minOpen = false, integer = false } = range;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (minOpen ? v > min : v >= min) &&
    (maxOpen ? v < max : v <= max) &&
    (!integer || Number.isInteger(v));
  if (!ok) {
    const lo = `${minOpen ? '>' : '>='} ${min}`;
    const hi = max === Number.POSITIVE_INFINITY ? '' : ` and ${maxOpen ? '<' : '<='} ${max}`;
    throw new OptionsError(`${path} must be ${integer ? 'an integer' : 'a finite number'} ${lo}${hi}, got ${show(v)}`);
  }
  return v;
}

/** Parses the `noise: { p, std }` entry shared by image and tabular configs. */
export function noiseConfig(raw: unknown, at: string): { p: number; std: number } {
  const nz = record(raw, at, '{ p, std }');
  checkFields(nz, at, ['p', 'std']);
  return { p: prob(nz.p, `${at}.p`), std: num(nz.std, `${at}.std`, { min: 0 }) };
}
