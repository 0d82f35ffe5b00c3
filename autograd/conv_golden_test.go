package autograd

import (
	"strings"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// The golden values come from tensor/testdata/gen_conv.py (PyTorch 1.13).
const convGoldenPath = "../tensor/testdata/conv.json"

const convGoldenTol = 1e-4 // absolute and relative

func pair(v []int) [2]int { return [2]int{v[0], v[1]} }

func convClose(t *testing.T, what string, got, want *tensor.Tensor, atol, rtol float64) {
	t.Helper()
	golden.Close(t, what, got, want, atol, rtol)
}

func TestConvGolden(t *testing.T) {
	f := golden.Load(t, convGoldenPath)
	require.NotEmpty(t, f.Cases)
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			params := map[string]*Var{}
			param := func(name string) *Var {
				if !c.Has(name) {
					return nil
				}
				v := Param(c.T(t, name))
				params[name] = v
				return v
			}
			x := param("x")
			var y *Var
			switch {
			case strings.HasPrefix(c.Name, "conv2d"):
				cfg := tensor.Conv2dConfig{Stride: pair(c.Ints(t, "stride")), Padding: pair(c.Ints(t, "padding")),
					Dilation: pair(c.Ints(t, "dilation")), Groups: c.Int(t, "groups")}
				y = Conv2d(x, param("w"), param("b"), cfg)
			case strings.HasPrefix(c.Name, "conv_transpose2d"):
				cfg := tensor.ConvTranspose2dConfig{Stride: pair(c.Ints(t, "stride")), Padding: pair(c.Ints(t, "padding")),
					OutputPadding: pair(c.Ints(t, "output_padding")), Dilation: pair(c.Ints(t, "dilation")), Groups: c.Int(t, "groups")}
				y = ConvTranspose2d(x, param("w"), param("b"), cfg)
			case c.Name == "max_pool2d":
				k, s, p := pair(c.Ints(t, "kernel")), pair(c.Ints(t, "stride")), pair(c.Ints(t, "padding"))
				y = MaxPool2d(x, k, s, p)
				_, argmax := tensor.MaxPool2d(x.Value(), k, s, p)
				convClose(t, "argmax", argmax, c.T(t, "idx"), 0, 0)
			case strings.HasPrefix(c.Name, "avg_pool2d"):
				y = AvgPool2d(x, pair(c.Ints(t, "kernel")), pair(c.Ints(t, "stride")), pair(c.Ints(t, "padding")),
					c.Int(t, "count_include_pad") == 1)
			case c.Name == "adaptive_avg_pool2d":
				out := c.Ints(t, "out")
				y = AdaptiveAvgPool2d(x, out[0], out[1])
			case c.Name == "upsample_nearest_scale2":
				s := c.Ints(t, "scale")
				y = UpsampleNearest2d(x, s[0], s[1])
			case c.Name == "upsample_nearest_size":
				out := c.Ints(t, "out")
				y = UpsampleNearest2dSize(x, out[0], out[1])
			case strings.HasPrefix(c.Name, "upsample_bilinear"):
				out := c.Ints(t, "out")
				y = UpsampleBilinear2d(x, out[0], out[1], c.Int(t, "align_corners") == 1)
			default:
				t.Fatalf("no Go counterpart for golden case %q", c.Name)
			}
			convClose(t, "y", y.Value(), c.T(t, "y"), convGoldenTol, convGoldenTol)
			y.BackwardWith(c.T(t, "g"))
			for name, v := range params {
				convClose(t, "g"+name, v.Grad(), c.T(t, "g"+name), convGoldenTol, convGoldenTol)
			}
			// Every gradient in the file was compared.
			for k := range c.Tensors {
				if k != "g" && strings.HasPrefix(k, "g") {
					require.Contains(t, params, k[1:])
				}
			}
		})
	}
}
