/**
 * Every error tunekit throws on purpose is made here, so messages stay consistent: they state the broken invariant, name the
 * field, path or file, and say how to fix it. Callers match on the class (or `code`), never on message text.
 */

/** Base class: `code` is stable and machine-readable. */
export class TunekitError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid options passed to a public function (validated up front, like piscina). */
export class OptionsError extends TypeError {
  readonly code = 'ERR_TUNEKIT_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/** A state change a trial cannot make (finishing a finished trial, reporting to a waiting one...). */
export class TrialStateError extends TunekitError {
  constructor(study: string, number: number, state: string, wanted: string) {
    super(
      'ERR_TUNEKIT_TRIAL_STATE',
      `trial ${number} of study "${study}" is ${state}, so it cannot ${wanted}; a finished trial can never change`,
    );
  }
}

export class TrialNotFoundError extends TunekitError {
  constructor(study: string, number: number) {
    super('ERR_TUNEKIT_TRIAL_NOT_FOUND', `study "${study}" has no trial ${number}`);
  }
}

export class StudyExistsError extends TunekitError {
  constructor(name: string, where: string) {
    super(
      'ERR_TUNEKIT_STUDY_EXISTS',
      `a study named "${name}" already exists in ${where}; pass loadIfExists: true to continue it, or choose another name`,
    );
  }
}

export class StudyNotFoundError extends TunekitError {
  constructor(name: string, where: string, known: readonly string[]) {
    super(
      'ERR_TUNEKIT_STUDY_NOT_FOUND',
      `no study named "${name}" in ${where}` + (known.length ? `; it holds: ${known.map((k) => `"${k}"`).join(', ')}` : ' (it holds none)'),
    );
  }
}

/** Another live process holds the write lock of a storage file. */
export class StorageLockedError extends TunekitError {
  /** `sameHost`: the holder runs on this machine, so its death would be detected and its lock taken over. */
  constructor(file: string, pid: number, host: string, sameHost = true) {
    super(
      'ERR_TUNEKIT_STORAGE_LOCKED',
      `${file} is open for writing by process ${pid} on ${host}; only one process may write a study file. ` +
        (sameHost
          ? `Stop that process first (a lock left by a dead process is taken over automatically)`
          : `A process on another host cannot be checked from here: once it is known to be gone, delete ${file}.lock`),
    );
  }
}

/** A storage file that cannot be read. Nothing is written over it. */
export class StorageCorruptError extends TunekitError {
  constructor(file: string, detail: string, backup?: string) {
    super(
      'ERR_TUNEKIT_STORAGE_CORRUPT',
      `${file} is corrupt or truncated (${detail}); it was left untouched. ` +
        (backup
          ? `The last good copy is ${backup}: inspect both, then copy the good one over ${file} to continue`
          : `No earlier good copy exists; restore ${file} from a backup or start a new study file`),
    );
  }
}

/** Unknown searcher type or bad searcher options. */
export class SearcherError extends TunekitError {
  constructor(message: string) {
    super('ERR_TUNEKIT_SEARCHER', message);
  }
}

/** A sweep where every one of the last N trials failed: something is wrong with the objective, not the params. */
export class TooManyFailuresError extends TunekitError {
  constructor(
    count: number,
    readonly lastError: string,
  ) {
    super(
      'ERR_TUNEKIT_TOO_MANY_FAILURES',
      `the last ${count} trials all failed (maxConsecutiveFailures = ${count}); the last error was: ${lastError}. ` +
        `Fix the objective, or raise maxConsecutiveFailures`,
    );
  }
}

/** The searcher has nothing left to propose (e.g. every grid point was tried). `optimize` ends normally on it. */
export class SearchExhaustedError extends TunekitError {
  constructor(study: string, searcher: string) {
    super('ERR_TUNEKIT_EXHAUSTED', `searcher "${searcher}" of study "${study}" has nothing left to propose`);
  }
}

/** A stored study does not match what `createStudy` was given with `loadIfExists`. */
export class StudyMismatchError extends TunekitError {
  constructor(name: string, field: string, stored: string, given: string) {
    super(
      'ERR_TUNEKIT_STUDY_MISMATCH',
      `study "${name}" is stored with ${field} ${stored}, but ${given} was given; use loadStudy() to continue it as stored, ` +
        `or another study name for a different ${field}`,
    );
  }
}

/**
 * Thrown by an objective (or by tunekit inside `ctx.report`) to end its trial as pruned. Like Optuna's TrialPruned: not a failure.
 */
export class TrialPruned extends Error {
  constructor(readonly reason = 'pruned by the objective') {
    super(reason);
    this.name = 'TrialPruned';
  }
}

/** A model that cannot be exported to ONNX (an unsupported layer, named), or an export whose parity check failed. */
export class ExportError extends TunekitError {
  constructor(message: string) {
    super('ERR_TUNEKIT_EXPORT', message);
  }
}

/** A checkpoint directory that cannot be read or written (missing model.json / weights.bin, size mismatch). */
export class CheckpointError extends TunekitError {
  constructor(message: string) {
    super('ERR_TUNEKIT_CHECKPOINT', message);
  }
}

/** A sweep file with problems; every problem is listed with its JSON path, and nothing was run. */
export class SweepFileError extends TunekitError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(
      'ERR_TUNEKIT_SWEEP_FILE',
      `${file} is not a valid sweep (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was run:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
}

/**
 * A worker's claim on a running trial is gone: the trial was failed as stale (no heartbeat within the grace period) and
 * retried elsewhere, finished, or belongs to another worker. The worker must stop the trial; anything it records is refused.
 */
export class StaleTrialError extends TunekitError {
  constructor(study: string, number: number, detail: string) {
    super(
      'ERR_TUNEKIT_STALE_TRIAL',
      `trial ${number} of study "${study}" no longer belongs to this worker (${detail}); stop running it: its reports and ` +
        `result would be refused. If this happens to live workers, raise the heartbeat grace period`,
    );
  }
}

/**
 * A storage server that cannot be used: unreachable after retrying, refusing the credentials, missing the database. The message
 * names the server with its password removed and says what to check; the driver's raw error is not attached.
 */
export class StorageUnavailableError extends TunekitError {
  constructor(where: string, detail: string, fix: string) {
    super('ERR_TUNEKIT_STORAGE_UNAVAILABLE', `the storage ${where} cannot be used: ${detail}; ${fix}`);
  }
}

/** A trainable module that cannot be read (deleted or moved since the sweep started, or no permission). */
export class TrainableError extends TunekitError {
  constructor(message: string) {
    super('ERR_TUNEKIT_TRAINABLE', message);
  }
}

/**
 * The trainable module's content differs from the one recorded when the sweep started: continuing would put results of two
 * programs in one study. `recorded` and `current` are sha256 hex digests of the module file.
 */
export class TrainableChangedError extends TunekitError {
  constructor(
    readonly module: string,
    readonly recorded: string,
    readonly current: string,
  ) {
    super(
      'ERR_TUNEKIT_TRAINABLE_CHANGED',
      `the trainable module ${module} changed since this sweep started (sha256 ${recorded.slice(0, 12)}… -> ${current.slice(0, 12)}…); ` +
        `results would mix two programs. Resume anyway with --allow-changed-trainable, or start a new sweep (another --out)`,
    );
  }
}
