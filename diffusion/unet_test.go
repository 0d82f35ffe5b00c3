package diffusion

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// TestUNetMatchesPyTorch loads the twin's weights (examples/diffusion/torch_twin.py's
// UNet, written by testdata/gen_diffusion.py) and compares the output and gradients.
func TestUNetMatchesPyTorch(t *testing.T) {
	c := golden.Load(t, "testdata/diffusion.json").Case(t, "unet")
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 1)))
	u := NewUNet(vs.Root(), UNetConfig{InChannels: 1, CondChannels: 1, Base: 8, Mults: []int{1, 2}, ResBlocks: 1,
		AttnRes: []int{4}, ImageSize: 8, Heads: 2, Groups: 4, TimeDim: 16, NumClasses: 3})
	require.NoError(t, vs.Load("testdata/unet_twin.safetensors"))
	x := autograd.Param(c.T(t, "x"))
	out := u.Forward(x, c.T(t, "t"), c.T(t, "cls"))
	golden.Close(t, "out", out.Value(), c.T(t, "out"), 1e-4, 1e-3)
	autograd.Sum(autograd.Mul(out, autograd.Const(c.T(t, "w"))), false).Backward()
	golden.Close(t, "grad x", x.Grad(), c.T(t, "gx"), 1e-4, 1e-3)
	n := 0
	for name := range c.Tensors {
		for _, p := range vs.NamedParams() {
			if strings.ReplaceAll(p.Name, ".", "_") == name {
				golden.Close(t, "grad "+p.Name, p.Var.Grad(), c.T(t, name), 1e-4, 1e-3)
				n++
			}
		}
	}
	assert.Equal(t, 6, n, "parameter gradients compared")
}

func TestUNetShapesAndPanics(t *testing.T) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 1)))
	u := NewUNet(vs.Root(), UNetConfig{Base: 8, Groups: 4, Mults: []int{1, 2}, AttnRes: []int{0}, ImageSize: 12})
	out := u.Forward(autograd.Const(tensor.New(3, 1, 12, 12)), tensor.New(3), nil)
	assert.Equal(t, []int{3, 1, 12, 12}, out.Shape())
	assert.Panics(t, func() { u.Forward(autograd.Const(tensor.New(3, 2, 12, 12)), tensor.New(3), nil) })
	assert.Panics(t, func() { u.Forward(autograd.Const(tensor.New(3, 1, 12, 12)), tensor.New(3), tensor.New(3)) })
}

// TestTrainingLowersLoss trains a tiny UNet on a toy image distribution for a few
// seconds and checks the loss falls.
func TestTrainingLowersLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	vs := nn.NewVarStore(rng)
	u := NewUNet(vs.Root(), UNetConfig{Base: 8, Groups: 4, Mults: []int{1, 2}, AttnRes: []int{0}, TimeDim: 16, NoMid: true})
	for _, pred := range []Prediction{PredictEpsilon} {
		m := &Model{Net: u, Sched: NewSchedule(LinearBetas(100, 0, 0)), Pred: pred}
		opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 3e-3})
		// Data: a bright square at a random position on a dark 8×8 image.
		batch := func() *tensor.Tensor {
			x := tensor.Full(-1, 16, 1, 8, 8)
			for i := 0; i < 16; i++ {
				r, c := rng.IntN(5), rng.IntN(5)
				for dr := 0; dr < 3; dr++ {
					for dc := 0; dc < 3; dc++ {
						x.Set(1, i, 0, r+dr, c+dc)
					}
				}
			}
			return x
		}
		eval := func() float64 {
			r := rand.New(rand.NewPCG(99, 99))
			sum := 0.0
			for range 4 {
				sum += float64(m.Loss(r, batch(), nil, nil, LossConfig{}).Item())
			}
			return sum / 4
		}
		before := eval()
		start := time.Now()
		for step := 0; step < 100; step++ {
			opt.ZeroGrad()
			loss := m.Loss(rng, batch(), nil, nil, LossConfig{Weighting: WeightMinSNR})
			loss.Backward()
			opt.Step()
		}
		after := eval()
		t.Logf("%v: loss %.4f -> %.4f in %v", pred, before, after, time.Since(start))
		assert.Less(t, after, 0.5*before)
	}
}

func TestLossWeightsAndSamplers(t *testing.T) {
	for _, tc := range []struct {
		p    Prediction
		w    Weighting
		snr  float64
		want float64
	}{
		{PredictEpsilon, WeightNone, 10, 1},
		{PredictEpsilon, WeightMinSNR, 10, 0.5},
		{PredictEpsilon, WeightMinSNR, 2, 1},
		{PredictX0, WeightMinSNR, 10, 5},
		{PredictX0, WeightSNR, 10, 10},
		{PredictV, WeightMinSNR, 4, 4.0 / 5},
		{PredictV, WeightSNR, 4, 4.0 / 5},
	} {
		assert.InDelta(t, tc.want, LossConfig{Weighting: tc.w}.lossWeight(tc.p, tc.snr), 1e-12, "%v %v", tc.p, tc.w)
	}
	for in, want := range map[string]LossConfig{
		"none": {}, "snr": {Weighting: WeightSNR}, "minsnr": {Weighting: WeightMinSNR},
		"minsnr-2.5": {Weighting: WeightMinSNR, Gamma: 2.5},
	} {
		w, g, err := ParseWeighting(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, LossConfig{Weighting: w, Gamma: g}, in)
	}
	for _, bad := range []string{"lsnr", "minsnr-", "minsnr-0", "minsnr-x"} {
		_, _, err := ParseWeighting(bad)
		assert.ErrorContains(t, err, "unknown loss weighting", bad)
	}
	// γ given: min(10, 2.5)/(10+1) for v at SNR 10.
	assert.InDelta(t, 2.5/11, LossConfig{Weighting: WeightMinSNR, Gamma: 2.5}.lossWeight(PredictV, 10), 1e-12)
	s := NewImportanceSampler(4, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	ts, w := s.Sample(rng, 3)
	assert.Len(t, ts, 3)
	assert.Equal(t, []float64{1, 1, 1}, w)
	s.Record([]int{0, 0, 1, 1, 2, 2, 3, 3}, []float64{1, 1, 1, 1, 1, 1, 9, 9})
	p := s.Probabilities()
	assert.InDelta(t, 0.75*0.999+0.001/4, p[3], 1e-9)
	ts, w = s.Sample(rng, 2000)
	n3 := 0
	for i, v := range ts {
		if v == 3 {
			n3++
			assert.InDelta(t, 1/(4*p[3]), w[i], 1e-9)
		}
	}
	assert.InDelta(t, 0.75, float64(n3)/2000, 0.05)
}

// TestTargetsAndSplitAgree checks that every parameterisation's target, read back by
// split, gives the x₀ and ε it was made from.
func TestTargetsAndSplitAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	s := NewSchedule(CosineBetas(100, 0))
	x0, noise := tensor.Randn(rng, 3, 1, 2, 2), tensor.Randn(rng, 3, 1, 2, 2)
	ts := []int{0, 50, 99}
	xt := s.QSample(x0, noise, ts)
	for _, p := range []Prediction{PredictEpsilon, PredictX0, PredictV} {
		m := &Model{Sched: s, Pred: p}
		gx, ge := m.split(m.Target(x0, noise, ts), xt, ts)
		golden.Close(t, p.String()+" x0", gx, x0, 2e-3, 1e-3)
		golden.Close(t, p.String()+" eps", ge, noise, 2e-3, 1e-3)
		q, err := ParsePrediction(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, q)
	}
}

// TestUNetInferenceReleaseMatchesGraph checks that the inference path, which releases
// its temporaries to the tensor pool as it goes, computes exactly what the recorded
// forward does, call after call (so recycled storage is reused), for layouts where the
// last skip is also the input of the up path (no middle block, no downsampling on the
// last level) and with attention at every level.
func TestUNetInferenceReleaseMatchesGraph(t *testing.T) {
	for _, cfg := range []UNetConfig{
		{Base: 8, Groups: 4, ImageSize: 16, AttnRes: []int{8}, NumClasses: 3, CondChannels: 1},
		{Base: 8, Groups: 4, ImageSize: 16, Mults: []int{1, 2}, NoMid: true, AttnRes: []int{0}},
		{Base: 8, Groups: 4, ImageSize: 16, Mults: []int{1}, NoMid: true, ResBlocks: 2, AttnRes: []int{16}, Dropout: 0.1},
	} {
		rng := rand.New(rand.NewPCG(3, 4))
		vs := nn.NewVarStore(rng)
		u := NewUNet(vs.Root(), cfg)
		vs.SetTraining(false)
		in := u.Cfg.InChannels + u.Cfg.CondChannels
		var class *tensor.Tensor
		if cfg.NumClasses > 0 {
			class = tensor.FromSlice([]float32{0, 1, 2, 3, 0, 1, 2, 3}, 8)
		}
		for i := range 3 {
			x := tensor.Randn(rng, 8, in, 16, 16) // 8·8·16·16 values: above the pool threshold
			ts := tensor.FromSlice([]float32{float32(10 * i), 500, 999, 1, 2, 3, 4, 5}, 8)
			want := u.Forward(autograd.Param(x), ts, class).Value()
			for range 2 {
				got := u.Forward(autograd.NoGrad(x), ts, class).Value()
				require.Equal(t, want.Data(), got.Data(), "%+v, call %d", cfg, i)
			}
		}
	}
}
