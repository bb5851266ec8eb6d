#!/usr/bin/python3
"""Time PIL + torchvision's ImageNet eval transform on one thread.

    /usr/bin/python3 bench/imageio_pil.py [imageio/testdata/bench_1000x750.jpg] [iterations]

It runs the measurement twice, in child processes: with glibc's default
malloc settings, where every image freed goes back to the OS and the next one
page-faults its buffers in (very costly on a busy VM), and with
MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ raised so that buffers are reused,
PIL's best case.

Compare with (same machine, same run):

    go test -run XXX -bench ImageNetEval -cpu 1 ./imageio/
"""
import os
import subprocess
import sys
import time

if "--child" not in sys.argv:
    for label, extra in [("glibc malloc defaults", {}),
                         ("malloc thresholds raised (buffers reused)",
                          {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "1000000000"})]:
        print(f"-- {label}", flush=True)
        subprocess.run([sys.executable, __file__, "--child"] + sys.argv[1:], env={**os.environ, **extra}, check=True)
    sys.exit(0)
sys.argv.remove("--child")

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch
from PIL import Image
import torchvision.transforms as T

torch.set_num_threads(1)
path = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else os.path.join(os.path.dirname(__file__), "..", "imageio", "testdata", "bench_1000x750.jpg")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
with open(path, "rb") as f:
    data = f.read()
tr = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def decode():
    import io
    return Image.open(io.BytesIO(data)).convert("RGB")


def full():
    return tr(decode())


def bench(fn):
    """Best of 3 runs of n calls: (wall, thread CPU) seconds per call."""
    for _ in range(n):  # warm up: glibc's malloc settles after the first big frees
        fn()
    best = (float("inf"), float("inf"))
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, ((time.perf_counter() - t0) / n, (time.thread_time() - c0) / n), key=lambda x: x[1])
    return best


img = decode()
if os.environ.get("MALLOC_MMAP_THRESHOLD_") is None:
    print(f"PIL {Image.__version__} torchvision {__import__('torchvision').__version__}: {img.size[0]}x{img.size[1]} {os.path.basename(path)}")
for name, fn in [("decode+convert", decode), ("transform only", lambda: tr(img)), ("full eval pipeline", full)]:
    wall, cpu = bench(fn)
    print(f"{name:20s} {wall * 1e3:8.2f} ms/image wall {cpu * 1e3:8.2f} cpu-ms/image")
