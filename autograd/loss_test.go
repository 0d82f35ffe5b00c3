package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
)

func TestBCEWithLogitsMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := Param(tensor.Randn(rng, 6, 7).MulScalar(4))
	tg := Param(tensor.Rand(rng, 0, 1, 6, 7))
	seed := tensor.Randn(rng, 6, 7)
	y := BCEWithLogits(x, tg)
	golden.Close(t, "forward", y.Value(), bceWithLogitsComposed(x, tg).Value(), 1e-6, 1e-6)
	fused := Grad([]*Var{y}, []*Var{x, tg}, []*tensor.Tensor{seed}, false)
	composed := Grad([]*Var{bceWithLogitsComposed(x, tg)}, []*Var{x, tg}, []*tensor.Tensor{seed}, false)
	viaGraph := Grad([]*Var{y}, []*Var{x, tg}, []*tensor.Tensor{seed}, true)
	for i := range fused {
		golden.Close(t, "backward", fused[i].Value(), composed[i].Value(), 1e-6, 1e-5)
		golden.Close(t, "backward createGraph", viaGraph[i].Value(), composed[i].Value(), 1e-6, 1e-5)
	}
}

func init() {
	addGradCase("bce_with_logits", gradCase{f: bin(BCEWithLogits), shapes: [][]int{{3, 4}, {3, 4}}})
	addGradCase("bce_with_logits", gradCase{name: "bce_with_logits_grad_of_grad", f: func(xs []*Var) *Var {
		g := Grad([]*Var{Sum(Square(BCEWithLogits(xs[0], xs[1])), false)}, []*Var{xs[0]}, nil, true)[0]
		return Sum(Square(g), false)
	}, shapes: [][]int{{3, 4}, {3, 4}}})
}

func TestNormalizeChannelsMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, shape := range [][]int{{4, 3}, {3, 5, 2, 3}} {
		x := Param(tensor.Randn(rng, shape...).MulScalar(2).AddScalar(1))
		seed := tensor.Randn(rng, shape...)
		y, mean, variance := NormalizeChannels(x, 1e-5)
		golden.Close(t, "forward", y.Value(), normalizeChannelsComposed(x, 1e-5).Value(), 1e-5, 1e-5)
		axes := []int{0}
		for i := 2; i < len(shape); i++ {
			axes = append(axes, i)
		}
		golden.Close(t, "mean", mean, tensor.Mean(x.Value(), false, axes...), 1e-6, 1e-6)
		golden.Close(t, "variance", variance, tensor.Var(x.Value(), 0, false, axes...), 1e-5, 1e-5)
		fused := Grad([]*Var{y}, []*Var{x}, []*tensor.Tensor{seed}, false)[0]
		composed := Grad([]*Var{normalizeChannelsComposed(x, 1e-5)}, []*Var{x}, []*tensor.Tensor{seed}, false)[0]
		viaGraph := Grad([]*Var{y}, []*Var{x}, []*tensor.Tensor{seed}, true)[0]
		golden.Close(t, "backward", fused.Value(), composed.Value(), 1e-5, 1e-4)
		golden.Close(t, "backward createGraph", viaGraph.Value(), composed.Value(), 1e-5, 1e-4)
	}
}

func init() {
	nc := func(a *Var) *Var { y, _, _ := NormalizeChannels(a, 1e-5); return y }
	addGradCase("normalize_channels", gradCase{f: un(nc), shapes: [][]int{{3, 2, 2}}})
	addGradCase("normalize_channels", gradCase{name: "normalize_channels_grad_of_grad", f: un(func(a *Var) *Var {
		w := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 3, 2, 2))
		g := Grad([]*Var{Sum(Mul(nc(a), w), false)}, []*Var{a}, nil, true)[0]
		return Sum(Square(g), false)
	}), shapes: [][]int{{3, 2, 2}}})
	addGradCase("normalize_channels", gradCase{name: "normalize_channels_grad_of_grad_output_dependent", f: un(func(a *Var) *Var {
		w := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 3, 2, 2))
		g := Grad([]*Var{Sum(Mul(Square(nc(a)), w), false)}, []*Var{a}, nil, true)[0]
		return Sum(Square(g), false)
	}), shapes: [][]int{{3, 2, 2}}})
}
