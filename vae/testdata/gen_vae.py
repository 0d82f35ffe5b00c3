"""Generates the PyTorch reference for package vae's golden test.

Run with Debian's python3-torch: /usr/bin/python3 vae/testdata/gen_vae.py

For each case it builds the PyTorch twin of a vae.NewMLP or vae.NewConv model (same
state_dict names), with random weights, writes the weights to vae_<case>.safetensors
(via nn/testdata/st.py) and, to vae.json, the input x, labels y, a fixed
reparameterisation noise eps (B,L), the loss terms (recon, kl, kl_dim, total), the
gradient of total with respect to every parameter ("grad.<name>"), and the IWAE bound
per example for a fixed noise eps_iwae (K,B,L).
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "testdata"))
sys.path.insert(0, os.path.join(ROOT, "nn", "testdata"))

import golden  # noqa: E402
import st  # noqa: E402

torch.set_default_dtype(torch.float32)
LOG2PI = math.log(2 * math.pi)


class Encoder(nn.Module):
    def __init__(self, body, feat, latent):
        super().__init__()
        self.body = body
        self.mu = nn.Linear(feat, latent)
        self.logvar = nn.Linear(feat, latent)

    def forward(self, x):
        h = self.body(x)
        return torch.cat([self.mu(h), self.logvar(h)], 1)


class VAE(nn.Module):
    def __init__(self, encoder, decoder, latent, classes, learned_var_shape=None):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.latent = latent
        self.classes = classes
        if learned_var_shape is not None:
            self.likelihood = nn.Module()
            self.likelihood.logvar = nn.Parameter(0.3 * torch.randn(learned_var_shape))
        self.gaussian = learned_var_shape is not None

    def cond(self, v, y):
        if self.classes == 0:
            return v
        oh = F.one_hot(y, self.classes).to(v.dtype)
        if v.dim() == 4:
            oh = oh[:, :, None, None].expand(-1, -1, v.shape[2], v.shape[3])
        return torch.cat([v, oh], 1)

    def log_px(self, x, out):
        if self.gaussian:
            lv = self.likelihood.logvar
            lp = -0.5 * (LOG2PI + lv + (x - out) ** 2 / torch.exp(lv))
        else:
            lp = -F.binary_cross_entropy_with_logits(out, x, reduction="none")
        return lp.flatten(1).sum(1)

    def encode(self, x, y):
        h = self.encoder(self.cond(x, y))
        return h[:, :self.latent], h[:, self.latent:]

    def loss(self, x, y, eps, beta, free_bits):
        mu, logvar = self.encode(x, y)
        z = mu + torch.exp(0.5 * logvar) * eps
        out = self.decoder(self.cond(z, y))
        recon = -self.log_px(x, out).mean()
        kl_dim = (-0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar))).mean(0)
        kl = kl_dim.sum()
        term = torch.clamp(kl_dim, min=free_bits).sum() if free_bits > 0 else kl
        return recon, kl, kl_dim, recon + beta * term

    def iwae(self, x, y, eps):
        k, b, l = eps.shape
        mu, logvar = self.encode(x, y)
        z = mu + torch.exp(0.5 * logvar) * eps
        log_q = -0.5 * (LOG2PI + logvar + eps ** 2).sum(2)
        log_p = -0.5 * (LOG2PI + z ** 2).sum(2)
        xs = x.repeat(k, *([1] * (x.dim() - 1)))
        ys = y.repeat(k) if y is not None else None
        out = self.decoder(self.cond(z.reshape(k * b, l), ys))
        log_px = self.log_px(xs, out).reshape(k, b)
        return torch.logsumexp(log_px + log_p - log_q, 0) - math.log(k)


def mlp(inp, hidden, latent, classes, learned_var_shape=None):
    body = nn.Sequential(nn.Linear(inp + classes, hidden), nn.ReLU())
    dec = nn.Sequential(nn.Linear(latent + classes, hidden), nn.ReLU(), nn.Linear(hidden, inp))
    return VAE(Encoder(body, hidden, latent), dec, latent, classes, learned_var_shape)


def conv(size, ch, filters, hidden, latent, classes):
    final = size >> len(filters)
    layers, c = [], ch + classes
    for f in filters:
        layers += [nn.Conv2d(c, f, 4, 2, 1), nn.ReLU()]
        c = f
    flat = c * final * final
    layers += [nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU()]
    dec = [nn.Linear(latent + classes, hidden), nn.ReLU(), nn.Linear(hidden, flat), nn.ReLU(),
           nn.Unflatten(1, (c, final, final))]
    for i in reversed(range(len(filters))):
        out = filters[i - 1] if i > 0 else ch
        dec.append(nn.ConvTranspose2d(filters[i], out, 4, 2, 1))
        if i > 0:
            dec.append(nn.ReLU())
    return VAE(Encoder(nn.Sequential(*layers), hidden, latent), nn.Sequential(*dec), latent, classes)


def run(name, model, x, y, beta, free_bits, k, attrs):
    b, l = x.shape[0], model.latent
    eps = torch.randn(b, l)
    eps_iwae = torch.randn(k, b, l)
    recon, kl, kl_dim, total = model.loss(x, y, eps, beta, free_bits)
    names = [n for n, _ in model.named_parameters()]
    grads = torch.autograd.grad(total, [p for _, p in model.named_parameters()])
    with torch.no_grad():
        iw = model.iwae(x, y, eps_iwae)
    st.save_file({n: p.detach().contiguous() for n, p in model.named_parameters()},
                 os.path.join(HERE, f"vae_{name}.safetensors"))
    tensors = dict(x=x, eps=eps, eps_iwae=eps_iwae, recon=recon, kl=kl, kl_dim=kl_dim,
                   total=total, iwae=iw)
    if y is not None:
        tensors["y"] = y.float()
    for n, g in zip(names, grads):
        tensors["grad." + n] = g
    attrs = dict(attrs, beta=beta, free_bits=free_bits)
    return golden.case(name, attrs, **tensors)


def main():
    cases = []
    torch.manual_seed(1)
    m = mlp(12, 8, 3, 0)
    x = torch.rand(4, 12)
    cases.append(run("mlp_bernoulli", m, x, None, 1.0, 0.0, 3,
                     {"input": 12, "hidden": 8, "latent": 3, "classes": 0}))

    torch.manual_seed(2)
    m = mlp(10, 6, 4, 3, learned_var_shape=(10,))
    x = torch.rand(5, 10)
    y = torch.tensor([0, 2, 1, 2, 0])
    cases.append(run("mlp_cond_gaussian", m, x, y, 0.5, 0.047, 4,
                     {"input": 10, "hidden": 6, "latent": 4, "classes": 3}))

    torch.manual_seed(3)
    m = conv(8, 1, [3, 4], 10, 2, 0)
    x = torch.rand(3, 1, 8, 8)
    cases.append(run("conv_bernoulli", m, x, None, 2.0, 0.0, 2,
                     {"size": 8, "filters": [3, 4], "hidden": 10, "latent": 2, "classes": 0}))

    torch.manual_seed(4)
    m = conv(8, 1, [2, 3], 6, 2, 2)
    x = torch.rand(2, 1, 8, 8)
    y = torch.tensor([1, 0])
    cases.append(run("conv_cond", m, x, y, 1.0, 0.0, 2,
                     {"size": 8, "filters": [2, 3], "hidden": 6, "latent": 2, "classes": 2}))

    golden.write(os.path.join(HERE, "vae.json"), cases)


if __name__ == "__main__":
    main()
