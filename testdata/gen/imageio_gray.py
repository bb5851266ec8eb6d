#!/usr/bin/python3
"""Goldens for imageio.Transform.Grayscale: PIL convert("L") (torchvision's
Grayscale(1)) → Resize → CenterCrop → ToTensor → Normalize, on committed
test images. Writes imageio/testdata/gray_golden.json.

  /usr/bin/python3 testdata/gen/imageio_gray.py
"""
import json
import os

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
D = os.path.join(ROOT, "imageio", "testdata")
cases = []
for name, resize, crop in [("rgb_photo_120x90.png", 28, 28), ("p_trns_31x19.png", 12, 10), ("rgba_23x19.png", 30, 24),
                           ("l_29x17.png", 9, 9), ("rgb16_15x9.png", 20, 16)]:
    img = Image.open(os.path.join(D, name))
    t = T.Compose([T.Grayscale(1), T.Resize(resize), T.CenterCrop(crop), T.ToTensor(), T.Normalize([0.2860], [0.3530])])
    x = t(img.convert("RGB"))
    cases.append({"file": name, "resize": resize, "crop": crop, "tensor": x.numpy().ravel().tolist()})
with open(os.path.join(D, "gray_golden.json"), "w") as f:
    json.dump(cases, f)
