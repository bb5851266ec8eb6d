#!/usr/bin/python3
"""End-to-end check of `resnet classify` against PIL + torchvision + PyTorch.

  /usr/bin/python3 testdata/gen/classify_live.py make NAME DIR IMAGE...
      writes DIR/NAME.pth (random weights, as models_gen.py live) and
      DIR/NAME.expected.jsonl: the logits PyTorch computes for each image with
      Image.open(f).convert("RGB") → Resize(256) → CenterCrop(224) → ToTensor → Normalize.
  /usr/bin/python3 testdata/gen/classify_live.py compare EXPECTED.jsonl OURS.jsonl
      checks `resnet classify --json --logits` output: SPEC §6 tolerance and the same top-5.
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def make(name, d, images):
    from models_gen import build, perturb
    t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    torch.manual_seed(99)
    # Batch-norm statistics measured on these images, so that the random
    # network's logits depend on which image it sees.
    calib = torch.stack([t(Image.open(p).convert("RGB")) for p in images])
    m = perturb(build(name), 99, calib=calib)
    torch.save(m.state_dict(), os.path.join(d, name + ".pth"))
    with open(os.path.join(d, name + ".expected.jsonl"), "w") as f, torch.no_grad():
        for p in images:
            x = t(Image.open(p).convert("RGB")).unsqueeze(0)
            f.write(json.dumps({"file": p, "logits": m(x)[0].tolist()}) + "\n")


def compare(expected, ours):
    exp = [json.loads(l) for l in open(expected)]
    got = {}
    for l in open(ours):
        r = json.loads(l)
        got[r["file"]] = r
    bad = 0
    for e in exp:
        r = got.get(e["file"])
        if r is None or "logits" not in r:
            print("FAIL %s: no result (%s)" % (e["file"], r and r.get("error")))
            bad += 1
            continue
        w, g = np.array(e["logits"], np.float64), np.array(r["logits"], np.float64)
        diff, bound = np.abs(w - g).max(), 1e-4 * np.abs(w).max() + 1e-5
        top_w = list(np.argsort(-w, kind="stable")[:5])
        top_g = [p["index"] for p in r["top"]]
        # The same top-5 unless two logits are within the tolerance of each other.
        order_ok = all(a == b or abs(w[a] - w[b]) <= 2 * bound for a, b in zip(top_w, top_g))
        ok = diff <= bound and order_ok
        bad += not ok
        print("%s %s: max |Δlogit| %.3g (bound %.3g), top-5 ours %s PyTorch %s" %
              ("ok  " if ok else "FAIL", os.path.basename(e["file"]), diff, bound, top_g, top_w))
    if bad:
        raise SystemExit("%d of %d images disagree" % (bad, len(exp)))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
