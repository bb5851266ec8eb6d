#!/usr/bin/python3
"""Time one PyTorch training step (forward in train mode, cross-entropy,
backward, SGD with momentum 0.9 and weight decay 1e-4) at batch 16 on
224x224 inputs, on the given number of threads (default: all cores, as Go's
GOMAXPROCS):

    /usr/bin/python3 bench/train_step_torch.py [threads] [steps]
    BENCH_NETS=resnet50 /usr/bin/python3 bench/train_step_torch.py 2 1   # one network

Compare with, in the same run:

    go test -run XXX -bench TrainStep -benchtime 3x ./models
"""
import os
import sys
import time

threads = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
os.environ.setdefault("OMP_NUM_THREADS", str(threads))
import torch  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(threads)
print(f"torch {torch.__version__}, {threads} threads")
for name in os.environ.get("BENCH_NETS", "resnet18,resnet50").split(","):
    torch.manual_seed(1)
    model = getattr(torchvision.models, name)().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x = (torch.arange(16 * 3 * 224 * 224) % 17).float().reshape(16, 3, 224, 224) / 17 - 0.5
    y = torch.tensor([i * 37 % 1000 for i in range(16)])

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    cpu = (time.process_time() - c0) / steps
    # On a shared machine wall time says little; process_time (all threads)
    # compares with the Go benchmark's cpu-s/step.
    print(f"{name}/batch16: {cpu:.2f} cpu-s/step, {dt * 1e3:.0f} ms/step, {16 / dt:.2f} images/s")
