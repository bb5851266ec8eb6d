#!/usr/bin/python3
"""Gradient fixtures for nn's Backward passes, made with PyTorch autograd.

    /usr/bin/python3 testdata/gen/train_grads.py     # writes nn/testdata/grad_*.pth

Each file is a flat dict of tensors: the layer's state (weight, bias,
running_mean, running_var, ...), the input x, the upstream gradient dy, and
PyTorch's output y, input gradient dx and parameter gradients grad.<name>;
batch norm in training mode also stores its running statistics after the
step (after.running_mean, after.running_var, after.num_batches_tracked).
"""
import os

import torch
import torch.nn as nn

torch.set_num_threads(1)
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "nn", "testdata")


def save(name, module, x, train=False, extra=None):
    module.train(train)
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    x = x.clone().requires_grad_(True)
    y = module(x)
    g = torch.Generator().manual_seed(len(name))
    dy = torch.randn(y.shape, generator=g)
    y.backward(dy)
    d = {k: v.contiguous() for k, v in state.items()}
    d.update({"x": x.detach(), "dy": dy, "y": y.detach(), "dx": x.grad})
    for k, p in module.named_parameters():
        d["grad." + k] = p.grad
    if train:
        for k, v in module.state_dict().items():
            if "running" in k or "num_batches" in k:
                d["after." + k] = v.detach().clone()
    torch.save(d, os.path.join(OUT, "grad_" + name + ".pth"))


def conv(name, cin, cout, k, shape, **kw):
    torch.manual_seed(len(name) * 7 + cin)
    m = nn.Conv2d(cin, cout, k, **kw)
    save(name, m, torch.randn(shape))


def bn(name, c, shape, train, relu):
    torch.manual_seed(len(name) + 3 * c + train)
    b = nn.BatchNorm2d(c)
    with torch.no_grad():
        b.weight.uniform_(0.5, 1.5)
        b.bias.uniform_(-0.5, 0.5)
        b.running_mean.uniform_(-0.3, 0.3)
        b.running_var.uniform_(0.5, 2)
        b.num_batches_tracked.fill_(7)
    x = torch.randn(shape) * 1.5 + 0.3
    if relu:
        # Keys must stay weight/bias/... : fuse by hooking ReLU onto the module.
        class BNReLU(nn.BatchNorm2d):
            def forward(self, x):
                return torch.relu(super().forward(x))
        b2 = BNReLU(c)
        b2.load_state_dict(b.state_dict())
        b = b2
    save(name, b, x, train=train)


conv("conv_k3_s1_p1", 4, 6, 3, (2, 4, 7, 7), stride=1, padding=1, bias=False)
conv("conv_k7_s2_p3_bias", 3, 5, 7, (2, 3, 11, 9), stride=2, padding=3, bias=True)
conv("conv_k3_s2_p1_g4", 8, 12, 3, (2, 8, 9, 8), stride=2, padding=1, groups=4, bias=False)
conv("conv_k3_d2_p2", 3, 4, 3, (1, 3, 8, 10), padding=2, dilation=2, bias=True)
conv("conv_k1_s1", 6, 5, 1, (3, 6, 5, 4), bias=False)
conv("conv_k1_s2_g3", 6, 9, 1, (2, 6, 7, 7), stride=2, groups=3, bias=False)
conv("conv_k3_s3_odd", 2, 3, 3, (2, 2, 10, 11), stride=3, bias=True)
conv("conv_k5_p2_d3_g2", 4, 4, 5, (1, 4, 13, 12), padding=2, dilation=3, groups=2, bias=False)
bn("bn_train", 5, (3, 5, 4, 3), True, False)
bn("bn_train_relu", 4, (2, 4, 5, 5), True, True)
bn("bn_eval", 5, (3, 5, 4, 3), False, False)
bn("bn_eval_relu", 4, (2, 4, 5, 5), False, True)
torch.manual_seed(11)
# Values on a coarse grid, so windows hold ties (PyTorch routes to the first maximum).
ties = torch.round(torch.randn(2, 3, 9, 8) * 2) / 2
save("maxpool_k3_s2_p1_ties", nn.MaxPool2d(3, 2, 1), ties)
save("maxpool_k2_s2", nn.MaxPool2d(2, 2), torch.randn(2, 3, 7, 6))
save("avgpool_3x2", nn.AdaptiveAvgPool2d((3, 2)), torch.randn(2, 3, 7, 5))
save("avgpool_1", nn.AdaptiveAvgPool2d(1), torch.randn(3, 4, 5, 6))
torch.manual_seed(12)
save("linear", nn.Linear(12, 7), torch.randn(5, 12))
save("relu", nn.ReLU(), ties)
