package diffusion_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// Train a tiny x₀-predicting U-Net on images that are all 0.5, then draw samples from pure noise
// with 10 DDIM steps, clamping each estimate of x₀ to [-1,1]: the samples come back
// near 0.5.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	net := diffusion.NewUNet(vs.Root(), diffusion.UNetConfig{
		Base: 8, Mults: []int{1}, AttnRes: []int{0}, ImageSize: 4, Groups: 4, NoMid: true,
	})
	m := &diffusion.Model{Net: net, Sched: diffusion.NewSchedule(diffusion.CosineBetas(100, 0)),
		Pred: diffusion.PredictX0}
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 3e-3})
	x0 := tensor.Full(0.5, 8, 1, 4, 4) // (B,C,H,W) clean data
	var first, last float32
	for step := range 100 {
		loss := m.Loss(rng, x0, nil, nil, diffusion.LossConfig{}) // noise x0 at random t, predict x0
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		if step < 10 {
			first += loss.Item() / 10
		} else if step >= 90 {
			last += loss.Item() / 10
		}
	}
	fmt.Printf("loss fell by more than half: %v\n", last < first/2)

	vs.SetTraining(false)
	noise := tensor.Randn(rng, 4, 1, 4, 4) // x_T
	x, err := diffusion.DDIM{Steps: 10}.Sample(context.Background(), m, noise, rng, diffusion.SampleConfig{Clip: true})
	if err != nil {
		panic(err)
	}
	fmt.Printf("sample mean %.1f\n", tensor.Mean(x, false).Item())
	// Output:
	// loss fell by more than half: true
	// sample mean 0.5
}
