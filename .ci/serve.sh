#!/usr/bin/env bash
# `resnet serve` checks that need more than `go test ./...`: the web page in
# headless Chromium, the generated gRPC code matching the .proto, and the
# binary end to end (serve, classify over HTTP, metrics, SIGTERM).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH

if ! command -v chromium >/dev/null || ! command -v protoc >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium protobuf-compiler >/dev/null
fi

echo "--- web page in headless Chromium, SIGTERM under load"
RESNET_BROWSER_TEST=1 go test -count=1 -v -run 'TestWebPageInChromium|TestSIGTERMUnderLoad|TestServeDrainsInFlight' ./serve/ 2>&1 | tail -n 20

echo "--- generated gRPC code is up to date"
GOFLAGS= go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
GOFLAGS= go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
go generate ./serve/kservepb
if ! git diff --quiet -- serve/kservepb; then
  echo "serve/kservepb: go generate changed the generated code:"; git diff --stat -- serve/kservepb; exit 1
fi

echo "--- resnet serve end to end"
dir=$(mktemp -d /tmp/resnet-serve.XXXXXX)
pid=""
refpid=""
cleanup() {
  for p in $pid $refpid; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
if [ -n "${RESNET_BIN:-}" ]; then cp "$RESNET_BIN" "$dir/resnet"; else go build -o "$dir/resnet" ./cmd/resnet; fi
if ! "$dir/resnet" serve --help >/dev/null 2>&1; then
  echo "resnet serve is not registered in cmd/resnet/main.go yet; skipping the end-to-end check"
  exit 0
fi
port=$((20000 + RANDOM % 20000))
"$dir/resnet" serve --random resnet20=cifar --addr "127.0.0.1:$port" --grpc-addr "127.0.0.1:$((port + 1))" \
  --log-format json 2>"$dir/serve.log" &
pid=$!
# The same network on the reference path, to compare the engine's answers with.
refport=$((port + 2))
"$dir/resnet" serve --random resnet20=cifar --engine=false --addr "127.0.0.1:$refport" --grpc-addr "" \
  --log-format json 2>"$dir/serve-ref.log" &
refpid=$!
for p in $port $refport; do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$p/v2/health/ready" >/dev/null && break
    sleep 0.1
  done
done
img=$(go env GOROOT)/src/image/testdata/video-001.png
out=$(curl -sf --data-binary "@$img" "http://127.0.0.1:$port/v1/models/cifar:classify?topk=3")
echo "$out"
echo "$out" | grep -q '"top":\[{"index":'
grep -q '"engine":true' "$dir/serve.log"
grep -q '"engine":false' "$dir/serve-ref.log"
eng=$(curl -sf --data-binary "@$img" "http://127.0.0.1:$port/v1/models/cifar:classify?logits=1")
ref=$(curl -sf --data-binary "@$img" "http://127.0.0.1:$refport/v1/models/cifar:classify?logits=1")
kill -TERM "$refpid"
wait "$refpid"
python3 -c '
import json, sys
e, r = (json.loads(a)["logits"] for a in sys.argv[1:3])
d, b = max(abs(x - y) for x, y in zip(e, r)), 1e-4 * max(abs(y) for y in r) + 1e-5
print("engine vs --engine=false: max |dlogit| %.3g (bound %.3g)" % (d, b))
sys.exit(d > b or len(e) != len(r))' "$eng" "$ref"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary 'not an image' "http://127.0.0.1:$port/v1/models/cifar:classify")
[ "$code" = 400 ] || { echo "corrupt image answered $code"; exit 1; }
curl -sf "http://127.0.0.1:$port/metrics" | grep -q 'resnet_serve_requests_total{code="200",handler="v1",model="cifar"} 2'
kill -TERM "$pid"
wait "$pid"
pid=""
grep -q '"msg":"stopped"' "$dir/serve.log"
echo "resnet serve: ok"
