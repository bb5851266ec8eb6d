#!/usr/bin/python3
"""Whole-network training-step fixtures, made with PyTorch autograd.

    /usr/bin/python3 testdata/gen/train_nets.py             # models/testdata/grad_*.pth (committed)
    /usr/bin/python3 testdata/gen/train_nets.py live DIR    # torchvision resnet18 and resnext50_32x4d (.ci/run)

Weights are not stored: every tensor is filled from a counter-based hash of
its state_dict name (splitmix64 over FNV-1a(name) + index), which the Go
test (models/train_test.go, hashInit) reproduces bit for bit. A fixture
holds the input x, the targets, PyTorch's logits and loss
(cross_entropy, label_smoothing 0.1), the input gradient dx, the
parameter gradients grad.NAME (sampled: every ⌊n/256⌋-th element) and the
running statistics after the step (after.NAME). The _sgd3 fixture holds
the losses of three SGD steps and the state after them (after.NAME,
parameters sampled).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, Bottleneck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_gen import CifarResNet  # noqa: E402

torch.set_num_threads(max(1, os.cpu_count() or 1))
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
M64 = (1 << 64) - 1


def fnv1a(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def uniform(name, n):
    """n values in [-1, 1): splitmix64(fnv1a(name) + i·φ), top 24 bits."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a(name)) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24) * 2 - 1


def hash_value(name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    u = uniform(name, n)
    if name.endswith("num_batches_tracked"):
        return np.full(shape, 3, dtype=np.int64)
    if name.endswith("running_mean") or name.endswith(".bias"):
        v = 0.1 * u
    elif name.endswith("running_var"):
        v = 1 + 0.25 * (u + 1)
    elif len(shape) == 1:  # batch-norm weight
        v = 1 + 0.2 * u
    else:  # conv or fc weight: variance 1/fan_in
        v = u * np.sqrt(3.0 / (n // shape[0]))
    return v.astype(np.float32).reshape(shape)


def hash_init(model):
    sd = model.state_dict()
    model.load_state_dict({k: torch.from_numpy(hash_value(k, tuple(v.shape))) for k, v in sd.items()})


class Net(nn.Module):
    """torchvision's ResNet with free stage widths and a CIFAR (3x3) or ImageNet (7x7 + max pool) stem."""

    def __init__(self, block, layers, planes, groups=1, width=64, imagenet_stem=False, classes=5):
        super().__init__()
        self.inplanes = planes[0]
        if imagenet_stem:
            self.conv1 = nn.Conv2d(3, planes[0], 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(3, planes[0], 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(planes[0])
        for s, p in enumerate(planes):
            stride = 1 if s == 0 else 2
            down = None
            if stride != 1 or self.inplanes != p * block.expansion:
                down = nn.Sequential(nn.Conv2d(self.inplanes, p * block.expansion, 1, stride, bias=False),
                                     nn.BatchNorm2d(p * block.expansion))
            blocks = [block(self.inplanes, p, stride, down, groups, width)]
            self.inplanes = p * block.expansion
            blocks += [block(self.inplanes, p, groups=groups, base_width=width) for _ in range(1, layers[s])]
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.nstages = len(planes)
        self.fc = nn.Linear(self.inplanes, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        for s in range(self.nstages):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def sample(t):
    flat = t.detach().reshape(-1)
    return flat[:: max(1, flat.numel() // 256)].clone()


def step(model, shape, classes, path, freeze_upto=0, full=False, ref64=False, eval_mode=False):
    """One training step (eval_mode: every batch norm on running statistics); freeze_upto=N
    freezes the stem and layer1..N (their BNs in eval mode).
    With ref64 the same step in float64 is stored too (ref64.*), to judge float32 results by."""
    hash_init(model)
    if ref64:
        import copy
        m64 = copy.deepcopy(model).double().train()
        x64 = torch.from_numpy(hash_value("input", shape) * 2).double().requires_grad_(True)
        t64 = torch.tensor([(7 * i + 3) % classes for i in range(shape[0])])
        F.cross_entropy(m64(x64), t64, label_smoothing=0.1).backward()
    model.train(not eval_mode)
    frozen = [model.conv1, model.bn1] + [getattr(model, "layer%d" % (s + 1)) for s in range(freeze_upto)]
    if freeze_upto:
        for f in frozen:
            f.requires_grad_(False)
            f.eval()
    x = torch.from_numpy(hash_value("input", shape) * 2).requires_grad_(freeze_upto == 0)
    targets = torch.tensor([(7 * i + 3) % classes for i in range(shape[0])])
    logits = model(x)
    loss = F.cross_entropy(logits, targets, label_smoothing=0.1)
    loss.backward()
    d = {"x": x.detach(), "targets": targets, "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    if x.grad is not None:
        d["dx"] = x.grad if full else sample(x.grad)
    for k, p in model.named_parameters():
        if p.grad is not None:
            d["grad." + k] = p.grad.clone() if full else sample(p.grad)
    for k, v in model.state_dict().items():
        if "running" in k or "num_batches" in k:
            d["after." + k] = v.clone()
    if ref64:
        d["ref64.dx"] = x64.grad.float()
        for k, p in m64.named_parameters():
            d["ref64.grad." + k] = p.grad.float()
    torch.save(d, path)
    print(path, "loss", float(loss))


def sgd_steps(model, shape, classes, path, steps=3):
    """Several SGD steps (Nesterov momentum, weight decay) on one batch: the net and torch.optim together."""
    hash_init(model)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.from_numpy(hash_value("input", shape) * 2)
    targets = torch.tensor([(7 * i + 3) % classes for i in range(shape[0])])
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), targets, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    d = {"x": x, "targets": targets, "losses": torch.tensor(losses)}
    for k, v in model.state_dict().items():
        d["after." + k] = v.clone() if "running" in k or "num_batches" in k else sample(v)
    torch.save(d, path)
    print(path, "losses", losses)


def fixtures():
    out = os.path.join(ROOT, "models", "testdata")
    torch.manual_seed(0)
    step(CifarResNet(3, "A", num_classes=10), (4, 3, 16, 16), 10, os.path.join(out, "grad_resnet20.pth"))
    step(Net(Bottleneck, [1, 2], [8, 16], groups=4, width=16), (3, 3, 12, 12), 5,
         os.path.join(out, "grad_tiny_resnext.pth"))
    step(Net(BasicBlock, [1, 1], [8, 16], imagenet_stem=True), (2, 3, 30, 30), 5,
         os.path.join(out, "grad_tiny_imagenet_stem.pth"))
    step(CifarResNet(3, "none", num_classes=10), (4, 3, 8, 8), 10, os.path.join(out, "grad_plain20_freeze1.pth"),
         freeze_upto=1)
    step(Net(Bottleneck, [1, 2], [8, 16], groups=4, width=16), (3, 3, 12, 12), 5,
         os.path.join(out, "grad_tiny_resnext_eval.pth"), eval_mode=True)
    sgd_steps(Net(Bottleneck, [1, 2], [8, 16], groups=2, width=32), (4, 3, 12, 12), 5,
              os.path.join(out, "grad_tiny_resnext_sgd3.pth"))


def live(outdir):
    import torchvision
    step(torchvision.models.resnet18(num_classes=10), (2, 3, 64, 64), 10, os.path.join(outdir, "resnet18.pth"), full=True, ref64=True)
    # resnext50_32x4d is left out: at this size one ReLU input of layer4.2.bn2 is -1.5e-4 in
    # float64, within float32 rounding after 15 blocks; we flip it, PyTorch does not, and the
    # gradients upstream of it differ by up to 15% (a kink, not a bug: see the issue notes).


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "live":
        live(sys.argv[2])
    else:
        fixtures()
