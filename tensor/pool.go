package tensor

import (
	"math"
	"slices"
)

// image4 returns the sizes of an (N,C,H,W) shape and panics naming op if it is not 4-D.
func image4(op, what string, shape []int) (n, c, h, w int) {
	if len(shape) != 4 {
		Panicf(op, "%s %s is not 4-D (N,C,H,W)", what, ShapeString(shape))
	}
	return shape[0], shape[1], shape[2], shape[3]
}

// poolGeom is the validated geometry of a pooling window over one plane.
type poolGeom struct {
	h, w, kh, kw, sh, sw, ph, pw, oh, ow int
}

// planPool validates a pooling of planes of size (h,w) with the given kernel, stride
// (0 entries mean the kernel size) and padding, as PyTorch does (ceil_mode false).
func planPool(op string, xShape []int, kernel, stride, padding [2]int) poolGeom {
	_, _, h, w := image4(op, "input", xShape)
	for i := range 2 {
		if stride[i] == 0 {
			stride[i] = kernel[i]
		}
		if kernel[i] <= 0 || stride[i] <= 0 || padding[i] < 0 || padding[i] > kernel[i]/2 {
			Panicf(op, "input %s: kernel %v, stride %v, padding %v: need positive kernel and stride, padding at most half the kernel",
				ShapeString(xShape), kernel, stride, padding)
		}
	}
	g := poolGeom{h: h, w: w, kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1]}
	g.oh = (h+2*g.ph-g.kh)/g.sh + 1
	g.ow = (w+2*g.pw-g.kw)/g.sw + 1
	if h+2*g.ph < g.kh || w+2*g.pw < g.kw {
		Panicf(op, "input %s with padding %v is smaller than kernel %v", ShapeString(xShape), padding, kernel)
	}
	return g
}

// window returns the clipped window [h0,h1)×[w0,w1) of output (oh,ow) and the number
// of positions it covers counting padding (PyTorch's pool_size for avg_pool2d).
func (g poolGeom) window(oh, ow int) (h0, h1, w0, w1, padded int) {
	h0, w0 = oh*g.sh-g.ph, ow*g.sw-g.pw
	h1, w1 = min(h0+g.kh, g.h+g.ph), min(w0+g.kw, g.w+g.pw)
	padded = (h1 - h0) * (w1 - w0)
	h0, w0 = max(h0, 0), max(w0, 0)
	h1, w1 = min(h1, g.h), min(w1, g.w)
	return
}

// MaxPool2d returns the maximum of x (N,C,H,W) over each kh×kw window, as
// torch.nn.functional.max_pool2d with ceil_mode false and dilation 1, and argmax, the
// index h*W+w within its input plane of the value each output element took (as a
// float32, exact for planes of up to 2²⁴ elements). A zero stride entry means the
// kernel size. Padding counts as -Inf; NaN wins. The output and argmax are
// (N,C,OH,OW) with OH = (H+2·padding-kh)/stride+1. It panics if x is not 4-D, the
// kernel or stride is not positive, padding exceeds half the kernel or the padded input
// is smaller than the kernel.
func MaxPool2d(x *Tensor, kernel, stride, padding [2]int) (out, argmax *Tensor) {
	const op = "MaxPool2d"
	g := planPool(op, x.shape, kernel, stride, padding)
	n, c := x.shape[0], x.shape[1]
	out, argmax = New(n, c, g.oh, g.ow), New(n, c, g.oh, g.ow)
	inSz, outSz := g.h*g.w, g.oh*g.ow
	for p := 0; p < n*c; p++ {
		src := x.data[p*inSz : (p+1)*inSz]
		dst := out.data[p*outSz : (p+1)*outSz]
		arg := argmax.data[p*outSz : (p+1)*outSz]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1, _ := g.window(oh, ow)
				best, bi := float32(math.Inf(-1)), h0*g.w+w0
				for i := h0; i < h1; i++ {
					for j := w0; j < w1; j++ {
						if v := src[i*g.w+j]; v > best || v != v {
							best, bi = v, i*g.w+j
						}
					}
				}
				dst[oh*g.ow+ow] = best
				arg[oh*g.ow+ow] = float32(bi)
			}
		}
	}
	return out, argmax
}

// checkArgmax validates an (N,C,OH,OW) tensor of plane indices against planes of the
// given shape.
func checkArgmax(op string, t, argmax *Tensor, planes []int) {
	n, c, _, _ := image4(op, "planes", planes)
	if !SameShape(t, argmax) || len(t.shape) != 4 || t.shape[0] != n || t.shape[1] != c {
		Panicf(op, "tensor %s, argmax %s and planes %s do not match",
			ShapeString(t.shape), ShapeString(argmax.shape), ShapeString(planes))
	}
}

// MaxPool2dBackward returns the gradient with respect to the input of MaxPool2d: g
// (N,C,OH,OW) scattered and summed into a zero tensor of inputShape (N,C,H,W) at the
// plane indices argmax. It panics if the shapes do not match or an index is outside a
// plane.
func MaxPool2dBackward(g, argmax *Tensor, inputShape []int) *Tensor {
	const op = "MaxPool2dBackward"
	checkArgmax(op, g, argmax, inputShape)
	dx := New(inputShape...)
	inSz, outSz := inputShape[2]*inputShape[3], g.shape[2]*g.shape[3]
	for p := 0; p < g.shape[0]*g.shape[1]; p++ {
		dst := dx.data[p*inSz : (p+1)*inSz]
		arg := argmax.data[p*outSz : (p+1)*outSz]
		for i, v := range g.data[p*outSz : (p+1)*outSz] {
			k := int(arg[i])
			if k < 0 || k >= inSz {
				Panicf(op, "argmax %d outside plane of input %s", k, ShapeString(inputShape))
			}
			dst[k] += v
		}
	}
	return dx
}

// MaxPool2dGather returns the values of x (N,C,H,W) at the plane indices argmax
// (N,C,OH,OW), as an (N,C,OH,OW) tensor: the adjoint of MaxPool2dBackward, and
// MaxPool2d's output when x is its input. It panics if the shapes do not match or an
// index is outside a plane.
func MaxPool2dGather(x, argmax *Tensor) *Tensor {
	const op = "MaxPool2dGather"
	out := New(argmax.shape...)
	checkArgmax(op, out, argmax, x.shape)
	inSz, outSz := x.shape[2]*x.shape[3], argmax.shape[2]*argmax.shape[3]
	for p := 0; p < x.shape[0]*x.shape[1]; p++ {
		src := x.data[p*inSz : (p+1)*inSz]
		dst := out.data[p*outSz : (p+1)*outSz]
		for i, a := range argmax.data[p*outSz : (p+1)*outSz] {
			k := int(a)
			if k < 0 || k >= inSz {
				Panicf(op, "argmax %d outside plane of input %s", k, ShapeString(x.shape))
			}
			dst[i] = src[k]
		}
	}
	return out
}

// avgPool runs average pooling forward (x -> y) or its adjoint (y -> x, accumulated)
// over every plane.
func avgPool(g poolGeom, planes int, x, y []float32, countIncludePad, backward bool) {
	inSz, outSz := g.h*g.w, g.oh*g.ow
	for p := 0; p < planes; p++ {
		xp := x[p*inSz : (p+1)*inSz]
		yp := y[p*outSz : (p+1)*outSz]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1, padded := g.window(oh, ow)
				div := padded
				if !countIncludePad {
					div = (h1 - h0) * (w1 - w0)
				}
				if div <= 0 {
					continue
				}
				if backward {
					v := yp[oh*g.ow+ow] / float32(div)
					for i := h0; i < h1; i++ {
						row := xp[i*g.w+w0 : i*g.w+w1]
						for j := range row {
							row[j] += v
						}
					}
					continue
				}
				var s float32
				for i := h0; i < h1; i++ {
					for _, v := range xp[i*g.w+w0 : i*g.w+w1] {
						s += v
					}
				}
				yp[oh*g.ow+ow] = s / float32(div)
			}
		}
	}
}

// AvgPool2d returns the mean of x (N,C,H,W) over each kh×kw window, as
// torch.nn.functional.avg_pool2d with ceil_mode false. A zero stride entry means the
// kernel size. With countIncludePad the divisor counts padded positions, otherwise
// only positions inside the input. The output is (N,C,OH,OW) with
// OH = (H+2·padding-kh)/stride+1. It panics as MaxPool2d does.
func AvgPool2d(x *Tensor, kernel, stride, padding [2]int, countIncludePad bool) *Tensor {
	g := planPool("AvgPool2d", x.shape, kernel, stride, padding)
	out := New(x.shape[0], x.shape[1], g.oh, g.ow)
	avgPool(g, x.shape[0]*x.shape[1], x.data, out.data, countIncludePad, false)
	return out
}

// AvgPool2dBackward returns the gradient with respect to the input (of shape
// inputShape) of AvgPool2d with the same parameters, given the output gradient g: the
// adjoint of AvgPool2d. It panics if the shapes do not fit the parameters.
func AvgPool2dBackward(g *Tensor, inputShape []int, kernel, stride, padding [2]int, countIncludePad bool) *Tensor {
	const op = "AvgPool2dBackward"
	geo := planPool(op, inputShape, kernel, stride, padding)
	checkPoolGrad(op, g, inputShape, geo.oh, geo.ow)
	dx := New(inputShape...)
	avgPool(geo, inputShape[0]*inputShape[1], dx.data, g.data, countIncludePad, true)
	return dx
}

func checkPoolGrad(op string, g *Tensor, inputShape []int, oh, ow int) {
	want := []int{inputShape[0], inputShape[1], oh, ow}
	if !slices.Equal(g.shape, want) {
		Panicf(op, "gradient %s for input %s: want %s", ShapeString(g.shape), ShapeString(inputShape), ShapeString(want))
	}
}

// adaptiveRange is PyTorch's window [start, end) of output i of n over an axis of size
// size: start = ⌊i·size/n⌋, end = ⌈(i+1)·size/n⌉.
func adaptiveRange(i, size, n int) (start, end int) {
	return i * size / n, ((i+1)*size + n - 1) / n
}

func checkAdaptive(op string, shape []int, outH, outW int) {
	image4(op, "input", shape)
	if outH <= 0 || outW <= 0 {
		Panicf(op, "input %s: output size (%d,%d) is not positive", ShapeString(shape), outH, outW)
	}
}

// adaptiveAvgPool runs adaptive average pooling forward (x -> y) or its adjoint
// (y -> x, accumulated).
func adaptiveAvgPool(planes, h, w, oh, ow int, x, y []float32, backward bool) {
	inSz, outSz := h*w, oh*ow
	for p := 0; p < planes; p++ {
		xp := x[p*inSz : (p+1)*inSz]
		yp := y[p*outSz : (p+1)*outSz]
		for i := 0; i < oh; i++ {
			h0, h1 := adaptiveRange(i, h, oh)
			for j := 0; j < ow; j++ {
				w0, w1 := adaptiveRange(j, w, ow)
				div := float32((h1 - h0) * (w1 - w0))
				if backward {
					v := yp[i*ow+j] / div
					for r := h0; r < h1; r++ {
						row := xp[r*w+w0 : r*w+w1]
						for k := range row {
							row[k] += v
						}
					}
					continue
				}
				var s float32
				for r := h0; r < h1; r++ {
					for _, v := range xp[r*w+w0 : r*w+w1] {
						s += v
					}
				}
				yp[i*ow+j] = s / div
			}
		}
	}
}

// AdaptiveAvgPool2d returns x (N,C,H,W) average-pooled to (N,C,outH,outW) with
// PyTorch's windows: output row i averages input rows ⌊i·H/outH⌋ to ⌈(i+1)·H/outH⌉-1,
// likewise columns. It panics if x is not 4-D or the output size is not positive.
func AdaptiveAvgPool2d(x *Tensor, outH, outW int) *Tensor {
	checkAdaptive("AdaptiveAvgPool2d", x.shape, outH, outW)
	out := New(x.shape[0], x.shape[1], outH, outW)
	adaptiveAvgPool(x.shape[0]*x.shape[1], x.shape[2], x.shape[3], outH, outW, x.data, out.data, false)
	return out
}

// AdaptiveAvgPool2dBackward returns the gradient with respect to the input (of shape
// inputShape) of AdaptiveAvgPool2d given the output gradient g (N,C,outH,outW): its
// adjoint. It panics if the shapes do not match.
func AdaptiveAvgPool2dBackward(g *Tensor, inputShape []int) *Tensor {
	const op = "AdaptiveAvgPool2dBackward"
	_, _, oh, ow := image4(op, "gradient", g.shape)
	checkAdaptive(op, inputShape, oh, ow)
	checkPoolGrad(op, g, inputShape, oh, ow)
	dx := New(inputShape...)
	adaptiveAvgPool(inputShape[0]*inputShape[1], inputShape[2], inputShape[3], oh, ow, dx.data, g.data, true)
	return dx
}
