#!/usr/bin/python3
"""Writes the npy package's fixtures with numpy (run from the repository root):

    /usr/bin/python3 testdata/gen/checkpoint_npy.py

Each NAME.npy gets an entry in npy/testdata/expected.json: shape and the
values as float64 (what the Go reader must return as float32).
"""
import json
import os

import numpy as np

OUT = os.path.join("npy", "testdata")
base = (np.arange(24, dtype=np.float64) - 11.5) / 4
cases = {
    "f4": base.astype("<f4").reshape(2, 3, 4),
    "f8": (base / 3).astype("<f8").reshape(4, 6),
    "f2": base.astype("<f2").reshape(24),
    "i8": np.arange(-6, 6, dtype="<i8").reshape(3, 4),
    "i4": np.arange(-6, 6, dtype="<i4"),
    "i2": np.arange(-6, 6, dtype="<i2"),
    "i1": np.arange(-6, 6, dtype="i1"),
    "u1": np.arange(250, 256, dtype="u1"),
    "u2": np.arange(65530, 65536, dtype="<u2"),
    "b1": np.array([True, False, True]),
    "scalar": np.array(2.5, dtype="<f4"),
    "empty": np.zeros((0, 3), dtype="<f4"),
    "fortran": np.asfortranarray(base.astype("<f4").reshape(2, 3, 4)),
    "bigendian": base.astype(">f4").reshape(4, 6),
    "bigendian_f8": base.astype(">f8").reshape(24),
}
expected = {}
for name, a in cases.items():
    np.save(os.path.join(OUT, name + ".npy"), a)
    expected[name] = {"shape": list(a.shape), "values": [float(x) for x in np.ascontiguousarray(a).reshape(-1).astype(np.float64)]}
for v in [(2, 0), (3, 0)]:
    name = "v%d" % v[0]
    a = cases["f4"]
    with open(os.path.join(OUT, name + ".npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=v)
    expected[name] = expected["f4"]
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=0)
# Unsupported on purpose: complex and object arrays.
np.save(os.path.join(OUT, "complex.npy"), np.zeros(2, dtype=np.complex64))
np.save(os.path.join(OUT, "object.npy"), np.array([1, "a"], dtype=object), allow_pickle=True)
