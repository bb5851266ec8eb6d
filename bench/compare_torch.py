#!/usr/bin/python3
"""Times torchvision's model in PyTorch (eval, no_grad) and exports it to ONNX
for compare_ort.js. One JSON line per batch size; used by compare.sh.

  /usr/bin/python3 bench/compare_torch.py --arch resnet50 --batch 1,8 --threads 2 --onnx /tmp/resnet50.onnx
"""
import argparse, json, os, statistics, time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--arch", default="resnet50")
p.add_argument("--batch", default="1,8")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--iters", type=int, default=10)
p.add_argument("--min-time", type=float, default=0, help="keep timing past --iters until this many seconds have passed")
p.add_argument("--size", type=int, default=224)
p.add_argument("--onnx", help="write the model here as ONNX (opset 13) if the file is missing")
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(1)
if a.arch.endswith("_wsl"):
    # The WSL networks are torchvision's ResNeXt-101 32xNd (only N = 8 has
    # a constructor there), with the same parameter names.
    width = int(a.arch[len("resnext101_32x"):-len("d_wsl")])
    model = torchvision.models.resnet.ResNet(torchvision.models.resnet.Bottleneck, [3, 4, 23, 3],
                                             groups=32, width_per_group=width).eval()
else:
    model = getattr(torchvision.models, a.arch)().eval()

if a.onnx and not os.path.exists(a.onnx):
    tmp = a.onnx + ".tmp"
    torch.onnx.export(model, torch.randn(1, 3, a.size, a.size), tmp, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    os.replace(tmp, a.onnx)

with torch.no_grad():
    for n in [int(b) for b in a.batch.split(",")]:
        x = torch.randn(n, 3, a.size, a.size)
        for _ in range(2):
            model(x)
        ms = []
        start = time.perf_counter()
        while len(ms) < a.iters or time.perf_counter() - start < a.min_time:
            t = time.perf_counter()
            model(x)
            ms.append((time.perf_counter() - t) * 1e3)
        ms.sort()
        med = statistics.median(ms)
        print(json.dumps({"runtime": "pytorch", "arch": a.arch, "batch": n, "threads": a.threads,
                          "ms_median": med, "ms_p90": ms[min(len(ms) - 1, len(ms) * 9 // 10)],
                          "ms_per_image": med / n, "images_per_s": n * 1e3 / med}), flush=True)
