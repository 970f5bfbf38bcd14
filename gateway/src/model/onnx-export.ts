import onnxProto from 'onnx-proto';
import type { Mlp } from './mlp.js';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType values used here. */
const ELEM = { float: 1, double: 11 } as const;

export interface MlpOnnxOptions {
  inputName: string;
  outputName: string;
  /** Key/value pairs stored in the model's metadata_props (feature names, version, training facts). */
  metadata?: Record<string, string>;
  /** Element type of the graph (tests build deliberately wrong `double` models). Default float. */
  elemType?: keyof typeof ELEM;
  /** Overrides the declared input shape (tests build deliberately wrong models); default [N, inputs]. */
  inputDims?: (number | string)[];
  /** Softmax at the end (default true; tests may drop it). */
  softmax?: boolean;
  docString?: string;
}

const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });

/**
 * Serialises an MLP as an ONNX model (IR 7, opset 13): an optional Add + Mul input standardization,
 * then per layer MatMul + Add, Relu between
 * layers, Softmax at the end. No timestamps or random ids: the same weights give the same bytes.
 */
export function mlpToOnnx(mlp: Mlp, o: MlpOnnxOptions): Uint8Array {
  return mlpsToOnnx(
    [
      {
        mlp,
        inputName: o.inputName,
        outputName: o.outputName,
        ...(o.inputDims ? { inputDims: o.inputDims } : {}),
        ...(o.softmax !== undefined ? { softmax: o.softmax } : {}),
      },
    ],
    o,
  );
}

/** One MLP head of a multi-head graph: its own input, output and (prefixed) weights. */
export interface OnnxHead {
  mlp: Mlp;
  inputName: string;
  outputName: string;
  /** Prefix of the head's initializer and node names (unique per graph; '' for the first head). */
  prefix?: string;
  inputDims?: (number | string)[];
  softmax?: boolean;
}

/**
 * Several independent MLPs in one ONNX graph (the place model and the zone model), so one file and
 * one `run` per tick serve both. Each head is serialised as in mlpToOnnx. Deterministic bytes.
 */
export function mlpsToOnnx(heads: readonly OnnxHead[], o: Omit<MlpOnnxOptions, 'inputName' | 'outputName' | 'inputDims' | 'softmax'>): Uint8Array {
  const elem = ELEM[o.elemType ?? 'float'];
  const tensor = (name: string, dims: number[], values: Float64Array) =>
    elem === ELEM.float
      ? { name, dims, dataType: elem, floatData: Array.from(Float32Array.from(values)) }
      : { name, dims, dataType: elem, doubleData: Array.from(values) };
  const initializer = [];
  const node = [];
  const valueInfo = (name: string, dims: (number | string)[]) => ({ name, type: { tensorType: { elemType: elem, shape: { dim: dims.map(dim) } } } });
  const inputs = [];
  const outputs = [];
  for (const h of heads) {
    const { mlp } = h;
    const p = h.prefix ?? '';
    let x = h.inputName;
    if (mlp.shift && mlp.scale) {
      const n = mlp.shift.length;
      initializer.push(tensor(`${p}input_shift`, [n], mlp.shift), tensor(`${p}input_scale`, [n], mlp.scale));
      node.push({ opType: 'Add', input: [x, `${p}input_shift`], output: [`${p}shifted`], name: `${p}standardize_shift` });
      node.push({ opType: 'Mul', input: [`${p}shifted`, `${p}input_scale`], output: [`${p}standardized`], name: `${p}standardize_scale` });
      x = `${p}standardized`;
    }
    const last = mlp.layers.length - 1;
    for (const [l, layer] of mlp.layers.entries()) {
      initializer.push(tensor(`${p}W${l}`, [layer.inputs, layer.outputs], layer.w), tensor(`${p}B${l}`, [layer.outputs], layer.b));
      node.push({ opType: 'MatMul', input: [x, `${p}W${l}`], output: [`${p}mm${l}`], name: `${p}matmul${l}` });
      const addOut = l === last && h.softmax === false ? h.outputName : `${p}z${l}`;
      node.push({ opType: 'Add', input: [`${p}mm${l}`, `${p}B${l}`], output: [addOut], name: `${p}add${l}` });
      if (l < last) {
        node.push({ opType: 'Relu', input: [`${p}z${l}`], output: [`${p}h${l}`], name: `${p}relu${l}` });
        x = `${p}h${l}`;
      } else if (h.softmax !== false) {
        node.push({
          opType: 'Softmax',
          input: [`${p}z${l}`],
          output: [h.outputName],
          name: `${p}softmax`,
          attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }],
        });
      }
    }
    inputs.push(valueInfo(h.inputName, h.inputDims ?? ['N', mlp.layers[0]?.inputs ?? 0]));
    outputs.push(valueInfo(h.outputName, ['N', mlp.layers[last]?.outputs ?? 0]));
  }
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'storesense-gateway',
    producerVersion: '1',
    domain: 'storesense',
    modelVersion: 1,
    docString: o.docString ?? '',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: { name: 'journey_mlp', node, initializer, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads an ONNX file's metadata_props (model card facts, feature names). */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const m = onnx.ModelProto.decode(bytes);
  return Object.fromEntries(m.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}

/** The same model with metadata_props entries added or replaced (e.g. decision settings); graph untouched. */
export function withOnnxMetadata(bytes: Uint8Array, extra: Record<string, string>): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const props = new Map(m.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  for (const [key, value] of Object.entries(extra)) props.set(key, value);
  m.metadataProps = [...props].map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }));
  return onnx.ModelProto.encode(m).finish();
}
