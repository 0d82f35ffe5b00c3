// Command quickstart is the README's code sample: a two-layer network learns XOR.
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

func main() {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng) // owns the parameters
	mlp := nn.NewMLP(vs.Root(), []int{2, 16, 1}, nn.MLPConfig{Activation: nn.Tanh{}})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 0.05})

	x := tensor.FromSlice([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2) // XOR inputs
	y := tensor.FromSlice([]float32{0, 1, 1, 0}, 4, 1)
	for step := 0; step < 300; step++ {
		opt.ZeroGrad()
		loss := nn.BCEWithLogitsLoss(mlp.Forward(autograd.Const(x)), autograd.Const(y), nn.Mean)
		loss.Backward()
		opt.Step()
		if step%100 == 0 {
			fmt.Printf("step %d loss %.4f\n", step, loss.Item())
		}
	}
	pred := autograd.Sigmoid(mlp.Forward(autograd.NoGrad(x))) // inference: no graph recorded
	fmt.Printf("predictions %.3f\n", pred.Value().Data())
}
