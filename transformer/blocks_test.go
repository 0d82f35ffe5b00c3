package transformer

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// loadParams copies the case's "param.<name>" tensors into vs, strictly.
func loadParams(t *testing.T, vs *nn.VarStore, c *golden.Case) {
	t.Helper()
	sd := map[string]*tensor.Tensor{}
	for name := range c.Tensors {
		if n, ok := strings.CutPrefix(name, "param."); ok {
			sd[n] = c.T(t, name)
		}
	}
	require.NoError(t, vs.LoadStateDict(sd, true))
}

// checkGrads compares every parameter gradient the case holds ("grad.<name>").
func checkGrads(t *testing.T, vs *nn.VarStore, c *golden.Case, atol, rtol float64) {
	t.Helper()
	n := 0
	for name := range c.Tensors {
		if p, ok := strings.CutPrefix(name, "grad."); ok {
			v := vs.Param(p)
			require.NotNil(t, v, p)
			require.NotNil(t, v.Grad(), p)
			golden.Close(t, name, v.Grad(), c.T(t, name), atol, rtol)
			n++
		}
	}
	require.Positive(t, n)
}

func TestBlocksMatchPyTorch(t *testing.T) {
	f := golden.Load(t, "testdata/blocks.json")
	for _, name := range []string{"encoder_pre_relu", "encoder_post_gelu", "decoder_pre_gelu", "decoder_post_relu"} {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			cfg := BlockConfig{Dim: c.Int(t, "dim"), Heads: c.Int(t, "heads"), FFDim: c.Int(t, "ff"),
				PostNorm: c.Int(t, "pre") == 0, GELU: c.Int(t, "gelu") == 1}
			vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
			x := autograd.Param(c.T(t, "x"))
			var y *autograd.Var
			var mem *autograd.Var
			lens := c.Ints(t, "lens")
			if strings.HasPrefix(name, "encoder") {
				b := NewEncoderBlock(vs.Root(), cfg)
				loadParams(t, vs, c)
				y = b.Forward(x, nn.PaddingMask(lens, x.Size(1)))
			} else {
				b := NewDecoderBlock(vs.Root(), cfg)
				loadParams(t, vs, c)
				mem = autograd.Param(c.T(t, "memory"))
				y = b.Forward(x, mem, nn.PaddingMask(lens, mem.Size(1)), nil)
			}
			golden.Close(t, "y", y.Value(), c.T(t, "y"), 1e-5, 1e-4)
			autograd.Sum(autograd.Mul(y, autograd.Const(c.T(t, "r"))), false).Backward()
			golden.Close(t, "gx", x.Grad(), c.T(t, "gx"), 1e-5, 1e-4)
			if mem != nil {
				golden.Close(t, "gmemory", mem.Grad(), c.T(t, "gmemory"), 1e-5, 1e-4)
			}
			checkGrads(t, vs, c, 1e-5, 1e-4)
		})
	}
}

func TestDecoderBlockCacheMatchesFull(t *testing.T) {
	for _, post := range []bool{false, true} {
		vs := nn.NewVarStore(rand.New(rand.NewPCG(3, 4)))
		b := NewDecoderBlock(vs.Root(), BlockConfig{Dim: 8, Heads: 2, PostNorm: post})
		rng := rand.New(rand.NewPCG(5, 6))
		x := tensor.Randn(rng, 2, 6, 8)
		mem := autograd.NoGrad(tensor.Randn(rng, 2, 4, 8))
		mask := nn.PaddingMask([]int{4, 3}, 4)
		full := b.Forward(autograd.NoGrad(x), mem, mask, nil).Value()
		cache := &DecoderCache{}
		var steps []*tensor.Tensor
		for i := 0; i < 6; i++ {
			steps = append(steps, b.Forward(autograd.NoGrad(tensor.Narrow(x, 1, i, 1)), mem, mask, cache).Value())
		}
		golden.Close(t, "cached", tensor.Concat(1, steps...), full, 1e-5, 1e-4)
		w := b.CrossAttentionWeights(autograd.NoGrad(x), mem, mask)
		require.Equal(t, []int{2, 2, 6, 4}, w.Shape())
		golden.Close(t, "rows sum to 1", tensor.Sum(w, false, -1), tensor.Ones(2, 2, 6), 1e-5, 0)
		require.Zero(t, w.At(1, 0, 0, 3), "padded key gets no attention")
	}
}

func TestMasksMatchPyTorch(t *testing.T) {
	c := golden.Load(t, "testdata/masks.json").Case(t, "masks")
	golden.Close(t, "causal", nn.CausalMask(5, 5), c.T(t, "causal"), 0, 0)
	golden.Close(t, "causal tail", nn.CausalMask(2, 5), c.T(t, "causal_tail"), 0, 0)
	pad := nn.PaddingMask(c.Ints(t, "lens"), 5)
	golden.Close(t, "padding", pad, c.T(t, "padding"), 0, 0)
	y := nn.ScaledDotProductAttention(autograd.NoGrad(c.T(t, "q")), autograd.NoGrad(c.T(t, "k")), autograd.NoGrad(c.T(t, "v")), pad, true)
	golden.Close(t, "attention", y.Value(), c.T(t, "y"), 1e-6, 1e-5)
	// Left padding as GPT batch generation builds it.
	_, pos, mask, pads := leftPad([][]int{{1, 2, 3}, {4}})
	require.Equal(t, []int{0, 2}, pads)
	require.Equal(t, []float32{0, 1, 2, 0, 0, 0}, pos.Data())
	require.Equal(t, []float32{0, 0, 0, 1, 1, 0}, mask.Data())
}
