/**
 * A small in-memory ONNX graph and its protobuf encoder. The converter (convert.ts, layers.ts) appends nodes and initializers
 * here; the quantiser (quantize.ts) rewrites nodes in place before `encodeModel` serialises the result with onnx-proto.
 *
 * Why an own IR instead of building `onnx.GraphProto` directly: initializers stay as typed arrays (the quantiser reads the
 * float weights back), node inputs can be re-pointed cheaply, and names are made unique in one place.
 *
 * Invariants: every tensor name is produced exactly once (by a graph input, an initializer or one node output); names come
 * from `unique()`, so two layers with equal names never collide; the batch dimension is symbolic (`batch`).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types used by the exporter (values of TensorProto.DataType). */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export type ElemType = (typeof DT)[keyof typeof DT];

/** Typed-array data of an initializer; the array type must agree with `type` (Float32Array for FLOAT, ...). */
export type InitData = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A constant tensor stored in the model file. */
export interface Initializer {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly data: InitData;
}

/** An attribute value: plain numbers are INT attributes; use `f()`/`floats()` for FLOAT ones (ONNX distinguishes them). */
export type AttrValue =
  | number
  | readonly number[]
  | string
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] };

/** A FLOAT attribute (a bare number would be encoded as INT). */
export const f = (value: number): AttrValue => ({ kind: 'float', value });
/** A FLOATS attribute. */
export const floats = (value: readonly number[]): AttrValue => ({ kind: 'floats', value });

/** One operator application. `inputs` may contain '' for an omitted optional input. */
export interface OnnxNode {
  readonly op: string;
  readonly name: string;
  inputs: string[];
  outputs: string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly domain?: string;
}

/** A graph input or output: float32 with a symbolic batch dimension (null) followed by static sizes. */
export interface ValueInfo {
  readonly name: string;
  readonly shape: readonly (number | null)[];
  readonly type?: ElemType;
}

/**
 * The graph under construction. Created by the converter per export; `opset` decides how version-dependent ops are spelled
 * (e.g. ReduceMean takes `axes` as an attribute before opset 18 and as an input from 18 on).
 */
export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();

  constructor(readonly opset: number) {}

  /** A tensor/node name not used yet, derived from `base` (slashes and odd characters kept readable). */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let name = clean;
    for (let k = 1; this.used.has(name); k++) name = `${clean}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Reserves an exact name (graph inputs/outputs such as `input`, `logits`); throws if it is taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX tensor name "${name}" is already used in this graph`);
    this.used.add(name);
    return name;
  }

  /** Adds an initializer named after `base`; returns its unique name. */
  init(base: string, data: InitData, dims: readonly number[], type: ElemType = DT.FLOAT): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new Error(`initializer "${base}": dims [${dims.join(', ')}] hold ${size} values, data has ${data.length}`);
    const name = this.unique(base);
    this.initializers.set(name, { name, type, dims: [...dims], data });
    return name;
  }

  /** A float32 constant (scalars use dims []). */
  constF(base: string, values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    return this.init(base, Float32Array.from(values), dims);
  }

  /** An int64 constant, e.g. a Reshape target shape or ReduceMean axes. */
  constI64(base: string, values: readonly number[]): string {
    return this.init(base, BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], DT.INT64);
  }

  /** Appends a node with one output; returns the output name. */
  add(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, base?: string): string {
    return this.addMulti(op, inputs, 1, attrs, base)[0]!;
  }

  /** Appends a node with `outputs` outputs (e.g. DynamicQuantizeLinear); returns their names. */
  addMulti(
    op: string,
    inputs: readonly string[],
    outputs: number,
    attrs: Record<string, AttrValue> = {},
    base?: string,
    domain?: string,
  ): string[] {
    const name = this.unique(`${base ?? op}`);
    // Node and tensor names live in separate ONNX namespaces, so a single output can share the node's (unique) name; this
    // keeps small models small (names are a visible share of a 10 kB int8 file).
    const outs = Array.from({ length: outputs }, (_, k) => (outputs === 1 ? name : this.unique(`${name}:${k}`)));
    this.nodes.push({ op, name, inputs: [...inputs], outputs: outs, attrs, ...(domain ? { domain } : {}) });
    return outs;
  }

  /** Appends a node writing to the existing name `output` (a reserved graph output, or a tensor whose producer is replaced). */
  addAs(op: string, inputs: readonly string[], output: string, attrs: Record<string, AttrValue> = {}, base?: string): string {
    this.nodes.push({ op, name: this.unique(base ?? op), inputs: [...inputs], outputs: [output], attrs });
    return output;
  }

  /** ReduceMean/ReduceMax over `axes`, spelled for this opset (axes attribute before 18, input from 18). */
  reduce(op: 'ReduceMean' | 'ReduceMax', x: string, axes: readonly number[], keepdims: boolean, base?: string): string {
    if (this.opset >= 18) return this.add(op, [x, this.constI64(`${base ?? op}/axes`, axes)], { keepdims: keepdims ? 1 : 0 }, base);
    return this.add(op, [x], { axes, keepdims: keepdims ? 1 : 0 }, base);
  }

  /** Reshape to `shape` (0 copies the input dimension, -1 is inferred), e.g. [0, -1] keeps the batch. */
  reshape(x: string, shape: readonly number[], base?: string): string {
    return this.add('Reshape', [x, this.constI64(`${base ?? 'reshape'}/shape`, shape)], {}, base);
  }
}

/** Model-level fields written next to the graph. */
export interface ModelInfo {
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Extra graph outputs (calibration reads intermediate activations this way); not part of the exported file. */
  readonly extraOutputs?: readonly string[];
}

function attrProto(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: [...(v as readonly number[])] };
  const o = v as Exclude<AttrValue, number | string | readonly number[]>;
  return o.kind === 'float' ? { name, type: A.FLOAT, f: o.value } : { name, type: A.FLOATS, floats: [...o.value] };
}

function tensorProto(t: Initializer): onnxProto.onnx.ITensorProto {
  // raw_data is little-endian, which is what typed arrays hold on every platform Node supports.
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name: t.name, dims: [...t.dims], dataType: t.type, rawData: bytes };
}

function valueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.type ?? DT.FLOAT,
        // Only the batch is dynamic in an exported model; another unknown size gets a name of its own, never 'batch'.
        shape: { dim: v.shape.map((d, i) => (d === null ? { dimParam: i === 0 ? 'batch' : `dim_${i}` } : { dimValue: d })) },
      },
    },
  };
}

/**
 * Serialises the graph as an ONNX ModelProto (IR version matching the opset, default-domain opset `graph.opset`, plus com.microsoft when a
 * node uses it). Called by `exportOnnx` for the file and by calibration/verification for in-memory sessions.
 */
export function encodeModel(graph: OnnxGraph, info: ModelInfo): Uint8Array {
  const domains = new Set(graph.nodes.map((n) => n.domain).filter((d): d is string => !!d));
  const outputs = [...graph.outputs.map(valueInfo)];
  for (const name of info.extraOutputs ?? []) outputs.push({ name, type: { tensorType: { elemType: DT.FLOAT } } });
  const model: onnxProto.onnx.IModelProto = {
    // The IR version released with the opset (onnx/docs/Versioning.md): 17-18 -> 8, 19-20 -> 9, 21 -> 10. Nothing this
    // exporter writes needs the newer IR fields, which the onnx-proto 1.10 schema does not know.
    irVersion: graph.opset >= 21 ? 10 : graph.opset >= 19 ? 9 : 8,
    producerName: info.producerName,
    producerVersion: info.producerVersion,
    ...(info.docString ? { docString: info.docString } : {}),
    opsetImport: [{ domain: '', version: graph.opset }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'tunekit',
      node: graph.nodes.map((n) => ({
        opType: n.op,
        name: n.name,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v)),
        ...(n.domain ? { domain: n.domain } : {}),
      })),
      initializer: [...graph.initializers.values()].map(tensorProto),
      input: graph.inputs.map(valueInfo),
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Reads back the metadata_props of an encoded model (tests and `tunekit export` use it to show what was written). */
export function readMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries(model.metadataProps.map((p): [string, string] => [p.key ?? '', p.value ?? '']));
}

/** Op types of an encoded model's nodes, in order (tests check e.g. that BN was folded or DequantizeLinear was inserted). */
export function readOpTypes(bytes: Uint8Array): string[] {
  return onnx.ModelProto.decode(bytes).graph?.node?.map((n) => n.opType ?? '') ?? [];
}
