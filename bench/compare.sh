#!/usr/bin/env bash
# Compares the engine with ONNX Runtime and PyTorch on the same random-weight
# architectures, in one run: for each round and architecture it times
# PyTorch (torchvision's model, which it also exports to ONNX, opset 13),
# ONNX Runtime (npm onnxruntime-node on that file) and ours
# (bench/enginebench), all with the same thread count, then prints the
# medians over rounds of ms/image and of the ratios ours/ORT and
# ours/PyTorch within each round (the runtimes of a round run seconds
# apart; this VM's speed can change by a third between rounds, which a
# ratio of the medians would mix in). Each round starts with the FMA peak
# on one thread and on all (enginebench -peak).
# With -b it also times the engine with engine.Options.BF16 (bfloat16
# products: not float32-exact, see bench/precision) and adds its columns;
# with -q, engine.Options.Int8 (with BF16 too when -b is given: each mode
# at its fastest) likewise.
#
# Each runtime times each batch size ITERS times (-n) and on until MIN
# seconds have passed (-s, default 1): the median of five 8 ms passes
# moved by 15 % between runs minutes apart on this VM, that of a second's
# passes by a few.
#
#   bench/compare.sh [-t THREADS] [-r ROUNDS] [-n ITERS] [-s MIN] [-b] [-q] [ARCH ...]
#
# Needs /usr/bin/python3 with torch + torchvision, node and npm (once, to
# install onnxruntime-node with --ignore-scripts into the cache), and Go.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=2 rounds=3 iters=10 mins=1 bf16=0 int8=0
while getopts "t:r:n:s:bq" o; do
	case $o in
	b) bf16=1 ;;
	q) int8=1 ;;
	t) threads=$OPTARG ;;
	r) rounds=$OPTARG ;;
	n) iters=$OPTARG ;;
	s) mins=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(resnet18 resnet50 resnext50_32x4d resnext101_32x8d)

cache=${RESNET_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/resnet-bench}
mkdir -p "$cache/npm"
ort=1
if [ ! -d "$cache/npm/node_modules/onnxruntime-node" ]; then
	if ! (cd "$cache/npm" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node >&2); then
		echo "compare.sh: npm install onnxruntime-node failed: no ONNX Runtime column" >&2
		ort=0
	fi
fi
# ENGINEBENCH names a prebuilt bench/enginebench to time instead.
bin=${ENGINEBENCH:-$cache/enginebench}
[ -n "${ENGINEBENCH:-}" ] || go build -o "$bin" ./bench/enginebench
out="$cache/results.jsonl"
: >"$out"
# PyTorch on OpenBLAS rather than Debian's default, netlib's reference BLAS
# (testdata/gen/openblas.sh says where PyTorch uses it and why it matters).
torchenv=()
if blas=$(testdata/gen/openblas.sh "$cache/openblas"); then
	torchenv=(env "LD_LIBRARY_PATH=$blas" "OPENBLAS_NUM_THREADS=$threads")
else
	echo "compare.sh: no OpenBLAS package: PyTorch runs on the system BLAS" >&2
fi

for ((r = 1; r <= rounds; r++)); do
	echo "{\"runtime\": \"round\", \"round\": $r}" >>"$out"
	"$bin" -peak -threads "$threads" >>"$out" || true
	for a in "${archs[@]}"; do
		echo "round $r/$rounds: $a" >&2
		"${torchenv[@]}" /usr/bin/python3 bench/compare_torch.py --arch "$a" --batch 1,8 --threads "$threads" \
			--iters "$iters" --min-time "$mins" --onnx "$cache/$a.onnx" >>"$out"
		if [ $ort = 1 ]; then
			NODE_PATH="$cache/npm/node_modules" node bench/compare_ort.js "$cache/$a.onnx" "$a" 1,8 \
				"$threads" "$iters" 224 "$mins" >>"$out"
		fi
		"$bin" -arch "$a" -batch 1,8 -threads "$threads" -iters "$iters" -min-time "${mins}s" >>"$out"
		if [ $bf16 = 1 ]; then
			"$bin" -arch "$a" -batch 1,8 -threads "$threads" -iters "$iters" -min-time "${mins}s" -bf16 >>"$out"
		fi
		if [ $int8 = 1 ]; then
			"$bin" -arch "$a" -batch 1,8 -threads "$threads" -iters "$iters" -min-time "${mins}s" -int8 -bf16=$([ $bf16 = 1 ] && echo true || echo false) >>"$out"
		fi
	done
done

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
flags=""
[ $bf16 = 0 ] || flags=" -b"
[ $int8 = 0 ] || flags="$flags -q"
echo "# bench/compare.sh -t $threads -r $rounds -n $iters -s $mins$flags ${archs[*]}  (ms: medians over rounds of per-run medians; ratios: medians over rounds of each round's ratio)"
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
runs, peaks, rounds = {}, {}, {}
rnd = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        d = json.loads(line)
        if d["runtime"] == "round":
            rnd = d["round"]
            continue
        if d["runtime"] == "fma-peak":
            peaks.setdefault(d["threads"], []).append(d["gflops"])
            continue
        runs.setdefault((d["arch"], d["batch"], d["runtime"]), []).append(d["ms_per_image"])
        rounds[(d["arch"], d["batch"], d["runtime"], rnd)] = d["ms_per_image"]
if peaks:
    print("# FMA peak at each round's start, GFLOP/s: " + "; ".join(
        f"{t} thread{'s' if t > 1 else ''} " + ", ".join(f"{g:.0f}" for g in v) for t, v in sorted(peaks.items())))
med = {k: statistics.median(v) for k, v in runs.items()}
archs = list(dict.fromkeys(k[0] for k in runs))
thr = next(json.loads(l)["threads"] for l in open(sys.argv[1]) if l.startswith("{") and '"arch"' in l)
bf16 = any(k[2] == "ours-bf16" for k in runs)
int8 = next((k[2] for k in runs if k[2].startswith("ours-int8")), None)
head = "| arch | batch | threads | ours ms/img | ORT ms/img | PyTorch ms/img | ours/ORT | ours/PyTorch |"
rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
if bf16:
    head += " ours bf16 ms/img | bf16/ORT |"
    rule += "---:|---:|"
if int8:
    head += f" {int8} ms/img | int8/ORT |"
    rule += "---:|---:|"
print(head)
print(rule)
for a in archs:
    for b in sorted({k[1] for k in runs if k[0] == a}):
        o, t, p, h = (med.get((a, b, r)) for r in ("ours", "ort", "pytorch", "ours-bf16"))
        f = lambda v: "–" if v is None else f"{v:.1f}"
        def q(x, y):
            # The median over rounds of the ratio within each round: the
            # runtimes of one round run seconds apart, where the machine's
            # speed can change between rounds.
            if "–" in (x, y):
                return "–"
            rs = [rounds[(a, b, x, r)] / rounds[(a, b, y, r)] for r in sorted({k[3] for k in rounds})
                  if (a, b, x, r) in rounds and (a, b, y, r) in rounds]
            return f"{statistics.median(rs):.2f}"
        has = lambda r: "–" if med.get((a, b, r)) is None else r
        row = f"| {a} | {b} | {thr} | {f(o)} | {f(t)} | {f(p)} | {q(has('ours'), has('ort'))} | {q(has('ours'), has('pytorch'))} |"
        if bf16:
            row += f" {f(h)} | {q(has('ours-bf16'), has('ort'))} |"
        if int8:
            i8 = med.get((a, b, int8))
            row += f" {f(i8)} | {q(has(int8), has('ort'))} |"
        print(row)
PY
