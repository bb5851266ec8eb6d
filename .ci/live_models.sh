#!/usr/bin/env bash
# Live comparison with PyTorch at full size for every architecture of SPEC §1:
# PyTorch writes random-weight checkpoints (zip format; legacy format for the
# WSL names), inputs (batch 2, 224x224; 32x32 for CIFAR nets) and logits; our
# test loads and compares them; then PyTorch loads the .pth we write back (all
# but the three widest WSL files: same code path as resnext101_32x8d_wsl's,
# and minutes each to write and reload).
# Usage: .ci/live_models.sh [NAME...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
dir=$(mktemp -d /tmp/resnet-live.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# PyTorch on OpenBLAS, not Debian's default reference BLAS: its float64
# references take a quarter of the time (testdata/gen/openblas.sh).
if blas=$(testdata/gen/openblas.sh "$dir/openblas"); then
  export LD_LIBRARY_PATH=$blas
  echo "PyTorch runs on OpenBLAS from $blas"
else
  echo "OpenBLAS package not available: PyTorch runs on the system BLAS (the float64 references take longer)"
fi
go build -o "$dir/resnet" ./cmd/resnet
go test -c -o "$dir/models.test" ./models
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(resnet18 resnet34 resnet50 resnet101 resnet152 resnext50_32x4d resnext101_32x8d resnext101_64x4d
         wide_resnet50_2 wide_resnet101_2 resnext101_32x8d_wsl resnext101_32x16d_wsl resnext101_32x32d_wsl
         resnext101_32x48d_wsl resnet20 resnet20b plain20 resnet56 plain56 resnet110 resnet110b plain110)
fi
for name in "${names[@]}"; do
  start=$(date +%s)
  $PY testdata/gen/models_gen.py live "$name" "$dir"
  (cd models && RESNET_LIVE_DIR="$dir" RESNET_LIVE_NAME="$name" "$dir/models.test" -test.run "^TestLive\$" -test.v) || { echo "FAIL: $name"; exit 1; }
  case "$name" in
    resnext101_32x16d_wsl|resnext101_32x32d_wsl|resnext101_32x48d_wsl) ;; # same code path as the 32x8d file, minutes each
    *)
      "$dir/resnet" convert "$dir/$name.pth" "$dir/$name.ours.pth"
      $PY testdata/gen/models_roundtrip.py "$name" "$dir" "$dir/$name.ours.pth";;
  esac
  rm -f "$dir/$name".*
  echo "live $name: ok ($(( $(date +%s) - start ))s)"
done
