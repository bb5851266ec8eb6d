// Runs an ONNX model with ONNX Runtime (npm onnxruntime-node) on a float32
// .npy input and writes its first output as a float32 .npy, for
// .ci/onnx.sh, which compares it with our forward pass of the model that
// `resnet export` wrote:
//
//   NODE_PATH=.../node_modules node testdata/gen/onnx_ort.js MODEL.onnx IN.npy OUT.npy
const ort = require('onnxruntime-node');
const fs = require('fs');

// readNpy parses a little-endian float32 C-order .npy (versions 1–3).
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: want little-endian float32 in C order, header ${header}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const off = start + hlen;
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
  return { shape, data };
}

// writeNpy writes a float32 .npy (version 1.0).
function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

async function main() {
  const [model, input, output] = process.argv.slice(2);
  if (!output) throw new Error('usage: onnx_ort.js MODEL.onnx IN.npy OUT.npy');
  const sess = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  const x = readNpy(input);
  const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
  const y = res[sess.outputNames[0]];
  writeNpy(output, y.dims, y.data);
  console.log(`${model}: ${sess.inputNames[0]} [${x.shape}] -> ${sess.outputNames[0]} [${y.dims}]`);
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
