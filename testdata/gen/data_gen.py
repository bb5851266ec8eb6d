#!/usr/bin/python3
"""Generate the fixtures of package data from torchvision.

Run with Debian's interpreter (Pillow 9.4, torch 1.13, torchvision 0.14):

    /usr/bin/python3 testdata/gen/data_gen.py      # rewrites data/testdata/

It writes data/testdata/golden.json and data/testdata/src_40x30.png:
  * folders: directory trees (files, empty files, links) and what
    torchvision.datasets.ImageFolder makes of them (classes, samples in
    order, labels) or the error it raises;
  * rrc: RandomResizedCrop.get_params runs with the random draws they
    consumed (float32 uniforms, randint bounds and results) and the box;
  * pixels: F.resized_crop (PIL crop then resize, bilinear), RandomCrop's
    pad + crop, hflip, as SHA-256 of the uint8 bytes, and ToTensor +
    Normalize of one of them as SHA-256 of the float32 bytes;
  * fashion: facts about Debian's Fashion-MNIST files, if installed.
"""
import gzip
import hashlib
import json
import math
import os
import shutil
import tempfile

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "data", "testdata")

# Each tree: a list of entries. "f:path" an (empty) file, "d:path" a
# directory, "l:path>target" a symbolic link.
TREES = {
    "basic": [
        "f:cat/1.jpg", "f:cat/10.jpg", "f:cat/9.jpg", "f:cat/B.png", "f:cat/a.PNG", "f:cat/notes.txt",
        "f:dog/x.JPEG", "f:dog/.hidden.png", "f:dog/y.webp", "f:dog/z.tif", "f:dog/w.tiff", "f:dog/v.bmp",
        "f:dog/u.ppm", "f:dog/t.pgm", "f:dog/s.gif", "f:dog/noext", "f:dog/.jpg",
        "f:Zebra/a.jpg", "f:bird/b.jpg", "f:loose.jpg",
    ],
    "nested": [
        "f:a/x/1.png", "f:a/x-y/2.png", "f:a/x/z/3.png", "f:a/x.y/4.png", "f:a/5.png", "f:a/x_/6.png",
        "d:a/dir.jpg", "f:a/dir.jpg/7.png", "f:b/deep/er/est/8.jpg", "f:b/0.jpg",
        "f:b/ä.jpg", "f:b/é.jpg", "f:b/z.jpg",
    ],
    "links": [
        "f:real/1.jpg", "f:real/sub/2.jpg", "l:linked>real", "l:other/sub>../real/sub", "f:other/0.jpg",
        "l:other/3.jpg>../real/1.jpg",
    ],
    "empty_class": ["f:a/1.jpg", "d:b", "f:c/readme.txt", "f:d/2.png"],
    "no_classes": ["f:1.jpg", "f:2.png"],
}


def make_tree(root, entries):
    for e in entries:
        kind, spec = e.split(":", 1)
        if kind == "f":
            p = os.path.join(root, spec)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "wb").close()
        elif kind == "d":
            os.makedirs(os.path.join(root, spec), exist_ok=True)
        else:
            name, target = spec.split(">")
            p = os.path.join(root, name)
            os.makedirs(os.path.dirname(p) or root, exist_ok=True)
            os.symlink(target, p)


def folders():
    out = []
    for name, entries in TREES.items():
        d = tempfile.mkdtemp()
        try:
            make_tree(d, entries)
            rec = {"name": name, "entries": entries}
            try:
                ds = torchvision.datasets.ImageFolder(d)
                rec["classes"] = ds.classes
                rec["samples"] = [[os.path.relpath(p, d), y] for p, y in ds.samples]
            except FileNotFoundError as e:
                rec["error"] = str(e).replace(d, "ROOT")
            out.append(rec)
        finally:
            shutil.rmtree(d)
    return out


def replica(width, height, scale, ratio, rec):
    """RandomResizedCrop.get_params of torchvision 0.14, recording draws."""
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    rec.append(["log", log_ratio[0].item(), log_ratio[1].item()])
    for _ in range(10):
        u = torch.empty(1).uniform_(scale[0], scale[1])
        rec.append(["u", u.item()])
        target_area = area * u.item()
        v = torch.empty(1).uniform_(log_ratio[0], log_ratio[1])
        aspect_ratio = torch.exp(v).item()
        rec.append(["u", v.item(), aspect_ratio])
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            rec.append(["i", height - h + 1, i])
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            rec.append(["i", width - w + 1, j])
            return i, j, h, w
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w = width
        h = height
    i = (height - h) // 2
    j = (width - w) // 2
    return i, j, h, w


def rrc():
    cases = []
    sizes = [(500, 375), (224, 224), (32, 32), (28, 28), (1, 1), (2, 1), (5, 3), (3, 400), (400, 3), (1000, 7), (640, 480)]
    params = [((0.08, 1.0), (3 / 4, 4 / 3)), ((0.5, 1.0), (3 / 4, 4 / 3)), ((0.9, 1.0), (0.5, 2.0)),
              ((1.0, 1.0), (1.0, 1.0)), ((0.02, 0.05), (0.2, 5.0))]
    for (w, h) in sizes:
        for scale, ratio in params:
            for seed in range(6):
                img = Image.new("RGB", (w, h))
                torch.manual_seed(seed)
                want = T.RandomResizedCrop.get_params(img, list(scale), list(ratio))
                torch.manual_seed(seed)
                draws = []
                got = replica(w, h, list(scale), list(ratio), draws)
                assert tuple(got) == tuple(want), (w, h, scale, ratio, seed, got, want)
                i, j, hh, ww = want
                cases.append({"w": w, "h": h, "scale": scale, "ratio": ratio, "draws": draws, "box": [j, i, ww, hh]})
    return cases


def sha(b):
    return hashlib.sha256(b).hexdigest()


def pixels():
    rs = np.random.RandomState(7)
    yy, xx = np.mgrid[0:30, 0:40]
    a = np.stack([xx * 6, yy * 8, (xx * yy) % 256], -1) + rs.randint(-20, 21, size=(30, 40, 3))
    src = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")
    src.save(os.path.join(OUT, "src_40x30.png"))
    out = {"resized_crop": [], "random_crop": [], "hflip": sha(F.hflip(src).tobytes())}
    boxes = [(0, 0, 30, 40), (3, 5, 20, 17), (10, 1, 7, 33), (29, 39, 1, 1), (0, 0, 1, 40), (12, 8, 11, 11)]
    for (i, j, h, w) in boxes:
        for size in [(8, 8), (24, 24), (64, 64), (11, 11)]:
            for interp in [T.InterpolationMode.BILINEAR, T.InterpolationMode.BICUBIC]:
                r = F.resized_crop(src, i, j, h, w, list(size), interp)
                ref = src.crop((j, i, j + w, i + h)).resize(size, Image.BILINEAR if interp == T.InterpolationMode.BILINEAR else Image.BICUBIC)
                assert r.tobytes() == ref.tobytes()
                out["resized_crop"].append({"box": [j, i, w, h], "size": size[0], "filter": interp.value, "sha": sha(r.tobytes())})
    padded = F.pad(src, 4)
    for (i, j) in [(0, 0), (6, 16), (3, 7), (0, 16), (6, 0)]:
        r = F.crop(padded, i, j, 32, 32)
        out["random_crop"].append({"top": i, "left": j, "sha": sha(r.tobytes())})
    # The MNIST path resizes a gray image as RGB: PIL gives each channel what
    # it gives an "L" image.
    gray = src.convert("L")
    for size in [(32, 32), (224, 224), (14, 9)]:
        for f in [Image.BILINEAR, Image.BICUBIC, Image.NEAREST]:
            assert np.array_equal(np.asarray(gray.resize(size, f)), np.asarray(gray.convert("RGB").resize(size, f))[:, :, 0])
    r = F.resized_crop(src, 3, 5, 20, 17, [24, 24], T.InterpolationMode.BILINEAR)
    x = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(r))
    out["normalized"] = sha(x.numpy().astype("<f4").tobytes())
    out["to_tensor"] = sha(T.ToTensor()(r).numpy().astype("<f4").tobytes())
    return out


def fashion():
    d = "/usr/share/datasets/fashion-mnist"
    if not os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
        return None
    rec = {}
    for split in ["train", "t10k"]:
        with gzip.open(os.path.join(d, split + "-images-idx3-ubyte.gz")) as f:
            imgs = np.frombuffer(f.read(), np.uint8, offset=16)
        with gzip.open(os.path.join(d, split + "-labels-idx1-ubyte.gz")) as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)
        rec[split] = {"n": int(labels.size), "images_sha": sha(imgs.tobytes()), "labels_first": labels[:20].tolist(),
                      "label_counts": np.bincount(labels, minlength=10).tolist()}
        if split == "train":
            x = imgs.astype(np.float64) / 255
            rec["mean"], rec["std"] = float(x.mean()), float(x.std())
    return rec


def main():
    os.makedirs(OUT, exist_ok=True)
    golden = {"folders": folders(), "rrc": rrc(), "pixels": pixels(), "fashion": fashion(),
              "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__}}
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, indent=0, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
