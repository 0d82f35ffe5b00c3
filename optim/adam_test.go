package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// adamLoop is Adam.Step's scalar loop for one parameter before it moved to
// tensor.AdamUpdate (AMSGrad still runs it): the results must not change by a bit.
func adamLoop(p, grad, m, s []float32, t int, lr, b1f, b2f, epsf, weightDecay float64, decoupled bool) {
	b1, omb1 := float32(b1f), float32(1-b1f)
	b2, omb2 := float32(b2f), float32(1-b2f)
	eps := float32(epsf)
	bc1 := 1 - math.Pow(b1f, float64(t))
	bc2 := 1 - math.Pow(b2f, float64(t))
	nstep := float32(-(lr / bc1))
	bc2sqrt := float32(math.Sqrt(bc2))
	var wd, decay float32
	if decoupled {
		decay = float32(1 - lr*weightDecay)
	} else {
		wd = float32(weightDecay)
	}
	doDecay := decoupled && weightDecay != 0
	for i, x := range grad {
		if doDecay {
			p[i] *= decay
		} else if wd != 0 {
			x += wd * p[i]
		}
		m[i] = m[i]*b1 + omb1*x
		s[i] = s[i]*b2 + (omb2*x)*x
		d := float32(math.Sqrt(float64(s[i])))/bc2sqrt + eps
		p[i] += (nstep * m[i]) / d
	}
}

func TestAdamStepMatchesScalarLoop(t *testing.T) {
	cases := []struct {
		name      string
		cfg       AdamConfig
		wd        float64
		decoupled bool
	}{
		{"adam", AdamConfig{LR: 1e-2}, 0, false},
		{"adam-l2", AdamConfig{LR: 1e-2, WeightDecay: 0.1}, 0.1, false},
		{"adamw", AdamConfig{LR: 1e-2, Beta1: Zero, Eps: 1e-6}, 0.01, true},
		{"adamw-nodecay", AdamConfig{LR: 1e-2, WeightDecay: Zero}, 0, true},
	}
	for _, c := range cases {
		for _, n := range []int{1, 13, 1000, 70001} {
			t.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 5))
				pv := autograd.Param(tensor.New(n))
				for i := range pv.Value().Data() {
					pv.Value().Data()[i] = float32(rng.NormFloat64())
				}
				p := append([]float32(nil), pv.Value().Data()...)
				m, s := make([]float32, n), make([]float32, n)
				var opt *Adam
				if c.decoupled {
					opt = NewAdamW([]*autograd.Var{pv}, c.cfg)
				} else {
					opt = NewAdam([]*autograd.Var{pv}, c.cfg)
				}
				b1 := opt.beta1
				for step := 1; step <= 4; step++ {
					g := tensor.New(n)
					for i := range g.Data() {
						g.Data()[i] = float32(rng.NormFloat64() * 0.1)
					}
					pv.SetGrad(g)
					opt.Step()
					adamLoop(p, g.Data(), m, s, step, 1e-2, b1, 0.999, opt.eps, c.wd, c.decoupled)
				}
				got := pv.Value().Data()
				for i := range p {
					require.Equal(t, math.Float32bits(p[i]), math.Float32bits(got[i]), "p[%d] = %v, want %v", i, got[i], p[i])
				}
			})
		}
	}
}
