"""Shared writer for genblocks golden files.

Run generators with Debian's python3-torch: /usr/bin/python3 path/to/gen_x.py.
Each generator builds a list of cases and calls write(path, cases):

    case("conv_stride2", {"stride": 2}, x=x, w=w, y=y, gx=x.grad)

Tensors are stored as {"shape": [...], "data": [...]} in float64 text so the Go side
reads exactly the float32 values PyTorch produced; NaN and infinities, which JSON cannot
hold, are written as the strings "nan", "inf" and "-inf".
"""
import json
import math

import torch


def case(name, attrs=None, **tensors):
    out = {}
    for k, t in tensors.items():
        t = t.detach().to(torch.float64).contiguous()
        out[k] = {"shape": list(t.shape), "data": [_num(v) for v in t.reshape(-1).tolist()]}
    return {"name": name, "attrs": attrs or {}, "tensors": out}


def _num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
