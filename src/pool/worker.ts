/**
 * The piscina worker entry: one task = one trial. Each worker thread lives for the whole sweep, so what it loads once (the
 * TF.js backend, a user module) is reused by every trial it runs.
 *
 * Loading: piscina first `require()`s this file, then falls back to `import()`. Run from source under `node --import tsx`, the
 * tsx hooks a worker thread inherits only cover `require` (Node 20 does not apply the ESM hooks registered by `--import` to
 * worker threads), so this file avoids top-level await and imports nothing but types and the protocol statically; before its
 * first dynamic import it registers tsx's ESM loader itself (`tsx/esm/api` `register()`), which is also what lets a compiled
 * tunekit load a user's `.ts` trainable.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { Metrics } from '../core/types.js';
import {
  errorOutcome,
  isControllerReply,
  type ControllerReply,
  type Decision,
  type AttrRequest,
  type ReportRequest,
  type StartedRequest,
  type TrialOutcome,
  type WorkerRequest,
  type WorkerTask,
} from './protocol.js';

/** Registers tsx's ESM hooks once per thread, when this thread will import TypeScript. */
let tsxReady: Promise<void> | undefined;

function needsTsx(task: WorkerTask): boolean {
  return import.meta.url.endsWith('.ts') || (task.trainable.kind === 'module' && /\.[cm]?tsx?$/.test(task.trainable.path));
}

async function registerTsx(): Promise<void> {
  let api: { register: () => unknown };
  try {
    // A variable specifier: tsx is only needed for TypeScript trainables, so it is not a static dependency of this file.
    const specifier: string = 'tsx/esm/api';
    api = (await import(specifier)) as { register: () => unknown };
  } catch (error) {
    throw new Error(
      `a .ts trainable needs the tsx package (its ESM loader compiles TypeScript in the worker), which could not be loaded: ` +
        `${error instanceof Error ? error.message : String(error)}. Install it (\`npm install tsx\`) or compile the trainable to .js`,
    );
  }
  api.register();
}

/**
 * The trial's end of its MessageChannel: numbered requests, each resolved by the controller's reply with the same `seq`, and
 * the trial's AbortSignal, aborted by a `prune` answer or an `abort` push.
 */
export class TaskChannel {
  readonly #port: MessagePort;
  readonly #abort = new AbortController();
  readonly #pending = new Map<number, (reply: ControllerReply) => void>();
  #seq = 0;
  /** Set once the controller answered prune, or pushed abort. */
  stopped: 'prune' | 'abort' | undefined;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (msg: unknown) => {
      if (!isControllerReply(msg)) return;
      if (msg.seq === 0) {
        this.#stop('abort');
        // A trial blocked in a report still gets its answer.
        for (const resolve of this.#pending.values()) resolve(msg);
        this.#pending.clear();
        return;
      }
      const resolve = this.#pending.get(msg.seq);
      this.#pending.delete(msg.seq);
      resolve?.(msg);
    });
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  #stop(kind: 'prune' | 'abort'): void {
    this.stopped ??= kind;
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error(kind === 'prune' ? 'the trial was pruned' : 'the sweep is stopping'));
  }

  /** Sends a request and waits for its answer; throws the controller's error message if the request was rejected. */
  async request(request: Omit<ReportRequest, 'seq'> | Omit<AttrRequest, 'seq'> | Omit<StartedRequest, 'seq'>): Promise<Decision> {
    const seq = ++this.#seq;
    const reply = await new Promise<ControllerReply>((resolve) => {
      this.#pending.set(seq, resolve);
      this.#port.postMessage({ ...request, seq } as WorkerRequest);
    });
    if (reply.error !== undefined) throw new Error(reply.error);
    if (reply.action !== 'continue') this.#stop(reply.action === 'prune' ? 'prune' : 'abort');
    return reply.action;
  }

  /** An intermediate report; answers the controller's decision. */
  report(step: number, value: number | Metrics, curve?: Metrics): Promise<Decision> {
    return this.request({ type: 'report', step, value, ...(curve ? { curve } : {}) });
  }

  close(): void {
    this.#port.close();
  }
}

// Warm-up while the thread waits for its first task: register tsx (when running from source), load the trainables module and,
// for built-in trainer sweeps, TF.js and its backend (about a second per thread), so the first trial does not pay for them.
// Failures are ignored here: the trial that needs the piece fails with the error.
if (import.meta.url.endsWith('.ts')) tsxReady = registerTsx();
const preload = (workerData as { preload?: unknown } | null | undefined)?.preload;
void (tsxReady ?? Promise.resolve())
  .then(() => import('./trainables.js'))
  .then(async () => {
    if (typeof preload !== 'string') return;
    const [{ useBackend }] = await Promise.all([import('../../trials/backend.js'), import('../../trials/loop.js')]);
    await useBackend(preload as Parameters<typeof useBackend>[0]);
  })
  .catch(() => undefined);

/** Runs one trial task (called by piscina). Never throws: failures come back as an `error` outcome with message and stack. */
export default async function runTask(task: WorkerTask): Promise<TrialOutcome> {
  const channel = new TaskChannel(task.port);
  // Not awaited: the answer only matters if it is an abort, which reaches the trial through its signal anyway.
  void channel.request({ type: 'started' }).catch(() => undefined);
  try {
    if (needsTsx(task)) await (tsxReady ??= registerTsx());
    const { runBuiltin, runModule } = await import('./trainables.js');
    return task.trainable.kind === 'builtin' ? await runBuiltin(task, channel) : await runModule(task, task.trainable.path, channel);
  } catch (error) {
    return errorOutcome('error', error, channel.stopped);
  } finally {
    channel.close();
  }
}
