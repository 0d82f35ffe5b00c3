package main

import (
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// buildMLP: Linear 784→512, ReLU, Linear 512→512, ReLU, Linear 512→10; batch 128;
// cross-entropy; Adam lr 1e-3.
func buildMLP(rng *rand.Rand) func() {
	vs := nn.NewVarStore(rng)
	net := nn.NewMLP(vs.Root(), []int{784, 512, 512, 10}, nn.MLPConfig{})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-3})
	x := tensor.Rand(rng, 0, 1, 128, 784)
	y := labels(rng, 128, 10)
	return func() {
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss(net.Forward(autograd.Const(x)), y, nn.CrossEntropyConfig{})
		loss.Backward()
		opt.Step()
		loss.ReleaseGraph() // the next step reuses the memory
	}
}

func labels(rng *rand.Rand, n, classes int) *tensor.Tensor {
	y := tensor.New(n)
	for i := range y.Data() {
		y.Data()[i] = float32(rng.IntN(classes))
	}
	return y
}

// buildVAE: encoder 784→400 ReLU, heads 400→20 (mean, log-variance); z = μ + σ·ε;
// decoder 20→400 ReLU 400→784 logits; loss (BCE-with-logits summed + KL)/batch;
// batch 128; Adam lr 1e-3.
func buildVAE(rng *rand.Rand) func() {
	vs := nn.NewVarStore(rng)
	vb := vs.Root()
	enc := nn.NewLinear(vb.Push("fc1"), 784, 400, nn.LinearConfig{})
	mu := nn.NewLinear(vb.Push("fc21"), 400, 20, nn.LinearConfig{})
	lv := nn.NewLinear(vb.Push("fc22"), 400, 20, nn.LinearConfig{})
	dec := nn.NewMLP(vb.Push("dec"), []int{20, 400, 784}, nn.MLPConfig{})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-3})
	x := tensor.Rand(rng, 0, 1, 128, 784)
	return func() {
		opt.ZeroGrad()
		xv := autograd.Const(x)
		h := autograd.ReLU(enc.Forward(xv))
		m, l := mu.Forward(h), lv.Forward(h)
		eps := autograd.Const(tensor.Randn(rng, 128, 20))
		z := autograd.Add(m, autograd.Mul(autograd.Exp(autograd.MulScalar(l, 0.5)), eps))
		rec := nn.BCEWithLogitsLoss(dec.Forward(z), xv, nn.Sum)
		kl := nn.GaussianKL(m, l, nn.Sum)
		loss := autograd.MulScalar(autograd.Add(rec, kl), 1.0/128)
		loss.Backward()
		opt.Step()
		loss.ReleaseGraph() // the next step reuses the memory
	}
}

// buildDCGAN: the 28×28 DCGAN of the issue; one discriminator update on a real and a
// fake batch and one non-saturating generator update; batch 64; Adam 2e-4, β1 0.5.
func buildDCGAN(rng *rand.Rand) func() {
	gs := nn.NewVarStore(rng)
	gb := gs.Root()
	g := nn.Sequential{
		nn.NewLinear(gb.Push("0"), 100, 128*7*7, nn.LinearConfig{}),
		nn.Unflatten{Axis: 1, Shape: []int{128, 7, 7}},
		nn.NewBatchNorm2d(gb.Push("2"), 128, nn.BatchNormConfig{}), nn.ReLU{},
		nn.NewConvTranspose2d(gb.Push("4"), 128, 64, 4, nn.Conv2dConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(gb.Push("5"), 64, nn.BatchNormConfig{}), nn.ReLU{},
		nn.NewConvTranspose2d(gb.Push("7"), 64, 1, 4, nn.Conv2dConfig{Stride: 2, Padding: 1}),
		nn.Tanh{},
	}
	ds := nn.NewVarStore(rng)
	db := ds.Root()
	d := nn.Sequential{
		nn.NewConv2d(db.Push("0"), 1, 64, 4, nn.Conv2dConfig{Stride: 2, Padding: 1}), nn.LeakyReLU{Slope: 0.2},
		nn.NewConv2d(db.Push("2"), 64, 128, 4, nn.Conv2dConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(db.Push("3"), 128, nn.BatchNormConfig{}), nn.LeakyReLU{Slope: 0.2},
		nn.NewFlatten(),
		nn.NewLinear(db.Push("6"), 128*7*7, 1, nn.LinearConfig{}),
	}
	cfg := optim.AdamConfig{LR: 2e-4, Beta1: 0.5}
	optG, optD := optim.NewAdam(gs.Params(), cfg), optim.NewAdam(ds.Params(), cfg)
	real := tensor.Rand(rng, -1, 1, 64, 1, 28, 28)
	ones, zeros := autograd.Const(tensor.Ones(64, 1)), autograd.Const(tensor.New(64, 1))
	return func() {
		// Discriminator: real batch and a detached fake batch.
		optD.ZeroGrad()
		z := autograd.Const(tensor.Randn(rng, 64, 100))
		fake := g.Forward(z)
		lossD := autograd.Add(
			nn.BCEWithLogitsLoss(d.Forward(autograd.Const(real)), ones, nn.Mean),
			nn.BCEWithLogitsLoss(d.Forward(fake.Detach()), zeros, nn.Mean))
		lossD.Backward()
		optD.Step()
		lossD.ReleaseGraph() // the next step reuses the memory
		// Generator: non-saturating loss through the discriminator.
		optG.ZeroGrad()
		lossG := nn.BCEWithLogitsLoss(d.Forward(fake), ones, nn.Mean)
		lossG.Backward()
		optG.Step()
		lossG.ReleaseGraph() // the next step reuses the memory
	}
}

// buildGEMM multiplies two n×n matrices.
func buildGEMM(n int) func(rng *rand.Rand) func() {
	return func(rng *rand.Rand) func() {
		a, b := tensor.Randn(rng, n, n), tensor.Randn(rng, n, n)
		return func() { tensor.MatMul(a, b) }
	}
}
