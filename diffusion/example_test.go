package diffusion_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

func ExampleSchedule() {
	s := diffusion.NewSchedule(diffusion.LinearBetas(1000, 0, 0))
	fmt.Printf("ᾱ_0 = %.4f, ᾱ_499 = %.4f, ᾱ_999 = %.6f\n", s.AlphaBars[0], s.AlphaBars[499], s.AlphaBars[999])
	x0 := tensor.Full(1, 1, 1, 1, 1)
	fmt.Printf("x_999 without noise: %.4f\n", s.QSample(x0, tensor.New(1, 1, 1, 1), []int{999}).Item())
	// Output:
	// ᾱ_0 = 0.9999, ᾱ_499 = 0.0786, ᾱ_999 = 0.000040
	// x_999 without noise: 0.0064
}

// zeroNet predicts zero noise everywhere: the exact predictor when the data is always 0.
type zeroNet struct{}

func (zeroNet) Forward(x *autograd.Var, _, _ *tensor.Tensor) *autograd.Var {
	return autograd.NoGrad(tensor.New(x.Shape()...))
}

func ExampleDPMSolver() {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &diffusion.Model{Net: zeroNet{}, Sched: diffusion.NewSchedule(diffusion.CosineBetas(1000, 0)), Pred: diffusion.PredictX0}
	x, err := diffusion.DPMSolver{Steps: 10}.Sample(context.Background(), m, tensor.Randn(rng, 2, 1, 2, 2), rng, diffusion.SampleConfig{})
	fmt.Println(x.Data(), err)
	// Output:
	// [0 0 0 0 0 0 0 0] <nil>
}

func ExampleUNet() {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	u := diffusion.NewUNet(vs.Root(), diffusion.UNetConfig{NumClasses: 10})
	m := &diffusion.Model{Net: u, Sched: diffusion.NewSchedule(diffusion.LinearBetas(1000, 0, 0)), NullClass: 10}
	loss := m.Loss(rand.New(rand.NewPCG(3, 4)), tensor.New(2, 1, 28, 28), tensor.FromSlice([]float32{3, 7}, 2), nil,
		diffusion.LossConfig{LabelDropout: 0.1})
	fmt.Printf("%d parameters, loss shape %v\n", vs.NumParams(), loss.Shape())
	// Output:
	// 1114209 parameters, loss shape []
}
