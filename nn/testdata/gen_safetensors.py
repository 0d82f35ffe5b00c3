"""Generates the safetensors fixtures of package nn and checks the Go-written ones.

Run with Debian's python3-torch from the repository root or anywhere:

    /usr/bin/python3 nn/testdata/gen_safetensors.py

It writes, next to itself:

  safetensors.json             expected values (testdata/golden.py format), two cases:
                                 "pytorch_mixed": the tensors of pytorch_mixed.safetensors
                                 as float64, attrs {"dtypes": {...}, "metadata": {...}};
                                 "byte_compat": float32 inputs of the st_py_* files,
                                 attrs {"metadata": {...}}.
  pytorch_mixed.safetensors    a real PyTorch Linear + BatchNorm1d state dict (F32, the
                                 I64 num_batches_tracked) plus F16, BF16, F64, I32, U8,
                                 BOOL and empty tensors, with metadata, written by st.py.
  st_py_f32.safetensors        the byte_compat tensors as written by st.py in F32, F16
  st_py_f16.safetensors        (tensor.half()) and BF16 (tensor.bfloat16()); the Go test
  st_py_bf16.safetensors       checks that WriteSafetensorsDtype writes the same bytes.

Then it checks the files the Go side wrote (go_written_{f32,f16,bf16}.safetensors,
made by `go test ./nn -run TestGoWrittenFixtures -update`): st.py must read each, find
the byte_compat tensors (converted to the dtype) and metadata, and writing those with
st.py must give the same bytes. After changing the writer, regenerate the Go fixtures
with -update and run this script again; it exits non-zero on any mismatch.
"""
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "testdata"))
sys.path.insert(0, HERE)

import golden  # noqa: E402
import st  # noqa: E402

torch.set_default_dtype(torch.float32)
torch.manual_seed(0)

META_MIXED = {"format": "pt", "source": "gen_safetensors.py"}
META_BYTES = {"format": "pt", "note": "tab\t \"quoted\" \u00fcn\u00efc\u00f6d\u00e9 </>& \\"}


def pytorch_mixed():
    lin = torch.nn.Linear(4, 3)
    bn = torch.nn.BatchNorm1d(3)
    bn.train()
    with torch.no_grad():
        bn(lin(torch.randn(5, 4)))
    tensors = {}
    for k, v in lin.state_dict().items():
        tensors["fc." + k] = v
    for k, v in bn.state_dict().items():
        tensors["bn." + k] = v  # num_batches_tracked is an I64 scalar
    tensors["half.weight"] = torch.randn(2, 3).half()
    tensors["bf.weight"] = torch.randn(3, 2).bfloat16()
    tensors["f64.weight"] = torch.randn(2, 2, dtype=torch.float64)
    tensors["i32.idx"] = torch.tensor([-3, 0, 7, 2**31 - 1], dtype=torch.int32)
    tensors["i64.big"] = torch.tensor([2**40 + 1, -5], dtype=torch.int64)
    tensors["u8.pix"] = torch.tensor([[0, 1], [128, 255]], dtype=torch.uint8)
    tensors["mask"] = torch.tensor([True, False, True])
    tensors["empty"] = torch.zeros(0, 3)
    return tensors


def byte_compat():
    special = [65504.0, 65519.99, 65520.0, -65520.0, 2.0**-25, 3 * 2.0**-25, 2.0**-24,
               5.96e-8, 1e-10, 1 + 2.0**-11, 1 + 3 * 2.0**-11, -0.0, 3.4e38, -3.4e38,
               1 + 2.0**-8, 1 + 3 * 2.0**-8, 6.1e-5, 1e-40, -1e-45, 0.1, -2.5, 1e5]
    return {
        "emb.weight": torch.randn(3, 5),
        "special": torch.tensor(special, dtype=torch.float32),
        "a\"b\\c": torch.randn(2),
        "tab\tnew\nline": torch.randn(1, 2, 2),
        "\u00fcn\u00ef": torch.randn(4),
        "</script>&": torch.randn(2, 1),
        "ctrl\x01\x1f\x7f": torch.randn(1),
        "z.scalar": torch.tensor(1.25),
        "empty": torch.zeros(0, 2),
    }


def same(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return st._tobytes(a) == st._tobytes(b)


def main():
    mixed = pytorch_mixed()
    st.save_file(mixed, os.path.join(HERE, "pytorch_mixed.safetensors"), META_MIXED)
    # st.py must read back what it wrote.
    back, meta = st.load_file(os.path.join(HERE, "pytorch_mixed.safetensors"))
    assert meta == META_MIXED and all(same(back[k], mixed[k]) for k in mixed)

    compat = byte_compat()
    casts = {"f32": lambda t: t, "f16": lambda t: t.half(), "bf16": lambda t: t.bfloat16()}
    for tag, cast in casts.items():
        st.save_file({k: cast(v) for k, v in compat.items()},
                     os.path.join(HERE, f"st_py_{tag}.safetensors"), META_BYTES)

    cases = [
        golden.case("pytorch_mixed",
                    {"dtypes": {k: st.DTYPE_NAMES[v.dtype] for k, v in mixed.items()},
                     "metadata": META_MIXED},
                    **mixed),
        golden.case("byte_compat", {"metadata": META_BYTES}, **compat),
    ]
    for c in cases:
        for t in c["tensors"].values():
            assert all(math.isfinite(x) for x in t["data"])
    golden.write(os.path.join(HERE, "safetensors.json"), cases)

    failed = False
    for tag, cast in casts.items():
        path = os.path.join(HERE, f"go_written_{tag}.safetensors")
        if not os.path.exists(path):
            print(f"{path} missing: run go test ./nn -run TestGoWrittenFixtures -update")
            failed = True
            continue
        with open(path, "rb") as f:
            data = f.read()
        got, meta = st.load(data)
        want = {k: cast(v) for k, v in compat.items()}
        ok = meta == META_BYTES and set(got) == set(want) and all(same(got[k], want[k]) for k in want)
        ok = ok and st.save(got, meta) == data
        print(f"{os.path.basename(path)}: {'ok' if ok else 'MISMATCH'}")
        failed = failed or not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
