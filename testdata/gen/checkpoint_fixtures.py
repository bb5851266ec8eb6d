#!/usr/bin/python3
"""Writes the checkpoint package's test fixtures with PyTorch 1.13.

Run from the repository root:  /usr/bin/python3 testdata/gen/checkpoint_fixtures.py

Each fixture NAME.pth (or .safetensors / .pkl) gets NAME.json next to it: the
state dict the Go loader must return after unwrapping and prefix stripping,
as a list of [key, dtype, shape, flat values]. The safetensors Python package
is not installed here, so the .safetensors fixture is written by hand from
the spec (u64 LE header length, JSON header, raw little-endian data) with
struct + json, the same way the safetensors library lays it out.
"""
import collections
import json
import os
import pickle
import struct

import torch

OUT = os.path.join("checkpoint", "testdata")
torch.manual_seed(0)


def expected(sd):
    out = []
    for k, v in sd.items():
        dt = str(v.dtype).replace("torch.", "")
        vals = v.detach().reshape(-1)
        if v.dtype.is_floating_point:
            vals = [float(x) for x in vals.double().tolist()]
        else:
            vals = [int(x) for x in vals.long().tolist()]
        out.append([k, dt, list(v.shape), vals])
    return out


def write(name, obj, sd, **kw):
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kw)
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(expected(sd), f)


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 3, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(3)
        self.fc = torch.nn.Linear(3, 2)


m = Tiny()
with torch.no_grad():
    m.bn1.running_mean.uniform_()
    m.bn1.running_var.uniform_(0.5, 1.5)
    m.bn1.num_batches_tracked.fill_(7)
sd = m.state_dict()

# A model state dict (OrderedDict with _metadata) in both container formats.
write("tiny_zip.pth", sd, sd)
write("tiny_legacy.pth", sd, sd, _use_new_zipfile_serialization=False)
# Pickle protocol 4 inside the zip (STACK_GLOBAL, MEMOIZE, FRAME ...).
write("tiny_proto4.pth", sd, sd, pickle_protocol=4)

# Every dtype we convert.
base = torch.linspace(-2.5, 3.25, 12)
dt = collections.OrderedDict(
    f32=base.clone(),
    f16=base.half(),
    bf16=base.bfloat16(),
    f64=(base.double() / 3),
    i64=torch.arange(-3, 3, dtype=torch.int64).reshape(2, 3),
    i32=torch.arange(-3, 3, dtype=torch.int32),
    i16=torch.arange(-3, 3, dtype=torch.int16),
    i8=torch.arange(-3, 3, dtype=torch.int8),
    u8=torch.arange(250, 256, dtype=torch.uint8),
    b=torch.tensor([True, False, True]),
    scalar=torch.tensor(1.5),
    empty=torch.zeros(0, 3),
)
write("dtypes_zip.pth", dt, dt)
write("dtypes_legacy.pth", dt, dt, _use_new_zipfile_serialization=False)

# Views: a transpose (non-contiguous), a slice with a storage offset, two
# tensors sharing one storage, a strided column, an expanded (stride 0) view.
big = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict(
    full=big,
    t=big.t(),
    rows=big[1:3],
    col=big[:, 2],
    step=big[::2, 1::2],
    half=torch.arange(10, dtype=torch.float16)[3:7],
    expanded=torch.tensor([1.0, 2.0]).expand(3, 2),
)
write("views_zip.pth", views, views)
write("views_legacy.pth", views, views, _use_new_zipfile_serialization=False)

# Wrappers and DataParallel prefixes.
prefixed = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
write("wrapped_state_dict.pth", {"state_dict": prefixed, "epoch": 3}, sd)
write(
    "wrapped_model_legacy.pth",
    {"model": sd, "optimizer": {"lr": 0.1, "momentum": 0.9}, "epoch": 3, "labels": ["a", "b"]},
    sd,
    _use_new_zipfile_serialization=False,
)
# Only some keys prefixed: nothing is stripped.
mixed = collections.OrderedDict([("module.a", torch.ones(2)), ("b", torch.zeros(1))])
write("mixed_prefix.pth", mixed, mixed)

# nn.Parameter values (torch._utils._rebuild_parameter).
params = collections.OrderedDict(w=torch.nn.Parameter(torch.ones(2, 2) * 0.5), b=torch.nn.Parameter(torch.zeros(2), requires_grad=False))
write("params.pth", params, params)

# safetensors, written per the spec (see the docstring).
def save_safetensors(path, tensors, metadata):
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        flat = v.contiguous().reshape(-1)
        if v.dtype == torch.bool:
            b = flat.numpy().astype("uint8").tobytes()
        else:
            b = flat.view(torch.uint8).numpy().tobytes() if v.numel() else b""
        header[k] = {"dtype": codes[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


st = collections.OrderedDict((k, v) for k, v in dt.items() if k in ("f32", "f16", "bf16", "f64", "i64", "i32", "u8", "b", "scalar", "empty"))
save_safetensors(os.path.join(OUT, "dtypes.safetensors"), st, {"format": "pt", "note": "hand-written"})
with open(os.path.join(OUT, "dtypes_safetensors.json"), "w") as f:
    json.dump(expected(st), f)

# Plain pickles of every protocol: the generic object tree.
plain = {
    "int": 3, "neg": -70000, "big": 2**70, "float": 0.25, "str": "héllo", "bytes": b"\x00\x01",
    "none": None, "t": True, "f": False, "list": [1, [2, 3], ()], "tuple": (1, "a"),
    "od": collections.OrderedDict([("x", 1), ("y", 2)]), "set": {1}, "frozen": frozenset([2]),
}
for p in range(0, 6):
    with open(os.path.join(OUT, f"plain_p{p}.pkl"), "wb") as f:
        pickle.dump(plain, f, protocol=p)

# Hostile: a pickle that would run os.system.
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


with open(os.path.join(OUT, "evil_os_system.pkl"), "wb") as f:
    pickle.dump({"x": Evil()}, f, protocol=2)
with open(os.path.join(OUT, "evil_eval.pkl"), "wb") as f:
    pickle.dump(Evil(), f, protocol=4)  # pickled as posix.system via STACK_GLOBAL
with open(os.path.join(OUT, "evil_builtins_eval.pkl"), "wb") as f:
    f.write(b"\x80\x02cbuiltins\neval\nX\x03\x00\x00\x001+1\x85R.")
