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
