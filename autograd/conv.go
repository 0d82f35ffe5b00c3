package autograd

import (
	"github.com/genblocks/genblocks/tensor"
)

// Convolution is bilinear in its input and weight, so its two gradients are bilinear
// too and their gradients are again convolutions:
//
//	conv2d(x, w)             -> dx = conv2d_input_grad(g, w), dw = conv2d_weight_grad(x, g)
//	conv2d_input_grad(g, w)  -> dg = conv2d(h, w),            dw = conv2d_weight_grad(h, g)
//	conv2d_weight_grad(x, g) -> dx = conv2d_input_grad(g, h), dg = conv2d(x, h)
//
// where h is the gradient arriving at each op's output. Every rule is an op of the
// table, so gradients of any order work.
var _ = register("conv2d", "conv_transpose2d", "conv2d_input_grad", "conv2d_weight_grad")

// biasGrad is the gradient of a per-channel bias added to an (N,C,H,W) output.
func biasGrad(g *Var) *Var { return Sum(g, false, 0, 2, 3) } // (N,C,H,W) -> (C)

// withBias returns the op's inputs and b's value, with b appended when it is not nil.
func withBias(b *Var, inputs ...*Var) ([]*Var, *tensor.Tensor) {
	if b == nil {
		return inputs, nil
	}
	return append(inputs, b), b.value
}

// Conv2d returns the 2-D convolution of x (N,Cin,H,W) with w (Cout,Cin/groups,kh,kw)
// plus the bias b (Cout), which may be nil, as tensor.Conv2d. It panics if the shapes do
// not fit each other or cfg.
func Conv2d(x, w, b *Var, cfg tensor.Conv2dConfig) *Var {
	inputs, bt := withBias(b, x, w)
	xShape, wShape := x.Shape(), w.Shape()
	return record("conv2d", tensor.Conv2d(x.value, w.value, bt, cfg), inputs, func(g *Var) []*Var {
		grads := make([]*Var, len(inputs))
		if x.requiresGrad {
			grads[0] = conv2dInputGrad(g, w, xShape, cfg)
		}
		if w.requiresGrad {
			grads[1] = conv2dWeightGrad(x, g, wShape, cfg)
		}
		if b != nil && b.requiresGrad {
			grads[2] = biasGrad(g)
		}
		return grads
	})
}

// conv2dInputGrad records tensor.Conv2dBackwardInput(g, w): the gradient that reaches
// a convolution's input of shape xShape.
func conv2dInputGrad(g, w *Var, xShape []int, cfg tensor.Conv2dConfig) *Var {
	wShape := w.Shape()
	return record("conv2d_input_grad", tensor.Conv2dBackwardInput(g.value, w.value, xShape, cfg), []*Var{g, w}, func(h *Var) []*Var {
		var dg, dw *Var
		if g.requiresGrad {
			dg = Conv2d(h, w, nil, cfg)
		}
		if w.requiresGrad {
			dw = conv2dWeightGrad(h, g, wShape, cfg)
		}
		return []*Var{dg, dw}
	})
}

// conv2dWeightGrad records tensor.Conv2dBackwardWeight(x, g): the gradient that reaches
// a convolution's weight of shape wShape.
func conv2dWeightGrad(x, g *Var, wShape []int, cfg tensor.Conv2dConfig) *Var {
	xShape := x.Shape()
	return record("conv2d_weight_grad", tensor.Conv2dBackwardWeight(x.value, g.value, wShape, cfg), []*Var{x, g}, func(h *Var) []*Var {
		var dx, dg *Var
		if x.requiresGrad {
			dx = conv2dInputGrad(g, h, xShape, cfg)
		}
		if g.requiresGrad {
			dg = Conv2d(x, h, nil, cfg)
		}
		return []*Var{dx, dg}
	})
}

// ConvTranspose2d returns the 2-D transposed convolution of x (N,Cin,H,W) with
// w (Cin,Cout/groups,kh,kw) plus the bias b (Cout), which may be nil, as
// tensor.ConvTranspose2d. Its gradients are convolutions (see
// tensor.ConvTranspose2dConfig.Conv). It panics if the shapes do not fit each other or
// cfg.
func ConvTranspose2d(x, w, b *Var, cfg tensor.ConvTranspose2dConfig) *Var {
	inputs, bt := withBias(b, x, w)
	wShape := w.Shape()
	cc := cfg.Conv()
	return record("conv_transpose2d", tensor.ConvTranspose2d(x.value, w.value, bt, cfg), inputs, func(g *Var) []*Var {
		grads := make([]*Var, len(inputs))
		if x.requiresGrad {
			grads[0] = Conv2d(g, w, nil, cc)
		}
		if w.requiresGrad {
			grads[1] = conv2dWeightGrad(g, x, wShape, cc)
		}
		if b != nil && b.requiresGrad {
			grads[2] = biasGrad(g)
		}
		return grads
	})
}
