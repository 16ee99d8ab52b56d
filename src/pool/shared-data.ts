/**
 * Moving a Dataset into shared memory, once per process. Worker threads then receive the split arrays in every task message
 * as views on the same SharedArrayBuffers: structured cloning shares a SharedArrayBuffer instead of copying it, so a trial
 * costs no copy of the data (MNIST's train split alone is ~22 MB). A device child process cannot share memory with the
 * controller: it gets one plain copy at start-up (`toPlain`) and moves it into its own shared memory.
 */
import type { Dataset, Split } from '../../trials/types.js';
import type { SharedDataset, SharedSplit } from './protocol.js';

function sharedCopy(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function plainCopy(a: Float32Array): Float32Array {
  return a.buffer instanceof SharedArrayBuffer ? new Float32Array(a) : a;
}

function mapSplit(s: Split, f: (a: Float32Array) => Float32Array): SharedSplit {
  return { x: f(s.x), y: f(s.y), n: s.n };
}

function mapDataset(d: Dataset | SharedDataset, f: (a: Float32Array) => Float32Array): SharedDataset {
  return {
    name: d.name,
    task: d.task,
    inputShape: [...d.inputShape],
    numClasses: d.numClasses,
    ...(d.classNames ? { classNames: [...d.classNames] } : {}),
    ...(d.featureNames ? { featureNames: [...d.featureNames] } : {}),
    train: mapSplit(d.train, f),
    val: mapSplit(d.val, f),
    test: mapSplit(d.test, f),
  };
}

/**
 * The dataset with every split array copied into a SharedArrayBuffer (arrays already shared are kept as they are). Called
 * once by a device when it is created; the result is attached to every task it runs.
 */
export function toShared(data: Dataset | SharedDataset): SharedDataset {
  return mapDataset(data, sharedCopy);
}

/**
 * The dataset with plain ArrayBuffer-backed arrays: what is sent over IPC to a device child process (the v8 serializer of
 * `serialization: 'advanced'` copies typed arrays but refuses SharedArrayBuffers).
 */
export function toPlain(data: SharedDataset): SharedDataset {
  return mapDataset(data, plainCopy);
}
