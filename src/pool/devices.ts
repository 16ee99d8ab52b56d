/**
 * Devices run trials. `cpu` is a piscina pool of worker threads inside the controller process. Each `gpu:N` is a child process
 * started with `CUDA_VISIBLE_DEVICES=N` (a CUDA context belongs to a process, so one process per GPU) that hosts its own
 * piscina pool of `trialsPerDevice` threads and speaks the same protocol over IPC (see device-child.ts).
 *
 * Both implement {@link Device}: `start(task, onRequest)` returns a handle whose `outcome` always resolves (never rejects):
 * a worker that died resolves `{ kind: 'crash' }` and is replaced by piscina; a killed task resolves `{ kind: 'killed' }`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { OptionsError } from '../core/errors.js';
import {
  errorOutcome,
  isTrialOutcome,
  isWorkerRequest,
  type ControllerReply,
  type FromDeviceChild,
  type RunTrialTask,
  type SharedDataset,
  type ToDeviceChild,
  type TrialOutcome,
  type WorkerRequest,
} from './protocol.js';
import { toPlain, toShared } from './shared-data.js';
import { defaultWorkers, deviceProblems } from './slots.js';

/** Answers one request of a running trial (an epoch report or a user attribute). */
export type RequestHandler = (request: WorkerRequest) => Promise<ControllerReply>;

/** A trial running on a device. */
export interface RunHandle {
  /** Resolves once the trial ended, whatever happened; all of its requests were answered before. */
  readonly outcome: Promise<TrialOutcome>;
  /** Cooperative stop: pushes an `abort` decision; the trial's signal aborts and it ends within one batch. */
  stop(): void;
  /** Hard stop: terminates the worker running the trial (timeouts, a second Ctrl-C); the outcome is `killed`. */
  kill(): void;
}

/** Where trials run. Created by {@link createDevices}; closed by the pool when the sweep ends. */
export interface Device {
  readonly name: string;
  /** Trials this device runs at once (worker threads). */
  readonly capacity: number;
  /** Extra environment of the process hosting the device's threads (what a trial sees in process.env). */
  readonly env: { readonly [key: string]: string };
  start(task: RunTrialTask, onRequest: RequestHandler): RunHandle;
  /** Waits for running tasks, then stops the threads/process. */
  close(): Promise<void>;
  /** Terminates at once. */
  destroy(): Promise<void>;
}

/** Options shared by every device of a pool. */
export interface DeviceOptions {
  /** Threads of the `cpu` device (default: available cores). */
  readonly workers?: number;
  /** Threads per `gpu:N` device (default 1). */
  readonly trialsPerDevice?: number;
  /** V8 heap limit per worker thread (resourceLimits.maxOldGenerationSizeMb); a trial above it fails as 'worker crashed'. */
  readonly workerMemoryMb?: number;
  /** The dataset every trial gets (moved into shared memory once per process). */
  readonly data?: SharedDataset;
  /** The TF.js backend a device's threads load when they start (built-in trainer), by device name; undefined: none. */
  readonly preload?: (device: string) => string | undefined;
}

/** Per-device options of ThreadDevice / ProcessDevice. */
interface HostOptions {
  readonly workerMemoryMb?: number;
  readonly data?: SharedDataset;
  readonly preload?: string;
}

/** Like the file's own extension: workers and children are .ts under tsx (source) and .js in dist. */
function sibling(name: string): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, import.meta.url);
}

/** Classifies a rejected piscina task: aborted by us (killed) or a dead worker (crash). */
function rejected(error: unknown, killed: boolean): TrialOutcome {
  if (killed) return errorOutcome('killed', new Error('the trial was stopped by the controller (its worker was terminated)'));
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return errorOutcome('crash', new Error(`worker crashed: ${message}${typeof code === 'string' ? ` (${code})` : ''}`));
}

/** Worker threads in this process (the `cpu` device, and each device child's threads). */
export class ThreadDevice implements Device {
  readonly #pool: Piscina;
  readonly #data: SharedDataset | undefined;

  constructor(
    readonly name: string,
    readonly capacity: number,
    options: HostOptions,
    readonly env: { readonly [key: string]: string } = {},
  ) {
    this.#data = options.data ? toShared(options.data) : undefined;
    this.#pool = new Piscina({
      filename: sibling('worker').href,
      minThreads: capacity,
      maxThreads: capacity,
      idleTimeout: 2 ** 31 - 1, // threads live for the whole sweep: each loads its backend and modules once
      // Not piscina's default 'sync' (idle workers blocked in Atomics.wait, messages read with receiveMessageOnPort): that
      // froze an idle worker's warm-up (backend preload), and the MessagePort of every task leaked ~4 KB of RSS (measured:
      // +90 MB over 20,000 tasks with 'sync', flat with 'disabled'). Trials are long; the event-based wake-up costs nothing.
      atomics: 'disabled',
      workerData: { preload: options.preload },
      ...(options.workerMemoryMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.workerMemoryMb } } : {}),
    });
  }

  start(task: RunTrialTask, onRequest: RequestHandler): RunHandle {
    const { port1, port2 } = new MessageChannel();
    const kill = new AbortController();
    port1.on('message', (msg: unknown) => {
      if (!isWorkerRequest(msg)) return;
      onRequest(msg).then(
        (reply) => port1.postMessage(reply),
        (error: unknown) =>
          port1.postMessage({
            type: 'decision',
            seq: msg.seq,
            action: 'continue',
            error: String((error as Error)?.message ?? error),
          } satisfies ControllerReply),
      );
    });
    const outcome = this.#pool
      .run({ ...task, ...(this.#data ? { data: this.#data } : {}), port: port2 }, { transferList: [port2], signal: kill.signal })
      .then(
        (out: unknown) =>
          isTrialOutcome(out) ? out : errorOutcome('error', new Error(`the worker returned an unexpected value: ${JSON.stringify(out)}`)),
        (error: unknown) => rejected(error, kill.signal.aborted),
      )
      .finally(() => port1.close());
    return {
      outcome,
      stop: () => port1.postMessage({ type: 'decision', seq: 0, action: 'abort' } satisfies ControllerReply),
      kill: () => kill.abort(),
    };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  destroy(): Promise<void> {
    return this.#pool.destroy();
  }
}

interface ChildRun {
  readonly resolve: (o: TrialOutcome) => void;
  readonly onRequest: RequestHandler;
}

/**
 * A `gpu:N` device: a child process with CUDA_VISIBLE_DEVICES=N hosting a ThreadDevice. If the process dies (a native crash,
 * a kill), every trial it was running ends as 'worker crashed' and the next trial starts a fresh process.
 */
export class ProcessDevice implements Device {
  readonly env: { readonly [key: string]: string };
  #child: ChildProcess | undefined;
  #ready: Promise<ChildProcess> | undefined;
  readonly #runs = new Map<number, ChildRun>();
  #nextId = 1;
  readonly #plainData: SharedDataset | undefined;

  constructor(
    readonly name: string,
    readonly capacity: number,
    private readonly options: HostOptions,
  ) {
    this.env = { CUDA_VISIBLE_DEVICES: name.slice('gpu:'.length) };
    this.#plainData = options.data ? toPlain(options.data) : undefined;
  }

  #spawn(): Promise<ChildProcess> {
    const child = fork(sibling('device-child'), [], {
      env: { ...process.env, ...this.env },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`device ${this.name}: its process exited at start-up (code ${String(code)}, signal ${String(signal)})`));
      child.once('exit', onExit);
      child.on('message', (msg: FromDeviceChild) => {
        if (msg.type === 'ready') {
          child.off('exit', onExit);
          resolve(child);
        } else this.#onMessage(msg);
      });
    });
    child.once('exit', (code, signal) => {
      if (this.#child === child) {
        this.#child = undefined;
        this.#ready = undefined;
      }
      const runs = [...this.#runs.values()];
      this.#runs.clear();
      const why =
        `worker crashed: the process of device ${this.name} exited (${signal ? `signal ${signal}` : `code ${String(code)}`})` +
        (runs.length > 1 ? ` while ${runs.length} trials ran on it` : '');
      for (const r of runs) r.resolve(errorOutcome('crash', new Error(why)));
    });
    const init: ToDeviceChild = {
      type: 'init',
      device: this.name,
      threads: this.capacity,
      ...(this.options.workerMemoryMb !== undefined ? { workerMemoryMb: this.options.workerMemoryMb } : {}),
      ...(this.options.preload !== undefined ? { preload: this.options.preload } : {}),
      ...(this.#plainData ? { data: this.#plainData } : {}),
    };
    child.send(init);
    return ready;
  }

  #onMessage(msg: FromDeviceChild): void {
    if (msg.type === 'request') {
      const run = this.#runs.get(msg.id);
      if (!run) return;
      const reply = (r: ControllerReply) => this.#send({ type: 'reply', id: msg.id, reply: r });
      run
        .onRequest(msg.request)
        .then(reply, (error: unknown) =>
          reply({ type: 'decision', seq: msg.request.seq, action: 'continue', error: String((error as Error)?.message ?? error) }),
        );
    } else if (msg.type === 'done') {
      const run = this.#runs.get(msg.id);
      this.#runs.delete(msg.id);
      run?.resolve(msg.outcome);
    } else if (msg.type === 'fatal') {
      process.stderr.write(`tunekit: device ${this.name}: ${msg.message}\n`);
    }
  }

  #send(msg: ToDeviceChild): void {
    if (this.#child?.connected) this.#child.send(msg);
  }

  start(task: RunTrialTask, onRequest: RequestHandler): RunHandle {
    const id = this.#nextId++;
    let killed = false;
    const outcome = new Promise<TrialOutcome>((resolve) => {
      this.#runs.set(id, { resolve, onRequest });
      (this.#ready ??= this.#spawn()).then(
        () => (killed ? resolve(errorOutcome('killed', new Error('stopped before it started'))) : this.#send({ type: 'run', id, task })),
        (error: unknown) => {
          this.#ready = undefined;
          this.#runs.delete(id);
          resolve(errorOutcome('crash', error));
        },
      );
    });
    return {
      outcome,
      stop: () => this.#send({ type: 'reply', id, reply: { type: 'decision', seq: 0, action: 'abort' } }),
      kill: () => {
        killed = true;
        this.#send({ type: 'kill', id });
      },
    };
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      this.#send({ type: 'close' });
    });
  }

  async destroy(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** Builds the devices of a pool from a validated list; throws OptionsError listing the problems of a bad one. */
export function createDevices(devices: readonly string[], options: DeviceOptions): Device[] {
  const problems = deviceProblems(devices);
  if (problems.length) throw new OptionsError(`devices: ${problems.join('; ')}`);
  const shared = options.data ? toShared(options.data) : undefined;
  const common = {
    ...(options.workerMemoryMb !== undefined ? { workerMemoryMb: options.workerMemoryMb } : {}),
    ...(shared ? { data: shared } : {}),
  };
  return devices.map((d) => {
    const preload = options.preload?.(d);
    const host = { ...common, ...(preload !== undefined ? { preload } : {}) };
    return d === 'cpu'
      ? new ThreadDevice('cpu', options.workers ?? defaultWorkers(), host)
      : new ProcessDevice(d, options.trialsPerDevice ?? 1, host);
  });
}
