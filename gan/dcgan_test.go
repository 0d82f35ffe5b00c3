package gan

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

func TestDCGANShapesAndNames(t *testing.T) {
	cases := []struct {
		cfg            DCGANConfig
		gParams, dKeys []string
	}{
		{DCGANConfig{}, []string{"fc.weight", "fc.bias", "bn0.weight", "bn0.bias", "up0.weight", "up0.bias",
			"bn1.weight", "bn1.bias", "up1.weight", "up1.bias"},
			[]string{"conv0.weight", "conv0.bias", "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "fc.weight", "fc.bias"}},
		{DCGANConfig{Size: 32, Channels: 3, Width: 8}, nil, nil},
		{DCGANConfig{Size: 64, Width: 4, ZDim: 16}, nil, nil},
		{DCGANConfig{Classes: 10, SpectralNorm: true, NoDiscBatchNorm: true, Width: 8}, nil,
			[]string{"conv0.weight_orig", "conv0.bias", "conv1.weight_orig", "conv1.bias", "fc.weight_orig", "fc.bias", "embed.weight"}},
	}
	for _, c := range cases {
		rng := rand.New(rand.NewPCG(1, 2))
		gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
		g, d := NewGenerator(gs.Root(), c.cfg), NewDiscriminator(ds.Root(), c.cfg)
		cfg := g.Cfg
		z := autograd.Const(tensor.Randn(rng, 3, cfg.ZDim))
		labels := tensor.FromSlice([]float32{0, 1, 9}, 3)
		var x, y *autograd.Var
		if cfg.Classes > 0 {
			require.Panics(t, func() { g.Forward(z) })
			x = g.ForwardLabels(z, labels)
			y = d.ForwardLabels(x, labels)
		} else {
			x = g.Forward(z)
			y = d.Forward(x)
		}
		require.Equal(t, []int{3, cfg.Channels, cfg.Size, cfg.Size}, x.Shape())
		require.Equal(t, []int{3, 1}, y.Shape())
		for _, v := range x.Value().Data() {
			require.True(t, v >= -1 && v <= 1)
		}
		if c.gParams != nil {
			var names []string
			for _, nv := range gs.NamedParams() {
				names = append(names, nv.Name)
			}
			assert.Equal(t, c.gParams, names)
		}
		if c.dKeys != nil {
			var names []string
			for _, nv := range ds.NamedParams() {
				names = append(names, nv.Name)
			}
			assert.Equal(t, c.dKeys, names)
		}
	}
	require.Panics(t, func() { NewGenerator(nn.NewVarStore(rand.New(rand.NewPCG(1, 1))).Root(), DCGANConfig{Size: 30}) })
}

// TestReferenceDCGANSize checks the reference 28×28 DCGAN's parameter counts: the
// generator 100·6272+6272 + 2·128 + 128·64·16+64 + 2·64 + 64·16+1 and the
// discriminator 16·64+64 + 64·128·16+128 + 2·128 + 6272+1.
func TestReferenceDCGANSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	NewGenerator(gs.Root(), DCGANConfig{})
	NewDiscriminator(ds.Root(), DCGANConfig{})
	assert.Equal(t, 100*6272+6272+2*128+128*64*16+64+2*64+64*16+1, gs.NumParams())
	assert.Equal(t, 16*64+64+64*128*16+128+2*128+6272+1, ds.NumParams())
}

// topSingular returns the largest singular value of w viewed as (rows, rest).
func topSingular(t *testing.T, w *tensor.Tensor) float64 {
	rows := w.Size(0)
	var svd mat.SVD
	require.True(t, svd.Factorize(mat.NewDense(rows, w.Numel()/rows, w.ToFloat64()), mat.SVDNone))
	return svd.Values(nil)[0]
}

// TestSpectralNormDiscriminator checks the spectral-norm estimate σ̂ = uᵀWv of every
// layer of an SN discriminator against the true largest singular value, both on the
// initial weights and while the weights move under training (one power iteration per
// forward pass, as in PyTorch, has to keep up).
func TestSpectralNormDiscriminator(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	cfg := DCGANConfig{Width: 8, SpectralNorm: true, NoDiscBatchNorm: true, ZDim: 8}
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	g, d := NewGenerator(gs.Root(), cfg), NewDiscriminator(ds.Root(), cfg)
	var sns []*nn.SpectralNorm
	for _, c := range d.Conv {
		sns = append(sns, c.SN)
	}
	sns = append(sns, d.FC.SN)
	estimate := func(sn *nn.SpectralNorm) float64 {
		rows := sn.Orig.Size(0)
		w := sn.Orig.Value().Reshape(rows, -1)
		u := sn.U.Reshape(1, rows)
		v := sn.V.Reshape(-1, 1)
		return float64(tensor.MatMul(tensor.MatMul(u, w), v).Item())
	}
	x := autograd.Const(tensor.Rand(rng, -1, 1, 4, 1, 28, 28))
	for range 30 {
		d.Forward(x)
	}
	for i, sn := range sns {
		want := topSingular(t, sn.Orig.Value())
		assert.InDelta(t, want, estimate(sn), 1e-3*want, "layer %d after 30 power iterations", i)
		// The normalised weight has spectral norm 1.
		assert.InDelta(t, 1, topSingular(t, sn.Weight().Value()), 1e-3, "layer %d normalised", i)
	}
	tr := NewTrainer(g, gs, d, ds, TrainerConfig{Loss: Hinge, ZDim: 8, DLR: 1e-3}, rng)
	for range 20 {
		_, err := tr.Step(func() Batch { return Batch{X: tensor.Rand(rng, -1, 1, 4, 1, 28, 28)} })
		require.NoError(t, err)
	}
	for i, sn := range sns {
		want := topSingular(t, sn.Orig.Value())
		assert.InDelta(t, want, estimate(sn), 0.02*want, "layer %d after 20 training steps", i)
	}
}

func TestConditionalGeneratorNoGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gs := nn.NewVarStore(rng)
	g := NewGenerator(gs.Root(), DCGANConfig{Classes: 10, Width: 4})
	out := Sample(g, gs, nil, tensor.Randn(rng, 2, 100), tensor.FromSlice([]float32{3, 4}, 2))
	require.Equal(t, []int{2, 1, 28, 28}, out.Shape())
	assert.True(t, gs.Training(), "training mode restored")
}

func TestSRGeneratorStartsAsBicubic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	g := NewSRGenerator(vs.Root(), SRConfig{Width: 8, Blocks: 2})
	x := tensor.Rand(rng, -1, 1, 2, 1, 14, 14)
	y := g.Forward(autograd.Const(x))
	require.Equal(t, []int{2, 1, 28, 28}, y.Shape())
	assert.InDeltaSlice(t, Bicubic(x, 28, 28).Data(), y.Value().Data(), 1e-6)
	loss := nn.MSELoss(y, autograd.Const(tensor.New(2, 1, 28, 28)), nn.Mean)
	loss.Backward()
	assert.NotNil(t, g.Tail.Weight.Grad())
}
