#!/usr/bin/python3
"""Checks that PyTorch loads a checkpoint we wrote and gives the reference logits.

  /usr/bin/python3 testdata/gen/models_roundtrip.py NAME DIR FILE

DIR holds NAME.input.npy and NAME.output.npy from models_gen.py live; FILE is
the .pth that `resnet convert` wrote. The weights are bit-identical to the
ones PyTorch saved, so the logits must be exactly equal.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_gen import build  # noqa: E402

name, d, path = sys.argv[1:4]
sd = torch.load(path, weights_only=True)
# Every value is overwritten by the strict load below: skip the random
# initialisation, which takes most of the time for the WSL networks.
torch.nn.Conv2d.reset_parameters = lambda self: None
torch.nn.Linear.reset_parameters = lambda self: None
for f in ("kaiming_normal_", "constant_", "zeros_", "ones_", "normal_", "uniform_"):
    setattr(torch.nn.init, f, lambda t, *a, **k: t)
m = build(name)
m.load_state_dict(sd, strict=True)
m.eval()
x = torch.from_numpy(np.load(os.path.join(d, name + ".input.npy")))
want = np.load(os.path.join(d, name + ".output.npy"))
with torch.no_grad():
    got = m(x).numpy()
diff = float(np.abs(got - want).max())
print("%s: PyTorch loaded %s (weights_only=True, strict); max |Δlogit| = %g" % (name, os.path.basename(path), diff))
if diff != 0:
    raise SystemExit("logits differ after the round trip")
