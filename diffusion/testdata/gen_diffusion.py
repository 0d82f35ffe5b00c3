"""Golden values for package diffusion, computed in PyTorch the way diffusers'
DDPMScheduler computes them (diffusers itself is not installed).

    /usr/bin/python3 diffusion/testdata/gen_diffusion.py

Writes diffusion.json (schedules, posterior mean and variance, U-Net forward and
backward) and unet_twin.safetensors (the U-Net's weights, via nn/testdata/st.py).
"""
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "testdata"))
sys.path.insert(0, os.path.join(ROOT, "nn", "testdata"))
sys.path.insert(0, os.path.join(ROOT, "examples", "diffusion"))
import golden  # noqa: E402
import st  # noqa: E402
from torch_twin import UNet  # noqa: E402

torch.set_default_dtype(torch.float32)
torch.manual_seed(0)
cases = []


def betas_for_alpha_bar(T, alpha_bar, max_beta=0.999):
    # diffusers.schedulers.scheduling_ddpm.betas_for_alpha_bar
    return torch.tensor([min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), max_beta) for i in range(T)],
                        dtype=torch.float32)


T = 50
sched = {
    "linear": torch.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T, dtype=torch.float32),
    "cosine": betas_for_alpha_bar(T, lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2),
}
sig = lambda x: 1 / (1 + math.exp(-x))
vs, ve = sig(-3), sig(3)
sigmoid_abar = lambda t: (ve - sig(t * 6 - 3)) / (ve - vs)
sched["sigmoid"] = betas_for_alpha_bar(T, lambda t: sigmoid_abar(t) / sigmoid_abar(0))
for name, betas in sched.items():
    cases.append(golden.case("schedule_" + name, {"T": T}, betas=betas, alphas_cumprod=torch.cumprod(1 - betas, 0)))

# Posterior q(x_{t-1}|x_t,x_0) as DDPMScheduler.step computes it (float32).
betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float32)
acp = torch.cumprod(1.0 - betas, 0)
ts = [0, 1, 10, 500, 999]
x0 = torch.randn(len(ts), 1, 3, 3)
xt = torch.randn(len(ts), 1, 3, 3)
means, variances = [], []
for i, t in enumerate(ts):
    a_t = acp[t]
    a_prev = acp[t - 1] if t > 0 else torch.tensor(1.0)
    beta_prod_t, beta_prod_prev = 1 - a_t, 1 - a_prev
    cur_alpha = a_t / a_prev
    cur_beta = 1 - cur_alpha
    c0 = (a_prev ** 0.5 * cur_beta) / beta_prod_t
    cs = cur_alpha ** 0.5 * beta_prod_prev / beta_prod_t
    means.append(c0 * x0[i] + cs * xt[i])
    variances.append((1 - a_prev) / (1 - a_t) * cur_beta)
qnoise = torch.randn(len(ts), 1, 3, 3)
qs = torch.stack([acp[t].sqrt() * x0[i] + (1 - acp[t]).sqrt() * qnoise[i] for i, t in enumerate(ts)])
cases.append(golden.case("posterior", {"t": ts}, x0=x0, xt=xt, mean=torch.stack(means),
                         variance=torch.stack(variances), noise=qnoise, q_sample=qs))

# The U-Net twin: a small configuration with every feature on.
cfg = dict(in_ch=1, cond_ch=1, base=8, mults=(1, 2), res_blocks=1, attn_res=(4,), image_size=8,
           heads=2, groups=4, time_dim=16, num_classes=3)
net = UNet(**cfg)
with torch.no_grad():
    for p in net.parameters():  # make every parameter matter, including zero-ish ones
        p.add_(0.05 * torch.randn_like(p))
st.save_file({k: v.contiguous() for k, v in net.state_dict().items()}, os.path.join(HERE, "unet_twin.safetensors"))
x = torch.randn(2, 2, 8, 8, requires_grad=True)
t = torch.tensor([3.0, 917.0])
cls = torch.tensor([1.0, 3.0])
out = net(x, t, cls)
w = torch.randn_like(out)
(out * w).sum().backward()
grads = {k.replace(".", "_"): p.grad for k, p in net.named_parameters()
         if k in ("conv_in.weight", "class_embed.weight", "mid.attn.attn.q_proj.weight",
                  "up.0.1.res.temb.weight", "time_embed.0.weight", "down.1.0.attn.norm.weight")}
cases.append(golden.case("unet", {"cfg": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}},
                         x=x, t=t, cls=cls, out=out, w=w, gx=x.grad, **grads))
golden.write(os.path.join(HERE, "diffusion.json"), cases)
