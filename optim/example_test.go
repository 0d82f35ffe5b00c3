package optim_test

import (
	"fmt"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// Fit y = 2x + 1 with AdamW, a warmup-cosine schedule, gradient clipping and an EMA of
// the weights.
func Example() {
	x := tensor.FromSlice([]float32{-1, 0, 1, 2}, 4, 1)
	y := tensor.FromSlice([]float32{-1, 1, 3, 5}, 4, 1)
	w := autograd.Param(tensor.New(1, 1))
	w.SetName("weight")
	b := autograd.Param(tensor.New(1))
	b.SetName("bias")
	params := []*autograd.Var{w, b}

	groups := optim.DecayGroups(params, 0.1, 1e-4) // decay w, not b
	opt := optim.NewScheduler(optim.NewAdamWGroups(groups, optim.AdamConfig{}),
		optim.WarmupCosine{Base: 0.1, Min: 0.001, Warmup: 20, Total: 400})
	ema := optim.NewEMA(params, 0.9)
	for step := range 400 {
		pred := autograd.Add(autograd.MatMul(autograd.Const(x), w), b) // (4,1)@(1,1)+(1) -> (4,1)
		loss := autograd.Mean(autograd.Square(autograd.Sub(pred, autograd.Const(y))), false)
		loss.Backward()
		optim.ClipGradNorm(params, 1)
		opt.Step()
		opt.ZeroGrad()
		ema.Update()
		if step%100 == 0 {
			fmt.Printf("step %3d  loss %.4f  lr %.4f\n", step, loss.Item(), opt.LR())
		}
	}
	ema.Apply()
	fmt.Printf("ema: w %.2f  b %.2f\n", w.Value().Item(), b.Value().Item())
	ema.Restore()
	fmt.Println(len(opt.StateDict()), "state tensors")
	// Output:
	// step   0  loss 9.0000  lr 0.0100
	// step 100  loss 0.0001  lr 0.0893
	// step 200  loss 0.0000  lr 0.0542
	// step 300  loss 0.0000  lr 0.0167
	// ema: w 2.00  b 1.00
	// 7 state tensors
}
