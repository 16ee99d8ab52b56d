/**
 * Per-epoch diagnostics of a model under training: which layer owns which variable, per-layer gradient and weight norms,
 * finiteness checks, and conv feature maps. Each helper syncs with the backend at most once, so the loop can call them once
 * per epoch without a measurable cost.
 */
import * as tf from '@tensorflow/tfjs';

/** The trainable variables of a model, in a fixed order, and the layer that owns each (by variable name). */
export interface VariableIndex {
  /** Passed to `tf.variableGrads` so gradients exist for exactly these (and keyed by their names). */
  readonly variables: tf.Variable[];
  /** variable name -> stable layer name (see `stableLayerNames`). */
  readonly layerOf: ReadonlyMap<string, string>;
  /** Stable names of the layers that own at least one trainable variable, in model order. */
  readonly layers: readonly string[];
}

function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Layer names that are the same in every build of the same config. TF.js auto-names layers from a process-wide counter
 * (`dense_Dense7`), so two identical trials in one process would report different keys; auto-named layers are renamed
 * Keras-style by their rank among the model's layers of the same kind (`dense_1`, `dense_2`...). Explicit names (`logits`,
 * `aux`) are kept.
 */
export function stableLayerNames(model: tf.LayersModel): string[] {
  const explicit = new Set<string>();
  const auto: boolean[] = model.layers.map((layer) => {
    const cls = layer.getClassName();
    const isAuto = new RegExp(`^${snakeCase(cls)}_${cls}\\d+$`).test(layer.name);
    if (!isAuto) explicit.add(layer.name);
    return isAuto;
  });
  const counts = new Map<string, number>();
  return model.layers.map((layer, i) => {
    if (!auto[i]) return layer.name;
    const base = snakeCase(layer.getClassName());
    let name: string;
    do {
      const k = (counts.get(base) ?? 0) + 1;
      counts.set(base, k);
      name = `${base}_${k}`;
    } while (explicit.has(name));
    return name;
  });
}

/**
 * Indexes `model`'s trainable variables by (stable) layer name. Called once per trial, after the model is built. Variables
 * shared by two layers are attributed to the first.
 */
export function indexVariables(model: tf.LayersModel): VariableIndex {
  const variables: tf.Variable[] = [];
  const layerOf = new Map<string, string>();
  const layers: string[] = [];
  const names = stableLayerNames(model);
  model.layers.forEach((layer, i) => {
    let owns = false;
    for (const w of layer.trainableWeights) {
      const v = w.read() as tf.Variable;
      if (layerOf.has(v.name)) continue;
      layerOf.set(v.name, names[i]!);
      variables.push(v);
      owns = true;
    }
    if (owns) layers.push(names[i]!);
  });
  return { variables, layerOf, layers };
}

/**
 * Folds per-variable L2 norms into per-layer L2 norms: sqrt(sum of the squares of the layer's variable norms), i.e. the norm
 * of all the layer's parameters taken together. Variables the index does not know are reported under their own name.
 */
export function normsByLayer(perVariable: Readonly<Record<string, number>>, index: VariableIndex): Record<string, number> {
  const sq = new Map<string, number>();
  for (const [name, norm] of Object.entries(perVariable)) {
    const layer = index.layerOf.get(name) ?? name;
    sq.set(layer, (sq.get(layer) ?? 0) + norm * norm);
  }
  const out: Record<string, number> = {};
  for (const [layer, s] of sq) out[layer] = Math.sqrt(s);
  return out;
}

/**
 * L2 norm of each layer's trainable weights (one sync). A NaN/Inf weight makes its layer's norm NaN/Inf, which is how the
 * loop detects non-finite weights; note float32 squares overflow to Inf for |w| > ~1.8e19, which is also reported as
 * non-finite (such a model has diverged anyway).
 */
export function weightNormsByLayer(index: VariableIndex): Record<string, number> {
  const { variables } = index;
  if (variables.length === 0) return {};
  const stacked = tf.tidy(() => tf.stack(variables.map((v) => tf.norm(v))));
  const values = stacked.dataSync();
  stacked.dispose();
  const perVariable: Record<string, number> = {};
  variables.forEach((v, i) => (perVariable[v.name] = values[i]!));
  return normsByLayer(perVariable, index);
}

/** True when every value is a finite number (no NaN, no +-Inf). */
export function allFinite(values: Iterable<number>): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

/** One layer's feature maps in TrialRunResult.featureMaps. */
export interface FeatureMap {
  /** [channels, height, width]: each channel's map is contiguous (row-major), ready to draw as an image. */
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

/**
 * Outputs of every Conv2D layer of `model` for one input sample, keeping the first `channels` channels (fewer if the layer has
 * fewer), transposed to channel-major. Called once at the end of a conv trial (with the best weights restored). Returns {} for
 * models without conv layers. Uses inference mode; leaves no tensors behind (the probe model shares the layers' weights and
 * holds no tensors of its own, so it is not disposed: disposing it would release the shared layers).
 */
export function convFeatureMaps(
  model: tf.LayersModel,
  sample: Float32Array,
  inputShape: readonly number[],
  channels: number,
): Record<string, FeatureMap> {
  const names = stableLayerNames(model);
  const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D');
  if (convs.length === 0) return {};
  const probe = tf.model({ inputs: model.inputs, outputs: convs.map((l) => l.output as tf.SymbolicTensor) });
  const outs = tf.tidy(() => {
    const x = tf.tensor(sample, [1, ...inputShape]);
    const y = probe.predict(x);
    return Array.isArray(y) ? y : [y];
  });
  const maps: Record<string, FeatureMap> = {};
  convs.forEach((layer, i) => {
    const t = outs[i]!;
    const [, h = 1, w = 1, c = 1] = t.shape;
    const k = Math.min(channels, c);
    const hwc = t.dataSync();
    const data = new Array<number>(k * h * w);
    for (let ch = 0; ch < k; ch++) {
      for (let p = 0; p < h * w; p++) data[ch * h * w + p] = hwc[p * c + ch]!;
    }
    maps[names[model.layers.indexOf(layer)]!] = { shape: [k, h, w], data };
  });
  tf.dispose(outs);
  return maps;
}
