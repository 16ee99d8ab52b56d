/**
 * Optimisers for the trial loop: adam, adamw, sgd (plain, momentum, nesterov) and rmsprop, behind one `TrainOptimizer` whose
 * learning rate the loop sets before every step (the schedule's value for that batch).
 *
 * Why the wrapper is needed (TF.js 4.22, tfjs-core/dist/optimizers/*.js):
 * - SGD and Momentum multiply by a scalar tensor `c = -lr` captured in `setLearningRate`; assigning the `learningRate` field
 *   has no effect on them, so we must call `setLearningRate`. (Momentum's `dispose()` forgets to free `c`, so we free it.)
 * - Adam and RMSProp read the `learningRate` field at apply time and have no `setLearningRate`; we assign the field.
 * - Every TF.js optimiser keeps its slots (moments, accumulators) in an array indexed by the *position* of a variable in the
 *   gradient map, not by its name. A map whose keys come in another order (or with a key missing) would silently update a
 *   variable with another variable's moments. We therefore always pass the gradients as an array in one fixed order (first
 *   sight of each name), with absent gradients left `undefined`, which the TF.js optimisers skip.
 * On wasm none of that applies: the same rules run as one JS loop per variable over the wasm heap (heap-optimizers.ts), since
 * the TF.js optimisers' dozen ops per variable were a large part of a small model's batch. `step` also folds in the
 * global-norm clip there.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../src/core/errors.js';
import { checkClipNorm, clipByGlobalNorm, globalNorm } from './clip.js';
import { HeapOptimizer, type HeapRule, type HeapTarget } from './heap-optimizers.js';
import { show } from './show.js';
import { wasmHeap } from './wasm-heap.js';
import type { OptimizerConfig, TrainOptimizer } from './types.js';

/** Every optimiser `type` `makeOptimizer` accepts. */
export const OPTIMIZER_TYPES = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;

const FIELDS: Record<string, readonly string[]> = {
  adam: ['lr', 'beta1', 'beta2', 'epsilon'],
  adamw: ['lr', 'weightDecay', 'beta1', 'beta2', 'epsilon'],
  sgd: ['lr', 'momentum', 'nesterov'],
  rmsprop: ['lr', 'decay', 'momentum', 'epsilon'],
};

/** How the learning rate reaches the TF.js optimiser (see the file comment). */
type RateMode = 'setter' | 'field';

/**
 * Builds the optimiser described by `config`. Called once per trial by the training loop, after the model is built.
 * Throws `OptionsError` naming the field (e.g. `optimizer.beta1`) for an unknown type or field or an out-of-range value.
 *
 * Invariants of the result: `setLearningRate(lr)` takes effect on the next `applyGradients` for every type;
 * `applyGradients(grads)` never disposes `grads` and leaves no intermediate tensors; `dispose()` frees every slot the
 * optimiser created (after it, any call throws).
 *
 * AdamW: an Adam step plus decoupled weight decay `w <- w - lr * weightDecay * w` (Loshchilov & Hutter 2019), applied to the
 * weights before the Adam update (so it uses the pre-step weights, as PyTorch's AdamW does), with the current lr, and only to
 * variables present in `grads` that are matrices/kernels: variables of rank < 2 (biases, batch-norm/layer-norm scales and
 * offsets, scalars) and variables whose own name (the part after the last '/') contains 'bias', 'gamma' or 'beta' are not
 * decayed, as usual for AdamW.
 */
export function makeOptimizer(config: OptimizerConfig): TrainOptimizer {
  const cfg = checkConfig(config);
  const lr0 = cfg.lr as number;
  let lr = lr0;
  const weightDecay = cfg.type === 'adamw' ? (cfg.weightDecay as number) : 0;
  checkDecayFactor(lr0, weightDecay, 'optimizer.lr');
  const rule = ruleOf(cfg);
  // On wasm the step runs as JS loops over the heap (heap-optimizers.ts); elsewhere through the TF.js optimiser. Chosen once:
  // the two keep their slots apart, so one optimiser must not switch between them.
  const heap = wasmHeap();
  const onHeap = heap ? new HeapOptimizer(rule, heap) : undefined;
  const opt = onHeap ? undefined : tfOptimizer(rule, lr0);

  const order: string[] = [];
  const seen = new Set<string>();
  const decays = new Map<string, boolean>();
  let disposed = false;
  const alive = (what: string): void => {
    if (disposed) throw new OptionsError(`optimizer.${what}() was called after dispose(); build a new optimiser with makeOptimizer`);
  };

  /** Checks and records every new name (its place in the TF.js slot order, whether AdamW decays it). */
  const register = (names: readonly string[], registry: Record<string, tf.Variable>, method: string): void => {
    for (const name of names) {
      if (seen.has(name)) continue;
      const v = registry[name];
      if (v === undefined) {
        throw new OptionsError(
          `optimizer.${method}: no variable named "${name}" is registered (disposed, or not a name from tf.variableGrads); ` +
            `key the gradient map by variable name`,
        );
      }
      seen.add(name);
      order.push(name);
      decays.set(name, weightDecay > 0 && isDecayed(name, v.rank));
    }
  };

  /** The heap path's targets: every variable with a gradient in `grads`. */
  const targets = (grads: tf.NamedTensorMap, registry: Record<string, tf.Variable>): HeapTarget[] => {
    const out: HeapTarget[] = [];
    for (const name of Object.keys(grads)) {
      const gradient = grads[name];
      if (gradient != null) out.push({ variable: registry[name]!, gradient, decayed: decays.get(name) === true });
    }
    return out;
  };

  /** The TF.js path: decoupled decay as its own ops, then the TF.js optimiser. */
  const applyTf = (tfOpt: TfOptimizer, grads: tf.NamedTensorMap, registry: Record<string, tf.Variable>): void => {
    if (weightDecay > 0) {
      const factor = 1 - lr * weightDecay;
      tf.tidy(() => {
        for (const name of Object.keys(grads)) {
          if (decays.get(name) === true && grads[name] != null) {
            const v = registry[name]!;
            v.assign(tf.mul(v, factor));
          }
        }
      });
    }
    // Fixed order, holes as undefined: TF.js skips a null/undefined gradient but keeps the slot index stable.
    const list = order.map((name) => ({ name, tensor: grads[name] as tf.Tensor }));
    tfOpt.opt.applyGradients(list);
  };

  return {
    setLearningRate(next: number): void {
      alive('setLearningRate');
      if (typeof next !== 'number' || !Number.isFinite(next) || next < 0) {
        throw new OptionsError(`optimizer.setLearningRate(lr) needs a finite lr >= 0, got ${String(next)}; check the schedule`);
      }
      checkDecayFactor(next, weightDecay, 'setLearningRate(lr)');
      if (next === lr) return; // SGD's setter allocates a new scalar; skip when unchanged
      lr = next;
      if (opt?.mode === 'setter') (opt.opt as tf.SGDOptimizer).setLearningRate(next);
      else if (opt) (opt.opt as unknown as { learningRate: number }).learningRate = next;
    },

    applyGradients(grads: tf.NamedTensorMap): void {
      alive('applyGradients');
      const names = Object.keys(grads);
      if (names.length === 0) return;
      const registry = tf.engine().registeredVariables;
      register(names, registry, 'applyGradients');
      if (onHeap) onHeap.apply(targets(grads, registry), lr, 1, weightDecay);
      else applyTf(opt!, grads, registry);
    },

    step(grads: tf.NamedTensorMap, clipNorm?: number): number | tf.Scalar {
      alive('step');
      if (clipNorm !== undefined) checkClipNorm(clipNorm);
      const names = Object.keys(grads);
      const registry = tf.engine().registeredVariables;
      register(names, registry, 'step');
      // As in applyGradients, an empty map is not a step (Adam's bias correction counts steps).
      if (onHeap) {
        const list = targets(grads, registry);
        const norm = onHeap.norm(list);
        // tf.clip_by_global_norm's factor; a NaN norm makes it NaN and so every weight, as in TensorFlow.
        const scale = clipNorm === undefined ? 1 : clipNorm / Math.max(norm, clipNorm);
        if (names.length > 0) onHeap.apply(list, lr, scale, weightDecay);
        return norm;
      }
      if (clipNorm === undefined) {
        const norm = globalNorm(grads);
        if (names.length > 0) applyTf(opt!, grads, registry);
        return norm;
      }
      const clipped = clipByGlobalNorm(grads, clipNorm);
      try {
        if (names.length > 0) applyTf(opt!, clipped.grads, registry);
      } finally {
        tf.dispose(clipped.grads);
      }
      return clipped.norm;
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      onHeap?.dispose();
      if (!opt) return;
      opt.opt.dispose();
      // MomentumOptimizer.dispose() overrides SGDOptimizer.dispose() without freeing the lr scalar `c`.
      // (Not `instanceof`: TF.js Optimizer overrides Symbol.hasInstance with duck typing, so every optimiser would match.)
      if (rule.type === 'momentum') {
        const c = (opt.opt as unknown as { c?: tf.Scalar }).c;
        if (c !== undefined && !c.isDisposed) c.dispose();
      }
    },
  };
}

/** A TF.js optimiser and how its learning rate is set (see the file comment). */
interface TfOptimizer {
  readonly opt: tf.Optimizer;
  readonly mode: RateMode;
}

function tfOptimizer(rule: HeapRule, lr0: number): TfOptimizer {
  switch (rule.type) {
    case 'adam':
      return { opt: tf.train.adam(lr0, rule.beta1, rule.beta2, rule.epsilon), mode: 'field' };
    case 'sgd':
      return { opt: tf.train.sgd(lr0), mode: 'setter' };
    case 'momentum':
      return { opt: tf.train.momentum(lr0, rule.momentum, rule.nesterov), mode: 'setter' };
    case 'rmsprop':
      return { opt: tf.train.rmsprop(lr0, rule.decay, rule.momentum, rule.epsilon), mode: 'field' };
  }
}

/** The update rule of a checked config, with TF.js's defaults (epsilon: the backend's float epsilon, 1e-7 for float32). */
function ruleOf(cfg: Record<string, unknown>): HeapRule {
  const epsilon = (cfg.epsilon as number | undefined) ?? tf.backend().epsilon();
  switch (cfg.type) {
    case 'adam':
    case 'adamw':
      return { type: 'adam', beta1: (cfg.beta1 as number | undefined) ?? 0.9, beta2: (cfg.beta2 as number | undefined) ?? 0.999, epsilon };
    case 'sgd': {
      const momentum = (cfg.momentum as number | undefined) ?? 0;
      // Nesterov with momentum 0 is exactly plain SGD (g + 0 * acc = g), so it is accepted rather than rejected.
      return momentum > 0 ? { type: 'momentum', momentum, nesterov: cfg.nesterov === true } : { type: 'sgd' };
    }
    default:
      return {
        type: 'rmsprop',
        decay: (cfg.decay as number | undefined) ?? 0.9,
        momentum: (cfg.momentum as number | undefined) ?? 0,
        epsilon,
      };
  }
}

/** Whether AdamW decays this variable: kernels/embeddings yes; biases, norm parameters and scalars no. */
function isDecayed(name: string, rank: number): boolean {
  if (rank < 2) return false;
  const own = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  return !(own.includes('bias') || own.includes('gamma') || own.includes('beta'));
}

/** lr * weightDecay >= 1 would flip or zero the weights at each step: a config error, not something to train through. */
function checkDecayFactor(lr: number, weightDecay: number, what: string): void {
  if (weightDecay > 0 && lr * weightDecay >= 1) {
    throw new OptionsError(
      `adamw needs lr * weightDecay < 1, got ${what} = ${lr} and optimizer.weightDecay = ${weightDecay}; typical weightDecay is 1e-4..1e-1`,
    );
  }
}

/** Validates every field (unknown keys included) and returns the config as a record. */
function checkConfig(config: unknown): Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new OptionsError(`optimizer must be an object such as { type: 'adam', lr: 0.001 }, got ${show(config)}`);
  }
  const cfg = config as Record<string, unknown>;
  const type = cfg.type;
  if (typeof type !== 'string' || !(type in FIELDS)) {
    throw new OptionsError(`optimizer.type must be one of ${OPTIMIZER_TYPES.join(', ')}; got ${show(type)}`);
  }
  for (const key of Object.keys(cfg)) {
    if (key !== 'type' && !FIELDS[type]!.includes(key)) {
      throw new OptionsError(`optimizer.${key} is not a field of "${type}"; it takes: ${FIELDS[type]!.join(', ')}`);
    }
  }
  num(cfg.lr, 'optimizer.lr', (x) => x > 0, '> 0');
  const unit = (x: number): boolean => x >= 0 && x < 1;
  if (cfg.beta1 !== undefined) num(cfg.beta1, 'optimizer.beta1', unit, 'in [0, 1)');
  if (cfg.beta2 !== undefined) num(cfg.beta2, 'optimizer.beta2', unit, 'in [0, 1)');
  if (cfg.epsilon !== undefined) num(cfg.epsilon, 'optimizer.epsilon', (x) => x > 0, '> 0');
  if (cfg.momentum !== undefined) num(cfg.momentum, 'optimizer.momentum', unit, 'in [0, 1)');
  if (cfg.decay !== undefined) num(cfg.decay, 'optimizer.decay', unit, 'in [0, 1)');
  if (type === 'adamw') num(cfg.weightDecay, 'optimizer.weightDecay', (x) => x >= 0, '>= 0 (required for adamw)');
  if (cfg.nesterov !== undefined && typeof cfg.nesterov !== 'boolean') {
    throw new OptionsError(`optimizer.nesterov must be true or false, got ${show(cfg.nesterov)}`);
  }
  return cfg;
}

function num(v: unknown, path: string, ok: (x: number) => boolean, desc: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
    throw new OptionsError(`${path} must be a finite number ${desc}, got ${show(v)}`);
}
