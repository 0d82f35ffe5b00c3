"""PyTorch twin of examples/bench: the same workloads, the same JSON lines.

Run with Debian's python3-torch on 2 threads:
    /usr/bin/python3 examples/bench/torch_twin.py [--only gpt,unet] [--steps 10]
`go run ./examples/bench -compare` runs it and prints the ratio table.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


def mlp():
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return step


def vae():
    enc, mu, lv = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
    dec = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784))
    params = [*enc.parameters(), *mu.parameters(), *lv.parameters(), *dec.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.rand(128, 784)

    def step():
        opt.zero_grad()
        h = F.relu(enc(x))
        m, l = mu(h), lv(h)
        z = m + torch.exp(0.5 * l) * torch.randn_like(m)
        rec = F.binary_cross_entropy_with_logits(dec(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + l - m.pow(2) - l.exp())
        ((rec + kl) / 128).backward()
        opt.step()
    return step


def dcgan():
    g = nn.Sequential(nn.Linear(100, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128), nn.ReLU(),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1),
                      nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(64, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)
    bce = F.binary_cross_entropy_with_logits

    def step():
        od.zero_grad()
        fake = g(torch.randn(64, 100))
        (bce(d(real), ones) + bce(d(fake.detach()), zeros)).backward()
        od.step()
        og.zero_grad()
        bce(d(fake), ones).backward()
        og.step()
    return step


class Block(nn.Module):
    def __init__(self, c, nh):
        super().__init__()
        self.nh = nh
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn, self.c_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x, cache=None):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        tk = k.shape[2]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        mask = torch.ones(t, tk, dtype=torch.bool).triu(tk - t + 1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab=65, ctx=128, layers=4, heads=4, dim=128):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(ctx, dim)
        self.h = nn.ModuleList([Block(dim, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)

    def forward(self, ids, pos=0, caches=None):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(pos, pos + t))
        for i, b in enumerate(self.h):
            x = b(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.t()


def gpt():
    m = GPT()
    decay = [p for p in m.parameters() if p.dim() >= 2]
    plain = [p for p in m.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": plain, "weight_decay": 0.0}], lr=3e-4)
    ids, tgt = torch.randint(0, 65, (16, 128)), torch.randint(0, 65, (16 * 128,))

    def step():
        opt.zero_grad()
        F.cross_entropy(m(ids).view(-1, 65), tgt).backward()
        opt.step()
    return step


GENERATE_TOKENS = 127


def generate():
    m = GPT().eval()

    def step():
        with torch.no_grad():
            caches = [{} for _ in m.h]
            tok = torch.zeros(1, 1, dtype=torch.long)
            for pos in range(GENERATE_TOKENS):
                logits = m(tok, pos, caches)[:, -1, :]
                tok = torch.multinomial(logits.softmax(-1), 1)
    return step


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(128, cout)
        self.norm2, self.conv2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x))) + self.temb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


def timestep_embedding(t, dim=32):
    half = dim // 2
    f = torch.exp(-math.log(10000) * torch.arange(half) / half)
    a = t[:, None].float() * f[None]
    return torch.cat([a.sin(), a.cos()], 1)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.t1, self.t2 = nn.Linear(32, 128), nn.Linear(128, 128)
        self.inp, self.r1 = nn.Conv2d(1, 32, 3, padding=1), ResBlock(32, 32)
        self.down1, self.r2 = nn.Conv2d(32, 32, 3, 2, 1), ResBlock(32, 64)
        self.down2, self.r3 = nn.Conv2d(64, 64, 3, 2, 1), ResBlock(64, 64)
        self.up1, self.r4 = nn.ConvTranspose2d(64, 64, 4, 2, 1), ResBlock(128, 64)
        self.up2, self.r5 = nn.ConvTranspose2d(64, 32, 4, 2, 1), ResBlock(64, 32)
        self.norm_out, self.out = nn.GroupNorm(8, 32), nn.Conv2d(32, 1, 3, padding=1)

    def forward(self, x, t):
        emb = self.t2(F.silu(self.t1(timestep_embedding(t))))
        h1 = self.r1(self.inp(x), emb)
        h2 = self.r2(self.down1(h1), emb)
        h = self.r3(self.down2(h2), emb)
        h = self.r4(torch.cat([self.up1(h), h2], 1), emb)
        h = self.r5(torch.cat([self.up2(h), h1], 1), emb)
        return self.out(F.silu(self.norm_out(h)))


def unet():
    net = UNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0).float()
    x0 = torch.rand(32, 1, 28, 28) * 2 - 1

    def step():
        opt.zero_grad()
        t = torch.randint(0, 1000, (32,))
        a = abar[t].view(32, 1, 1, 1)
        noise = torch.randn_like(x0)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        F.mse_loss(net(xt, t), noise).backward()
        opt.step()
    return step


def gemm(n):
    def build():
        a, b = torch.randn(n, n), torch.randn(n, n)
        return lambda: torch.mm(a, b)
    return build


WORKLOADS = [("mlp", mlp, "ms"), ("vae", vae, "ms"), ("dcgan", dcgan, "ms"), ("gpt", gpt, "ms"),
             ("generate", generate, "tokens"), ("unet", unet, "ms"),
             ("gemm512", gemm(512), "gflops"), ("gemm1024", gemm(1024), "gflops")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    for name, build, kind in WORKLOADS:
        if only and name not in only:
            continue
        step = build()
        for _ in range(args.warmup):
            step()
        times = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        r = {"workload": name, "steps": args.steps, "impl": "pytorch"}
        if kind == "ms":
            r["ms_per_step"] = med * 1e3
        elif kind == "tokens":
            r["tokens_per_s"] = GENERATE_TOKENS / med
        else:
            n = int(name[4:])
            r["gflops"] = 2 * n ** 3 / med / 1e9
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
