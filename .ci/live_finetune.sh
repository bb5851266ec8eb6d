#!/usr/bin/env bash
# Fine-tune round trip: PyTorch writes a random resnet18; we fine-tune it with
# the backbone frozen on a tiny ImageFolder; PyTorch loads the result strictly,
# the frozen tensors are bit-identical and the logits agree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
dir=$(mktemp -d /tmp/resnet-finetune.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/resnet" ./cmd/resnet
$PY testdata/gen/finetune_live.py make "$dir"
"$dir/resnet" finetune --weights "$dir/r18.pth" --arch resnet18 --data "$dir/folder" --epochs 2 --batch 4 \
  --size 64 --lr 0.05 --out "$dir/out"
"$dir/resnet" run --arch resnet18 --weights "$dir/out/model.pth" -i "$dir/x.npy" -o "$dir/ours.npy"
$PY testdata/gen/finetune_live.py check "$dir"
"$dir/resnet" classify --weights "$dir/out/model.pth" --arch resnet18 --topk 1 "$dir/folder/dog/0.png" | grep -E 'cat|dog|fish'
