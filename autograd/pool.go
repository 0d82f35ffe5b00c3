package autograd

import (
	"github.com/genblocks/genblocks/tensor"
)

// Pooling and upsampling are linear maps of their input (max pooling once its argmax is
// fixed), so each backward is the adjoint map recorded as an op, and the adjoint's own
// backward is the forward map again: gradients of any order work.
var _ = register("max_pool2d", "max_pool2d_backward", "max_pool2d_gather",
	"avg_pool2d", "avg_pool2d_backward",
	"adaptive_avg_pool2d", "adaptive_avg_pool2d_backward",
	"upsample_nearest2d", "upsample_nearest2d_backward",
	"upsample_bilinear2d", "upsample_bilinear2d_backward")

// MaxPool2d returns the maximum of x (N,C,H,W) over each window, as tensor.MaxPool2d (a
// zero stride entry means the kernel size). The gradient goes to the element each
// window picked. It panics as tensor.MaxPool2d does.
func MaxPool2d(x *Var, kernel, stride, padding [2]int) *Var {
	out, argmax := tensor.MaxPool2d(x.value, kernel, stride, padding)
	xShape := x.Shape()
	return record("max_pool2d", out, []*Var{x}, func(g *Var) []*Var {
		return []*Var{maxPoolScatter(g, argmax, xShape)}
	})
}

// maxPoolScatter records tensor.MaxPool2dBackward: g summed into a zero tensor of
// xShape at argmax. Its adjoint is the gather by the same argmax.
func maxPoolScatter(g *Var, argmax *tensor.Tensor, xShape []int) *Var {
	return record("max_pool2d_backward", tensor.MaxPool2dBackward(g.value, argmax, xShape), []*Var{g}, func(h *Var) []*Var {
		return []*Var{maxPoolGather(h, argmax)}
	})
}

// maxPoolGather records tensor.MaxPool2dGather: the values of x at argmax. Its adjoint
// is the scatter by the same argmax.
func maxPoolGather(x *Var, argmax *tensor.Tensor) *Var {
	xShape := x.Shape()
	return record("max_pool2d_gather", tensor.MaxPool2dGather(x.value, argmax), []*Var{x}, func(g *Var) []*Var {
		return []*Var{maxPoolScatter(g, argmax, xShape)}
	})
}

// AvgPool2d returns the mean of x (N,C,H,W) over each window, as tensor.AvgPool2d. It
// panics as tensor.AvgPool2d does.
func AvgPool2d(x *Var, kernel, stride, padding [2]int, countIncludePad bool) *Var {
	xShape := x.Shape()
	return record("avg_pool2d", tensor.AvgPool2d(x.value, kernel, stride, padding, countIncludePad), []*Var{x}, func(g *Var) []*Var {
		return []*Var{avgPoolBackward(g, xShape, kernel, stride, padding, countIncludePad)}
	})
}

// avgPoolBackward records tensor.AvgPool2dBackward, whose adjoint is AvgPool2d.
func avgPoolBackward(g *Var, xShape []int, kernel, stride, padding [2]int, countIncludePad bool) *Var {
	v := tensor.AvgPool2dBackward(g.value, xShape, kernel, stride, padding, countIncludePad)
	return record("avg_pool2d_backward", v, []*Var{g}, func(h *Var) []*Var {
		return []*Var{AvgPool2d(h, kernel, stride, padding, countIncludePad)}
	})
}

// AdaptiveAvgPool2d returns x (N,C,H,W) average-pooled to (N,C,outH,outW), as
// tensor.AdaptiveAvgPool2d. It panics as tensor.AdaptiveAvgPool2d does.
func AdaptiveAvgPool2d(x *Var, outH, outW int) *Var {
	xShape := x.Shape()
	return record("adaptive_avg_pool2d", tensor.AdaptiveAvgPool2d(x.value, outH, outW), []*Var{x}, func(g *Var) []*Var {
		return []*Var{adaptiveAvgPoolBackward(g, xShape)}
	})
}

// adaptiveAvgPoolBackward records tensor.AdaptiveAvgPool2dBackward, whose adjoint is
// AdaptiveAvgPool2d.
func adaptiveAvgPoolBackward(g *Var, xShape []int) *Var {
	v := tensor.AdaptiveAvgPool2dBackward(g.value, xShape)
	oh, ow := g.Size(2), g.Size(3)
	return record("adaptive_avg_pool2d_backward", v, []*Var{g}, func(h *Var) []*Var {
		return []*Var{AdaptiveAvgPool2d(h, oh, ow)}
	})
}

// UpsampleNearest2d returns x (N,C,H,W) enlarged to (N,C,H·scaleH,W·scaleW) by
// repeating pixels, as tensor.UpsampleNearest2d. It panics as that does.
func UpsampleNearest2d(x *Var, scaleH, scaleW int) *Var {
	if scaleH <= 0 || scaleW <= 0 || x.Dim() != 4 {
		tensor.UpsampleNearest2d(x.value, scaleH, scaleW) // panics with the message
	}
	return UpsampleNearest2dSize(x, x.Size(2)*scaleH, x.Size(3)*scaleW)
}

// UpsampleNearest2dSize returns x (N,C,H,W) resized to (N,C,outH,outW) by nearest
// neighbour, as tensor.UpsampleNearest2dSize. It panics as that does.
func UpsampleNearest2dSize(x *Var, outH, outW int) *Var {
	xShape := x.Shape()
	return record("upsample_nearest2d", tensor.UpsampleNearest2dSize(x.value, outH, outW), []*Var{x}, func(g *Var) []*Var {
		return []*Var{upsampleNearestBackward(g, xShape)}
	})
}

// upsampleNearestBackward records tensor.UpsampleNearest2dBackward, whose adjoint is
// UpsampleNearest2dSize.
func upsampleNearestBackward(g *Var, xShape []int) *Var {
	v := tensor.UpsampleNearest2dBackward(g.value, xShape)
	oh, ow := g.Size(2), g.Size(3)
	return record("upsample_nearest2d_backward", v, []*Var{g}, func(h *Var) []*Var {
		return []*Var{UpsampleNearest2dSize(h, oh, ow)}
	})
}

// UpsampleBilinear2d returns x (N,C,H,W) resized to (N,C,outH,outW) by bilinear
// interpolation, as tensor.UpsampleBilinear2d. It panics as that does.
func UpsampleBilinear2d(x *Var, outH, outW int, alignCorners bool) *Var {
	xShape := x.Shape()
	return record("upsample_bilinear2d", tensor.UpsampleBilinear2d(x.value, outH, outW, alignCorners), []*Var{x}, func(g *Var) []*Var {
		return []*Var{upsampleBilinearBackward(g, xShape, alignCorners)}
	})
}

// upsampleBilinearBackward records tensor.UpsampleBilinear2dBackward, whose adjoint is
// UpsampleBilinear2d.
func upsampleBilinearBackward(g *Var, xShape []int, alignCorners bool) *Var {
	v := tensor.UpsampleBilinear2dBackward(g.value, xShape, alignCorners)
	oh, ow := g.Size(2), g.Size(3)
	return record("upsample_bilinear2d_backward", v, []*Var{g}, func(h *Var) []*Var {
		return []*Var{UpsampleBilinear2d(h, oh, ow, alignCorners)}
	})
}
