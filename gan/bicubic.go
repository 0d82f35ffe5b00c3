package gan

import (
	"math"

	"github.com/genblocks/genblocks/tensor"
)

// bicubicA is the cubic-convolution coefficient PyTorch uses (Keys' a = -0.75).
const bicubicA = -0.75

// cubicTaps returns, for each output position, the four source indices (clamped to
// the border) and their weights, as PyTorch's upsample_bicubic2d with
// align_corners=False computes them.
func cubicTaps(in, out int) (idx [][4]int, w [][4]float32) {
	idx = make([][4]int, out)
	w = make([][4]float32, out)
	scale := float64(in) / float64(out)
	cc1 := func(x float64) float64 { return ((bicubicA+2)*x-(bicubicA+3))*x*x + 1 }
	cc2 := func(x float64) float64 { return ((bicubicA*x-5*bicubicA)*x+8*bicubicA)*x - 4*bicubicA }
	for o := range out {
		src := scale*(float64(o)+0.5) - 0.5
		f := math.Floor(src)
		t := float32(src - f)
		i0 := int(f)
		tt := float64(t)
		w[o] = [4]float32{float32(cc2(tt + 1)), float32(cc1(tt)), float32(cc1(1 - tt)), float32(cc2(2 - tt))}
		for k := range 4 {
			idx[o][k] = min(max(i0-1+k, 0), in-1)
		}
	}
	return idx, w
}

// Bicubic resizes images x (N,C,H,W) to (N,C,outH,outW) by bicubic interpolation,
// exactly as PyTorch's F.interpolate(mode="bicubic", align_corners=False): Keys'
// cubic convolution with a = -0.75, source indices clamped at the border, no clamping
// of the result. It is a plain tensor function (no gradient). It panics unless x is
// 4-D and the output size is positive.
func Bicubic(x *tensor.Tensor, outH, outW int) *tensor.Tensor {
	s := x.Shape()
	if len(s) != 4 || outH <= 0 || outW <= 0 {
		tensor.Panicf("gan.Bicubic", "input %s to (%d,%d); want (N,C,H,W) and a positive size", tensor.ShapeString(s), outH, outW)
	}
	planes, h, w := s[0]*s[1], s[2], s[3]
	ri, rw := cubicTaps(h, outH)
	ci, cw := cubicTaps(w, outW)
	y := tensor.New(s[0], s[1], outH, outW)
	src, dst := x.Data(), y.Data()
	row := make([]float32, w)
	for p := range planes {
		in := src[p*h*w : (p+1)*h*w]
		out := dst[p*outH*outW : (p+1)*outH*outW]
		for oy := range outH {
			// Interpolate the four source rows vertically, then along the row.
			for xx := range w {
				var v float32
				for k := range 4 {
					v += rw[oy][k] * in[ri[oy][k]*w+xx]
				}
				row[xx] = v
			}
			for ox := range outW {
				var v float32
				for k := range 4 {
					v += cw[ox][k] * row[ci[ox][k]]
				}
				out[oy*outW+ox] = v
			}
		}
	}
	return y
}
