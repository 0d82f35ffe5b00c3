package gan

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

const goldenPath = "testdata/losses.json"

func TestLossesMatchPyTorch(t *testing.T) {
	f := golden.Load(t, goldenPath)
	for _, kind := range []Loss{NonSaturating, Minimax, LeastSquares, Hinge, Wasserstein} {
		smooth := []float32{0}
		if kind == NonSaturating || kind == Minimax || kind == LeastSquares {
			smooth = append(smooth, 0.1)
		}
		for _, s := range smooth {
			name := fmt.Sprintf("loss_%s_s%g", kind, s)
			if s == 0 {
				name = fmt.Sprintf("loss_%s_s0.0", kind)
			}
			t.Run(name, func(t *testing.T) {
				c := f.Case(t, name)
				r, fk := autograd.Param(c.T(t, "real")), autograd.Param(c.T(t, "fake"))
				dl := DiscriminatorLoss(kind, r, fk, s)
				golden.Close(t, "D loss", dl.Value(), c.T(t, "d"), 1e-5, 1e-5)
				g := autograd.Grad([]*autograd.Var{dl}, []*autograd.Var{r, fk}, nil, false)
				golden.Close(t, "dD/dreal", g[0].Value(), c.T(t, "d_greal"), 1e-6, 1e-5)
				golden.Close(t, "dD/dfake", g[1].Value(), c.T(t, "d_gfake"), 1e-6, 1e-5)
				gl := GeneratorLoss(kind, fk)
				golden.Close(t, "G loss", gl.Value(), c.T(t, "g"), 1e-5, 1e-5)
				gg := autograd.Grad([]*autograd.Var{gl}, []*autograd.Var{fk}, nil, false)
				golden.Close(t, "dG/dfake", gg[0].Value(), c.T(t, "g_gfake"), 1e-6, 1e-5)
			})
		}
	}
}

// tinyD is the discriminator of gen_losses.py: conv 1→2 (3×3, pad 1), LeakyReLU(0.2),
// flatten, linear 32→3, tanh, linear 3→1, with the weights PyTorch saved.
func tinyD(t *testing.T) (nn.Module, *nn.VarStore) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 1)))
	vb := vs.Root()
	conv := nn.NewConv2d(vb.Push("conv"), 1, 2, 3, nn.Conv2dConfig{Padding: 1})
	fc1 := nn.NewLinear(vb.Push("fc1"), 32, 3, nn.LinearConfig{})
	fc2 := nn.NewLinear(vb.Push("fc2"), 3, 1, nn.LinearConfig{})
	require.NoError(t, vs.Load("testdata/tiny_d.safetensors"))
	return nn.Func(func(x *autograd.Var) *autograd.Var {
		h := autograd.Flatten(autograd.LeakyReLU(conv.Forward(x), 0.2), 1, -1)
		return fc2.Forward(autograd.Tanh(fc1.Forward(h)))
	}), vs
}

func checkParamGrads(t *testing.T, c *golden.Case, vs *nn.VarStore) {
	for _, nv := range vs.NamedParams() {
		want := c.T(t, "grad_"+replaceDots(nv.Name))
		got := nv.Var.Grad()
		if got == nil {
			got = tensor.New(nv.Var.Shape()...)
		}
		golden.Close(t, "grad "+nv.Name, got, want, 1e-5, 1e-4)
	}
}

func replaceDots(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}

func TestGradientPenaltyMatchesPyTorch(t *testing.T) {
	c := golden.Load(t, goldenPath).Case(t, "gp")
	d, vs := tinyD(t)
	gp := GradientPenalty(d, c.T(t, "real"), c.T(t, "fake"), c.T(t, "alpha"))
	golden.Close(t, "penalty", gp.Value(), c.T(t, "penalty"), 1e-5, 1e-5)
	gp.Backward()
	checkParamGrads(t, c, vs)
}

func TestR1PenaltyMatchesPyTorch(t *testing.T) {
	c := golden.Load(t, goldenPath).Case(t, "r1")
	d, vs := tinyD(t)
	r1 := R1Penalty(d, c.T(t, "real"))
	golden.Close(t, "penalty", r1.Value(), c.T(t, "penalty"), 1e-5, 1e-5)
	r1.Backward()
	checkParamGrads(t, c, vs)
}

func TestBicubicMatchesPyTorch(t *testing.T) {
	f := golden.Load(t, goldenPath)
	for _, name := range []string{"bicubic_up2", "bicubic_odd", "bicubic_down"} {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			y := Bicubic(c.T(t, "x"), c.Int(t, "h"), c.Int(t, "w"))
			golden.Close(t, "bicubic", y, c.T(t, "y"), 1e-5, 1e-5)
		})
	}
}

func TestParseLoss(t *testing.T) {
	for in, want := range map[string]Loss{"ns": NonSaturating, "minimax": Minimax, "LSGAN": LeastSquares,
		"hinge": Hinge, "wgan": Wasserstein, "wgan-gp": Wasserstein} {
		got, err := ParseLoss(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseLoss("bogus")
	require.ErrorContains(t, err, "bogus")
	require.Panics(t, func() { GeneratorLoss(Loss(42), autograd.Const(tensor.New(2))) })
}
