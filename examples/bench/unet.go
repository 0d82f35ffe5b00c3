package main

import (
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// The unet workload: a DDPM noise predictor on 1×28×28, batch 32, as specified in the
// performance issue.
type resBlock struct {
	gn1, gn2     *nn.GroupNorm
	conv1, conv2 *nn.Conv2d
	temb         *nn.Linear
	skip         *nn.Conv2d
}

func newResBlock(vb *nn.VarBuilder, cin, cout int) *resBlock {
	r := &resBlock{
		gn1:   nn.NewGroupNorm(vb.Push("norm1"), 8, cin, 0),
		conv1: nn.NewConv2d(vb.Push("conv1"), cin, cout, 3, nn.Conv2dConfig{Padding: 1}),
		temb:  nn.NewLinear(vb.Push("temb"), 128, cout, nn.LinearConfig{}),
		gn2:   nn.NewGroupNorm(vb.Push("norm2"), 8, cout, 0),
		conv2: nn.NewConv2d(vb.Push("conv2"), cout, cout, 3, nn.Conv2dConfig{Padding: 1}),
	}
	if cin != cout {
		r.skip = nn.NewConv2d(vb.Push("skip"), cin, cout, 1, nn.Conv2dConfig{})
	}
	return r
}

func (r *resBlock) forward(x, emb *autograd.Var) *autograd.Var {
	h := r.conv1.Forward(r.gn1.ForwardSiLU(x)) // GroupNorm and SiLU as one fused op
	t := r.temb.Forward(emb)                   // (B,cout)
	h = autograd.Add(h, autograd.Reshape(t, t.Size(0), t.Size(1), 1, 1))
	h = r.conv2.Forward(r.gn2.ForwardSiLU(h))
	if r.skip != nil {
		x = r.skip.Forward(x)
	}
	return autograd.Add(x, h)
}

type benchUNet struct {
	t1, t2                *nn.Linear
	in, down1, down2, out *nn.Conv2d
	r1, r2, r3, r4, r5    *resBlock
	up1, up2              *nn.ConvTranspose2d
	gnOut                 *nn.GroupNorm
}

func newBenchUNet(vb *nn.VarBuilder) *benchUNet {
	c := func(name string, cin, cout, k, s int) *nn.Conv2d {
		return nn.NewConv2d(vb.Push(name), cin, cout, k, nn.Conv2dConfig{Stride: s, Padding: k / 2})
	}
	up := func(name string, cin, cout int) *nn.ConvTranspose2d {
		return nn.NewConvTranspose2d(vb.Push(name), cin, cout, 4, nn.Conv2dConfig{Stride: 2, Padding: 1})
	}
	return &benchUNet{
		t1: nn.NewLinear(vb.Push("t1"), 32, 128, nn.LinearConfig{}), t2: nn.NewLinear(vb.Push("t2"), 128, 128, nn.LinearConfig{}),
		in: c("in", 1, 32, 3, 1), r1: newResBlock(vb.Push("r1"), 32, 32),
		down1: c("down1", 32, 32, 3, 2), r2: newResBlock(vb.Push("r2"), 32, 64),
		down2: c("down2", 64, 64, 3, 2), r3: newResBlock(vb.Push("r3"), 64, 64),
		up1: up("up1", 64, 64), r4: newResBlock(vb.Push("r4"), 128, 64),
		up2: up("up2", 64, 32), r5: newResBlock(vb.Push("r5"), 64, 32),
		gnOut: nn.NewGroupNorm(vb.Push("norm_out"), 8, 32, 0), out: c("out", 32, 1, 3, 1),
	}
}

// forward predicts the noise in x (B,1,28,28) at timesteps t (B).
func (u *benchUNet) forward(x *autograd.Var, t *tensor.Tensor) *autograd.Var {
	emb := autograd.Const(nn.TimestepEmbedding(t, 32, 0))
	emb = u.t2.Forward(autograd.SiLU(u.t1.Forward(emb)))            // (B,128)
	h1 := u.r1.forward(u.in.Forward(x), emb)                        // (B,32,28,28)
	h2 := u.r2.forward(u.down1.Forward(h1), emb)                    // (B,64,14,14)
	h := u.r3.forward(u.down2.Forward(h2), emb)                     // (B,64,7,7)
	h = u.r4.forward(autograd.Concat(1, u.up1.Forward(h), h2), emb) // (B,128,14,14) -> (B,64,14,14)
	h = u.r5.forward(autograd.Concat(1, u.up2.Forward(h), h1), emb) // (B,32+32,28,28) -> (B,32,28,28)
	return u.out.Forward(u.gnOut.ForwardSiLU(h))                    // (B,1,28,28)
}

func buildUNet(rng *rand.Rand) func() {
	vs := nn.NewVarStore(rng)
	net := newBenchUNet(vs.Root())
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 2e-4})
	// Linear schedule of 1000 steps, 1e-4 to 0.02.
	abar := make([]float32, 1000)
	prod := 1.0
	for i := range abar {
		beta := 1e-4 + (0.02-1e-4)*float64(i)/999
		prod *= 1 - beta
		abar[i] = float32(prod)
	}
	x0 := tensor.Rand(rng, -1, 1, 32, 1, 28, 28)
	return func() {
		opt.ZeroGrad()
		t := tensor.New(32)
		a := tensor.New(32, 1, 1, 1)
		s := tensor.New(32, 1, 1, 1)
		for i := range t.Data() {
			k := rng.IntN(1000)
			t.Data()[i] = float32(k)
			a.Data()[i] = sqrt32(abar[k])
			s.Data()[i] = sqrt32(1 - abar[k])
		}
		noise := tensor.Randn(rng, 32, 1, 28, 28)
		xt := tensor.Add(tensor.Mul(x0, a), tensor.Mul(noise, s))
		loss := nn.MSELoss(net.forward(autograd.Const(xt), t), autograd.Const(noise), nn.Mean)
		loss.Backward()
		opt.Step()
		loss.ReleaseGraph() // the next step reuses the memory
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
