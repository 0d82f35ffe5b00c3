"""Reference values for package transformer, from PyTorch.

Run with Debian's python3-torch from the repository root or anywhere:

    /usr/bin/python3 transformer/testdata/gen_models.py

It writes
  * blocks.json: nn.TransformerEncoderLayer and nn.TransformerDecoderLayer (PyTorch's
    own) forward and backward, with the fused in_proj split into q/k/v projections;
  * seq2seq.json: a small encoder-decoder written with those layers, forward, loss with
    label smoothing and ignore index, and gradients;
  * masks.json: causal and padding masks and masked attention;
  * gpt2_tiny.safetensors, gpt2_tiny_config.json and gpt2.json: a small random GPT-2
    written by hand (GELU tanh, LayerNorm eps 1e-5, tied head, Conv1D (in,out) weights,
    HuggingFace names with the "transformer." prefix and the attn.bias buffers), its
    logits for a batch and its greedy continuation.
"""
import json
import math
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

torch.set_default_dtype(torch.float32)


def split_mha(prefix, mha):
    """Our names for an nn.MultiheadAttention's parameters."""
    d = mha.embed_dim
    w, b = mha.in_proj_weight, mha.in_proj_bias
    out = {}
    for i, n in enumerate(["q_proj", "k_proj", "v_proj"]):
        out[f"{prefix}.{n}.weight"] = w[i * d:(i + 1) * d]
        out[f"{prefix}.{n}.bias"] = b[i * d:(i + 1) * d]
    out[f"{prefix}.out_proj.weight"] = mha.out_proj.weight
    out[f"{prefix}.out_proj.bias"] = mha.out_proj.bias
    return out


def layer_params(prefix, layer):
    """Our state-dict names for an nn.TransformerEncoderLayer/DecoderLayer."""
    out = {}
    for name, mod in layer.named_children():
        if isinstance(mod, tnn.MultiheadAttention):
            out.update(split_mha(f"{prefix}{name}", mod))
        elif isinstance(mod, (tnn.Linear, tnn.LayerNorm)):
            out[f"{prefix}{name}.weight"] = mod.weight
            out[f"{prefix}{name}.bias"] = mod.bias
    return out


def grads(params):
    """Gradients by our names; in_proj slices give slices of the fused gradient."""
    return {"grad." + k: v.grad if v.grad is not None else None for k, v in params.items()}


def padding_mask(lengths, t):
    return torch.arange(t)[None, :] >= torch.tensor(lengths)[:, None]  # True at pads


def blocks():
    cases = []
    d, heads, ff = 8, 2, 16
    for kind, norm_first, act in [("encoder", True, "relu"), ("encoder", False, "gelu"),
                                  ("decoder", True, "gelu"), ("decoder", False, "relu")]:
        torch.manual_seed(len(cases) + 1)
        cls = tnn.TransformerEncoderLayer if kind == "encoder" else tnn.TransformerDecoderLayer
        layer = cls(d, heads, ff, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first)
        # Non-trivial LayerNorm parameters and biases.
        with torch.no_grad():
            for p in layer.parameters():
                if p.dim() == 1:
                    p.add_(0.1 * torch.randn_like(p))
        x = torch.randn(2, 5, d, requires_grad=True)
        r = torch.randn(2, 5, d)
        lens = [5, 3]
        tensors = {}
        if kind == "encoder":
            y = layer(x, src_key_padding_mask=padding_mask(lens, 5))
        else:
            mem = torch.randn(2, 4, d, requires_grad=True)
            mlens = [4, 2]
            causal = tnn.Transformer.generate_square_subsequent_mask(5)
            y = layer(x, mem, tgt_mask=causal, memory_key_padding_mask=padding_mask(mlens, 4))
            tensors["memory"] = mem
            lens = mlens
        (y * r).sum().backward()
        if kind == "decoder":
            tensors["gmemory"] = mem.grad
        # Fused in_proj gradients, split like the weights.
        params = {}
        gr = {}
        for name, mod in layer.named_children():
            if isinstance(mod, tnn.MultiheadAttention):
                gw, gb = mod.in_proj_weight.grad, mod.in_proj_bias.grad
                for i, n in enumerate(["q_proj", "k_proj", "v_proj"]):
                    gr[f"grad.{name}.{n}.weight"] = gw[i * d:(i + 1) * d]
                    gr[f"grad.{name}.{n}.bias"] = gb[i * d:(i + 1) * d]
                gr[f"grad.{name}.out_proj.weight"] = mod.out_proj.weight.grad
                gr[f"grad.{name}.out_proj.bias"] = mod.out_proj.bias.grad
            elif isinstance(mod, (tnn.Linear, tnn.LayerNorm)):
                gr[f"grad.{name}.weight"] = mod.weight.grad
                gr[f"grad.{name}.bias"] = mod.bias.grad
        params = layer_params("", layer)
        name = f"{kind}_{'pre' if norm_first else 'post'}_{act}"
        cases.append(golden.case(name, {"dim": d, "heads": heads, "ff": ff, "pre": norm_first,
                                        "gelu": act == "gelu", "lens": lens},
                                 x=x, r=r, y=y, gx=x.grad, **tensors,
                                 **{"param." + k: v for k, v in params.items()}, **gr))
    golden.write(os.path.join(HERE, "blocks.json"), cases)


def sinusoid(n, d):
    pe = torch.zeros(n, d, dtype=torch.float64)
    for p in range(n):
        for i in range(0, d, 2):
            a = p / math.pow(10000, i / d)
            pe[p, i] = math.sin(a)
            if i + 1 < d:
                pe[p, i + 1] = math.cos(a)
    return pe.float()


class Seq2Seq(tnn.Module):
    """Our Seq2Seq (pre-norm, sinusoidal positions) written with PyTorch's layers."""

    def __init__(self, sv, tv, d, heads, ff, enc, dec, maxlen):
        super().__init__()
        self.d = d
        self.src_emb = tnn.Embedding(sv, d)
        self.tgt_emb = tnn.Embedding(tv, d)
        with torch.no_grad():
            self.src_emb.weight.mul_(d ** -0.5)
            self.tgt_emb.weight.mul_(d ** -0.5)
        kw = dict(dropout=0.0, batch_first=True, norm_first=True)
        self.enc = tnn.ModuleList([tnn.TransformerEncoderLayer(d, heads, ff, **kw) for _ in range(enc)])
        self.dec = tnn.ModuleList([tnn.TransformerDecoderLayer(d, heads, ff, **kw) for _ in range(dec)])
        self.enc_norm = tnn.LayerNorm(d)
        self.dec_norm = tnn.LayerNorm(d)
        self.out = tnn.Linear(d, tv)
        self.register_buffer("pe", sinusoid(maxlen, d))

    def forward(self, src, tgt, src_lens):
        s, t = src.shape[1], tgt.shape[1]
        pad = padding_mask(src_lens, s)
        x = self.src_emb(src) * math.sqrt(self.d) + self.pe[:s]
        for layer in self.enc:
            x = layer(x, src_key_padding_mask=pad)
        mem = self.enc_norm(x)
        y = self.tgt_emb(tgt) * math.sqrt(self.d) + self.pe[:t]
        causal = tnn.Transformer.generate_square_subsequent_mask(t)
        for layer in self.dec:
            y = layer(y, mem, tgt_mask=causal, memory_key_padding_mask=pad)
        return self.out(self.dec_norm(y))

    def our_params(self):
        out = {"src_emb.weight": self.src_emb.weight, "tgt_emb.weight": self.tgt_emb.weight}
        for i, layer in enumerate(self.enc):
            out.update(layer_params(f"encoder.layers.{i}.", layer))
        for i, layer in enumerate(self.dec):
            out.update(layer_params(f"decoder.layers.{i}.", layer))
        for n, mod in [("encoder.norm", self.enc_norm), ("decoder.norm", self.dec_norm), ("out", self.out)]:
            out[n + ".weight"] = mod.weight
            out[n + ".bias"] = mod.bias
        return out


def seq2seq():
    torch.manual_seed(7)
    sv, tv, d, heads, ff, maxlen, pad = 11, 13, 16, 2, 32, 16, 0
    m = Seq2Seq(sv, tv, d, heads, ff, 2, 2, maxlen)
    src = torch.tensor([[3, 4, 5, 6, 7, 8], [9, 10, 2, 0, 0, 0]])
    src_lens = [6, 3]
    tgt_in = torch.tensor([[1, 5, 6, 7, 8], [1, 9, 10, 11, 0]])
    tgt_out = torch.tensor([[5, 6, 7, 8, 2], [9, 10, 11, 2, 0]])
    logits = m(src, tgt_in, src_lens)
    loss = F.cross_entropy(logits.reshape(-1, tv), tgt_out.reshape(-1), ignore_index=pad, label_smoothing=0.1)
    loss.backward()
    params = m.our_params()
    keep = ["src_emb.weight", "tgt_emb.weight", "encoder.layers.0.self_attn.q_proj.weight",
            "encoder.layers.1.linear1.weight", "decoder.layers.0.self_attn.v_proj.weight",
            "decoder.layers.1.multihead_attn.k_proj.weight", "decoder.layers.1.norm3.weight",
            "decoder.norm.bias", "out.weight", "out.bias"]
    gr = {}
    for name, mod in [("encoder.layers.0.", m.enc[0]), ("decoder.layers.0.", m.dec[0]),
                      ("encoder.layers.1.", m.enc[1]), ("decoder.layers.1.", m.dec[1])]:
        for cname, c in mod.named_children():
            if isinstance(c, tnn.MultiheadAttention):
                g = c.in_proj_weight.grad
                for i, n in enumerate(["q_proj", "k_proj", "v_proj"]):
                    gr[f"{name}{cname}.{n}.weight"] = g[i * d:(i + 1) * d]
            elif isinstance(c, (tnn.Linear, tnn.LayerNorm)):
                gr[f"{name}{cname}.weight"] = c.weight.grad
    for k in ["src_emb.weight", "tgt_emb.weight", "decoder.norm.bias", "out.weight", "out.bias"]:
        gr[k] = params[k].grad
    case = golden.case("seq2seq", {"src_vocab": sv, "tgt_vocab": tv, "dim": d, "heads": heads, "ff": ff,
                                   "layers": 2, "maxlen": maxlen, "pad": pad, "src_lens": src_lens,
                                   "smoothing": 0.1, "grads": keep},
                       src=src.float(), tgt_in=tgt_in.float(), tgt_out=tgt_out.float(), logits=logits,
                       loss=loss, **{"param." + k: v for k, v in params.items()},
                       **{"grad." + k: gr[k] for k in keep})
    golden.write(os.path.join(HERE, "seq2seq.json"), [case])


def masks():
    torch.manual_seed(3)
    t = 5
    causal = tnn.Transformer.generate_square_subsequent_mask(t)  # -inf above the diagonal
    lens = [5, 2]
    pad = padding_mask(lens, t)
    q, k, v = (torch.randn(2, 2, t, 4) for _ in range(3))
    s = q @ k.transpose(-1, -2) / 2.0 + causal
    s = s.masked_fill(pad[:, None, None, :], float("-inf"))
    y = torch.softmax(s, -1) @ v
    # A cached step: 2 new queries after 3 cached keys.
    causal_tail = torch.triu(torch.full((2, t), float("-inf")), diagonal=t - 2 + 1)
    cases = [golden.case("masks", {"lens": lens}, causal=torch.isinf(causal).float(),
                         causal_tail=torch.isinf(causal_tail).float(), padding=pad.float()[:, None, None, :],
                         q=q, k=k, v=v, y=y)]
    golden.write(os.path.join(HERE, "masks.json"), cases)


class GPT2(tnn.Module):
    """GPT-2 written by hand, with HuggingFace's parameter names and layouts."""

    def __init__(self, vocab, n_pos, d, heads, layers, std):
        super().__init__()
        self.heads, self.d = heads, d
        self.p = {}
        g = lambda *s: torch.randn(*s) * std  # noqa: E731
        self.p["wte.weight"] = g(vocab, d)
        self.p["wpe.weight"] = g(n_pos, d)
        for i in range(layers):
            h = f"h.{i}."
            for ln in ["ln_1", "ln_2"]:
                self.p[h + ln + ".weight"] = 1 + 0.1 * torch.randn(d)
                self.p[h + ln + ".bias"] = 0.1 * torch.randn(d)
            for name, i_, o_ in [("attn.c_attn", d, 3 * d), ("attn.c_proj", d, d),
                                 ("mlp.c_fc", d, 4 * d), ("mlp.c_proj", 4 * d, d)]:
                self.p[h + name + ".weight"] = g(i_, o_)
                self.p[h + name + ".bias"] = 0.1 * torch.randn(o_)
        self.p["ln_f.weight"] = 1 + 0.1 * torch.randn(d)
        self.p["ln_f.bias"] = 0.1 * torch.randn(d)
        self.layers = layers
        # Round to float16 as stored, so both sides use the same values.
        for k in self.p:
            self.p[k] = self.p[k].half().float()

    def forward(self, ids):
        p, d, nh = self.p, self.d, self.heads
        b, t = ids.shape
        x = p["wte.weight"][ids] + p["wpe.weight"][torch.arange(t)]
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        for i in range(self.layers):
            h = f"h.{i}."
            a = F.layer_norm(x, (d,), p[h + "ln_1.weight"], p[h + "ln_1.bias"], 1e-5)
            qkv = a @ p[h + "attn.c_attn.weight"] + p[h + "attn.c_attn.bias"]
            q, k, v = qkv.split(d, dim=2)
            q, k, v = (z.view(b, t, nh, d // nh).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(d // nh)
            att = att.masked_fill(~causal, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(b, t, d)
            x = x + (y @ p[h + "attn.c_proj.weight"] + p[h + "attn.c_proj.bias"])
            a = F.layer_norm(x, (d,), p[h + "ln_2.weight"], p[h + "ln_2.bias"], 1e-5)
            a = F.gelu(a @ p[h + "mlp.c_fc.weight"] + p[h + "mlp.c_fc.bias"], approximate="tanh")
            x = x + (a @ p[h + "mlp.c_proj.weight"] + p[h + "mlp.c_proj.bias"])
        x = F.layer_norm(x, (d,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)
        return x @ p["wte.weight"].T


def gpt2():
    torch.manual_seed(11)
    vocab, n_pos, d, heads, layers = 50257, 64, 16, 2, 2
    m = GPT2(vocab, n_pos, d, heads, layers, std=0.5)
    tensors = {"transformer." + k: v.half() for k, v in m.p.items()}
    for i in range(layers):
        tensors[f"transformer.h.{i}.attn.bias"] = torch.tril(torch.ones(n_pos, n_pos, dtype=torch.bool))[None, None]
    st.save_file(tensors, os.path.join(HERE, "gpt2_tiny.safetensors"), {"format": "pt"})
    with open(os.path.join(HERE, "gpt2_tiny_config.json"), "w") as f:
        json.dump({"model_type": "gpt2", "n_embd": d, "n_head": heads, "n_layer": layers,
                   "n_positions": n_pos, "vocab_size": vocab, "layer_norm_epsilon": 1e-5}, f, indent=2)
        f.write("\n")
    ids = torch.tensor([[15496, 11, 616, 3290, 318, 257, 1332, 13], [464, 2068, 7586, 21831, 18045, 625, 262, 16931]])
    with torch.no_grad():
        logits = m(ids)
        lse = torch.logsumexp(logits, -1)
        # Greedy continuation of the first row, 12 tokens, by full recomputation.
        seq = ids[:1]
        margins = []
        for _ in range(12):
            last = m(seq)[0, -1]
            top = torch.topk(last, 2).values
            margins.append(float(top[0] - top[1]))
            seq = torch.cat([seq, last.argmax().view(1, 1)], 1)
    cases = [golden.case("gpt2", {"vocab": vocab, "n_pos": n_pos, "dim": d, "heads": heads, "layers": layers,
                                  "greedy": seq[0, ids.shape[1]:].tolist(), "min_margin": min(margins)},
                         ids=ids.float(), logits_head=logits[:, :, :256], lse=lse,
                         logits_last=logits[:, -1, :2048])]
    golden.write(os.path.join(HERE, "gpt2.json"), cases)


if __name__ == "__main__":
    blocks()
    seq2seq()
    masks()
    gpt2()
