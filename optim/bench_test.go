package optim

import (
	"fmt"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// BenchmarkStep measures one optimizer step over n parameters in a (n/1024,1024)
// matrix; the reported rate is parameters updated per second.
func BenchmarkStep(b *testing.B) {
	opts := []struct {
		name string
		make func(ps []*autograd.Var) Optimizer
	}{
		{"SGD-momentum", func(ps []*autograd.Var) Optimizer { return NewSGD(ps, SGDConfig{Momentum: 0.9}) }},
		{"AdamW", func(ps []*autograd.Var) Optimizer { return NewAdamW(ps, AdamConfig{}) }},
		{"RMSprop", func(ps []*autograd.Var) Optimizer { return NewRMSprop(ps, RMSpropConfig{}) }},
		{"Adagrad", func(ps []*autograd.Var) Optimizer { return NewAdagrad(ps, AdagradConfig{}) }},
	}
	for _, n := range []int{1 << 14, 1 << 20} {
		for _, o := range opts {
			b.Run(fmt.Sprintf("%s/n=%d", o.name, n), func(b *testing.B) {
				p := autograd.Param(tensor.Ones(n/1024, 1024))
				p.SetGrad(tensor.Full(0.01, n/1024, 1024))
				opt := o.make([]*autograd.Var{p})
				opt.Step()
				b.ReportAllocs()
				for b.Loop() {
					opt.Step()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
			})
		}
	}
}
