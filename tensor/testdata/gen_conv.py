"""Golden values for the NCHW image ops: conv2d, conv_transpose2d, pooling, upsampling.

Run with Debian's torch: /usr/bin/python3 tensor/testdata/gen_conv.py
Writes tensor/testdata/conv.json. For every case: the inputs, the forward output y,
a fixed random upstream gradient g and the gradients of sum(y*g) with respect to every
input (gx, gw, gb).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "testdata"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from golden import case, write  # noqa: E402

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)


def run(name, attrs, fn, **inputs):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    grads = {"g" + k: v.grad for k, v in leaves.items()}
    return case(name, attrs, y=y, g=g, **inputs, **grads)


cases = []

# conv2d: stride 2, padding 1, groups 2, dilation 2.
cases.append(run(
    "conv2d", {"stride": [2, 2], "padding": [1, 1], "dilation": [2, 2], "groups": 2},
    lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
    x=torch.randn(2, 4, 9, 8), w=torch.randn(6, 2, 3, 3), b=torch.randn(6)))

# conv2d with a non-square kernel and mixed stride, no bias.
cases.append(run(
    "conv2d_nonsquare", {"stride": [1, 2], "padding": [2, 0], "dilation": [1, 1], "groups": 1},
    lambda x, w: F.conv2d(x, w, None, stride=(1, 2), padding=(2, 0)),
    x=torch.randn(1, 3, 6, 7), w=torch.randn(2, 3, 4, 3)))

# conv_transpose2d: stride 2, padding 1, output_padding 1, groups 2.
cases.append(run(
    "conv_transpose2d",
    {"stride": [2, 2], "padding": [1, 1], "output_padding": [1, 1], "dilation": [1, 1], "groups": 2},
    lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
    x=torch.randn(2, 4, 4, 5), w=torch.randn(4, 3, 3, 3), b=torch.randn(6)))

# The DCGAN generator's up-convolution: kernel 4, stride 2, padding 1.
cases.append(run(
    "conv_transpose2d_dcgan",
    {"stride": [2, 2], "padding": [1, 1], "output_padding": [0, 0], "dilation": [1, 1], "groups": 1},
    lambda x, w: F.conv_transpose2d(x, w, None, stride=2, padding=1),
    x=torch.randn(2, 3, 3, 3), w=torch.randn(3, 2, 4, 4)))

# max_pool2d: kernel 3, stride 2, padding 1; idx are PyTorch's flat plane indices.
x = torch.randn(2, 3, 7, 6)
c = run("max_pool2d", {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
        lambda x: F.max_pool2d(x, 3, 2, 1), x=x)
_, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
c["tensors"].update(case("", idx=idx.float())["tensors"])
cases.append(c)

for incl in (True, False):
    cases.append(run(
        "avg_pool2d_" + ("include_pad" if incl else "exclude_pad"),
        {"kernel": [3, 2], "stride": [2, 1], "padding": [1, 1], "count_include_pad": incl},
        lambda x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1), count_include_pad=incl),
        x=torch.randn(2, 3, 7, 6)))

cases.append(run("adaptive_avg_pool2d", {"out": [3, 4]},
                 lambda x: F.adaptive_avg_pool2d(x, (3, 4)), x=torch.randn(2, 3, 7, 5)))

cases.append(run("upsample_nearest_scale2", {"scale": [2, 2]},
                 lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), x=torch.randn(2, 3, 3, 4)))
cases.append(run("upsample_nearest_size", {"out": [7, 5]},
                 lambda x: F.interpolate(x, size=(7, 5), mode="nearest"), x=torch.randn(1, 2, 3, 4)))

for align in (False, True):
    for size, tag in (((7, 9), "up"), ((2, 3), "down")):
        cases.append(run(
            "upsample_bilinear_%s_align%d" % (tag, align), {"out": list(size), "align_corners": align},
            lambda x: F.interpolate(x, size=size, mode="bilinear", align_corners=align),
            x=torch.randn(2, 2, 3, 5) if tag == "up" else torch.randn(1, 2, 5, 7)))

write(os.path.join(HERE, "conv.json"), cases)
print("wrote %d cases" % len(cases))
