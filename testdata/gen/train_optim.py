#!/usr/bin/python3
"""torch.optim and torch.optim.lr_scheduler reference numbers for train/.

    /usr/bin/python3 testdata/gen/train_optim.py    # writes train/testdata/optim.json

Optimiser cases: three small parameters, a fixed sequence of gradients,
and the parameters after each of 8 steps (float32 values as exact JSON
numbers). Schedule cases: each param group's lr after construction and
after each scheduler.step(). Cross-entropy cases: logits, targets, label
smoothing, loss and its gradient.
"""
import json
import os

import torch
from torch.optim import SGD, AdamW
from torch.optim import lr_scheduler as S

torch.set_num_threads(1)
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHAPES = [(4, 3), (5,), (2, 2, 3)]
STEPS = 8


def fl(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def optim_case(name, make, groups_of=None, sched=None):
    g = torch.Generator().manual_seed(sum(map(ord, name)))
    params = [torch.nn.Parameter(torch.randn(s, generator=g)) for s in SHAPES]
    init = [fl(p) for p in params]
    opt = make(params if groups_of is None else groups_of(params))
    sch = sched(opt) if sched else None
    grads, after, lrs = [], [], []
    for _ in range(STEPS):
        gs = [torch.randn(s, generator=g) for s in SHAPES]
        for p, gr in zip(params, gs):
            p.grad = gr.clone()
        opt.step()
        if sch:
            sch.step()
        grads.append([fl(x) for x in gs])
        after.append([fl(p) for p in params])
        lrs.append([grp["lr"] for grp in opt.param_groups])
    return {"name": name, "shapes": SHAPES, "init": init, "grads": grads, "after": after, "lrs": lrs}


def sched_case(name, base_lrs, make, steps=15):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    opt = SGD([{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs)], lr=base_lrs[0])
    sch = make(opt)
    lrs = [[grp["lr"] for grp in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        sch.step()
        lrs.append([grp["lr"] for grp in opt.param_groups])
    return {"name": name, "base_lrs": base_lrs, "lrs": lrs}


def two_groups(lr0, lr1, **kw1):
    return lambda ps: [{"params": ps[:2], "lr": lr0}, dict(params=ps[2:], lr=lr1, **kw1)]


optims = [
    optim_case("sgd", lambda ps: SGD(ps, lr=0.1)),
    optim_case("sgd_momentum_wd", lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-4)),
    optim_case("sgd_dampening", lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.1)),
    optim_case("sgd_nesterov_wd", lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)),
    optim_case("adamw", lambda ps: AdamW(ps, lr=1e-3)),
    optim_case("adamw_groups", lambda ps: AdamW(ps, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
               groups_of=two_groups(1e-2, 1e-3, weight_decay=0.0)),
    optim_case("sgd_groups_steplr", lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-4),
               groups_of=two_groups(0.01, 0.1), sched=lambda o: S.StepLR(o, 3, gamma=0.5)),
    optim_case("adamw_cosine", lambda ps: AdamW(ps, lr=3e-3, weight_decay=0.05),
               sched=lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=1e-4)),
]
scheds = [
    sched_case("step", [0.1], lambda o: S.StepLR(o, 3, gamma=0.1)),
    sched_case("multistep", [0.1, 0.02], lambda o: S.MultiStepLR(o, [2, 5, 5, 9], gamma=0.5)),
    sched_case("cosine", [0.1, 0.05], lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001), steps=22),
    sched_case("linear", [0.1], lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=4)),
    sched_case("warmup_cosine", [0.1, 0.01], lambda o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.25, total_iters=3), S.CosineAnnealingLR(o, T_max=8)], milestones=[3])),
    sched_case("warmup_multistep", [0.4], lambda o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=2), S.MultiStepLR(o, [3, 6], gamma=0.1)], milestones=[2])),
    sched_case("chained", [0.1, 0.01], lambda o: S.ChainedScheduler(
        [S.LinearLR(o, start_factor=0.5, total_iters=4), S.StepLR(o, 3, gamma=0.5)])),
]


def ce_case(smoothing):
    g = torch.Generator().manual_seed(5)
    logits = (torch.randn(6, 7, generator=g) * 3).requires_grad_(True)
    targets = torch.tensor([0, 6, 3, 3, 1, 5])
    loss = torch.nn.functional.cross_entropy(logits, targets, label_smoothing=smoothing)
    loss.backward()
    return {"smoothing": smoothing, "logits": fl(logits), "targets": targets.tolist(), "loss": float(loss),
            "grad": fl(logits.grad)}


losses = [ce_case(0.0), ce_case(0.1), ce_case(1.0)]
with open(os.path.join(ROOT, "train", "testdata", "optim.json"), "w") as f:
    json.dump({"torch": torch.__version__, "optimizers": optims, "schedules": scheds, "cross_entropy": losses}, f)
