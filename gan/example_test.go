package gan_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

func ExampleDiscriminatorLoss() {
	real := autograd.Const(tensor.FromSlice([]float32{2, 1}, 2, 1))
	fake := autograd.Const(tensor.FromSlice([]float32{-1, 0.5}, 2, 1))
	for _, l := range []gan.Loss{gan.NonSaturating, gan.LeastSquares, gan.Hinge, gan.Wasserstein} {
		d := gan.DiscriminatorLoss(l, real, fake, 0)
		g := gan.GeneratorLoss(l, fake)
		fmt.Printf("%-6s D %.4f G %.4f\n", l, d.Item(), g.Item())
	}
	// Output:
	// ns     D 0.8638 G 0.8937
	// lsgan  D 0.5625 G 1.0625
	// hinge  D 0.7500 G 0.2500
	// wgan   D -1.7500 G 0.2500
}

func ExampleTrainer() {
	rng := rand.New(rand.NewPCG(1, 2))
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	g := nn.NewMLP(gs.Root(), []int{4, 16, 2}, nn.MLPConfig{})
	d := nn.NewMLP(ds.Root(), []int{2, 16, 1}, nn.MLPConfig{})
	tr := gan.NewTrainer(g, gs, d, ds, gan.TrainerConfig{Loss: gan.Hinge, ZDim: 4, EMADecay: 0.99}, rng)
	next := func() gan.Batch { return gan.Batch{X: tensor.Randn(rng, 32, 2).AddScalar(3)} }
	for range 5 {
		if _, err := tr.Step(next); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(tr.StepCount(), tr.Generate(tensor.Randn(rng, 3, 4), nil).Shape())
	// Output:
	// 5 [3 2]
}

func ExampleBicubic() {
	x := tensor.FromSlice([]float32{0, 1, 1, 0}, 1, 1, 2, 2)
	fmt.Println(gan.Bicubic(x, 4, 4))
	// Output:
	// tensor([[[[-0.2332,  0.1689,  0.8311,  1.2332],
	//           [ 0.1689,  0.3505,  0.6495,  0.8311],
	//           [ 0.8311,  0.6495,  0.3505,  0.1689],
	//           [ 1.2332,  0.8311,  0.1689, -0.2332]]]], shape=(1,1,4,4))
}
