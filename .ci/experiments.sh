#!/usr/bin/env bash
# The --quick preset of `resnet experiment` (degradation, lesion, gradient
# flow, report) on Fashion-MNIST, then checks that every output is there and
# well-formed (CSV columns and numbers, PNG files decode, JSON parses), that
# --resume of a finished run trains nothing and changes no CSV, and that the
# tables of docs/experiments/README.md match the committed CSV files they are
# generated from. A few minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/resnet-experiments.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/resnet" ./cmd/resnet
run="$dir/run"
"$dir/resnet" experiment degradation --quick --out "$run"
"$dir/resnet" experiment lesion --quick --out "$run"
"$dir/resnet" experiment gradflow --quick --out "$run"
"$dir/resnet" experiment report --out "$run"

# Resuming a finished run retrains nothing and leaves the CSV files as they were.
cp "$run/degradation/curves.csv" "$dir/curves.before"
"$dir/resnet" experiment degradation --quick --out "$run" --resume 2>&1 | tee "$dir/resume.log"
grep -q 'finished earlier' "$dir/resume.log"
cmp "$run/degradation/curves.csv" "$dir/curves.before"
# Without --resume an existing run is refused.
if "$dir/resnet" experiment degradation --quick --out "$run" 2>/dev/null; then
  echo "rerun without --resume was not refused"; exit 1
fi

# Independent checks of the files (columns, PNG decoding, JSON), then the
# report's own --check.
RESNET_EXPERIMENTS_DIR="$run" go test -count=1 -run '^TestOutputsWellFormed$' -v ./experiments/ | grep -vE '^=== RUN'
"$dir/resnet" experiment report --out "$run" --check

# The committed document's generated tables match its committed CSV files.
"$dir/resnet" experiment report --out docs/experiments/reduced --doc docs/experiments/README.md --check
