#!/usr/bin/python3
"""Checks that PyTorch 1.13 loads the .pth and .safetensors files our Go
writers produce, with torch.load(weights_only=True), and that the values
match what Go wrote. Run in CI (needs python3-torchvision, which brings torch):

    CHECKPOINT_ROUNDTRIP_DIR=/tmp/ckpt-rt go test -count=1 -run 'TestWriteForPython|TestWriteForNumpy' ./checkpoint/ ./npy/
    /usr/bin/python3 testdata/gen/checkpoint_roundtrip_check.py /tmp/ckpt-rt

The safetensors files are parsed by hand per the spec (the safetensors
package is not in Debian); if the package is installed it is used as well.
"""
import json
import os
import struct
import sys

import torch

DIR = sys.argv[1]
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out, end = {}, 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, en = e["data_offsets"]
        assert b == end, f"{name}: hole or overlap"
        end = en
        dt = DTYPES[e["dtype"]]
        buf = bytearray(data[b:en])
        if dt == torch.bool:
            t = torch.frombuffer(buf, dtype=torch.uint8).bool() if buf else torch.zeros(0, dtype=torch.bool)
        else:
            t = torch.frombuffer(buf, dtype=dt) if buf else torch.zeros(0, dtype=dt)
        out[name] = t.reshape(e["shape"])
    assert end == len(data), "trailing bytes"
    try:
        import safetensors.torch
        ref = safetensors.torch.load_file(path)
        for k in out:
            assert torch.equal(ref[k], out[k]), k
    except ImportError:
        pass
    return out, meta


def check(name, sd, rows):
    assert list(sd.keys()) == [r[0] for r in rows], (name, list(sd.keys()))
    for k, dt, shape, vals in rows:
        t = sd[k]
        assert str(t.dtype) == "torch." + dt, (name, k, t.dtype, dt)
        assert list(t.shape) == shape, (name, k, t.shape, shape)
        want = torch.tensor(vals, dtype=torch.float64).reshape(shape)
        assert torch.equal(t.double(), want), (name, k, t, want)


failures = 0
for name in ["tiny_zip", "dtypes_zip", "views_legacy", "params"]:
    rows = json.load(open(os.path.join(DIR, name + ".json")))
    try:
        sd = torch.load(os.path.join(DIR, name + ".pth"), weights_only=True)
        check(name + ".pth", sd, rows)
        st, meta = load_safetensors(os.path.join(DIR, name + ".safetensors"))
        check(name + ".safetensors", st, rows)
        assert meta == {"format": "pt", "source": name}, meta
        print("ok", name)
    except Exception as e:  # report every file, then fail
        failures += 1
        print("FAIL", name, repr(e))

# The Go copy of the tiny model loads into the real module.
try:
    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(2, 3, 3, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(3)
            self.fc = torch.nn.Linear(3, 2)

    m = Tiny()
    m.load_state_dict(torch.load(os.path.join(DIR, "tiny_zip.pth"), weights_only=True))
    ck = torch.load(os.path.join(DIR, "training.pth"), weights_only=True)
    assert ck["epoch"] == 3 and ck["labels"] == ["cat", "dog"] and ck["best"] == {"epoch": 2, "top1_x1000": 765}, ck
    m.load_state_dict(ck["model"])
    print("ok load_state_dict, training checkpoint")
except Exception as e:
    failures += 1
    print("FAIL load_state_dict", repr(e))

# .npy files from the npy package load in numpy with the right shape and values.
try:
    import numpy as np
    for name, shape in {"go_scalar": (), "go_vec": (5,), "go_nchw": (2, 3, 4, 5), "go_empty": (0, 3)}.items():
        a = np.load(os.path.join(DIR, name + ".npy"))
        n = int(np.prod(shape))
        want = (np.arange(n, dtype=np.float32) * 0.25 - 1).reshape(shape)
        assert a.dtype == np.dtype("<f4") and a.shape == shape and np.array_equal(a, want), (name, a)
    print("ok npy")
except Exception as e:
    failures += 1
    print("FAIL npy", repr(e))

sys.exit(1 if failures else 0)
