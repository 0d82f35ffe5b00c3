"""Golden values for the core autograd ops, from PyTorch.

Run with Debian's python3-torch from the repository root or anywhere:

    /usr/bin/python3 autograd/testdata/gen_core.py

It writes autograd/testdata/core.json, read by autograd/golden_test.go and
autograd/secondorder_test.go. Every case stores its inputs x0, x1, … and the forward
result y; cases with gradients also store a random upstream gradient g (the seed passed
to BackwardWith / Grad) and the gradients gx0, gx1, … of sum(y * g). The attribute "op"
names the Go op (see the table in golden_test.go); the others are its parameters.

Second-order cases ("op": "second_*") store x, W, c (and b), the first gradient
g = ∂f/∂x computed with create_graph=True, and dpx, dpW: the gradients of
p = sum(g²) with respect to x and W.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "testdata"))

from golden import case, write  # noqa: E402

torch.set_default_dtype(torch.float32)
torch.manual_seed(20240611)

cases = []


def shorten(c):
    """Store each value as the shortest decimal that round-trips its float32 value."""
    for t in c["tensors"].values():
        t["data"] = [float(str(np.float32(v))) for v in t["data"]]
    return c


def add(name, op, fn, inputs, attrs=None, grad=True):
    """Record fn(*inputs) and, with grad, the gradients of sum(fn(*inputs) * g)."""
    xs = [x.detach().clone().requires_grad_(grad) for x in inputs]
    y = fn(*xs)
    tensors = {"x%d" % i: x for i, x in enumerate(xs)}
    tensors["y"] = y
    if grad:
        g = torch.randn(y.shape)
        gs = torch.autograd.grad(y, xs, g, allow_unused=True)
        tensors["g"] = g
        for i, gx in enumerate(gs):
            tensors["gx%d" % i] = gx if gx is not None else torch.zeros_like(xs[i])
    a = dict(attrs or {})
    a["op"] = op
    cases.append(shorten(case(name, a, **tensors)))


def signed_away(shape, lo=0.5, hi=2.0):
    """Values with |v| in [lo, hi) and a random sign: safe divisors, away from kinks."""
    mag = torch.rand(shape) * (hi - lo) + lo
    sign = torch.where(torch.rand(shape) < 0.5, -1.0, 1.0)
    return mag * sign


def positive(shape, lo=0.5, hi=2.0):
    return torch.rand(shape) * (hi - lo) + lo


def away_from_zero(shape, scale=1.0):
    x = torch.randn(shape) * scale
    return torch.where(x.abs() < 0.05, x + 0.2, x)


def shp(t):
    return "x".join(str(d) for d in t) if t else "s"


# ---- broadcasting binary ops -------------------------------------------------------
pairs = [((2, 3, 4), (3, 1)), ((4, 1, 3), (1, 5, 1)), ((), (3,)), ((2, 3), ())]
binary = {
    "add": (torch.add, torch.randn, torch.randn),
    "sub": (torch.sub, torch.randn, torch.randn),
    "mul": (torch.mul, torch.randn, torch.randn),
    "div": (torch.div, torch.randn, signed_away),
    "pow": (torch.pow, positive, torch.randn),
    "maximum": (torch.maximum, torch.randn, torch.randn),
    "minimum": (torch.minimum, torch.randn, torch.randn),
}
for op, (fn, ga, gb) in binary.items():
    for sa, sb in pairs:
        add("%s_%s_%s" % (op, shp(sa), shp(sb)), op, fn, [ga(sa), gb(sb)])
# pow with a large result: base up to 8, exponent up to 6.
add("pow_large", "pow", torch.pow, [positive((3, 4), 2.0, 8.0), positive((4,), 2.0, 6.0)])
# maximum/minimum with ties share the gradient equally.
ta = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
tb = torch.tensor([1.0, 0.0, 3.0])
add("maximum_ties", "maximum", torch.maximum, [ta, tb])
add("minimum_ties", "minimum", torch.minimum, [ta, tb])

# ---- comparisons and where (forward; where also backward) --------------------------
ia = torch.randint(-2, 3, (2, 3, 4)).float()
ib = torch.randint(-2, 3, (3, 1)).float()
for op, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le),
               ("gt", torch.gt), ("ge", torch.ge)]:
    add(op, op, lambda a, b, fn=fn: fn(a, b).float(), [ia, ib], grad=False)
# where: x0 is the condition (no gradient flows to it, so gx0 is zero).
cond = (torch.rand(2, 1, 4) < 0.5).float()
add("where", "where", lambda c, a, b: torch.where(c != 0, a, b),
    [cond, torch.randn(3, 4), torch.randn(2, 3, 1)])

# ---- unary ops ---------------------------------------------------------------------
U = (3, 5)
unary = [
    ("neg", "neg", torch.neg, torch.randn(U), {}),
    ("abs", "abs", torch.abs, away_from_zero(U), {}),
    ("exp", "exp", torch.exp, torch.randn(U), {}),
    ("exp_large", "exp", torch.exp, torch.rand(U) * 20 + 60, {}),
    ("log", "log", torch.log, positive(U, 0.05, 50.0), {}),
    ("sqrt", "sqrt", torch.sqrt, positive(U, 0.05, 50.0), {}),
    ("rsqrt", "rsqrt", torch.rsqrt, positive(U, 0.05, 50.0), {}),
    ("square", "square", torch.square, torch.randn(U) * 3, {}),
    ("sin", "sin", torch.sin, torch.randn(U) * 3, {}),
    ("cos", "cos", torch.cos, torch.randn(U) * 3, {}),
    ("tanh", "tanh", torch.tanh, torch.randn(U) * 2, {}),
    ("sigmoid", "sigmoid", torch.sigmoid, torch.randn(U) * 4, {}),
    ("relu", "relu", torch.relu, away_from_zero(U), {}),
    ("leaky_relu", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), away_from_zero(U), {"alpha": 0.2}),
    ("elu", "elu", lambda x: F.elu(x, 1.0), away_from_zero(U, 2), {"alpha": 1.0}),
    ("gelu", "gelu", F.gelu, torch.randn(U) * 3, {}),
    ("gelu_tanh", "gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), torch.randn(U) * 3, {}),
    ("silu", "silu", F.silu, torch.randn(U) * 4, {}),
    ("softplus_b1", "softplus", lambda x: F.softplus(x, beta=1), torch.randn(U) * 8, {"beta": 1.0}),
    ("softplus_b2", "softplus", lambda x: F.softplus(x, beta=2), torch.randn(U) * 8, {"beta": 2.0}),
    ("erf", "erf", torch.erf, torch.randn(U) * 1.5, {}),
    ("clamp", "clamp", lambda x: torch.clamp(x, -0.5, 0.5),
     torch.tensor([[-2.0, -0.7, -0.49, -0.1, 0.0], [0.2, 0.45, 0.51, 1.3, 3.0], [-0.3, 0.3, -5, 5, 0.01]]),
     {"lo": -0.5, "hi": 0.5}),
]
for name, op, fn, x, attrs in unary:
    add(name, op, fn, [x], attrs)

# ---- reductions --------------------------------------------------------------------
R = (2, 3, 4)
axes_list = [None, [1], [-1], [0, 2]]


def dims(axes):
    return tuple(range(len(R))) if axes is None else tuple(axes)


def axname(axes):
    return "all" if axes is None else "_".join(str(a) for a in axes)


reductions = {
    "sum": lambda x, d, k: torch.sum(x, dim=d, keepdim=k),
    "mean": lambda x, d, k: torch.mean(x, dim=d, keepdim=k),
    "max": lambda x, d, k: torch.amax(x, dim=d, keepdim=k),
    "min": lambda x, d, k: torch.amin(x, dim=d, keepdim=k),
    "logsumexp": lambda x, d, k: torch.logsumexp(x, dim=d, keepdim=k),
}
for op, fn in reductions.items():
    for axes in axes_list:
        for keep in (False, True):
            attrs = {"keepdim": keep}
            if axes is not None:
                attrs["axes"] = axes
            add("%s_%s_k%d" % (op, axname(axes), keep), op,
                lambda x, fn=fn, d=dims(axes), k=keep: fn(x, d, k), [torch.randn(R)], attrs)
for op, fn in [("var", torch.var), ("std", torch.std)]:
    for axes in axes_list:
        for corr in (0, 1):
            for keep in (False, True):
                attrs = {"keepdim": keep, "correction": corr}
                if axes is not None:
                    attrs["axes"] = axes
                add("%s_%s_c%d_k%d" % (op, axname(axes), corr, keep), op,
                    lambda x, fn=fn, d=dims(axes), c=corr, k=keep: fn(x, dim=d, correction=c, keepdim=k),
                    [torch.randn(R)], attrs)
# Ties in max/min share the gradient equally (torch.amax/amin).
tie = torch.tensor([[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0], [0.0, -4.0, 5.0, -4.0]],
                    [[7.0, 7.0, 1.0, 7.0], [0.0, 0.0, 0.0, 0.0], [-1.0, 2.0, -1.0, 1.0]]])
for op, fn in [("max", torch.amax), ("min", torch.amin)]:
    add("%s_ties_2" % op, op, lambda x, fn=fn: fn(x, dim=2), [tie], {"axes": [2], "keepdim": False})
    add("%s_ties_0_1" % op, op, lambda x, fn=fn: fn(x, dim=(0, 1), keepdim=True), [tie],
        {"axes": [0, 1], "keepdim": True})

# ---- softmax and log_softmax -------------------------------------------------------
for op, fn in [("softmax", F.softmax), ("log_softmax", F.log_softmax)]:
    for axis in (0, 1, 2, -1):
        add("%s_ax%d" % (op, axis), op, lambda x, fn=fn, a=axis: fn(x, dim=a), [torch.randn(R) * 2],
            {"axis": axis})

# ---- numerically extreme inputs (|x| ~ 1e4) ----------------------------------------
E = (3, 4)
big = torch.randn(E) * 1e4
add("extreme_softmax", "softmax", lambda x: F.softmax(x, dim=-1), [big], {"axis": -1})
add("extreme_log_softmax", "log_softmax", lambda x: F.log_softmax(x, dim=1), [big], {"axis": 1})
add("extreme_logsumexp", "logsumexp", lambda x: torch.logsumexp(x, dim=1), [big],
    {"axes": [1], "keepdim": False})
add("extreme_logsumexp_all", "logsumexp", lambda x: torch.logsumexp(x, dim=(0, 1)), [big],
    {"keepdim": False})
add("extreme_sigmoid", "sigmoid", torch.sigmoid, [big], {})
add("extreme_softplus_b1", "softplus", lambda x: F.softplus(x, beta=1), [big], {"beta": 1.0})
add("extreme_softplus_b2", "softplus", lambda x: F.softplus(x, beta=2), [big], {"beta": 2.0})
# Large values close together: the result depends on the differences only.
close = 1e4 + torch.randn(E)
add("extreme_softmax_close", "softmax", lambda x: F.softmax(x, dim=-1), [close], {"axis": -1})
add("extreme_log_softmax_close", "log_softmax", lambda x: F.log_softmax(x, dim=-1), [close], {"axis": -1})
add("extreme_logsumexp_close", "logsumexp", lambda x: torch.logsumexp(x, dim=-1, keepdim=True), [close],
    {"axes": [-1], "keepdim": True})


# ---- matmul ------------------------------------------------------------------------
def tr(t, flag):
    return t.transpose(-1, -2) if flag else t


mm = [
    ("matmul_2d", (3, 4), (4, 5), False, False),
    ("matmul_batched_bcast", (2, 1, 3, 4), (3, 4, 5), False, False),
    ("matmul_batched_a", (2, 3, 4), (4, 5), False, False),
    ("matmul_batched_b", (3, 4), (2, 4, 5), False, False),
    ("matmul_tA", (2, 4, 3), (4, 5), True, False),
    ("matmul_tB", (2, 3, 4), (5, 4), False, True),
    ("matmul_tAtB_bcast", (2, 1, 4, 3), (3, 5, 4), True, True),
    ("matmul_tA_2d", (4, 3), (4, 5), True, False),
    ("matmul_tB_2d", (3, 4), (5, 4), False, True),
]
for name, sa, sb, ta_, tb_ in mm:
    add(name, "matmul", lambda a, b, ta_=ta_, tb_=tb_: torch.matmul(tr(a, ta_), tr(b, tb_)),
        [torch.randn(sa), torch.randn(sb)], {"transA": ta_, "transB": tb_})


# ---- second order ------------------------------------------------------------------
def second(name, f, x, W, c, b=None):
    x = x.clone().requires_grad_(True)
    W = W.clone().requires_grad_(True)
    fv = f(x, W, c, b)
    (g,) = torch.autograd.grad(fv, [x], create_graph=True)
    p = (g * g).sum()
    dpx, dpW = torch.autograd.grad(p, [x, W])
    t = {"x": x, "W": W, "c": c, "f": fv, "g": g, "p": p, "dpx": dpx, "dpW": dpW}
    if b is not None:
        t["b"] = b
    cases.append(shorten(case(name, {"op": name}, **t)))


second("second_tanh", lambda x, W, c, b: (torch.tanh(x @ W) * c).sum(),
       torch.randn(3, 4), torch.randn(4, 5) * 0.5, torch.randn(3, 5))
second("second_softmax", lambda x, W, c, b: (torch.softmax(x @ W, dim=-1) * c).sum(),
       torch.randn(3, 4), torch.randn(4, 5), torch.randn(3, 5))
second("second_gelu_logsumexp",
       lambda x, W, c, b: (torch.logsumexp(F.gelu(x @ W + b), dim=-1) * c).sum(),
       torch.randn(3, 4), torch.randn(4, 5), torch.randn(3), torch.randn(5))

out = os.path.join(HERE, "core.json")
write(out, cases)
print("wrote %d cases to %s (%d bytes)" % (len(cases), out, os.path.getsize(out)))
