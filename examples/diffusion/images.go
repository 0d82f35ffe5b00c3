package main

import (
	"math"

	"github.com/genblocks/genblocks/tensor"
)

// toUnit maps a batch (B,1,H,W) in [-1,1] to B images of H·W values in [0,1].
func toUnit(x *tensor.Tensor) [][]float32 {
	b := x.Size(0)
	per := x.Numel() / b
	out := make([][]float32, b)
	for i := range out {
		im := make([]float32, per)
		for j, v := range x.Data()[i*per : (i+1)*per] {
			im[j] = min(max((v+1)/2, 0), 1)
		}
		out[i] = im
	}
	return out
}

// fromUnit stacks images of h·w values in [0,1] into (B,1,h,w) in [-1,1].
func fromUnit(images [][]float32, h, w int) *tensor.Tensor {
	x := tensor.New(len(images), 1, h, w)
	for i, im := range images {
		for j, v := range im {
			x.Data()[i*h*w+j] = 2*v - 1
		}
	}
	return x
}

// downsample2 halves the resolution of (B,C,H,W) by 2×2 averaging.
func downsample2(x *tensor.Tensor) *tensor.Tensor {
	return tensor.AvgPool2d(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
}

// cubic is the Keys cubic convolution kernel with a = -0.75, as PyTorch's bicubic.
func cubic(x float64) float64 {
	const a = -0.75
	x = math.Abs(x)
	switch {
	case x <= 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return ((a*x-5*a)*x+8*a)*x - 4*a
	}
	return 0
}

// bicubic upsamples (B,C,h,w) to (B,C,H,W) as torch.nn.functional.interpolate(mode=
// "bicubic", align_corners=False) does, clamping at the borders.
func bicubic(x *tensor.Tensor, oh, ow int) *tensor.Tensor {
	s := x.Shape()
	h, w := s[2], s[3]
	planes := s[0] * s[1]
	out := tensor.New(s[0], s[1], oh, ow)
	type taps struct {
		idx [4]int
		wt  [4]float64
	}
	mk := func(in, outN int) []taps {
		t := make([]taps, outN)
		scale := float64(in) / float64(outN)
		for o := range t {
			src := (float64(o)+0.5)*scale - 0.5
			f := math.Floor(src)
			for k := 0; k < 4; k++ {
				i := int(f) - 1 + k
				t[o].idx[k] = min(max(i, 0), in-1)
				t[o].wt[k] = cubic(src - float64(int(f)-1+k))
			}
		}
		return t
	}
	ty, tx := mk(h, oh), mk(w, ow)
	xd, od := x.Data(), out.Data()
	for p := 0; p < planes; p++ {
		in := xd[p*h*w : (p+1)*h*w]
		dst := od[p*oh*ow : (p+1)*oh*ow]
		for oy, yt := range ty {
			for ox, xt := range tx {
				var v float64
				for i := 0; i < 4; i++ {
					for j := 0; j < 4; j++ {
						v += yt.wt[i] * xt.wt[j] * float64(in[yt.idx[i]*w+xt.idx[j]])
					}
				}
				dst[oy*ow+ox] = float32(v)
			}
		}
	}
	return out
}

// psnr returns the peak signal-to-noise ratio in dB of a against b, images in [0,1].
func psnr(a, b [][]float32) float64 {
	var se float64
	n := 0
	for i := range a {
		for j := range a[i] {
			d := float64(a[i][j] - b[i][j])
			se += d * d
			n++
		}
	}
	return 10 * math.Log10(float64(n)/se)
}
