"""Reference trajectories for package optim.

Run with Debian's python3-torch from the repository root:

    /usr/bin/python3 optim/testdata/gen_optim.py

The fixed problem is loss = sum((x @ W + b - y)^2) with W (3,4) and b (4). Every
optimizer case runs 20 steps from the same W0, b0 with two parameter groups, W (with
weight decay) and b (without, possibly with its own lr), and records W and b after
every step. Schedule cases record the lr (and momentum for OneCycle) used at each of
30 steps. Clip cases record the gradients at W0, b0 before and after clipping.
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))

import torch  # noqa: E402
from golden import case, write  # noqa: E402

torch.set_default_dtype(torch.float32)
torch.manual_seed(0)

X = torch.randn(5, 3)
Y = torch.randn(5, 4)
W0 = torch.randn(3, 4) * 0.5
B0 = torch.randn(4) * 0.5
STEPS = 20
SCHED_STEPS = 30


def loss_fn(W, b):
    return ((X @ W + b - Y) ** 2).sum()


def groups(W, b, a):
    return [
        {"params": [W], "weight_decay": a.get("wd", 0.0)},
        {"params": [b], "weight_decay": 0.0, "lr": a.get("lr_b", a["lr"])},
    ]


def make_opt(a, W, b):
    g = groups(W, b, a)
    kind = a["opt"]
    if kind == "sgd":
        return torch.optim.SGD(g, lr=a["lr"], momentum=a.get("momentum", 0.0),
                               dampening=a.get("dampening", 0.0), nesterov=a.get("nesterov", False),
                               foreach=False)
    if kind in ("adam", "adamw"):
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return cls(g, lr=a["lr"], betas=(a.get("beta1", 0.9), a.get("beta2", 0.999)),
                   eps=a.get("eps", 1e-8), amsgrad=a.get("amsgrad", False), foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop(g, lr=a["lr"], alpha=a.get("alpha", 0.99), eps=a.get("eps", 1e-8),
                                   momentum=a.get("momentum", 0.0), centered=a.get("centered", False),
                                   foreach=False)
    if kind == "adagrad":
        return torch.optim.Adagrad(g, lr=a["lr"], lr_decay=a.get("lr_decay", 0.0),
                                   initial_accumulator_value=a.get("init_acc", 0.0),
                                   eps=a.get("eps", 1e-10), foreach=False)
    raise ValueError(kind)


OPT_CASES = [
    ("sgd", {"opt": "sgd", "lr": 0.01}),
    ("sgd_momentum_nesterov_wd", {"opt": "sgd", "lr": 0.01, "momentum": 0.9, "nesterov": True, "wd": 0.05}),
    ("sgd_momentum_dampening", {"opt": "sgd", "lr": 0.01, "lr_b": 0.02, "momentum": 0.8, "dampening": 0.3,
                                "wd": 0.01}),
    ("adam", {"opt": "adam", "lr": 0.05}),
    ("adam_wd_amsgrad", {"opt": "adam", "lr": 0.05, "wd": 0.1, "amsgrad": True, "beta1": 0.8, "beta2": 0.95}),
    ("adam_beta1_zero", {"opt": "adam", "lr": 0.02, "lr_b": 0.01, "beta1": 0.0, "beta2": 0.99, "eps": 1e-6}),
    ("adamw", {"opt": "adamw", "lr": 0.05, "wd": 0.1}),
    ("adamw_amsgrad", {"opt": "adamw", "lr": 0.05, "wd": 0.3, "amsgrad": True}),
    ("rmsprop", {"opt": "rmsprop", "lr": 0.01}),
    ("rmsprop_centered_momentum", {"opt": "rmsprop", "lr": 0.01, "alpha": 0.9, "momentum": 0.5,
                                   "centered": True, "wd": 0.02, "eps": 1e-6}),
    ("adagrad", {"opt": "adagrad", "lr": 0.1}),
    ("adagrad_lr_decay", {"opt": "adagrad", "lr": 0.1, "lr_b": 0.05, "lr_decay": 0.05, "init_acc": 0.1,
                          "wd": 0.01, "eps": 1e-8}),
]


def opt_case(name, a):
    W = W0.clone().requires_grad_(True)
    b = B0.clone().requires_grad_(True)
    opt = make_opt(a, W, b)
    Ws, bs = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(W, b).backward()
        opt.step()
        Ws.append(W.detach().clone())
        bs.append(b.detach().clone())
    return case(name, a, W=torch.stack(Ws), b=torch.stack(bs))


def sched_case(name, a, make):
    p = torch.zeros(1, requires_grad=True)
    if a.get("momentum_opt"):
        opt = torch.optim.SGD([p], lr=a["base"], momentum=0.9)
    else:
        opt = torch.optim.SGD([p], lr=a["base"])
    sched = make(opt)
    lrs, moms = [], []
    for _ in range(SCHED_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if sched is not None:
            sched.step()
    t = {"lr": torch.tensor(lrs, dtype=torch.float64)}
    if a.get("momentum_opt"):
        t["momentum"] = torch.tensor(moms, dtype=torch.float64)
    return case(name, a, **t)


S = torch.optim.lr_scheduler
SCHED_CASES = [
    ("constant", {"base": 0.1}, lambda o: None),
    ("step", {"base": 0.1, "step_size": 7, "gamma": 0.5}, lambda o: S.StepLR(o, 7, 0.5)),
    ("exponential", {"base": 0.1, "gamma": 0.9}, lambda o: S.ExponentialLR(o, 0.9)),
    ("cosine", {"base": 0.1, "t_max": 20, "eta_min": 0.001},
     lambda o: S.CosineAnnealingLR(o, T_max=20, eta_min=0.001)),
    ("warmup_cosine", {"base": 0.1, "warmup": 5, "total": 30, "min": 0.001},
     lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=1 / 5, end_factor=1.0, total_iters=4),
                                  S.CosineAnnealingLR(o, T_max=25, eta_min=0.001)], milestones=[5])),
    ("warmup_linear", {"base": 0.1, "warmup": 5, "total": 30, "min": 0.01},
     lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=1 / 5, end_factor=1.0, total_iters=4),
                                  S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=25)],
                              milestones=[5])),
    ("onecycle", {"base": 0.1, "total": 30, "momentum_opt": True},
     lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30)),
    ("onecycle_custom", {"base": 0.2, "total": 30, "pct_start": 0.25, "div_factor": 10.0,
                         "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9,
                         "momentum_opt": True},
     lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=30, pct_start=0.25, div_factor=10.0,
                            final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9)),
]


def clip_case(name, a):
    W = W0.clone().requires_grad_(True)
    b = B0.clone().requires_grad_(True)
    loss_fn(W, b).backward()
    gW, gb = W.grad.clone(), b.grad.clone()
    t = {}
    if "max_norm" in a:
        t["total"] = torch.nn.utils.clip_grad_norm_([W, b], a["max_norm"])
    else:
        torch.nn.utils.clip_grad_value_([W, b], a["clip_value"])
    return case(name, a, gW=gW, gb=gb, cW=W.grad, cb=b.grad, **t)


cases = [case("problem", {"steps": STEPS}, x=X, y=Y, W0=W0, b0=B0)]
cases += [opt_case(n, a) for n, a in OPT_CASES]
cases += [sched_case("sched_" + n, a, m) for n, a, m in SCHED_CASES]
cases += [clip_case("clip_norm", {"max_norm": 1.0}), clip_case("clip_norm_noop", {"max_norm": 1e4}),
          clip_case("clip_value", {"clip_value": 0.5})]

write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json"), cases)
