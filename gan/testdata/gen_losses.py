"""Golden values for package gan's losses, penalties and bicubic interpolation.

Run with Debian's torch: /usr/bin/python3 gan/testdata/gen_losses.py
Writes losses.json and tiny_d.safetensors (the fixed weights of the tiny
discriminator the penalties are checked on, written with nn/testdata/st.py).
"""
import os
import sys

import torch
import torch.nn as tnn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "testdata"))
sys.path.insert(0, os.path.join(ROOT, "nn", "testdata"))
import golden  # noqa: E402
import st  # noqa: E402

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)


def d_loss(kind, r, f, s):
    t = 1 - s
    if kind in ("ns", "minimax"):
        return (F.binary_cross_entropy_with_logits(r, torch.full_like(r, t))
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
    if kind == "lsgan":
        return 0.5 * ((r - t) ** 2).mean() + 0.5 * (f ** 2).mean()
    if kind == "hinge":
        return F.relu(1 - r).mean() + F.relu(1 + f).mean()
    if kind == "wgan":
        return f.mean() - r.mean()
    raise ValueError(kind)


def g_loss(kind, f):
    if kind == "ns":
        return F.binary_cross_entropy_with_logits(f, torch.ones_like(f))
    if kind == "minimax":
        return -F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
    if kind == "lsgan":
        return 0.5 * ((f - 1) ** 2).mean()
    if kind in ("hinge", "wgan"):
        return -f.mean()
    raise ValueError(kind)


cases = []
for kind in ["ns", "minimax", "lsgan", "hinge", "wgan"]:
    for s in ([0.0, 0.1] if kind in ("ns", "minimax", "lsgan") else [0.0]):
        r = (torch.randn(6, 1) * 3).requires_grad_()
        f = (torch.randn(6, 1) * 3).requires_grad_()
        dl = d_loss(kind, r, f, s)
        gr, gf = torch.autograd.grad(dl, [r, f])
        f2 = f.detach().clone().requires_grad_()
        gl = g_loss(kind, f2)
        (ggf,) = torch.autograd.grad(gl, [f2])
        cases.append(golden.case(f"loss_{kind}_s{s}", {"kind": kind, "smoothing": s},
                                 real=r, fake=f, d=dl, d_greal=gr, d_gfake=gf, g=gl, g_gfake=ggf))


class TinyD(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(1, 2, 3, padding=1)
        self.fc1 = tnn.Linear(32, 3)
        self.fc2 = tnn.Linear(3, 1)

    def forward(self, x):
        h = F.leaky_relu(self.conv(x), 0.2).flatten(1)
        return self.fc2(torch.tanh(self.fc1(h)))


d = TinyD()
st.save_file({k: v.detach().contiguous() for k, v in d.state_dict().items()},
             os.path.join(HERE, "tiny_d.safetensors"))
params = list(d.parameters())
names = [n for n, _ in d.named_parameters()]



def pgrads(loss):
    gs = torch.autograd.grad(loss, params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(gs, params)]


real = torch.randn(3, 1, 4, 4)
fake = torch.randn(3, 1, 4, 4)
alpha = torch.rand(3)

# WGAN-GP: E[(||grad D(xhat)||_2 - 1)^2]
a = alpha.view(3, 1, 1, 1)
xhat = (a * real + (1 - a) * fake).requires_grad_()
out = d(xhat)
(g,) = torch.autograd.grad(out, xhat, torch.ones_like(out), create_graph=True)
gp = ((g.view(3, -1).norm(2, dim=1) - 1) ** 2).mean()
grads = pgrads(gp)
cases.append(golden.case("gp", {}, real=real, fake=fake, alpha=alpha, penalty=gp,
                         **{"grad_" + n.replace(".", "_"): t for n, t in zip(names, grads)}))

# R1: 0.5 E[||grad D(x)||^2]
x = real.clone().requires_grad_()
out = d(x)
(g,) = torch.autograd.grad(out, x, torch.ones_like(out), create_graph=True)
r1 = 0.5 * (g.view(3, -1) ** 2).sum(1).mean()
grads = pgrads(r1)
cases.append(golden.case("r1", {}, real=real, penalty=r1,
                         **{"grad_" + n.replace(".", "_"): t for n, t in zip(names, grads)}))

# Bicubic interpolation, align_corners=False.
for name, shape, size in [("bicubic_up2", (1, 2, 6, 5), (12, 10)),
                          ("bicubic_odd", (2, 1, 4, 4), (7, 9)),
                          ("bicubic_down", (1, 1, 8, 8), (5, 3))]:
    xx = torch.rand(*shape)
    yy = F.interpolate(xx, size=size, mode="bicubic", align_corners=False)
    cases.append(golden.case(name, {"h": size[0], "w": size[1]}, x=xx, y=yy))

golden.write(os.path.join(HERE, "losses.json"), cases)
