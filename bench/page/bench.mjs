// The benchmark page: LeNet-5 with the same seeded weights in convscope (wasm), TensorFlow.js
// (wasm backend with SIMD on one thread, and the cpu backend) and ONNX Runtime Web (wasm, one
// thread), timed the same way in the same page. `cargo xtask bench` serves it cross-origin
// isolated (so performance.now() resolves 5 µs) and reads `window.benchResult` (or
// `window.benchError`) through bench/run.mjs.
//
// Query parameters: seed (0), warmup (1000 single-image runs), runs (1000), batch (256),
// seconds (3 per throughput figure), engines (comma-separated ids; all by default).
//
// Before anything is timed, each engine's logits for the fixture's check image must equal
// convscope's within 1e-4; otherwise the page stops and says which engine and which logit.

import init, { Bench } from './pkg/convscope_bench.js';
import { lenetOnnx } from './onnx.mjs';

const TOLERANCE = 1e-4;
const q = new URLSearchParams(location.search);
const num = (k, d) => (q.has(k) ? Number(q.get(k)) : d);
const config = {
  seed: num('seed', 0),
  warmup: num('warmup', 1000),
  runs: num('runs', 1000),
  batch: num('batch', 256),
  seconds: num('seconds', 3),
  trainBatch: 64,
};
const only = q.get('engines')?.split(',');

const logEl = document.getElementById('log');
function log(message) {
  console.log(`[bench] ${message}`);
  logEl.textContent += `${message}\n`;
}

const quantile = (sorted, p) =>
  sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1];

// --- timing, the same for every engine -------------------------------------------------

/** `run()` once per sample after `warmup` untimed runs; each run timed alone. */
async function latency(run, isAsync) {
  for (let i = 0; i < config.warmup; i++) isAsync ? await run() : run();
  const samples = new Float64Array(config.runs);
  const start = performance.now();
  for (let i = 0; i < config.runs; i++) {
    const t = performance.now();
    isAsync ? await run() : run();
    samples[i] = performance.now() - t;
  }
  const total = performance.now() - start;
  samples.sort();
  return {
    median_us: quantile(samples, 0.5) * 1e3,
    p90_us: quantile(samples, 0.9) * 1e3,
    // The whole loop over the run count: not limited by the clock's 5 µs resolution.
    mean_us: (total / config.runs) * 1e3,
    runs: config.runs,
  };
}

/** `run()` (one batch of `batch` images) for about `config.seconds` after 3 warm-up runs. */
async function throughput(run, isAsync, batch) {
  for (let i = 0; i < 3; i++) isAsync ? await run() : run();
  const times = [];
  const start = performance.now();
  while (times.length === 0 || performance.now() - start < config.seconds * 1e3) {
    const t = performance.now();
    isAsync ? await run() : run();
    times.push(performance.now() - t);
  }
  const total = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  return {
    images_per_s: (batch * times.length) / (total / 1e3),
    median_ms: quantile(times, 0.5),
    batch,
    batches: times.length,
  };
}

function randomImages(n, seed) {
  // A small LCG: the values do not matter for speed, only that every engine gets the same.
  const out = new Float32Array(n * 784);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

// --- the engines -------------------------------------------------------------------------
// Each: { id, name, version, async, setup(), infer(images, n) → Float32Array logits,
//         trainStep?(images, labels), noTrain? (why it cannot train) }.

function convscopeEngine(bench) {
  return {
    id: 'convscope',
    name: 'convscope (Rust → wasm, simd128)',
    version: 'this repository',
    async: false,
    setup() {},
    infer: (images, n) => bench.infer(images, n),
    trainStep: (images, labels) => bench.trainStep(images, labels),
  };
}

/** PyTorch OIHW → TF.js HWIO. */
function hwio(w, [o, i, h, k]) {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < k; x++)
          out[((y * k + x) * i + b) * o + a] = w[((a * i + b) * h + y) * k + x];
  return out;
}

/** PyTorch `[out, in]` → `[in, out]`; for fc1 the input index is moved from PyTorch's
 * NCHW flattening (c·25 + h·5 + w) to NHWC's (h·80 + w·16 + c), so TF.js flattens its
 * NHWC pool2 output without a transpose. */
function dense(w, out, inn, nhwcFrom = null) {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++)
    for (let j = 0; j < inn; j++) {
      let k = j;
      if (nhwcFrom) {
        const [c, h, x] = [Math.floor(j / 25), Math.floor(j / 5) % 5, j % 5];
        k = h * 80 + x * 16 + c;
      }
      t[k * out + o] = w[o * inn + j];
    }
  return t;
}

function tfjsEngine(backend, weights) {
  let v; // the weights as tensors (variables, so the cpu backend can train them)
  let optimizer;
  const forward = (x, n, fused) => {
    // x: [n, 28, 28, 1] (NCHW with one channel is the same memory as NHWC).
    if (fused) {
      let y = tf.fused.conv2d({ x, filter: v.c1w, strides: 1, pad: 2, bias: v.c1b, activation: 'relu' });
      y = tf.maxPool(y, 2, 2, 'valid');
      y = tf.fused.conv2d({ x: y, filter: v.c2w, strides: 1, pad: 'valid', bias: v.c2b, activation: 'relu' });
      y = tf.reshape(tf.maxPool(y, 2, 2, 'valid'), [n, 400]);
      y = tf.fused.matMul({ a: y, b: v.f1w, bias: v.f1b, activation: 'relu' });
      y = tf.fused.matMul({ a: y, b: v.f2w, bias: v.f2b, activation: 'relu' });
      return tf.fused.matMul({ a: y, b: v.f3w, bias: v.f3b });
    }
    let y = tf.relu(tf.add(tf.conv2d(x, v.c1w, 1, 2), v.c1b));
    y = tf.maxPool(y, 2, 2, 'valid');
    y = tf.relu(tf.add(tf.conv2d(y, v.c2w, 1, 'valid'), v.c2b));
    y = tf.reshape(tf.maxPool(y, 2, 2, 'valid'), [n, 400]);
    y = tf.relu(tf.add(tf.matMul(y, v.f1w), v.f1b));
    y = tf.relu(tf.add(tf.matMul(y, v.f2w), v.f2b));
    return tf.add(tf.matMul(y, v.f3w), v.f3b);
  };
  const id = `tfjs-${backend}`;
  return {
    id,
    name:
      backend === 'wasm'
        ? 'TensorFlow.js wasm backend (SIMD, one thread)'
        : 'TensorFlow.js cpu backend (plain JavaScript)',
    version: tf.version_core,
    async: false,
    async setup() {
      if (backend === 'wasm') {
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
        tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
      }
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not start`);
      await tf.ready();
      const w = weights;
      v = {
        c1w: tf.variable(tf.tensor4d(hwio(w['conv1.weight'], [6, 1, 5, 5]), [5, 5, 1, 6])),
        c1b: tf.variable(tf.tensor1d(w['conv1.bias'])),
        c2w: tf.variable(tf.tensor4d(hwio(w['conv2.weight'], [16, 6, 5, 5]), [5, 5, 6, 16])),
        c2b: tf.variable(tf.tensor1d(w['conv2.bias'])),
        f1w: tf.variable(tf.tensor2d(dense(w['fc1.weight'], 120, 400, true), [400, 120])),
        f1b: tf.variable(tf.tensor1d(w['fc1.bias'])),
        f2w: tf.variable(tf.tensor2d(dense(w['fc2.weight'], 84, 120), [120, 84])),
        f2b: tf.variable(tf.tensor1d(w['fc2.bias'])),
        f3w: tf.variable(tf.tensor2d(dense(w['fc3.weight'], 10, 84), [84, 10])),
        f3b: tf.variable(tf.tensor1d(w['fc3.bias'])),
      };
      optimizer = tf.train.adam(1e-3);
      this.backend = tf.getBackend();
    },
    infer(images, n) {
      if (tf.getBackend() !== backend) throw new Error(`TF.js switched to ${tf.getBackend()}`);
      const out = tf.tidy(() => forward(tf.tensor4d(images, [n, 28, 28, 1]), n, true));
      const logits = out.dataSync();
      out.dispose();
      return logits;
    },
    trainStep(images, labels) {
      const cost = optimizer.minimize(
        () => {
          const x = tf.tensor4d(images, [labels.length, 28, 28, 1]);
          const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 10);
          return tf.losses.softmaxCrossEntropy(y, forward(x, labels.length, false));
        },
        true,
        Object.values(v),
      );
      const loss = cost.dataSync()[0];
      cost.dispose();
      return loss;
    },
    dispose() {
      for (const t of Object.values(v)) t.dispose();
      optimizer.dispose();
    },
  };
}

async function ortEngine(weights) {
  const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
  let session;
  return {
    id: 'ort-wasm',
    name: 'ONNX Runtime Web (wasm, SIMD, one thread)',
    version: ort.env.versions?.web ?? 'unknown',
    async: true,
    noTrain: 'onnxruntime-web runs inference only (training is a separate package)',
    async setup() {
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
      session = await ort.InferenceSession.create(lenetOnnx(weights), {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
    },
    async infer(images, n) {
      const out = await session.run({ input: new ort.Tensor('float32', images, [n, 1, 28, 28]) });
      return out.logits.data;
    },
  };
}

// --- convscope's kernels against the machine's simd128 peak --------------------------------

/** Median of `samples` timings of `f()` (milliseconds), after `warmup` calls. */
function medianMs(f, warmup, samples) {
  for (let i = 0; i < warmup; i++) f();
  const times = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return quantile(times, 0.5);
}

function measureKernels(bench) {
  const conv2Ms = medianMs(() => bench.conv2Batch64(), 50, 300);
  const conv2 = Bench.conv2Flops() / (conv2Ms * 1e-3) / 1e9;
  // The peak: the fastest of several chain counts (crates/bench/src/peak.rs says why).
  const byChains = {};
  for (const chains of Bench.simdPeakChains()) {
    const iterations = Math.round(3.2e6 / chains);
    const ms = medianMs(() => Bench.simdPeak(chains, iterations), 5, 30);
    byChains[chains] = (Bench.simdPeakFlopsPerIteration(chains) * iterations) / (ms * 1e-3) / 1e9;
  }
  const [bestChains, peak] = Object.entries(byChains).reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    conv2_batch64_ms: conv2Ms,
    conv2_gflops: conv2,
    simd128_peak_gflops: peak,
    simd128_peak_chains: Number(bestChains),
    simd128_gflops_by_chains: byChains,
    conv2_fraction_of_peak: conv2 / peak,
  };
}

// --- the run -------------------------------------------------------------------------------

function compare(engine, got, want) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= TOLERANCE)) {
      throw new Error(
        `${engine.name}: logit ${i} is ${got[i]}, convscope's is ${want[i]} ` +
          `(|difference| ${d} > ${TOLERANCE}); not timing anything`,
      );
    }
    worst = Math.max(worst, d);
  }
  return worst;
}

async function main() {
  const started = performance.now();
  await init();
  const bench = new Bench(BigInt(config.seed));
  const weights = Object.fromEntries(
    bench.parameterNames().map((n) => [n, bench.parameter(n)]),
  );
  const check = bench.checkInput();
  const want = bench.infer(check, 1);
  const trainImages = bench.trainImages();
  const trainLabels = bench.trainLabels();
  const batchImages = randomImages(config.batch, 12345);
  log(`crossOriginIsolated=${crossOriginIsolated}; ${navigator.userAgent}`);

  const engines = [
    convscopeEngine(bench),
    tfjsEngine('wasm', weights),
    tfjsEngine('cpu', weights),
    await ortEngine(weights),
  ].filter((e) => !only || only.includes(e.id));

  const results = [];
  for (const e of engines) {
    log(`${e.name}: setting up`);
    await e.setup();
    const diff = compare(e, await e.infer(check, 1), want);
    log(`${e.name}: logits equal convscope's (max |difference| ${diff.toExponential(2)})`);
    const r = { id: e.id, name: e.name, version: e.version, check_max_abs_diff: diff };
    r.infer1 = await latency(() => e.infer(check, 1), e.async);
    log(`${e.name}: one image median ${r.infer1.median_us.toFixed(1)} µs`);
    r.infer_batch = await throughput(() => e.infer(batchImages, config.batch), e.async, config.batch);
    log(`${e.name}: batch ${config.batch} ${r.infer_batch.images_per_s.toFixed(0)} images/s`);
    if (e.noTrain) {
      r.train64 = { unsupported: e.noTrain };
    } else {
      try {
        r.train64 = await throughput(() => e.trainStep(trainImages, trainLabels), false, config.trainBatch);
        log(`${e.name}: training ${r.train64.images_per_s.toFixed(0)} images/s`);
      } catch (err) {
        // TF.js's wasm backend has no Conv2DBackpropFilter: say so, from its own message.
        r.train64 = { unsupported: String(err.message ?? err).split('\n')[0] };
        log(`${e.name}: cannot train: ${r.train64.unsupported}`);
      }
    }
    e.dispose?.();
    results.push(r);
  }
  const kernels = measureKernels(bench);
  log(
    `kernels: LeNet conv2 at batch 64 ${kernels.conv2_gflops.toFixed(1)} GFLOP/s; ` +
      `simd128 peak ${kernels.simd128_peak_gflops.toFixed(1)} GFLOP/s`,
  );
  return {
    config,
    kernels,
    user_agent: navigator.userAgent,
    cross_origin_isolated: crossOriginIsolated,
    seconds: (performance.now() - started) / 1e3,
    engines: results,
  };
}

main().then(
  (r) => {
    window.benchResult = r;
    log('done');
  },
  (err) => {
    window.benchError = String(err?.stack ?? err);
    log(`error: ${window.benchError}`);
  },
);
