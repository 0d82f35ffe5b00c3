"""A minimal reader and writer of the safetensors format for torch tensors.

The Python `safetensors` package is not installed on the machine that builds
genblocks, so the tests use this stand-in. It follows the format and the reference
implementation (the Rust crate behind `safetensors.torch.save_file`) exactly:

  * 8 bytes: N, the header length, a little-endian uint64;
  * N bytes: the JSON header, no whitespace (serde_json's compact form, which equals
    json.dumps(separators=(",", ":"), ensure_ascii=False)), "__metadata__" first if
    given, then the tensors in data order, each {"dtype", "shape", "data_offsets"} in
    that order; padded with spaces to a multiple of 8 bytes;
  * the tensors' bytes, little-endian, row-major, back to back, ordered by dtype
    alignment descending (the declaration order of the Rust Dtype enum, reversed),
    then by name.

One choice is ours: the reference keeps metadata in a Rust HashMap, so with more than
one key its order is arbitrary; here (and in the Go writer) the keys are sorted.

The reader validates like the reference: the header is at most 100 MB, starts with
'{', the offsets are contiguous from 0, each tensor's byte size equals
prod(shape) * dtype size, and the last offset is the end of the file.
"""
import json
import struct

import torch

# The Rust Dtype enum in declaration order, which increases with alignment.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
               "I32", "U32", "F32", "F64", "I64", "U64"]

TORCH_DTYPES = {
    "BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16,
    "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32,
    "F32": torch.float32, "F64": torch.float64, "I64": torch.int64,
}
DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}
SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "F16": 2, "BF16": 2, "I32": 4,
         "F32": 4, "F64": 8, "I64": 8}
MAX_HEADER_SIZE = 100_000_000


def _tobytes(t):
    t = t.detach().cpu().contiguous().reshape(-1)
    if t.numel() == 0:
        return b""
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()  # little-endian machines only


def save(tensors, metadata=None):
    """Returns the safetensors bytes of a dict of torch tensors."""
    items = sorted(tensors.items(),
                   key=lambda kv: (-DTYPE_ORDER.index(DTYPE_NAMES[kv[1].dtype]), kv[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    blobs, offset = [], 0
    for name, t in items:
        if name == "__metadata__":
            raise ValueError("__metadata__ is not a tensor name")
        b = _tobytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def save_file(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(save(tensors, metadata))


def load(data):
    """Parses safetensors bytes; returns (tensors by name, metadata or None)."""
    if len(data) < 8:
        raise ValueError("header too small")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_SIZE:
        raise ValueError("header too large")
    if 8 + n > len(data):
        raise ValueError("invalid header length")
    text = data[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        raise ValueError("header does not start with '{'")
    header = json.loads(text)
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata must map strings to strings")
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    buf = data[8 + n:]
    out, start = {}, 0
    for name, info in entries:
        begin, end = info["data_offsets"]
        dtype, shape = info["dtype"], info["shape"]
        if begin != start or end < begin:
            raise ValueError(f"invalid offset for {name}")
        numel = 1
        for d in shape:
            numel *= d
        if end - begin != numel * SIZES[dtype]:
            raise ValueError(f"tensor {name}: offsets do not match shape and dtype")
        start = end
        raw = bytearray(buf[begin:end])
        if numel == 0:
            t = torch.empty(shape, dtype=TORCH_DTYPES[dtype])
        elif dtype == "BOOL":
            t = torch.frombuffer(raw, dtype=torch.uint8).to(torch.bool).reshape(shape)
        else:
            t = torch.frombuffer(raw, dtype=TORCH_DTYPES[dtype]).reshape(shape)
        out[name] = t
    if start != len(buf):
        raise ValueError("metadata incomplete buffer")
    return out, metadata


def load_file(path):
    with open(path, "rb") as f:
        return load(f.read())
