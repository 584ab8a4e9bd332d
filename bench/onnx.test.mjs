// Checks bench/onnx.mjs numerically against a plain-JS LeNet-5 forward pass,
// running the generated model through onnxruntime-web's wasm backend.
//
//   node --test bench/onnx.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
// In Node this resolves (package "exports" → "node" → "import") to
// dist/ort.node.min.mjs, which runs the wasm backend and finds its
// ort-wasm-simd-threaded.{mjs,wasm} next to itself; no wasmPaths needed.
import * as ort from 'onnxruntime-web';
import { lenetOnnx, LENET_SHAPES } from './onnx.mjs';

ort.env.wasm.numThreads = 1;

/** mulberry32: tiny seeded PRNG, returns floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PyTorch-like init: uniform in ±1/sqrt(fan_in). */
function randomParams(seed) {
  const rand = prng(seed);
  const fanIn = { conv1: 25, conv2: 150, fc1: 400, fc2: 120, fc3: 84 };
  const params = {};
  for (const [name, dims] of Object.entries(LENET_SHAPES)) {
    const bound = 1 / Math.sqrt(fanIn[name.split('.')[0]]);
    const n = dims.reduce((a, b) => a * b, 1);
    params[name] = Float32Array.from({ length: n }, () => (2 * rand() - 1) * bound);
  }
  return params;
}

// --- reference forward pass (one image at a time, CHW arrays) --------------

function conv2d(x, c, h, w, weight, bias, k, pad) {
  const oc = bias.length;
  const oh = h + 2 * pad - k + 1;
  const ow = w + 2 * pad - k + 1;
  const y = new Float64Array(oc * oh * ow);
  for (let o = 0; o < oc; o++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let s = bias[o];
        for (let ci = 0; ci < c; ci++)
          for (let ki = 0; ki < k; ki++) {
            const yi = i + ki - pad;
            if (yi < 0 || yi >= h) continue;
            for (let kj = 0; kj < k; kj++) {
              const xj = j + kj - pad;
              if (xj < 0 || xj >= w) continue;
              s += x[(ci * h + yi) * w + xj] * weight[((o * c + ci) * k + ki) * k + kj];
            }
          }
        y[(o * oh + i) * ow + j] = s;
      }
  return { y, c: oc, h: oh, w: ow };
}

function pool2x2({ y: x, c, h, w }, mode) {
  const oh = h >> 1;
  const ow = w >> 1;
  const y = new Float64Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const at = (di, dj) => x[(ch * h + 2 * i + di) * w + 2 * j + dj];
        const v = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
        y[(ch * oh + i) * ow + j] = mode === 'max' ? Math.max(...v) : (v[0] + v[1] + v[2] + v[3]) / 4;
      }
  return { y, c, h: oh, w: ow };
}

function linear(x, weight, bias) {
  const n = bias.length;
  const m = x.length;
  const y = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    let s = bias[o];
    for (let i = 0; i < m; i++) s += x[i] * weight[o * m + i];
    y[o] = s;
  }
  return y;
}

function referenceLogits(p, image, { activation = 'relu', pool = 'max' } = {}) {
  const act = activation === 'relu' ? (v) => Math.max(v, 0) : Math.tanh;
  const actAll = (t) => ({ ...t, y: t.y.map(act) });
  let t = actAll(conv2d(image, 1, 28, 28, p['conv1.weight'], p['conv1.bias'], 5, 2));
  t = pool2x2(t, pool);
  t = actAll(conv2d(t.y, t.c, t.h, t.w, p['conv2.weight'], p['conv2.bias'], 5, 0));
  t = pool2x2(t, pool);
  assert.equal(t.y.length, 400);
  let v = linear(t.y, p['fc1.weight'], p['fc1.bias']).map(act);
  v = linear(v, p['fc2.weight'], p['fc2.bias']).map(act);
  return linear(v, p['fc3.weight'], p['fc3.bias']);
}

// --- comparison ---------------------------------------------------------------

async function checkAgainstOrt(options, seed) {
  const params = randomParams(seed);
  const session = await ort.InferenceSession.create(lenetOnnx(params, options));
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['logits']);
  const rand = prng(seed + 1000);
  for (const batch of [1, 3]) {
    const input = Float32Array.from({ length: batch * 784 }, rand);
    const { logits } = await session.run({ input: new ort.Tensor('float32', input, [batch, 1, 28, 28]) });
    assert.deepEqual(logits.dims, [batch, 10]);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let b = 0; b < batch; b++) {
      const ref = referenceLogits(params, input.subarray(b * 784, (b + 1) * 784), options);
      for (let k = 0; k < 10; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(ref[k] - logits.data[b * 10 + k]));
        maxAbs = Math.max(maxAbs, Math.abs(ref[k]));
      }
    }
    assert.ok(maxAbs > 1e-3, `logits suspiciously small (${maxAbs})`);
    assert.ok(maxDiff <= 1e-4, `batch ${batch}: max |ORT - reference| = ${maxDiff}`);
    console.log(`${JSON.stringify(options)} batch ${batch}: max |diff| = ${maxDiff.toExponential(2)} (max |logit| ${maxAbs.toFixed(3)})`);
  }
  await session.release();
}

test('relu + max pool matches the reference forward pass', () => checkAgainstOrt({}, 1));

test('tanh + average pool matches the reference forward pass', () =>
  checkAgainstOrt({ activation: 'tanh', pool: 'average' }, 2));

test('bytes decode as the intended ModelProto (protobufjs onnx.js from onnxruntime-web)', () => {
  const require = createRequire(import.meta.url);
  // Not in the package's "exports", so resolve it from the package's main file.
  const ortMain = require.resolve('onnxruntime-web'); // .../onnxruntime-web/dist/ort.node.min.js
  const { onnx } = require(fileURLToPath(new URL('../lib/onnxjs/ort-schema/protobuf/onnx.js', pathToFileURL(ortMain))));
  const params = randomParams(3);
  const m = onnx.ModelProto.decode(lenetOnnx(params));
  assert.equal(Number(m.irVersion), 8);
  assert.equal(m.producerName, 'convscope');
  assert.equal(m.opsetImport[0].domain, '');
  assert.equal(Number(m.opsetImport[0].version), 17);
  const g = m.graph;
  assert.deepEqual(g.node.map((n) => n.opType), [
    'Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm',
  ]);
  const conv1 = g.node[0];
  assert.deepEqual(conv1.input, ['input', 'conv1.weight', 'conv1.bias']);
  assert.deepEqual(conv1.attribute.map((a) => [a.name, a.type, a.ints.map(Number)]), [
    ['kernel_shape', 7, [5, 5]],
    ['pads', 7, [2, 2, 2, 2]],
    ['strides', 7, [1, 1]],
  ]);
  const fc1 = g.node[7].attribute.map((a) => [a.name, a.type, a.type === 1 ? a.f : Number(a.i)]);
  assert.deepEqual(fc1, [['alpha', 1, 1], ['beta', 1, 1], ['transB', 2, 1]]);
  assert.deepEqual(g.input[0].type.tensorType.shape.dim.map((d) => d.dimParam || Number(d.dimValue)), ['N', 1, 28, 28]);
  assert.deepEqual(g.output[0].type.tensorType.shape.dim.map((d) => d.dimParam || Number(d.dimValue)), ['N', 10]);
  for (const t of g.initializer) {
    assert.deepEqual(t.dims.map(Number), LENET_SHAPES[t.name]);
    assert.equal(t.dataType, 1);
    const raw = new Float32Array(t.rawData.slice().buffer);
    assert.deepEqual(raw, params[t.name]);
  }
  assert.equal(g.initializer.length, 10);
});

test('a wrong-length or missing tensor throws, naming it', () => {
  const params = randomParams(4);
  params['fc2.weight'] = new Float32Array(84 * 120 - 1);
  assert.throws(() => lenetOnnx(params), (e) => {
    assert.match(e.message, /"fc2\.weight"/);
    assert.match(e.message, /10079/);
    assert.match(e.message, /10080/);
    return true;
  });
  delete params['fc2.weight'];
  assert.throws(() => lenetOnnx(params), /"fc2\.weight" is missing/);
  assert.throws(() => lenetOnnx(randomParams(4), { pool: 'min' }), /unknown pool/);
});
