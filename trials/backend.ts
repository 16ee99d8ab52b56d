/**
 * Backend selection for trials: `useBackend(name)` loads a TF.js backend once per process and makes it active.
 *
 * The default is `wasm` (XNNPACK, SIMD build, one thread in Node). Two gaps of the stock wasm backend are patched here, once,
 * right after it initialises (see `wasm-kernels.ts` for the measurements and the maths):
 * - matMul with `transposeA`/`transposeB` falls to a naive C++ loop (~30-40 ms for 128x784x256 versus ~2 ms on XNNPACK);
 *   every backward pass of a dense layer uses it, so we transpose explicitly and take the XNNPACK path;
 * - `Conv2DBackpropFilter` has no kernel at all in the wasm backend, so conv models could not train; we express it as a dilated conv2d.
 * Every backend also gets faster `Sum`/`Mean` gradients with the same values (`gradients.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { OptionsError } from '../src/core/errors.js';
import type { BackendName } from './types.js';
import { patchGradients } from './gradients.js';
import { patchWasmKernels } from './wasm-kernels.js';

/** Every name `useBackend` accepts. */
export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'];

/** Native packages behind the optional backends. */
const NATIVE_PACKAGE: Readonly<Record<'tensorflow' | 'tensorflow-gpu', string>> = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
};

/** Thrown when a backend cannot be loaded (package missing, init failed). */
export class BackendUnavailableError extends Error {
  readonly code = 'ERR_TUNEKIT_BACKEND_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/** Backends whose registration already ran in this process (so a second call only switches). */
const loaded = new Set<BackendName>();
/** One in-flight load per backend, so concurrent callers share it instead of racing `tf.setBackend`. */
const loading = new Map<BackendName, Promise<void>>();

/**
 * The folder holding the wasm binaries of the installed @tensorflow/tfjs-backend-wasm (with a trailing separator, as
 * `setWasmPaths` wants). Pointing the loader there works whether tunekit runs from source, dist or a bundle, and lets it
 * pick `tfjs-backend-wasm-simd.wasm` (Node 20 has SIMD; the threaded build is not used in Node).
 */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

async function loadWasm(): Promise<void> {
  // Importing the package registers the 'wasm' backend factory with tfjs-core.
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = wasmDistDir();
  // Harmless if the backend was already initialised elsewhere (it only throws after a failed init, which we report below).
  wasm.setWasmPaths(dist);
  if (!(await tf.setBackend('wasm'))) {
    throw new BackendUnavailableError(
      `the wasm backend failed to initialise (binaries looked up in ${dist}); reinstall @tensorflow/tfjs-backend-wasm or use backend 'cpu'`,
    );
  }
  await tf.ready();
  patchWasmKernels();
}

async function loadNative(name: 'tensorflow' | 'tensorflow-gpu'): Promise<void> {
  const pkg = NATIVE_PACKAGE[name];
  try {
    // A variable specifier keeps TypeScript (and bundlers) from requiring the optional package at build time.
    const specifier: string = pkg;
    await import(specifier);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new BackendUnavailableError(
      `backend '${name}' needs the optional package ${pkg}, which could not be loaded (${detail}). ` +
        `Install it with \`npm install ${pkg}\` on a machine with internet access to its prebuilt binary host, ` +
        `or use the default backend 'wasm' (or 'cpu')`,
    );
  }
  if (!(await tf.setBackend(name))) {
    throw new BackendUnavailableError(
      `${pkg} loaded but backend '${name}' failed to initialise; check that its native binary matches this platform, or use 'wasm'`,
    );
  }
  await tf.ready();
}

async function load(name: BackendName): Promise<void> {
  patchGradients();
  if (name === 'wasm') return loadWasm();
  if (name === 'cpu') {
    // The cpu backend is bundled with @tensorflow/tfjs; setBackend only fails if tfjs itself is broken.
    if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError(`backend 'cpu' failed to initialise`);
    await tf.ready();
    return;
  }
  return loadNative(name);
}

/**
 * Makes `name` the active TF.js backend and returns it. Called by `runTrial` before it builds anything (every tensor lives in
 * the active backend), and by benches/tests. The first call per backend loads it (wasm: binaries + kernel patches; native:
 * the optional package); later calls only switch, which is cheap. Concurrent calls share one load.
 *
 * @throws OptionsError for an unknown name (the message lists the valid ones).
 * @throws BackendUnavailableError when the backend's package is missing or fails to initialise; for 'tensorflow' /
 *   'tensorflow-gpu' the message names the package and how to install it.
 */
export async function useBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new OptionsError(`backend must be one of ${BACKEND_NAMES.map((b) => `'${b}'`).join(', ')}; got ${JSON.stringify(name)}`);
  }
  if (!loaded.has(name)) {
    let pending = loading.get(name);
    if (!pending) {
      pending = load(name).finally(() => loading.delete(name));
      loading.set(name, pending);
    }
    await pending;
    loaded.add(name);
  }
  if (tf.getBackend() !== name) {
    if (!(await tf.setBackend(name))) throw new BackendUnavailableError(`could not switch back to backend '${name}'`);
    await tf.ready();
  }
  return name;
}

/** The active backend's name as tunekit knows it (e.g. for TrialRunResult.backend). */
export function activeBackend(): BackendName {
  const name = tf.getBackend();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendUnavailableError(`the active TF.js backend '${name}' is not one tunekit supports (${BACKEND_NAMES.join(', ')})`);
}
