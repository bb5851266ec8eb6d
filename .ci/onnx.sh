#!/usr/bin/env bash
# ONNX export against ONNX Runtime: installs npm onnxruntime-node (with
# --ignore-scripts: the package ships its native library) into a cache, runs
# onnx's TestLiveORT (seven networks written by onnx.ExportFile, external
# data and symbolic sizes included, each run by ORT and compared with our
# forward pass), then the CLI: `resnet export` and `resnet run` on the same
# random-weight network, ORT on the file, compared with numpy within SPEC §6.
set -euo pipefail
cd "$(dirname "$0")/.."
ort_version=1.30.0
cache=${RESNET_CI_CACHE:-$HOME/.cache/resnet-ci}/ort-$ort_version
if [ ! -d "$cache/node_modules/onnxruntime-node" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm install --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ort_version" >/dev/null)
fi
export ONNX_ORT_NODE_PATH=$cache/node_modules

go test -count=1 -run '^TestLiveORT$' -v ./onnx/ | grep -vE '^=== RUN'

dir=$(mktemp -d /tmp/onnx-cli.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/resnet" ./cmd/resnet
/usr/bin/python3 -c "import numpy as np; np.save('$dir/x.npy', np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32))"
"$dir/resnet" export --arch resnext50_32x4d --seed 7 "$dir/m.onnx"
"$dir/resnet" run --arch resnext50_32x4d --seed 7 -i "$dir/x.npy" -o "$dir/ours.npy"
NODE_PATH=$ONNX_ORT_NODE_PATH node testdata/gen/onnx_ort.js "$dir/m.onnx" "$dir/x.npy" "$dir/ort.npy"
/usr/bin/python3 - "$dir" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
ours, ort = np.load(d + "/ours.npy"), np.load(d + "/ort.npy")
diff, bound = float(np.abs(ours - ort).max()), 1e-4 * float(np.abs(ort).max()) + 1e-5  # SPEC §6
print(f"resnet export → ONNX Runtime: logits {ort.shape}, max |Δ| {diff:.3g} from resnet run (bound {bound:.3g}), top-1 {ort.argmax(1)} / {ours.argmax(1)}")
if ours.shape != ort.shape or diff > bound or (ours.argmax(1) != ort.argmax(1)).any():
    sys.exit("FAIL: ONNX Runtime's logits differ from resnet run's")
PY
