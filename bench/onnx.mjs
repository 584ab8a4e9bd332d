// Writes LeNet-5 as an ONNX model (protobuf bytes) from given weights, so that
// onnxruntime-web can run the very same network convscope trains.
//
// Dependency-free ES module: works in Node 18+ and in browsers.
//
//   import { lenetOnnx } from './onnx.mjs';
//   const bytes = lenetOnnx(params, { activation: 'relu', pool: 'max' });
//   const session = await ort.InferenceSession.create(bytes);
//
// params: object of Float32Array (any array-like of numbers works), PyTorch
// layouts, row-major:
//   conv1.weight [6,1,5,5]   conv1.bias [6]
//   conv2.weight [16,6,5,5]  conv2.bias [16]
//   fc1.weight [120,400]     fc1.bias [120]
//   fc2.weight [84,120]      fc2.bias [84]
//   fc3.weight [10,84]       fc3.bias [10]
// options: { activation: 'relu' (default) | 'tanh', pool: 'max' (default) | 'average' }
//
// Graph: input "input" float [N,1,28,28] (N symbolic) → Conv 5x5 pad 2 → act →
// pool 2x2/2 → Conv 5x5 → act → pool 2x2/2 → Flatten(axis=1) → Gemm(fc1) → act
// → Gemm(fc2) → act → Gemm(fc3) → output "logits" float [N,10].
// Opset 17 (default domain ""), ir_version 8, weights as raw_data initializers.
//
// Field numbers below are from onnx.proto (checked against the protobufjs
// decoder shipped in onnxruntime-web/lib/onnxjs/ort-schema/protobuf/onnx.js).

/** Shapes of the LeNet-5 parameters, in PyTorch layout. */
export const LENET_SHAPES = {
  'conv1.weight': [6, 1, 5, 5],
  'conv1.bias': [6],
  'conv2.weight': [16, 6, 5, 5],
  'conv2.bias': [16],
  'fc1.weight': [120, 400],
  'fc1.bias': [120],
  'fc2.weight': [84, 120],
  'fc2.bias': [84],
  'fc3.weight': [10, 84],
  'fc3.bias': [10],
};

// ---------------------------------------------------------------------------
// Minimal protobuf encoder. A message is built as a list of byte chunks
// (Uint8Array or plain byte arrays); `cat` flattens them.

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;
const utf8 = new TextEncoder();

/** Flattens a list of byte chunks into one Uint8Array. */
function cat(chunks) {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Base-128 varint of a non-negative integer (safe up to 2^53). */
function varint(v) {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`onnx: cannot encode ${v} as varint`);
  const out = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const key = (field, wire) => varint(field * 8 + wire);
/** Varint field (int32 / int64 / enum). */
const pInt = (field, v) => cat([key(field, WIRE_VARINT), varint(v)]);
/** fixed32 float field. */
function pFloat(field, x) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return cat([key(field, WIRE_FIXED32), b]);
}
/** Length-delimited field: raw bytes. */
const pBytes = (field, bytes) => cat([key(field, WIRE_LEN), varint(bytes.length), bytes]);
/** Length-delimited field: UTF-8 string. */
const pStr = (field, s) => pBytes(field, utf8.encode(s));
/** Length-delimited field: embedded message given as a list of chunks. */
const pMsg = (field, chunks) => pBytes(field, cat(chunks));
/** Packed repeated varints (accepted by every parser for repeated scalars). */
const pInts = (field, vs) => pBytes(field, cat(vs.map(varint)));

// ---------------------------------------------------------------------------
// ONNX messages.

// AttributeProto: name=1, f=2, i=3, ints=8, type=20 (FLOAT=1, INT=2, INTS=7).
const attrFloat = (name, f) => [pStr(1, name), pFloat(2, f), pInt(20, 1)];
const attrInt = (name, i) => [pStr(1, name), pInt(3, i), pInt(20, 2)];
const attrInts = (name, ints) => [pStr(1, name), pInts(8, ints), pInt(20, 7)];

// NodeProto: input=1, output=2, name=3, op_type=4, attribute=5.
function node(opType, name, inputs, outputs, attrs = []) {
  return [
    ...inputs.map((s) => pStr(1, s)),
    ...outputs.map((s) => pStr(2, s)),
    pStr(3, name),
    pStr(4, opType),
    ...attrs.map((a) => pMsg(5, a)),
  ];
}

// TensorProto: dims=1, data_type=2 (FLOAT=1), name=8, raw_data=9.
function floatTensor(name, dims, values) {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values == null) throw new Error(`onnx: tensor "${name}" is missing (expected ${n} values, shape [${dims}])`);
  if (values.length !== n) {
    throw new Error(`onnx: tensor "${name}" has length ${values.length}, expected ${n} (shape [${dims}])`);
  }
  const raw = new Uint8Array(4 * n);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) dv.setFloat32(4 * i, values[i], true); // little-endian
  return [pInts(1, dims), pInt(2, 1), pStr(8, name), pBytes(9, raw)];
}

// ValueInfoProto: name=1, type=2. TypeProto: tensor_type=1.
// TypeProto.Tensor: elem_type=1, shape=2. TensorShapeProto: dim=1.
// Dimension: dim_value=1, dim_param=2 (a string dim is symbolic).
function floatValueInfo(name, dims) {
  const shape = dims.map((d) => pMsg(1, [typeof d === 'string' ? pStr(2, d) : pInt(1, d)]));
  const tensorType = [pInt(1, 1), pMsg(2, shape)];
  return [pStr(1, name), pMsg(2, [pMsg(1, tensorType)])];
}

// ---------------------------------------------------------------------------

/**
 * Encodes LeNet-5 with the given weights as ONNX model bytes.
 * @param {Record<string, ArrayLike<number>>} params
 * @param {{activation?: 'relu'|'tanh', pool?: 'max'|'average'}} [options]
 * @returns {Uint8Array}
 */
export function lenetOnnx(params, options = {}) {
  const { activation = 'relu', pool = 'max' } = options;
  const act = { relu: 'Relu', tanh: 'Tanh' }[activation];
  const poolOp = { max: 'MaxPool', average: 'AveragePool' }[pool];
  if (!act) throw new Error(`onnx: unknown activation "${activation}" (expected relu or tanh)`);
  if (!poolOp) throw new Error(`onnx: unknown pool "${pool}" (expected max or average)`);

  const initializers = Object.entries(LENET_SHAPES).map(([name, dims]) => floatTensor(name, dims, params[name]));

  const conv = (i, x, y, pad) =>
    node('Conv', `conv${i}`, [x, `conv${i}.weight`, `conv${i}.bias`], [y], [
      attrInts('kernel_shape', [5, 5]),
      attrInts('pads', [pad, pad, pad, pad]),
      attrInts('strides', [1, 1]),
    ]);
  const poolNode = (i, x, y) =>
    node(poolOp, `pool${i}`, [x], [y], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]);
  const gemm = (i, x, y) =>
    node('Gemm', `fc${i}`, [x, `fc${i}.weight`, `fc${i}.bias`], [y], [
      attrFloat('alpha', 1),
      attrFloat('beta', 1),
      attrInt('transB', 1),
    ]);
  const actNode = (name, x, y) => node(act, name, [x], [y]);

  const nodes = [
    conv(1, 'input', 'conv1_out', 2),
    actNode('act1', 'conv1_out', 'act1_out'),
    poolNode(1, 'act1_out', 'pool1_out'),
    conv(2, 'pool1_out', 'conv2_out', 0),
    actNode('act2', 'conv2_out', 'act2_out'),
    poolNode(2, 'act2_out', 'pool2_out'),
    node('Flatten', 'flatten', ['pool2_out'], ['flat'], [attrInt('axis', 1)]),
    gemm(1, 'flat', 'fc1_out'),
    actNode('act3', 'fc1_out', 'act3_out'),
    gemm(2, 'act3_out', 'fc2_out'),
    actNode('act4', 'fc2_out', 'act4_out'),
    gemm(3, 'act4_out', 'logits'),
  ];

  // GraphProto: node=1, name=2, initializer=5, input=11, output=12.
  const graph = [
    ...nodes.map((n) => pMsg(1, n)),
    pStr(2, 'lenet5'),
    ...initializers.map((t) => pMsg(5, t)),
    pMsg(11, floatValueInfo('input', ['N', 1, 28, 28])),
    pMsg(12, floatValueInfo('logits', ['N', 10])),
  ];

  // ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8.
  // OperatorSetIdProto: domain=1, version=2.
  return cat([pInt(1, 8), pStr(2, 'convscope'), pMsg(7, graph), pMsg(8, [pStr(1, ''), pInt(2, 17)])]);
}
