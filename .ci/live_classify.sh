#!/usr/bin/env bash
# End-to-end: `resnet classify --json --logits` on real images against PIL +
# torchvision + PyTorch, for random-weight resnet50 and resnext101_32x8d_wsl,
# on the compiled engine and on the reference path (--engine=false), and on
# a CPU with AVX-512 also on the engine's AVX2 kernels (GODEBUG=cpu.avx512f=off,
# which golang.org/x/sys/cpu honours: what an AVX2-only CPU runs).
# Images: lossless photos (PNG) where our pipeline is bit-exact, plus JPEGs
# from Go's own test data (see README, "JPEG fidelity").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
dir=$(mktemp -d /tmp/resnet-classify.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/resnet" ./cmd/resnet
goroot=$(go env GOROOT)
ximage=$(go list -m -f '{{.Dir}}' golang.org/x/image)
images=("$ximage/testdata/yellow_rose.png" "$ximage/testdata/blue-purple-pink-large.png"
        "$goroot/src/image/testdata/video-001.png" "$goroot/src/image/testdata/video-001.jpeg"
        "$goroot/src/image/testdata/video-001.progressive.jpeg" "$ximage/testdata/go-turns-two-280x360.jpeg")
for name in resnet50 resnext101_32x8d_wsl; do
  $PY testdata/gen/classify_live.py make "$name" "$dir" "${images[@]}"
  # The compiled engine (the default), then the layer-by-layer reference path.
  for engine in true false; do
    echo "--- $name, --engine=$engine"
    "$dir/resnet" classify --engine="$engine" --weights "$dir/$name.pth" --arch "$name" --json --logits "${images[@]}" > "$dir/$name.ours.jsonl"
    $PY testdata/gen/classify_live.py compare "$dir/$name.expected.jsonl" "$dir/$name.ours.jsonl"
  done
  if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    echo "--- $name, --engine=true, AVX2 kernels"
    GODEBUG=cpu.avx512f=off "$dir/resnet" classify --weights "$dir/$name.pth" --arch "$name" --json --logits "${images[@]}" > "$dir/$name.ours.jsonl"
    $PY testdata/gen/classify_live.py compare "$dir/$name.expected.jsonl" "$dir/$name.ours.jsonl"
  fi
  rm -f "$dir/$name".*
done
