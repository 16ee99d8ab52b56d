/**
 * Value handling shared by every storage backend: deep-frozen JSON copies of caller data, the JSON-safe encoding of non-finite
 * numbers, and the shape checks used when a stored file is read back. Kept apart from the state machine so the file backend can
 * validate a snapshot or journal line before anything is applied.
 */
import zlib from 'node:zlib';
import type { JsonValue } from '../core/types.js';

/**
 * Thrown by the `check*` readers when stored data has the wrong shape. The file backend turns it into a StorageCorruptError
 * naming the file; `path` says where inside the document the problem is (e.g. `studies["a"].trials[3].state`).
 */
export class ShapeError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'ShapeError';
  }
}

/** The strings that stand for non-finite numbers in stored JSON (JSON has no NaN/Infinity literals). */
const NON_FINITE: ReadonlySet<string> = new Set(['NaN', 'Infinity', '-Infinity']);

/**
 * Numbers a trial reports (value, intermediate values, metrics, budget) may be NaN or ±Infinity (a diverged loss). JSON would
 * turn them into `null`, so they are stored as the strings "NaN", "Infinity", "-Infinity". Only fields typed `number` are
 * encoded this way, so a string param that happens to read "NaN" is never confused with a number.
 */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** Inverse of {@link encodeNumber}; throws ShapeError for anything else. */
export function decodeNumber(x: unknown, path: string): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && NON_FINITE.has(x)) return Number(x);
  throw new ShapeError(path, `expected a number (or "NaN", "Infinity", "-Infinity"), got ${describe(x)}`);
}

/** Encodes every value of a metrics object with {@link encodeNumber}. */
export function encodeMetrics(m: { readonly [name: string]: number }): { [name: string]: number | string } {
  const out: { [name: string]: number | string } = {};
  for (const k of Object.keys(m)) setOwn(out, k, encodeNumber(m[k]!));
  return out;
}

/** Decodes a stored metrics object into a frozen one. */
export function decodeMetrics(x: unknown, path: string): { readonly [name: string]: number } {
  const o = checkObject(x, path);
  const out: { [name: string]: number } = {};
  for (const k of Object.keys(o)) setOwn(out, k, decodeNumber(o[k], `${path}[${JSON.stringify(k)}]`));
  return Object.freeze(out);
}

/**
 * Deep copy of a caller's JSON value, deep-frozen so stored state can be handed out without further copies. Rejects what
 * JSON cannot carry faithfully (undefined inside arrays, functions, class instances, NaN/Infinity) with a TypeError naming the
 * path: the file backend would otherwise silently store `null` where the in-memory backend keeps NaN. `undefined` object
 * properties are dropped, as JSON.stringify does.
 */
export function freezeJson(x: unknown, path: string): JsonValue {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) {
      throw new TypeError(`${path} must be JSON, so a finite number, got ${x}; store it as a string (e.g. "${x}") instead`);
    }
    return x;
  }
  if (Array.isArray(x)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < x.length; i++) out.push(freezeJson(x[i], `${path}[${i}]`));
    return Object.freeze(out) as JsonValue[];
  }
  if (typeof x === 'object') {
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${path} must be a plain JSON object, got an instance of ${describe(x)}; convert it with toJSON() first`);
    }
    const out: { [key: string]: JsonValue } = {};
    const o = x as { [key: string]: unknown };
    for (const k of Object.keys(o)) {
      if (o[k] === undefined) continue;
      setOwn(out, k, freezeJson(o[k], `${path}[${JSON.stringify(k)}]`));
    }
    return Object.freeze(out);
  }
  throw new TypeError(`${path} must be JSON (null, boolean, number, string, array or plain object), got ${describe(x)}`);
}

/** {@link freezeJson} for values that must be a JSON object (params, userAttrs, system). */
export function freezeJsonObject(x: unknown, path: string): { readonly [key: string]: JsonValue } {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    throw new TypeError(`${path} must be a plain JSON object, got ${describe(x)}`);
  }
  return freezeJson(x, path) as { readonly [key: string]: JsonValue };
}

/**
 * Assigns an own property even for the key "__proto__" (plain assignment would change the prototype instead, silently
 * dropping a study or param named "__proto__").
 */
export function setOwn<T>(o: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') {
    const name = (x as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? name : 'an object';
  }
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? x.slice(0, 40) + '...' : x);
  if (typeof x === 'undefined') return 'undefined';
  if (typeof x === 'function') return 'a function';
  return `${typeof x} ${String(x as number | boolean | bigint | symbol)}`;
}

/* ---- readers for stored data: each returns the narrowed value or throws ShapeError ---- */

/** A plain (non-array) object. */
export function checkObject(x: unknown, path: string): { readonly [key: string]: unknown } {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new ShapeError(path, `expected an object, got ${describe(x)}`);
  return x as { readonly [key: string]: unknown };
}

/** An array. */
export function checkArray(x: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(x)) throw new ShapeError(path, `expected an array, got ${describe(x)}`);
  return x;
}

/** A string. */
export function checkString(x: unknown, path: string): string {
  if (typeof x !== 'string') throw new ShapeError(path, `expected a string, got ${describe(x)}`);
  return x;
}

/** A non-negative safe integer (trial numbers, sequence numbers). */
export function checkIndex(x: unknown, path: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new ShapeError(path, `expected a non-negative integer, got ${describe(x)}`);
  }
  return x;
}

/** A JSON object read from a file, re-frozen (JSON.parse output is already plain JSON, so no further checks are needed). */
export function checkJsonObject(x: unknown, path: string): { readonly [key: string]: JsonValue } {
  checkObject(x, path);
  return freezeJson(x, path) as { readonly [key: string]: JsonValue };
}

/** A string or undefined (an optional field). */
export function optString(x: unknown, path: string): string | undefined {
  return x === undefined ? undefined : checkString(x, path);
}

/* ---- checksummed lines: the framing of snapshot chunks and journal records ---- */

let crcTable: Uint32Array | undefined;
/**
 * CRC-32 (IEEE) of a string's UTF-8 bytes, or of bytes, continuing from `initial` (the CRC of what came before); zlib's
 * native one where Node has it (>= 20.15), else a table-driven fallback.
 */
export function crc32(data: string | Uint8Array, initial = 0): number {
  const native = (zlib as { crc32?: (data: string | Uint8Array, value?: number) => number }).crc32;
  if (native) return native(data, initial);
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (initial ^ 0xffffffff) >>> 0;
  for (const byte of typeof data === 'string' ? Buffer.from(data, 'utf8') : data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const FRAME_PREFIX = '{"c":"';
/** Length of `{"c":"xxxxxxxx",`: the checksum field every framed line starts with. */
const FRAME_HEAD = FRAME_PREFIX.length + 8 + 2;

/**
 * One stored line for a non-empty JSON object `json` (`JSON.stringify` output): the same object with a leading `"c"` field
 * holding the CRC-32 of `json`, e.g. `{"c":"1a2b3c4d","seq":5,...}`. The line stays plain JSON (readable with jq), and the
 * checksum covers every byte of the record, so a flipped bit that still parses (a digit of a timestamp) is caught.
 */
export function frame(json: string): string {
  return `${FRAME_PREFIX}${crc32(json).toString(16).padStart(8, '0')}",${json.slice(1)}`;
}

/** The JSON text of a framed line (without `"c"`), or undefined if the line is not framed or its checksum does not match. */
export function unframe(line: string): string | undefined {
  if (!line.startsWith(FRAME_PREFIX) || line[FRAME_HEAD - 2] !== '"' || line[FRAME_HEAD - 1] !== ',') return undefined;
  const json = `{${line.slice(FRAME_HEAD)}`;
  const sum = Number.parseInt(line.slice(FRAME_PREFIX.length, FRAME_PREFIX.length + 8), 16);
  return Number.isNaN(sum) || crc32(json) !== sum ? undefined : json;
}

const CRC_OF_BRACE = crc32('{');

/**
 * True if bytes `start..end` of `buf` (one line, without its newline) are a framed line whose checksum matches. Checks the
 * bytes in place, so a reader can then `JSON.parse` the line once (the `"c"` field it keeps is ignored by the decoders).
 */
export function framedOk(buf: Buffer, start: number, end: number): boolean {
  if (end - start <= FRAME_HEAD || buf.toString('latin1', start, start + FRAME_PREFIX.length) !== FRAME_PREFIX) return false;
  if (buf[start + FRAME_HEAD - 2] !== 0x22 || buf[start + FRAME_HEAD - 1] !== 0x2c) return false;
  const hex = buf.toString('latin1', start + FRAME_PREFIX.length, start + FRAME_PREFIX.length + 8);
  if (!/^[0-9a-f]{8}$/.test(hex)) return false;
  return crc32(buf.subarray(start + FRAME_HEAD, end), CRC_OF_BRACE) === Number.parseInt(hex, 16);
}
