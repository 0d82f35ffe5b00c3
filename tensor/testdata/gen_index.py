"""Reference values for the shape and indexing ops (tensor/shape.go, tensor/index.go,
autograd/shape.go, autograd/index.go) and for Tensor.String.

Run with Debian's torch: /usr/bin/python3 tensor/testdata/gen_index.py
Writes tensor/testdata/index.json.

Every op case stores the inputs, the output y, a fixed random upstream gradient g and
the gradients PyTorch computes for the differentiable inputs (gx, gsrc, gx0, ...).
The "repr" cases store PyTorch's printed form with genblocks' shape suffix.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "testdata"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch._tensor_str import _add_suffixes, _tensor_str  # noqa: E402

from golden import case, write  # noqa: E402

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

cases = []


def op_case(name, attrs, fn, inputs, consts=None, grad=True):
    """Run fn on the inputs (dict name -> tensor, all differentiable) and store the
    output and, with grad, a random upstream gradient g and each input's gradient as
    g<name>."""
    xs = {k: v.clone().requires_grad_(grad) for k, v in inputs.items()}
    y = fn(**xs)
    tensors = dict(inputs)
    tensors.update(consts or {})
    tensors["y"] = y
    if grad:
        g = torch.randn(y.shape)
        y.backward(g)
        tensors["g"] = g
        for k, v in xs.items():
            tensors["g" + k] = v.grad
    cases.append(case(name, attrs, **tensors))


def index(high, *shape):
    return torch.randint(0, high, shape)


# gather
gi = index(5, 2, 3, 4)
op_case("gather_axis1", {"op": "gather", "axis": 1},
        lambda x: torch.gather(x, 1, gi), {"x": torch.randn(3, 5, 4)}, {"index": gi.float()})
gi2 = index(4, 3, 6)
op_case("gather_last", {"op": "gather", "axis": -1},
        lambda x: torch.gather(x, -1, gi2), {"x": torch.randn(3, 4)}, {"index": gi2.float()})

# index_select and index_add
si = torch.tensor([3, 0, 3, 1, 2])
op_case("index_select_axis0", {"op": "index_select", "axis": 0},
        lambda x: torch.index_select(x, 0, si), {"x": torch.randn(4, 3)}, {"index": si.float()})
op_case("index_select_axis1", {"op": "index_select", "axis": 1},
        lambda x: torch.index_select(x, 1, si), {"x": torch.randn(2, 4, 3)}, {"index": si.float()})
ai = torch.tensor([1, 3, 1])
op_case("index_add", {"op": "index_add", "axis": 1},
        lambda x, src: torch.index_add(x, 1, ai, src),
        {"x": torch.randn(2, 4, 3), "src": torch.randn(2, 3, 3)}, {"index": ai.float()})

# scatter_add; PyTorch cannot differentiate a source larger than the index, so that
# case is forward only
ci = index(5, 3, 3)
op_case("scatter_add_axis1", {"op": "scatter_add", "axis": 1},
        lambda x, src: torch.scatter_add(x, 1, ci, src),
        {"x": torch.randn(3, 5), "src": torch.randn(3, 3)}, {"index": ci.float()})
op_case("scatter_add_big_src", {"op": "scatter_add", "axis": 1},
        lambda x, src: torch.scatter_add(x, 1, ci, src),
        {"x": torch.randn(3, 5), "src": torch.randn(4, 6)}, {"index": ci.float()}, grad=False)
ci2 = index(4, 2, 3, 2)
op_case("scatter_add_axis0", {"op": "scatter_add", "axis": 0},
        lambda x, src: torch.scatter_add(x, 0, ci2, src),
        {"x": torch.randn(4, 3, 2), "src": torch.randn(2, 3, 2)}, {"index": ci2.float()})

# pad
for name, shape, pads, mode, value in [
    ("pad_constant_2d", (3, 4), [1, 2], "constant", 0.0),
    ("pad_constant_4d", (2, 3, 4, 5), [1, 2, 0, 1], "constant", 0.5),
    ("pad_constant_crop", (2, 3, 5), [-1, 2, 1, -1], "constant", -2.0),
    ("pad_reflect_2d", (3, 5), [2, 3], "reflect", 0.0),
    ("pad_reflect_4d", (2, 3, 4, 5), [1, 2, 3, 1], "reflect", 0.0),
    ("pad_replicate_4d", (1, 2, 3, 4), [2, 1, 1, 3], "replicate", 0.0),
]:
    op_case(name, {"op": "pad", "pads": pads, "mode": mode, "value": value},
            lambda x: F.pad(x, pads, mode=mode, value=value) if mode == "constant" else F.pad(x, pads, mode=mode),
            {"x": torch.randn(*shape)})

# cat and stack
op_case("cat_axis1", {"op": "cat", "axis": 1}, lambda x0, x1, x2: torch.cat([x0, x1, x2], 1),
        {"x0": torch.randn(2, 1, 3), "x1": torch.randn(2, 3, 3), "x2": torch.randn(2, 2, 3)})
op_case("stack_axis1", {"op": "stack", "axis": 1}, lambda x0, x1, x2: torch.stack([x0, x1, x2], 1),
        {"x0": torch.randn(2, 3), "x1": torch.randn(2, 3), "x2": torch.randn(2, 3)})
op_case("stack_last", {"op": "stack", "axis": -1}, lambda x0, x1: torch.stack([x0, x1], -1),
        {"x0": torch.randn(2, 3), "x1": torch.randn(2, 3)})

# flip
op_case("flip_0_2", {"op": "flip", "axes": [0, 2]}, lambda x: torch.flip(x, [0, 2]), {"x": torch.randn(2, 3, 4)})
op_case("flip_last", {"op": "flip", "axes": [-1]}, lambda x: torch.flip(x, [-1]), {"x": torch.randn(3, 5)})

# narrow and slicing with a step
op_case("narrow", {"op": "narrow", "axis": 1, "start": 1, "length": 2},
        lambda x: torch.narrow(x, 1, 1, 2), {"x": torch.randn(2, 4, 3)})
op_case("narrow_negative", {"op": "narrow", "axis": -1, "start": -3, "length": 2},
        lambda x: torch.narrow(x, -1, -3, 2), {"x": torch.randn(2, 5)})
for name, shape, axis, start, end, step, fn in [
    ("slice_step2", (2, 8, 3), 1, 1, 7, 2, lambda x: x[:, 1:7:2]),
    ("slice_step3_last", (3, 10), -1, -8, 100, 3, lambda x: x[..., -8::3]),
    ("slice_step1", (5, 2), 0, 1, -1, 1, lambda x: x[1:-1]),
]:
    op_case(name, {"op": "slice", "axis": axis, "start": start, "end": end, "step": step}, fn, {"x": torch.randn(*shape)})

# split and chunk (the pieces concatenated in reverse order)
op_case("split", {"op": "split", "axis": 1, "sizes": [1, 3, 2]},
        lambda x: torch.cat(list(reversed(torch.split(x, [1, 3, 2], 1))), 1), {"x": torch.randn(2, 6, 2)})
op_case("chunk", {"op": "chunk", "axis": 0, "n": 3},
        lambda x: torch.cat(list(reversed(torch.chunk(x, 3, 0))), 0), {"x": torch.randn(5, 2)})

# tril and triu
for k in (-1, 0, 2):
    op_case("tril_%d" % k, {"op": "tril", "k": k}, lambda x: torch.tril(x, k), {"x": torch.randn(2, 4, 5)})
    op_case("triu_%d" % k, {"op": "triu", "k": k}, lambda x: torch.triu(x, k), {"x": torch.randn(2, 4, 5)})

# masked_fill with a broadcast mask
mask = torch.rand(3, 1, 4) > 0.5
op_case("masked_fill", {"op": "masked_fill", "value": -3.5},
        lambda x: x.masked_fill(mask, -3.5), {"x": torch.randn(3, 2, 4)}, {"mask": mask.float()})

# one_hot (not differentiable)
oi = index(4, 2, 3)
cases.append(case("one_hot", {"op": "one_hot", "n": 5}, index=oi.float(), y=F.one_hot(oi, 5).float()))


# printing
def repr_case(name, x):
    s = _tensor_str(x, len("tensor("))
    shape = "(" + ",".join(str(d) for d in x.shape) + ")"
    r = _add_suffixes("tensor(" + s, ["shape=" + shape], len("tensor("), False)
    # JSON has no NaN or infinity, so the values are stored as Python float strings.
    values = [repr(v) for v in x.reshape(-1).tolist()]
    cases.append(case(name, {"op": "repr", "repr": r, "shape": list(x.shape), "values": values}))


repr_case("repr_2x2", torch.tensor([[1.0, -2.0], [3.0, 4.5]]))
repr_case("repr_ints", torch.tensor([[1.0, -2.0, 30.0], [4.0, 0.0, 6.0]]))
repr_case("repr_scalar", torch.tensor(1.25))
repr_case("repr_sci", torch.tensor([1e-5, 2.5, -3.0]))
repr_case("repr_big", torch.tensor([1e9, 2.0]))
repr_case("repr_nonfinite", torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5, -0.0]))
repr_case("repr_3d", torch.randn(2, 3, 4))
repr_case("repr_long_row", torch.randn(30))
repr_case("repr_summarized", torch.randn(40, 30))
repr_case("repr_summarized_3d", torch.arange(2 * 30 * 20, dtype=torch.float32).reshape(2, 30, 20) / 7)
repr_case("repr_empty", torch.zeros(0, 3))

write(os.path.join(HERE, "index.json"), cases)
