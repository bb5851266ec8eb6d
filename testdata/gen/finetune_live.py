#!/usr/bin/python3
"""Fine-tune round trip with PyTorch (run by .ci/live_finetune.sh).

  finetune_live.py make DIR      random resnet18 (DIR/r18.pth), a tiny ImageFolder (DIR/folder),
                                 an input batch DIR/x.npy
  finetune_live.py check DIR     loads DIR/out/model.pth into torchvision's resnet18 with
                                 fc = Linear(512, 3), strictly; checks every frozen tensor is
                                 bit-identical to r18.pth and that PyTorch's logits on x.npy match
                                 DIR/ours.npy (written by `resnet run`) within SPEC §6.
"""
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def make(d):
    from models_gen import perturb
    torch.manual_seed(5)
    m = perturb(torchvision.models.resnet18(), 5, (2, 3, 64, 64))
    torch.save(m.state_dict(), os.path.join(d, "r18.pth"))
    rng = np.random.default_rng(5)
    for ci, cls in enumerate(["cat", "dog", "fish"]):
        os.makedirs(os.path.join(d, "folder", cls), exist_ok=True)
        for i in range(4):
            base = np.zeros((48, 64, 3), np.uint8)
            base[..., ci] = 200
            img = np.clip(base + rng.integers(0, 55, base.shape), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(os.path.join(d, "folder", cls, "%d.png" % i))
    np.save(os.path.join(d, "x.npy"), torch.randn(2, 3, 64, 64).numpy())


def check(d):
    before = torch.load(os.path.join(d, "r18.pth"), weights_only=True)
    after = torch.load(os.path.join(d, "out", "model.pth"), weights_only=True)
    m = torchvision.models.resnet18()
    m.fc = torch.nn.Linear(m.fc.in_features, 3)
    m.load_state_dict(after, strict=True)
    m.eval()
    changed = [k for k in before if not k.startswith("fc.") and not torch.equal(before[k], after[k])]
    if changed:
        raise SystemExit("frozen tensors changed: %s" % changed[:5])
    if torch.equal(after["fc.weight"][:, :5], torch.zeros(3, 5)):
        raise SystemExit("fc was not trained")
    with torch.no_grad():
        want = m(torch.from_numpy(np.load(os.path.join(d, "x.npy")))).numpy()
    got = np.load(os.path.join(d, "ours.npy"))
    diff, bound = np.abs(want - got).max(), 1e-4 * np.abs(want).max() + 1e-5
    print("fine-tuned resnet18: PyTorch loads it strictly, %d frozen tensors bit-identical, max |Δlogit| %.3g (bound %.3g)"
          % (len(before) - 2, diff, bound))
    if diff > bound:
        raise SystemExit("logits differ")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
