// Times an ONNX model with ONNX Runtime (npm onnxruntime-node, CPU), one
// JSON line per batch size; used by compare.sh. NODE_PATH must reach the
// package (compare.sh installs it with `npm install --ignore-scripts`).
//
//   node bench/compare_ort.js MODEL.onnx ARCH 1,8 THREADS ITERS [SIZE [MIN_SECONDS]]
//
// Each batch size is timed ITERS times, and on until MIN_SECONDS (default
// 0) have passed.
const ort = require('onnxruntime-node');

async function main() {
  const [file, arch, batches = '1,8', threads = '2', iters = '10', size = '224', minS = '0'] = process.argv.slice(2);
  const T = parseInt(threads), N = parseInt(iters), S = parseInt(size), minNs = BigInt(Math.round(parseFloat(minS) * 1e9));
  const sess = await ort.InferenceSession.create(file, {
    intraOpNumThreads: T, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', executionProviders: ['cpu'],
  });
  for (const b of batches.split(',').map(Number)) {
    const data = new Float32Array(b * 3 * S * S);
    for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
    const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', data, [b, 3, S, S]) };
    for (let i = 0; i < 2; i++) await sess.run(feeds);
    const ms = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < N || process.hrtime.bigint() - start < minNs; i++) {
      const t = process.hrtime.bigint();
      await sess.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    ms.sort((x, y) => x - y);
    const med = ms.length % 2 ? ms[(ms.length - 1) / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
    console.log(JSON.stringify({
      runtime: 'ort', arch, batch: b, threads: T, ms_median: med,
      ms_p90: ms[Math.min(ms.length - 1, Math.floor(ms.length * 9 / 10))],
      ms_per_image: med / b, images_per_s: b * 1e3 / med,
    }));
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
