package optim

import (
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEMA(t *testing.T) {
	w := autograd.Param(tensor.FromSlice([]float32{0, 10}, 2))
	w.SetName("w")
	b := autograd.Param(tensor.FromSlice([]float32{1}, 1))
	ema := NewEMA([]*autograd.Var{w, b}, 0.9)
	assert.Equal(t, 0.9, ema.Decay())

	copy(w.Value().Data(), []float32{1, 0})
	ema.Update() // shadow = 0.9·shadow + 0.1·w
	sd := ema.StateDict()
	require.ElementsMatch(t, []string{"w", "1"}, keys(sd), "keyed by name, else index")
	assert.InDeltaSlice(t, []float32{0.1, 9}, sd["w"].Data(), 1e-6)
	assert.InDeltaSlice(t, []float32{1}, sd["1"].Data(), 1e-6)

	ema.Apply()
	assert.InDeltaSlice(t, []float32{0.1, 9}, w.Value().Data(), 1e-6, "Apply swaps the averages in")
	require.Error(t, tensor.Catch(ema.Update), "no Update while applied")
	require.Error(t, tensor.Catch(ema.Apply), "no double Apply")
	ema.Restore()
	assert.Equal(t, []float32{1, 0}, w.Value().Data(), "Restore puts the training values back")
	require.Error(t, tensor.Catch(ema.Restore))

	other := []*autograd.Var{autograd.Param(tensor.New(2)), autograd.Param(tensor.New(1))}
	ema.CopyTo(other)
	assert.InDeltaSlice(t, []float32{0.1, 9}, other[0].Value().Data(), 1e-6)
	require.Error(t, tensor.Catch(func() { ema.CopyTo(other[:1]) }))
	require.Error(t, tensor.Catch(func() { ema.CopyTo([]*autograd.Var{other[1], other[0]}) }))

	// Round trip and errors.
	fresh := NewEMA([]*autograd.Var{w, b}, 0.9)
	require.NoError(t, fresh.LoadStateDict(sd))
	assert.Equal(t, sd["w"].Data(), fresh.StateDict()["w"].Data())
	sd["extra"] = tensor.New(1)
	sd["w"] = tensor.New(3)
	delete(sd, "1")
	err := fresh.LoadStateDict(sd)
	require.Error(t, err)
	for _, msg := range []string{`missing "1"`, `unexpected key "extra"`, "w: shape (3)"} {
		assert.Contains(t, err.Error(), msg)
	}

	ema.SetDecay(0.5)
	assert.Equal(t, 0.5, ema.Decay())
	require.Error(t, tensor.Catch(func() { ema.SetDecay(1.5) }))
	require.Error(t, tensor.Catch(func() { NewEMA(nil, -0.1) }))
	require.Error(t, tensor.Catch(func() { NewEMA([]*autograd.Var{w, w}, 0.9) }))
}

func keys(m map[string]*tensor.Tensor) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
