import { type AttrValue, encodeAttribute } from './attributes.js';
import { elemTypeInfo, type OnnxElemType } from './elem-types.js';
import { onnx, type OnnxTypes } from './onnx-proto.js';
import { encodeTensor, externalTensor, type ExternalLocation, type TensorData } from './tensor-encoding.js';

export type { AttrValue } from './attributes.js';
export type { OnnxElemType } from './elem-types.js';

/**
 * A graph input or output: name, element type and shape. A string dim is symbolic (a
 * `dim_param` such as `'batch'`); a negative number is an unknown dim with no name.
 */
export interface ValueSpec {
  name: string;
  type: OnnxElemType;
  shape: readonly (number | string)[];
}

/** Options of a {@link GraphBuilder}. */
export interface GraphBuilderOptions {
  /** Default-domain opset version (default 17). */
  opset?: number;
  /** `producer_name` written into the model (default `'tensorgate-onnx-gen'`). */
  producer?: string;
  /** Model-level `doc_string`. */
  docString?: string;
}

/** Default-domain opset used when none is given: 17 is well supported by onnxruntime. */
export const DEFAULT_OPSET = 17;

/**
 * IR version matching an opset, per the version table of the ONNX spec (an IR version newer
 * than needed would lock the model out of older runtimes for no gain).
 */
function irVersionFor(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 14) return 8;
  if (opset >= 13) return 7;
  return 6;
}

function valueInfo(spec: ValueSpec): OnnxTypes.IValueInfoProto {
  const dim = spec.shape.map((d): OnnxTypes.TensorShapeProto.IDimension => {
    if (typeof d === 'string') return { dimParam: d };
    if (!Number.isInteger(d)) throw new RangeError(`value '${spec.name}': invalid dim ${d}`);
    return d >= 0 ? { dimValue: d } : {};
  });
  return {
    name: spec.name,
    type: { tensorType: { elemType: elemTypeInfo(spec.type).code, shape: { dim } } },
  };
}

/**
 * Writes a single-graph ONNX model (ModelProto) from a few chained calls, with no dependency
 * on Python tooling. Used to generate tensorgate's example models and test fixtures.
 *
 * Output is byte-for-byte deterministic: the same sequence of calls always serializes to the
 * same bytes (fields in schema order, numeric data as little-endian `raw_data`).
 *
 * @example
 * ```ts
 * const bytes = new GraphBuilder('add_int32')
 *   .input({ name: 'A', type: 'int32', shape: ['batch', 4] })
 *   .input({ name: 'B', type: 'int32', shape: ['batch', 4] })
 *   .output({ name: 'SUM', type: 'int32', shape: ['batch', 4] })
 *   .node('Add', ['A', 'B'], ['SUM'])
 *   .toBytes();
 * ```
 */
export class GraphBuilder {
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly names = new Set<string>();
  private readonly opset: number;
  private readonly producer: string;
  private readonly docString: string | undefined;

  /**
   * @param name - graph name (also shown by tools such as Netron)
   * @param options - opset, producer name and model doc string
   */
  constructor(
    private readonly name: string,
    options: GraphBuilderOptions = {},
  ) {
    this.opset = options.opset ?? DEFAULT_OPSET;
    this.producer = options.producer ?? 'tensorgate-onnx-gen';
    this.docString = options.docString;
    if (!Number.isInteger(this.opset) || this.opset < 1) throw new RangeError(`invalid opset ${this.opset}`);
  }

  private claim(kind: string, valueName: string): void {
    if (valueName === '') throw new RangeError(`${kind} needs a non-empty name`);
    if (this.names.has(valueName)) throw new RangeError(`${kind} '${valueName}' is already defined`);
    this.names.add(valueName);
  }

  /** Declares a graph input (in call order). */
  input(spec: ValueSpec): this {
    this.claim('input', spec.name);
    this.inputs.push(valueInfo(spec));
    return this;
  }

  /** Declares a graph output (in call order); some node must produce it. */
  output(spec: ValueSpec): this {
    this.outputs.push(valueInfo(spec));
    return this;
  }

  /**
   * Adds a constant tensor (weights) that nodes can read by name.
   *
   * @param data - row-major values; float16/bfloat16 take numbers (converted, round-to-nearest-even)
   */
  initializer(name: string, type: OnnxElemType, dims: readonly number[], data: TensorData): this {
    this.claim('initializer', name);
    this.initializers.push(encodeTensor(name, type, dims, data));
    return this;
  }

  /**
   * Adds a constant tensor whose bytes live in another file (ONNX external data), e.g. `weights.bin`
   * beside the model; the caller writes that file.
   */
  externalInitializer(name: string, type: OnnxElemType, dims: readonly number[], where: ExternalLocation): this {
    this.claim('initializer', name);
    this.initializers.push(externalTensor(name, type, dims, where));
    return this;
  }

  /**
   * Appends a node. Nodes must be added in topological order (ONNX requires it). An empty
   * string in `inputs` marks an omitted optional input.
   *
   * @param name - node name; defaults to `<opType>_<index>`
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    name?: string,
  ): this {
    for (const out of outputs) if (out !== '') this.claim(`output of ${opType}`, out);
    this.nodes.push({
      input: [...inputs],
      output: [...outputs],
      name: name ?? `${opType}_${this.nodes.length}`,
      opType,
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttribute(k, v)),
    });
    return this;
  }

  /** The ModelProto as a protobufjs plain object (for inspection; {@link toBytes} serializes it). */
  toModelProto(): OnnxTypes.IModelProto {
    const produced = new Set(this.names);
    for (const out of this.outputs) {
      if (!produced.has(out.name ?? '')) throw new RangeError(`graph output '${out.name}' is never produced`);
    }
    const model: OnnxTypes.IModelProto = {
      irVersion: irVersionFor(this.opset),
      opsetImport: [{ domain: '', version: this.opset }],
      producerName: this.producer,
      graph: {
        node: this.nodes,
        name: this.name,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    if (this.docString !== undefined) model.docString = this.docString;
    return model;
  }

  /** Serializes the model; identical calls give identical bytes. */
  toBytes(): Uint8Array {
    const buf = onnx.ModelProto.encode(this.toModelProto()).finish();
    // protobufjs hands back a pooled Node Buffer; copy into a plain Uint8Array of our own.
    return new Uint8Array(buf);
  }
}
