"""Golden values for the example's bicubic upsampling: torch.nn.functional.interpolate
(mode="bicubic", align_corners=False) of a random 14×14 image to 28×28.

    /usr/bin/python3 examples/diffusion/testdata/gen_bicubic.py
"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "testdata"))
import golden  # noqa: E402

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
x = torch.rand(2, 1, 14, 14) * 2 - 1
cases = [golden.case("bicubic", {}, x=x, y=F.interpolate(x, size=(28, 28), mode="bicubic", align_corners=False)),
         golden.case("bicubic_odd", {}, x=x[:, :, :5, :7],
                     y=F.interpolate(x[:, :, :5, :7], size=(9, 12), mode="bicubic", align_corners=False))]
golden.write(os.path.join(HERE, "bicubic.json"), cases)
