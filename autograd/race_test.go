package autograd

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// raceResult is what one worker computes from one input.
type raceResult struct {
	loss, gradW, gradX, hvpW, own, infer []float32
}

// raceWork builds an independent graph on the shared, read-only input x and the
// shared parameter w (used through Grad only, which leaves w untouched), differentiates
// it to second order, and also runs Backward on a parameter of its own and a NoGrad
// inference pass.
func raceWork(w *Var, x *tensor.Tensor) raceResult {
	xv := Param(x.Clone())         // the worker's own leaf; x itself is only read
	h := GELU(MatMul(Const(x), w)) // (5,4)·(4,6) -> (5,6)
	c := tensor.Linspace(-1, 1, 30).Reshape(5, 6)
	loss := Sum(Mul(LogSoftmax(h, -1), Const(c)), false) // ()
	g := Grad([]*Var{loss}, []*Var{w}, nil, true)[0]     // (4,6), recorded
	gp := Grad([]*Var{Sum(Square(g), false)}, []*Var{w}, nil, false)[0]

	// ∂/∂x of a second function, through the worker's own leaf.
	y := Sum(Tanh(MatMul(xv, w)), false)
	gx := Grad([]*Var{y}, []*Var{xv}, nil, false)[0]

	// Backward writes to every parameter in the graph, so the shared w enters it as a
	// constant over its (read-only) value; only the worker's own leaf gets a Grad.
	own := Param(x.Clone())
	Sum(Mul(Sigmoid(MatMul(own, Const(w.Value()))), Const(tensor.Full(0.5, 5, 6))), false).Backward()

	inf := Softmax(MatMul(NoGrad(x), w), -1)
	return raceResult{
		loss:  loss.Value().Data(),
		gradW: g.Value().Data(),
		gradX: gx.Value().Data(),
		hvpW:  gp.Value().Data(),
		own:   own.Grad().Data(),
		infer: inf.Value().Data(),
	}
}

// TestConcurrentGraphs runs independent graphs from many goroutines that share input
// tensors and a parameter, and checks that every result is bit-for-bit the one of a
// sequential run. Run it with -race.
func TestConcurrentGraphs(t *testing.T) {
	const (
		workers = 16
		inputs  = 6
		rounds  = 4
	)
	rng := rand.New(rand.NewPCG(21, 21))
	w := Param(tensor.Randn(rng, 4, 6))
	wBefore := w.Value().Clone()
	xs := make([]*tensor.Tensor, inputs)
	for i := range xs {
		xs[i] = tensor.Randn(rng, 5, 4)
	}
	want := make([]raceResult, inputs)
	for i, x := range xs {
		want[i] = raceWork(w, x)
	}

	got := make([][]raceResult, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				i := (k + r) % inputs
				got[k] = append(got[k], raceWork(w, xs[i]))
			}
		}()
	}
	wg.Wait()

	for k := range workers {
		for r := range rounds {
			i := (k + r) % inputs
			require.Equal(t, want[i], got[k][r], "worker %d round %d input %d", k, r, i)
		}
	}
	require.Nil(t, w.Grad(), "Grad must not write the shared parameter's Grad")
	require.Equal(t, wBefore.Data(), w.Value().Data())
}
