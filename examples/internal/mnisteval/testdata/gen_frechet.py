"""Reference Fréchet distances between random Gaussians, for frechet_test.go.

The reference uses a formulation independent of the Go one: Tr((Σa Σb)^½) is the sum
of the square roots of the eigenvalues of the (non-symmetric) product Σa Σb, which are
real and non-negative. Run: /usr/bin/python3 gen_frechet.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "testdata"))
import golden  # noqa: E402

rng = np.random.default_rng(7)


def spd(d, rank=None):
    a = rng.normal(size=(d, rank or d))
    return a @ a.T / d + (0 if rank else 0.1 * np.eye(d))


def frechet(m1, c1, m2, c2):
    ev = np.linalg.eigvals(c1 @ c2)
    return float(((m1 - m2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.sqrt(np.clip(ev.real, 0, None)).sum())


cases = []
for name, d, rank in [("d4", 4, None), ("d16", 16, None), ("d6_rank3", 6, 3), ("d32", 32, None)]:
    m1, m2 = rng.normal(size=d), rng.normal(size=d) * 0.5
    c1, c2 = spd(d, rank), spd(d)
    t = lambda a: torch.tensor(a, dtype=torch.float64)
    cases.append(golden.case(name, {"frechet": frechet(m1, c1, m2, c2)}, m1=t(m1), c1=t(c1), m2=t(m2), c2=t(c2)))
golden.write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "frechet.json"), cases)
