#!/usr/bin/python3
"""Time torchvision's ImageFolder + transforms on the photos that
data's BenchmarkLoaderImageFolder writes, in one thread, as CPU ms per image.

    RESNET_BENCH_PHOTOS=/tmp/photos go test -run XXX -bench LoaderImageFolder -benchtime 4x ./data/
    /usr/bin/python3 testdata/gen/data_bench_torch.py /tmp/photos
"""
import sys
import time

import torch
import torchvision
import torchvision.transforms as T

torch.set_num_threads(1)
root = sys.argv[1]
norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
for name, t in [
    ("train224", T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), norm])),
    ("eval224", T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm])),
]:
    ds = torchvision.datasets.ImageFolder(root, transform=t)
    for i in range(4):  # warm up
        ds[i]
    n = 0
    t0 = time.thread_time()
    for rep in range(3):
        for i in range(len(ds)):
            x, y = ds[i]
            n += 1
    ms = (time.thread_time() - t0) * 1000 / n
    print(f"torchvision {name}: {ms:.2f} cpu-ms/img ({n} images)")

# Fashion-MNIST as torchvision.datasets.FashionMNIST serves it (PIL "L" images).
import gzip
import os

import numpy as np
from PIL import Image

d = os.environ.get("RESNET_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
    imgs = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
fm = T.Normalize([0.2860], [0.3530])
for name, t in [
    ("plain", T.Compose([T.ToTensor(), fm])),
    ("pad4crop28flip", T.Compose([T.RandomCrop(28, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), fm])),
]:
    n = 20000
    t0 = time.thread_time()
    for i in range(n):
        x = t(Image.fromarray(imgs[i], mode="L"))
    ms = (time.thread_time() - t0) * 1000 / n
    print(f"torchvision fashion-mnist {name}: {ms:.4f} cpu-ms/img ({n} images)")
