#!/usr/bin/env bash
# One training step (forward in train mode, cross-entropy, backward, SGD
# with momentum 0.9 and weight decay 1e-4; batch 16 at 224×224) for resnet18
# and resnet50, ours and PyTorch's (Debian's torch 1.13, /usr/bin/python3) in
# the same run on the same number of threads, as one markdown table:
#
#   bench/train_step.sh [-t THREADS] [-n STEPS] [-r ROUNDS]
#
# Each round runs both sides once (ours first, then PyTorch); the table shows
# the medians over rounds of wall ms/step and CPU seconds/step (all threads).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=$(nproc) steps=3 rounds=3
while getopts "t:n:r:" o; do
	case $o in
	t) threads=$OPTARG ;; n) steps=$OPTARG ;; r) rounds=$OPTARG ;;
	*) echo "usage: $0 [-t threads] [-n steps] [-r rounds]" >&2; exit 2 ;;
	esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/models.test" ./models
for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	GOMAXPROCS=$threads "$tmp/models.test" -test.run XXX -test.bench 'TrainStep/resnet(18|50)/' \
		-test.benchtime "${steps}x" | awk '/^BenchmarkTrainStep/ {
			split($1, a, "/"); for (i = 2; i < NF; i++) { if ($(i+1) == "cpu-s/step") c = $i; if ($(i+1) == "ms/step") m = $i }
			print "ours", a[2], m, c }' >>"$tmp/rows"
	OMP_NUM_THREADS=$threads /usr/bin/python3 bench/train_step_torch.py "$threads" "$steps" | awk -F'[ :,/]+' '
		/cpu-s\/step/ { print "torch", $1, $6, $3 }' >>"$tmp/rows"
done
/usr/bin/python3 - "$tmp/rows" "$threads" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, net, ms, cpu = line.split()
    rows.setdefault((net, side), []).append((float(ms), float(cpu)))
print(f"| network (batch 16, 224×224) | threads | ours ms/step | PyTorch ms/step | ours/PyTorch | ours CPU-s/step | PyTorch CPU-s/step |")
print("|---|---:|---:|---:|---:|---:|---:|")
for net in ("resnet18", "resnet50"):
    o, t = rows.get((net, "ours"), []), rows.get((net, "torch"), [])
    if not o or not t:
        continue
    om, tm = statistics.median(x[0] for x in o), statistics.median(x[0] for x in t)
    oc, tc = statistics.median(x[1] for x in o), statistics.median(x[1] for x in t)
    print(f"| {net} | {sys.argv[2]} | {om:.0f} | {tm:.0f} | {om / tm:.2f} | {oc:.2f} | {tc:.2f} |")
PY
