package tensor

// nearestIndex is PyTorch's source index of output o for nearest-neighbour
// interpolation from in to out positions (computed in float32 like PyTorch's CPU kernel).
func nearestIndex(o, in, out int) int {
	switch out {
	case in:
		return o
	case 2 * in:
		return o >> 1
	}
	scale := float32(in) / float32(out)
	return min(int(float32(float32(o)*scale)), in-1)
}

func checkUpsample(op string, shape []int, outH, outW int) {
	image4(op, "input", shape)
	if outH <= 0 || outW <= 0 {
		Panicf(op, "input %s: output size (%d,%d) is not positive", ShapeString(shape), outH, outW)
	}
}

// nearest runs nearest upsampling forward (x -> y) or its adjoint (y -> x, accumulated).
func nearest(planes, h, w, oh, ow int, x, y []float32, backward bool) {
	// One index table for the columns; rows are computed as they come.
	cols := make([]int, ow)
	for j := range cols {
		cols[j] = nearestIndex(j, w, ow)
	}
	inSz, outSz := h*w, oh*ow
	for p := 0; p < planes; p++ {
		xp := x[p*inSz : (p+1)*inSz]
		yp := y[p*outSz : (p+1)*outSz]
		for i := 0; i < oh; i++ {
			src := xp[nearestIndex(i, h, oh)*w:][:w]
			dst := yp[i*ow : (i+1)*ow]
			if backward {
				for j, v := range dst {
					src[cols[j]] += v
				}
				continue
			}
			for j := range dst {
				dst[j] = src[cols[j]]
			}
		}
	}
}

// UpsampleNearest2d returns x (N,C,H,W) enlarged by whole factors to
// (N,C,H·scaleH,W·scaleW) by repeating pixels, as torch.nn.functional.interpolate with
// mode "nearest" and an integer scale_factor. It panics if x is not 4-D or a factor is
// not positive.
func UpsampleNearest2d(x *Tensor, scaleH, scaleW int) *Tensor {
	_, _, h, w := image4("UpsampleNearest2d", "input", x.shape)
	if scaleH <= 0 || scaleW <= 0 {
		Panicf("UpsampleNearest2d", "input %s: scale (%d,%d) is not positive", ShapeString(x.shape), scaleH, scaleW)
	}
	return UpsampleNearest2dSize(x, h*scaleH, w*scaleW)
}

// UpsampleNearest2dSize returns x (N,C,H,W) resized to (N,C,outH,outW) by nearest
// neighbour, as torch.nn.functional.interpolate with mode "nearest" and size: output
// row i takes input row min(⌊i·H/outH⌋, H-1), likewise columns. It panics if x is not
// 4-D or the size is not positive.
func UpsampleNearest2dSize(x *Tensor, outH, outW int) *Tensor {
	checkUpsample("UpsampleNearest2dSize", x.shape, outH, outW)
	out := New(x.shape[0], x.shape[1], outH, outW)
	nearest(x.shape[0]*x.shape[1], x.shape[2], x.shape[3], outH, outW, x.data, out.data, false)
	return out
}

// UpsampleNearest2dBackward returns the gradient with respect to the input (of shape
// inputShape) of UpsampleNearest2dSize (or UpsampleNearest2d) given the output gradient
// g: each input pixel receives the sum of g over the output pixels copied from it. It
// panics if the shapes do not match.
func UpsampleNearest2dBackward(g *Tensor, inputShape []int) *Tensor {
	const op = "UpsampleNearest2dBackward"
	_, _, oh, ow := image4(op, "gradient", g.shape)
	checkUpsample(op, inputShape, oh, ow)
	checkPoolGrad(op, g, inputShape, oh, ow)
	dx := New(inputShape...)
	nearest(inputShape[0]*inputShape[1], inputShape[2], inputShape[3], oh, ow, dx.data, g.data, true)
	return dx
}

// linearTaps is the interpolation of one output position: the two source indices and
// their weights.
type linearTaps struct {
	i0, i1 int
	l0, l1 float32
}

// bilinearTaps computes PyTorch's source indices and weights for linear interpolation
// from in to out positions (compute_source_index_and_lambda, in float32).
func bilinearTaps(in, out int, alignCorners bool) []linearTaps {
	taps := make([]linearTaps, out)
	var scale float32
	switch {
	case alignCorners && out > 1:
		scale = float32(in-1) / float32(out-1)
	case !alignCorners:
		scale = float32(in) / float32(out)
	}
	for o := range taps {
		if in == out {
			taps[o] = linearTaps{i0: o, i1: o, l0: 1}
			continue
		}
		var src float32
		if alignCorners {
			src = float32(scale * float32(o))
		} else {
			src = float32(scale*float32(float32(o)+0.5)) - 0.5
			if src < 0 {
				src = 0
			}
		}
		i0 := min(int(src), in-1)
		l1 := min(max(src-float32(i0), 0), 1)
		i1 := i0
		if i0 < in-1 {
			i1++
		}
		taps[o] = linearTaps{i0: i0, i1: i1, l0: 1 - l1, l1: l1}
	}
	return taps
}

// bilinear runs bilinear upsampling forward (x -> y) or its adjoint (y -> x,
// accumulated).
func bilinear(planes, h, w, oh, ow int, x, y []float32, alignCorners, backward bool) {
	rows, cols := bilinearTaps(h, oh, alignCorners), bilinearTaps(w, ow, alignCorners)
	inSz, outSz := h*w, oh*ow
	for p := 0; p < planes; p++ {
		xp := x[p*inSz : (p+1)*inSz]
		yp := y[p*outSz : (p+1)*outSz]
		for i, r := range rows {
			top, bot := xp[r.i0*w:][:w], xp[r.i1*w:][:w]
			dst := yp[i*ow : (i+1)*ow]
			if backward {
				for j, c := range cols {
					v := dst[j]
					top[c.i0] += r.l0 * c.l0 * v
					top[c.i1] += r.l0 * c.l1 * v
					bot[c.i0] += r.l1 * c.l0 * v
					bot[c.i1] += r.l1 * c.l1 * v
				}
				continue
			}
			for j, c := range cols {
				dst[j] = r.l0*(c.l0*top[c.i0]+c.l1*top[c.i1]) + r.l1*(c.l0*bot[c.i0]+c.l1*bot[c.i1])
			}
		}
	}
}

// UpsampleBilinear2d returns x (N,C,H,W) resized to (N,C,outH,outW) by bilinear
// interpolation, matching torch.nn.functional.interpolate with mode "bilinear" and size
// (outH,outW). With alignCorners the corner pixels of input and output are aligned;
// otherwise pixel centres are (align_corners=False, PyTorch's default). It panics if x
// is not 4-D or the size is not positive.
func UpsampleBilinear2d(x *Tensor, outH, outW int, alignCorners bool) *Tensor {
	checkUpsample("UpsampleBilinear2d", x.shape, outH, outW)
	out := New(x.shape[0], x.shape[1], outH, outW)
	bilinear(x.shape[0]*x.shape[1], x.shape[2], x.shape[3], outH, outW, x.data, out.data, alignCorners, false)
	return out
}

// UpsampleBilinear2dBackward returns the gradient with respect to the input (of shape
// inputShape) of UpsampleBilinear2d given the output gradient g: its adjoint. It panics
// if the shapes do not match.
func UpsampleBilinear2dBackward(g *Tensor, inputShape []int, alignCorners bool) *Tensor {
	const op = "UpsampleBilinear2dBackward"
	_, _, oh, ow := image4(op, "gradient", g.shape)
	checkUpsample(op, inputShape, oh, ow)
	checkPoolGrad(op, g, inputShape, oh, ow)
	dx := New(inputShape...)
	bilinear(inputShape[0]*inputShape[1], inputShape[2], inputShape[3], oh, ow, dx.data, g.data, alignCorners, true)
	return dx
}
