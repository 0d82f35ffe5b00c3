"""Generates the PyTorch reference values for the layers and losses of package nn.

Run with Debian's python3-torch (1.13) from anywhere:

    /usr/bin/python3 nn/testdata/gen_layers.py

For every layer it builds the torch module after torch.manual_seed, so its parameters
have PyTorch's own default initialisation, and saves the state_dict, keys exactly as
PyTorch names them, with st.py to layers/<case>.safetensors. It then runs a forward
pass on a seeded random input x and a backward pass with a seeded random upstream
gradient gy, and writes to layers.json (testdata/golden.py format), per case:

  x, y, gy, gx     input, output, upstream gradient, input gradient
  src, gsrc        the key/value source of cross-attention and its gradient
  ids              the integer ids of an Embedding, as floats
  grad.<key>       the gradient of every parameter, by state_dict key
  after.<key>      every buffer after the step (running statistics, spectral-norm u/v)
  attrs.train      1 for train mode, 0 for eval mode

Changes from plain default initialisation, so that the forward pass exercises every
term (each is marked "perturb" below): the affine parameters of the norm layers start
as ones and zeros and the attention biases as zeros, so they get seeded noise added;
batch norm in eval mode first runs three training steps so its running statistics are
not 0 and 1.

nn.MultiheadAttention packs the q, k and v projections into in_proj_weight and
in_proj_bias (or q_proj_weight, k_proj_weight, v_proj_weight when kdim differs); the
file and the gradients use the names of nn.MultiHeadAttention instead: q_proj.weight,
q_proj.bias, k_proj.*, v_proj.*, out_proj.*.

Losses (no files) store their inputs in0, in1, in2, the loss y, the upstream gradient
gy (a scalar for mean and sum) and the input gradients g.in0, …; attrs give the loss,
its options and the reduction.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "testdata"))
sys.path.insert(0, HERE)

import golden  # noqa: E402
import st  # noqa: E402

torch.set_default_dtype(torch.float32)
LAYERS = os.path.join(HERE, "layers")
cases = []
seed = [1000]


def reseed():
    seed[0] += 1
    torch.manual_seed(seed[0])


def perturb(mod, *names):
    """Adds seeded N(0, 0.1²) noise to the named parameters (see the docstring)."""
    with torch.no_grad():
        for n in names:
            p = mod.get_parameter(n)
            p.add_(0.1 * torch.randn_like(p))


def save(name, sd):
    st.save_file({k: v.detach().clone().contiguous() for k, v in sd.items()},
                 os.path.join(LAYERS, name + ".safetensors"))


def module_case(name, make, shape, train=True, attrs=None, prep=None, scale=1.0, x=None):
    """Builds make() after a fresh seed, saves its state, runs forward and backward."""
    reseed()
    mod = make()
    if prep is not None:
        prep(mod)
    save(name, mod.state_dict())
    mod.train(train)
    if x is None:
        x = torch.randn(*shape) * scale
    x = x.clone().requires_grad_(True)
    y = mod(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    t = {"x": x, "y": y, "gy": gy, "gx": x.grad}
    for k, p in mod.named_parameters():
        t["grad." + k] = p.grad
    for k, b in mod.named_buffers():
        t["after." + k] = b
    a = {"train": train}
    a.update(attrs or {})
    cases.append(golden.case(name, a, **t))


# ---- Linear, MLP, Embedding ----
module_case("linear", lambda: nn.Linear(5, 3), (2, 4, 5))
module_case("linear_nobias", lambda: nn.Linear(5, 3, bias=False), (4, 5))
module_case("mlp", lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(),
                                         nn.Linear(6, 3)), (5, 4))

reseed()
emb = nn.Embedding(10, 4)
save("embedding", emb.state_dict())
ids = torch.tensor([[1, 3, 3, 9], [0, 3, 7, 1]])
y = emb(ids)
gy = torch.randn_like(y)
y.backward(gy)
cases.append(golden.case("embedding", {"train": True}, ids=ids, y=y, gy=gy,
                         **{"grad.weight": emb.weight.grad}))

# ---- Convolutions ----
module_case("conv2d_s2_p1_g2", lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 6, 6))
module_case("conv2d_dil2_nobias", lambda: nn.Conv2d(3, 2, 3, dilation=2, bias=False), (1, 3, 6, 7))
module_case("convt2d_s2_p1_op1",
            lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1), (2, 4, 3, 3))
module_case("convt2d_g2", lambda: nn.ConvTranspose2d(4, 2, 2, groups=2), (1, 4, 3, 4))


# ---- Normalisation ----
def bn_warm(mod, shape):
    """Eval mode: three training steps first, so the running statistics mean something."""
    perturb(mod, "weight", "bias")
    mod.train()
    with torch.no_grad():
        for _ in range(3):
            mod(torch.randn(*shape) * 2 + 0.5)


for nm, mk, shape in [("batchnorm1d", lambda: nn.BatchNorm1d(3), (6, 3)),
                      ("batchnorm1d_ncl", lambda: nn.BatchNorm1d(3), (4, 3, 5)),
                      ("batchnorm2d", lambda: nn.BatchNorm2d(3), (2, 3, 4, 4))]:
    module_case(nm + "_train", mk, shape, prep=lambda m: perturb(m, "weight", "bias"), scale=2)
    module_case(nm + "_eval", mk, shape, train=False, prep=lambda m, s=shape: bn_warm(m, s), scale=2)

module_case("layernorm_last", lambda: nn.LayerNorm(6), (2, 3, 6), prep=lambda m: perturb(m, "weight", "bias"))
module_case("layernorm_last2", lambda: nn.LayerNorm([3, 4]), (2, 3, 4),
            prep=lambda m: perturb(m, "weight", "bias"))
module_case("groupnorm", lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3), prep=lambda m: perturb(m, "weight", "bias"))


class RMSNorm(nn.Module):
    """x·rsqrt(mean(x²)+eps)·weight over the last axis, as nn.RMSNorm."""

    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


module_case("rmsnorm", lambda: RMSNorm(6, 1e-6), (2, 3, 6), attrs={"eps": 1e-6},
            prep=lambda m: perturb(m, "weight"))

# ---- Activations and shape modules ----
ACT_X = torch.cat([torch.randn(20) * 2, torch.tensor([-30.0, -12.0, 12.0, 30.0])]).reshape(2, 3, 4)
for nm, mk in [("relu", nn.ReLU), ("leaky_relu_0.2", lambda: nn.LeakyReLU(0.2)),
               ("leaky_relu_default", nn.LeakyReLU), ("elu", nn.ELU), ("elu_0.5", lambda: nn.ELU(0.5)),
               ("gelu", nn.GELU), ("gelu_tanh", lambda: nn.GELU(approximate="tanh")), ("silu", nn.SiLU),
               ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid), ("softplus", nn.Softplus),
               ("softplus_beta2", lambda: nn.Softplus(beta=2.0))]:
    module_case(nm, mk, None, x=ACT_X)
module_case("flatten", nn.Flatten, (2, 3, 2, 2))
module_case("unflatten", lambda: nn.Unflatten(1, (2, 3)), (2, 6, 2))

# ---- Pooling and upsampling ----
module_case("maxpool_k2", lambda: nn.MaxPool2d(2), (2, 2, 4, 5))
module_case("maxpool_k3_s2_p1", lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 6))
module_case("avgpool_k3_s2_p1", lambda: nn.AvgPool2d(3, stride=2, padding=1), (1, 2, 5, 6))
module_case("avgpool_k3_s2_p1_nopad",
            lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (1, 2, 5, 6))
module_case("adaptive_avgpool_3x2", lambda: nn.AdaptiveAvgPool2d((3, 2)), (1, 2, 5, 7))
module_case("upsample_nearest_x2", lambda: nn.Upsample(scale_factor=2), (1, 2, 3, 3))
module_case("upsample_nearest_size", lambda: nn.Upsample(size=(5, 7)), (1, 2, 3, 4))
module_case("upsample_bilinear_x2", lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 3))
module_case("upsample_bilinear_size_ac",
            lambda: nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4))


# ---- Attention ----
def mha_state(m, e, grads=False):
    """nn.MultiheadAttention's parameters (or their gradients, keys prefixed "grad.")
    under the names of nn.MultiHeadAttention."""
    def get(p):
        return p.grad if grads else p

    if m.in_proj_weight is not None:
        w = get(m.in_proj_weight)
        ws = [w[:e], w[e:2 * e], w[2 * e:]]
    else:
        ws = [get(m.q_proj_weight), get(m.k_proj_weight), get(m.v_proj_weight)]
    b = get(m.in_proj_bias)
    pre = "grad." if grads else ""
    out = {}
    for i, n in enumerate(["q_proj", "k_proj", "v_proj"]):
        out[pre + n + ".weight"] = ws[i]
        out[pre + n + ".bias"] = b[i * e:(i + 1) * e]
    out[pre + "out_proj.weight"] = get(m.out_proj.weight)
    out[pre + "out_proj.bias"] = get(m.out_proj.bias)
    return out


def mha_case(name, e, heads, tq, tk, kdim=None, causal=False, lengths=None):
    reseed()
    m = nn.MultiheadAttention(e, heads, batch_first=True, kdim=kdim, vdim=kdim)
    with torch.no_grad():  # perturb: the biases start at zero
        m.in_proj_bias.add_(0.1 * torch.randn_like(m.in_proj_bias))
        m.out_proj.bias.add_(0.1 * torch.randn_like(m.out_proj.bias))
    save(name, mha_state(m, e))
    x = torch.randn(2, tq, e, requires_grad=True)
    t = {"x": x}
    if kdim is None and not lengths:
        src = x
    else:
        src = torch.randn(2, tk, kdim or e, requires_grad=True)
        t["src"] = src
    attn_mask = torch.triu(torch.ones(tq, tk, dtype=torch.bool), 1) if causal else None
    kpm = None
    if lengths:
        kpm = torch.arange(tk)[None, :] >= torch.tensor(lengths)[:, None]  # True at padding
    y, _ = m(x, src, src, attn_mask=attn_mask, key_padding_mask=kpm, need_weights=False)
    gy = torch.randn_like(y)
    y.backward(gy)
    t.update(y=y, gy=gy, gx=x.grad)
    if "src" in t:
        t["gsrc"] = src.grad
    t.update(mha_state(m, e, grads=True))
    cases.append(golden.case(name, {"train": True, "heads": heads, "causal": causal,
                                    "lengths": lengths or []}, **t))


mha_case("mha_self_causal", 8, 2, 5, 5, causal=True)
mha_case("mha_cross_padding", 8, 2, 4, 6, lengths=[6, 3])
mha_case("mha_cross_kdim_padding", 8, 4, 3, 5, kdim=6, lengths=[2, 5])

# ---- Spectral normalisation ----
sn = nn.utils.spectral_norm
module_case("spectral_linear_train", lambda: sn(nn.Linear(5, 4)), (3, 5))
module_case("spectral_linear_eval", lambda: sn(nn.Linear(5, 4)), (3, 5), train=False)
module_case("spectral_conv2d_train", lambda: sn(nn.Conv2d(2, 3, 3, padding=1)), (1, 2, 4, 4))
# torch normalises a ConvTranspose2d weight (in,out,k,k) along dim 1: u has length out.
module_case("spectral_convt2d_train", lambda: sn(nn.ConvTranspose2d(2, 3, 3, stride=2)), (1, 2, 3, 3))


# ---- Positional embeddings (formulas in float64, no torch module exists) ----
def sinusoidal(n, dim):
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    pe = torch.zeros(n, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


def timestep_embedding(ts, dim, max_period):
    """diffusers' get_timestep_embedding with flip_sin_to_cos=False, shift 0."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float64) / half
    emb = ts.to(torch.float64)[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)


cases.append(golden.case("sinusoidal_positions", {"n": 12, "dim": 8}, y=sinusoidal(12, 8)))
TS = torch.tensor([0.0, 1.0, 10.5, 500.0, 999.0])
cases.append(golden.case("timestep_embedding", {"dim": 8, "max_period": 10000}, t=TS,
                         y=timestep_embedding(TS, 8, 10000.0)))
cases.append(golden.case("timestep_embedding_p100", {"dim": 6, "max_period": 100}, t=TS,
                         y=timestep_embedding(TS, 6, 100.0)))


# ---- Losses ----
def loss_case(name, fn, ins, grad_of, reduction, attrs=None):
    """fn(inputs, reduction) -> loss; grad_of lists which inputs torch differentiates."""
    ins = [t.clone().requires_grad_(g) for t, g in zip(ins, grad_of)]
    y = fn(ins, reduction)
    gy = torch.randn_like(y)
    y.backward(gy)
    t = {"y": y, "gy": gy}
    for i, v in enumerate(ins):
        t["in%d" % i] = v
        if grad_of[i]:
            t["g.in%d" % i] = v.grad
    a = {"reduction": reduction}
    a.update(attrs or {})
    cases.append(golden.case("%s_%s" % (name, reduction), a, **t))


def gaussian_kl(mu, logvar, reduction):
    per = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return reduce(per, reduction)


def reduce(per, reduction):
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    return per


reseed()
A, B, C = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
P = torch.sigmoid(torch.randn(3, 4))
T01 = torch.rand(3, 4)
T01[0, :2] = torch.tensor([0.0, 1.0])
LOGITS = torch.randn(6, 5)
TARGETS = torch.tensor([2, 0, 4, 0, 1, 3])
N = torch.distributions.Normal
for r in ["mean", "sum", "none"]:
    loss_case("mse", lambda v, r: F.mse_loss(v[0], v[1], reduction=r), [A, B], [True, True], r)
    loss_case("l1", lambda v, r: F.l1_loss(v[0], v[1], reduction=r), [A, B], [True, True], r)
    loss_case("smooth_l1_beta0.5", lambda v, r: F.smooth_l1_loss(v[0], v[1], reduction=r, beta=0.5),
              [A, B], [True, True], r, {"beta": 0.5})
    loss_case("bce", lambda v, r: F.binary_cross_entropy(v[0], v[1], reduction=r), [P, T01],
              [True, False], r)
    loss_case("bce_with_logits", lambda v, r: F.binary_cross_entropy_with_logits(v[0], v[1], reduction=r),
              [A * 3, T01], [True, True], r)
    for nm, kw in [("plain", {}), ("ignore0", {"ignore_index": 0}), ("smooth0.1", {"label_smoothing": 0.1}),
                   ("ignore0_smooth0.1", {"ignore_index": 0, "label_smoothing": 0.1})]:
        loss_case("cross_entropy_" + nm, lambda v, r, kw=kw: F.cross_entropy(v[0], TARGETS, reduction=r, **kw),
                  [LOGITS], [True], r, {"targets": TARGETS.tolist(), "ignore_index": kw.get("ignore_index", -100),
                                        "label_smoothing": kw.get("label_smoothing", 0.0)})
    TN = TARGETS.clone()
    TN[1] = -100
    loss_case("nll", lambda v, r: F.nll_loss(F.log_softmax(v[0], -1), TN, reduction=r), [LOGITS], [True], r,
              {"targets": TN.tolist()})
    loss_case("gaussian_kl", lambda v, r: gaussian_kl(v[0], v[1], r), [A, B], [True, True], r)
    loss_case("diag_gaussian_kl",
              lambda v, r: reduce(torch.distributions.kl_divergence(N(v[0], (0.5 * v[1]).exp()),
                                                                    N(v[2], (0.5 * v[3]).exp())), r),
              [A, B, C, B * 0.5 - 0.2], [True] * 4, r)
    loss_case("gaussian_log_likelihood",
              lambda v, r: reduce(N(v[1], (0.5 * v[2]).exp()).log_prob(v[0]), r), [A, B, C], [True] * 3, r)
    loss_case("gaussian_nll_full",
              lambda v, r: F.gaussian_nll_loss(v[1], v[0], v[2].exp(), full=True, eps=1e-12, reduction=r),
              [A, B, C], [True] * 3, r)
    loss_case("bernoulli_log_likelihood",
              lambda v, r: reduce(torch.distributions.Bernoulli(logits=v[1], validate_args=False).log_prob(v[0]), r),
              [T01, A * 3], [True, True], r)

golden.write(os.path.join(HERE, "layers.json"), cases)
print("wrote %d cases, %d bytes" % (len(cases), os.path.getsize(os.path.join(HERE, "layers.json"))))
