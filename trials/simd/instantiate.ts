/**
 * Our SIMD modules (trials/simd/*.wat), instantiated on the wasm backend's own memory so that they read and write tensors where
 * the backend keeps them, with no copy. The memory is the Emscripten module's `asm.memory` in TF.js 4.22's wasm backend; when
 * another build does not expose it there, the patches that need it are not installed and the stock kernels stay
 * (test/trials/simd.test.ts fails on the installed version if it cannot be found).
 */
import { WASM_BYTES } from './wasm-bytes.js';

/** The slice of the WebAssembly JS API used here (TypeScript declares it only in its DOM libraries, which we do not load). */
interface WasmApi {
  readonly Memory: abstract new (...args: never[]) => object;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}
const WasmJs = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** The parts of the wasm backend object read here: its Emscripten module's exports. */
interface EmscriptenBackend {
  readonly wasm?: { readonly asm?: { readonly memory?: unknown } };
}

/** The backend's linear memory (a `WebAssembly.Memory`), or undefined when this TF.js build does not expose it where 4.22 does. */
export function backendMemory(backend: unknown): object | undefined {
  const memory = (backend as EmscriptenBackend | null)?.wasm?.asm?.memory;
  return memory instanceof WasmJs.Memory ? memory : undefined;
}

/**
 * The exports of trials/simd/<name>.wat instantiated on `backend`'s memory, or undefined when the memory is not reachable.
 * Synchronous: the modules are a few hundred bytes.
 */
export function instantiateSimd(name: string, backend: unknown): Record<string, unknown> | undefined {
  const memory = backendMemory(backend);
  const bytes = WASM_BYTES[name];
  if (!memory) return undefined;
  if (bytes === undefined) throw new Error(`trials/simd: no module '${name}' in wasm-bytes.ts; run \`npm run wasm\``);
  const module = new WasmJs.Module(Buffer.from(bytes, 'base64'));
  return new WasmJs.Instance(module, { env: { memory } }).exports;
}

/** One exported function of trials/simd/<module>.wat instantiated on `backend`'s memory (see instantiateSimd). */
export function simdExport<F>(module: string, name: string, backend: unknown): F | undefined {
  return instantiateSimd(module, backend)?.[name] as F | undefined;
}
