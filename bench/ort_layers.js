// Per-node times of ONNX Runtime on one of compare.sh's models, from ORT's
// own profiler (enableProfiling): the medians over ITERS passes of each
// node's kernel time, one line per node, then the totals per kind of
// convolution for torchvision's ResNets, to set beside the engine's
// in-network profile (ENGINE_PROFILE_NET, engine/README.md "Against ONNX
// Runtime, layer by layer"). The profiler adds a little to every node, so
// the sum of the nodes exceeds the pass timed without it (compare_ort.js).
//
//   NODE_PATH=~/.cache/resnet-bench/npm/node_modules \
//     node bench/ort_layers.js ~/.cache/resnet-bench/resnet50.onnx [THREADS] [ITERS] [BATCH]
const ort = require('onnxruntime-node');
const fs = require('fs');
const os = require('os');
const path = require('path');

async function main() {
  const [file, threads = '2', iters = '20', batchArg = '1'] = process.argv.slice(2);
  const batch = parseInt(batchArg);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-layers-'));
  const sess = await ort.InferenceSession.create(file, {
    intraOpNumThreads: parseInt(threads), interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', executionProviders: ['cpu'],
    enableProfiling: true, profileFilePrefix: path.join(dir, 'profile'),
  });
  const data = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) data[i] = (i % 251) / 125 - 1;
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
  const n = parseInt(iters) + 2;
  for (let i = 0; i < n; i++) await sess.run(feeds);
  sess.endProfiling();
  const prof = fs.readdirSync(dir).map((f) => path.join(dir, f))[0];
  const events = JSON.parse(fs.readFileSync(prof, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });

  const nodes = new Map(); // name -> {op, shape, us: []}
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) nodes.set(name, { op: e.args.op_name, shape: JSON.stringify(e.args.output_type_shape), us: [] });
    nodes.get(name).us.push(e.dur);
  }
  const median = (v) => { const s = v.slice(2).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const kinds = new Map();
  const basic = ![...nodes.keys()].some((name) => name.includes('/conv3'));
  let total = 0;
  for (const [name, v] of nodes) {
    const us = median(v.us);
    total += us;
    console.log(`${(us / 1000).toFixed(3).padStart(7)} ms  ${v.op.padEnd(18)} ${name}  ${v.shape}`);
    const k = kindOf(name, v.op, basic);
    kinds.set(k, (kinds.get(k) || 0) + us);
  }
  console.log(`\n${path.basename(file)}, ${threads} threads, batch ${batch}: ${(total / 1000).toFixed(2)} ms a pass in ${nodes.size} nodes (medians of ${iters} profiled passes)`);
  for (const [k, us] of [...kinds].sort()) console.log(`  ${k.padEnd(22)} ${(us / 1000).toFixed(2).padStart(7)} ms`);
}

// kindOf names a node of torchvision's ResNet exported by torch.onnx (its
// names carry the module path; a convolution fused with its ReLU is named
// after the ReLU): the stem, a bottleneck's 1×1 (conv1, conv3) and 3×3
// (conv2), a basic block's two 3×3 (conv1, conv2) — stride 2 in the first
// block of layers 2–4 —, the projection shortcut, or another operator.
function kindOf(name, op, basic) {
  const m = name.match(/layer(\d)\/layer\d\.(\d+)\/(\w+)/);
  if (!m) return op === 'Conv' || op === 'FusedConv' ? 'stem' : 'other ' + op;
  const [layer, block, what] = [Number(m[1]), Number(m[2]), m[3]];
  const size = { 1: 56, 2: 28, 3: 14, 4: 7 }[layer];
  if (what === 'downsample') return layer === 1 ? '1x1 shortcut' : '1x1/2 shortcut';
  const first = what === 'relu' || what === 'conv1';
  if (basic && first) return block === 0 && layer > 1 ? '3x3/2' : `3x3/1 ${size}x${size}`;
  if (basic || what === 'relu_1' || what === 'conv2') {
    if (!basic && block === 0 && layer > 1) return '3x3/2';
    return `3x3/1 ${size}x${size}`;
  }
  return '1x1/1';
}

main().catch((e) => { console.error(e); process.exit(1); });
