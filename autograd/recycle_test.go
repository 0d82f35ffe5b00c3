package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// Backward recycles its gradient temporaries (tensor.Release); the gradients must be
// exactly those of Grad, which does not, on a graph full of aliasing: a value used
// several times, Add(x, x), reshape views, an unused branch, and tensors large enough
// to be pooled, over several steps so that recycled storage is reused.
func TestBackwardRecyclingMatchesGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w1 := Param(tensor.Randn(rng, 64, 96))
	w2 := Param(tensor.Randn(rng, 96, 96))
	b := Param(tensor.Randn(rng, 96))
	loss := func(x *Var) *Var {
		h := Tanh(Add(MatMul(x, w1), b))              // (128,96)
		h2 := Add(h, h)                               // both inputs alias one gradient
		r := Reshape(Mul(h2, MatMul(h, w2)), 96, 128) // a view
		u := Sum(Mul(Reshape(r, 128, 96), h), false)
		_ = Exp(h) // a branch the loss does not use
		return Add(u, Sum(Square(MatMul(h2, w2)), false))
	}
	for step := range 3 {
		x := Const(tensor.Randn(rng, 128, 64))
		want := Grad([]*Var{loss(x)}, []*Var{w1, w2, b}, nil, false)
		for _, p := range []*Var{w1, w2, b} {
			p.ZeroGrad()
		}
		loss(x).Backward()
		for i, p := range []*Var{w1, w2, b} {
			require.Equal(t, want[i].Value().Data(), p.Grad().Data(), "step %d param %d", step, i)
		}
	}
}

// A user-defined Function's gradients are never recycled: its Backward may keep them.
func TestBackwardKeepsCustomFunctionGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	f := &keepGrad{}
	x := Param(tensor.Randn(rng, 80, 80))
	Sum(Apply(f, Mul(x, x)), false).Backward()
	require.NotNil(t, f.kept.Data())
	require.Len(t, f.kept.Data(), 6400)
}

type keepGrad struct{ kept *tensor.Tensor }

func (*keepGrad) Name() string                                { return "keep_grad" }
func (*keepGrad) Forward(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Clone() }
func (k *keepGrad) Backward(g *Var, _ []*Var, _ *Var) []*Var {
	k.kept = g.Value().Clone()
	return []*Var{NoGrad(k.kept)}
}

// ReleaseGraph empties the values computed in the graph but not the leaves, not a
// value sharing a parameter's storage (a reshape of it), and not the parameters'
// gradients.
func TestReleaseGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	w := Param(tensor.Randn(rng, 64, 96))
	x := Const(tensor.Randn(rng, 128, 64))
	wv := Reshape(w, 96, 64) // a view of the parameter
	h := Tanh(MatMul(x, Reshape(wv, 64, 96)))
	loss := Sum(Square(h), false)
	loss.Backward()
	grad := w.Grad().Clone()
	loss.ReleaseGraph()
	require.Empty(t, h.Value().Data())
	require.Len(t, w.Value().Data(), 64*96)
	require.Len(t, wv.Value().Data(), 64*96)
	require.Len(t, x.Value().Data(), 128*64)
	require.Equal(t, grad.Data(), w.Grad().Data())
	// The next step reuses the storage and computes the same thing.
	h2 := Tanh(MatMul(x, w))
	require.Equal(t, grad.Data(), Grad([]*Var{Sum(Square(h2), false)}, []*Var{w}, nil, false)[0].Value().Data())
}

// ReleaseGraph also empties what an op saved for its backward beside its output (the
// normalised values of GroupNormSiLU).
func TestReleaseGraphSaved(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := Param(tensor.Randn(rng, 2, 4, 5, 5))
	h := GroupNormSiLU(x, Param(tensor.Ones(4)), Param(tensor.New(4)), 2, 1e-5)
	loss := Sum(Square(h), false)
	loss.Backward()
	saved := h.node.saved
	require.Len(t, saved, 2)
	require.Len(t, saved[0].Data(), 2*4*5*5)
	loss.ReleaseGraph()
	for _, s := range saved {
		require.Empty(t, s.Data())
	}
	require.Len(t, x.Value().Data(), 2*4*5*5)
}

// A gradient that is computed but not held (unstored) is released even when its
// storage was released earlier in the same Backward and recycled since: the release
// mark on the storage must not make flush skip the new tensor.
func TestUnstoredRecycledStorageIsReleased(t *testing.T) {
	rc := newGradRefs(nil, nil)
	a := tensor.New(1 << 13)
	key := storageKey(a)
	rc.hold(a)
	rc.drop(a)
	rc.flush()
	require.Nil(t, a.Data(), "a held and dropped temporary is released")

	b := tensor.New(1 << 13) // most likely a's storage, from the pool
	if storageKey(b) != key {
		t.Skip("the pool did not hand a's storage back")
	}
	rc.unstored(b)
	rc.flush()
	require.Nil(t, b.Data(), "the recycled storage is released again")
}
