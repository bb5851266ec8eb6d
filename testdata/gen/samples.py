#!/usr/bin/python3
"""Writes a few Fashion-MNIST test images as PNGs into samples/, for the
README's first command. Source: Debian's dataset-fashion-mnist.

  /usr/bin/python3 testdata/gen/samples.py
"""
import gzip
import os

import numpy as np
from PIL import Image

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SRC = os.environ.get("RESNET_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


def idx(name):
    with gzip.open(os.path.join(SRC, name + ".gz")) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


images, labels = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte")
out = os.path.join(ROOT, "samples")
os.makedirs(out, exist_ok=True)
for label in range(10):  # the first test image of each class
    i = int(np.nonzero(labels == label)[0][0])
    Image.fromarray(images[i], "L").save(os.path.join(out, "%s-%04d.png" % (NAMES[label], i)))
