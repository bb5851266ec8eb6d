#!/usr/bin/python3
"""Reference fixtures for the models and nn packages, made with PyTorch.

Run with Debian's interpreter (torch 1.13, torchvision 0.14):

  /usr/bin/python3 testdata/gen/models_gen.py fixtures           # small committed fixtures
  /usr/bin/python3 testdata/gen/models_gen.py params             # models/testdata/params.json
  /usr/bin/python3 testdata/gen/models_gen.py live NAME OUTDIR   # full-size network for .ci/run

Weights are random with fixed seeds; batch-norm affine parameters and
running statistics are perturbed so that they are not 0/1.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

torch.set_num_threads(max(1, os.cpu_count() or 1))
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# --- CIFAR-style networks (He et al. 2015 §4.2), named like torchvision ---

class CifarBlock(nn.Module):
    def __init__(self, inp, planes, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = shortcut
        self.pad = 0
        if shortcut == "B" and (stride != 1 or inp != planes):
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        else:
            self.downsample = None
        if shortcut == "A" and (stride != 1 or inp != planes):
            self.pad = (planes - inp) // 2

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut == "none":
            return F.relu(out)
        if self.downsample is not None:
            idt = self.downsample(x)
        elif self.pad or out.shape != x.shape:
            idt = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        else:
            idt = x
        return F.relu(out + idt)


class CifarResNet(nn.Module):
    def __init__(self, n, shortcut, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        inp = 16
        for s, planes in enumerate([16, 32, 64]):
            blocks = []
            for i in range(n):
                stride = 2 if s > 0 and i == 0 else 1
                blocks.append(CifarBlock(inp, planes, stride, shortcut))
                inp = planes
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


WSL = {"resnext101_32x%dd_wsl" % d: d for d in (8, 16, 32, 48)}


def build(name):
    if name in WSL:  # exactly facebookresearch/WSL-Images hubconf.py
        return ResNet(Bottleneck, [3, 4, 23, 3], groups=32, width_per_group=WSL[name])
    if hasattr(torchvision.models, name):
        return getattr(torchvision.models, name)()
    for depth in (20, 32, 44, 56, 110):
        n = (depth - 2) // 6
        if name == "resnet%d" % depth:
            return CifarResNet(n, "A")
        if name == "resnet%db" % depth:
            return CifarResNet(n, "B")
        if name == "plain%d" % depth:
            return CifarResNet(n, "none")
    raise SystemExit("unknown architecture " + name)


def perturb(model, seed, calib_shape=None, calib=None):
    """Random affine batch-norm parameters, and running statistics that are
    not 0/1: measured on random inputs of calib_shape when given (so that
    activations stay normalised through deep plain networks and the logits
    depend on the input), else drawn at random."""
    g = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            m.weight.copy_(0.5 + torch.rand(c, generator=g))
            m.bias.copy_(0.1 * torch.randn(c, generator=g))
            m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
            m.running_var.copy_(0.5 + torch.rand(c, generator=g))
        if calib_shape is not None or calib is not None:
            for m in bns:
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the calibration batches
            model.train()
            model(calib if calib is not None else torch.randn(*calib_shape, generator=g))
            for m in bns:
                m.momentum = 0.1
        for m in bns:
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
    model.eval()
    return model


def save_npy(path, t):
    np.save(path, np.ascontiguousarray(t.detach().numpy().astype(np.float32)))


def case(model, x, outdir, stem, legacy=False):
    model.eval()
    with torch.no_grad():
        y = model(x)
    os.makedirs(outdir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(outdir, stem + ".pth"), _use_new_zipfile_serialization=not legacy)
    save_npy(os.path.join(outdir, stem + ".input.npy"), x)
    save_npy(os.path.join(outdir, stem + ".output.npy"), y)


class Wrap(nn.Module):
    """A single layer as a module whose state_dict keys are the layer's."""
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


def fixtures():
    out = os.path.join(ROOT, "models", "testdata")
    torch.manual_seed(0)
    for name in ("resnet20", "resnet20b", "plain20"):
        torch.manual_seed(1)
        m = perturb(build(name), 1, (8, 3, 32, 32))
        case(m, torch.randn(2, 3, 32, 32), out, name)
    # Single torchvision blocks with small widths (full networks are too big to commit).
    torch.manual_seed(2)
    ds = nn.Sequential(nn.Conv2d(16, 32, 1, 2, bias=False), nn.BatchNorm2d(32))
    b = perturb(Bottleneck(16, 8, stride=2, downsample=ds, groups=4, base_width=16), 2)
    case(b, torch.randn(2, 16, 9, 11), out, "bottleneck_g4_w16_s2")
    torch.manual_seed(3)
    ds = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
    b = perturb(BasicBlock(8, 16, stride=2, downsample=ds), 3)
    case(b, torch.randn(2, 8, 10, 7), out, "basic_s2")
    torch.manual_seed(4)
    b = perturb(Bottleneck(32, 8, groups=2, base_width=64), 4)
    case(b, torch.randn(1, 32, 6, 6), out, "bottleneck_g2_identity")

    # Layers, for nn.
    out = os.path.join(ROOT, "nn", "testdata")
    torch.manual_seed(10)
    convs = {
        "conv_k3_s1_p1": (nn.Conv2d(4, 6, 3, 1, 1, bias=False), (2, 4, 7, 9)),
        "conv_k7_s2_p3_bias": (nn.Conv2d(3, 5, 7, 2, 3, bias=True), (2, 3, 15, 12)),
        "conv_k3_s2_p1_g4": (nn.Conv2d(8, 12, 3, 2, 1, groups=4, bias=False), (2, 8, 9, 8)),
        "conv_k3_d2_p2": (nn.Conv2d(3, 4, 3, 1, 2, dilation=2, bias=True), (1, 3, 8, 10)),
        "conv_k1_s1": (nn.Conv2d(6, 5, 1, bias=False), (3, 6, 4, 5)),
        "conv_k1_s2_g3": (nn.Conv2d(6, 9, 1, 2, groups=3, bias=False), (2, 6, 7, 7)),
        "conv_k3_s3_p0_d1_g1_odd": (nn.Conv2d(2, 3, 3, 3, 0, bias=True), (1, 2, 11, 13)),
        "conv_k5_s1_p2_d3_g2": (nn.Conv2d(4, 4, 5, 1, 2, dilation=3, groups=2, bias=False), (1, 4, 14, 13)),
    }
    for stem, (layer, shape) in convs.items():
        case(Wrap(layer), torch.randn(*shape), out, stem)
    case(Wrap(perturb(nn.Sequential(nn.BatchNorm2d(5)), 11)[0]), torch.randn(2, 5, 3, 4), out, "batchnorm")
    case(Wrap(nn.MaxPool2d(3, 2, 1)), torch.randn(2, 3, 9, 8), out, "maxpool_k3_s2_p1")
    case(Wrap(nn.MaxPool2d(2, 2)), torch.randn(1, 2, 7, 5), out, "maxpool_k2_s2")
    case(Wrap(nn.AdaptiveAvgPool2d((3, 2))), torch.randn(2, 3, 7, 5), out, "adaptiveavgpool_3x2")
    case(Wrap(nn.AdaptiveAvgPool2d(1)), torch.randn(2, 4, 7, 7), out, "adaptiveavgpool_1")
    case(Wrap(nn.Linear(12, 7)), torch.randn(5, 12), out, "linear")


def params():
    names = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
             "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]
    names += list(WSL)
    names += [p % d for d in (20, 32, 44, 56, 110) for p in ("resnet%d", "resnet%db", "plain%d")]
    counts = {}
    for n in names:
        m = build(n)
        counts[n] = sum(p.numel() for p in m.parameters())
        print(n, counts[n], flush=True)
        del m
    path = os.path.join(ROOT, "models", "testdata", "params.json")
    with open(path, "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)
        f.write("\n")


def live(name, outdir):
    torch.manual_seed(1234)
    m = build(name)
    size = 32 if m.__class__ is CifarResNet else 224
    m = perturb(m, 1234, (2, 3, size, size))
    x = torch.randn(2, 3, size, size)
    case(m, x, outdir, name, legacy=name in WSL)
    # Rounding grows with depth (plain networks amplify it: PyTorch's own
    # float32 result strays from float64 by 1e-3 of the logits at plain-56
    # and 30% at plain-110) and with the width of the layers (the WSL 32x48d
    # and wide_resnet101_2 stray by about the SPEC §6 bound). A float64 reference lets the test
    # measure how far each float32 implementation is from the exact result.
    with torch.no_grad():
        y64 = m.double()(x.double())
    np.save(os.path.join(outdir, name + ".output64.npy"), y64.numpy())

if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    if cmd == "fixtures":
        fixtures()
    elif cmd == "params":
        params()
    elif cmd == "live":
        live(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
