package vae

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// TestGoldenLoss checks the loss terms, the gradient of the total with respect to every
// parameter and the IWAE bound against the PyTorch twins in testdata/gen_vae.py, with
// the same weights and the same reparameterisation noise.
func TestGoldenLoss(t *testing.T) {
	f := golden.Load(t, "testdata/vae.json")
	build := map[string]func(vb *nn.VarBuilder, c *golden.Case) *Model{
		"mlp_bernoulli": func(vb *nn.VarBuilder, c *golden.Case) *Model {
			return NewMLP(vb, MLPConfig{Input: c.Int(t, "input"), Hidden: []int{c.Int(t, "hidden")}, Latent: c.Int(t, "latent")})
		},
		"mlp_cond_gaussian": func(vb *nn.VarBuilder, c *golden.Case) *Model {
			return NewMLP(vb, MLPConfig{Input: c.Int(t, "input"), Hidden: []int{c.Int(t, "hidden")}, Latent: c.Int(t, "latent"),
				Classes: c.Int(t, "classes"), Likelihood: NewLearnedGaussian(vb.Push("likelihood"), c.Int(t, "input"))})
		},
		"conv_bernoulli": func(vb *nn.VarBuilder, c *golden.Case) *Model {
			return NewConv(vb, ConvConfig{Size: c.Int(t, "size"), Filters: c.Ints(t, "filters"), Hidden: c.Int(t, "hidden"), Latent: c.Int(t, "latent")})
		},
		"conv_cond": func(vb *nn.VarBuilder, c *golden.Case) *Model {
			return NewConv(vb, ConvConfig{Size: c.Int(t, "size"), Filters: c.Ints(t, "filters"), Hidden: c.Int(t, "hidden"), Latent: c.Int(t, "latent"),
				Classes: c.Int(t, "classes")})
		},
	}
	for name, mk := range build {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 1)))
			m := mk(vs.Root(), c)
			require.NoError(t, vs.Load(filepath.Join("testdata", "vae_"+name+".safetensors")))
			var labels *tensor.Tensor
			if c.Has("y") {
				labels = c.T(t, "y")
			}
			x := autograd.Const(c.T(t, "x"))
			cfg := LossConfig{Beta: c.Float(t, "beta"), FreeBits: c.Float(t, "free_bits")}
			l := m.loss(x, labels, m.Encode(x, labels), c.T(t, "eps"), cfg)
			golden.Close(t, "recon", l.Recon.Value(), c.T(t, "recon"), 1e-4, 1e-5)
			golden.Close(t, "kl", l.KL.Value(), c.T(t, "kl"), 1e-5, 1e-5)
			golden.Close(t, "kl_dim", l.KLPerDim, c.T(t, "kl_dim"), 1e-5, 1e-5)
			golden.Close(t, "total", l.Total.Value(), c.T(t, "total"), 1e-4, 1e-5)
			require.InDelta(t, float64(c.T(t, "recon").Item()+c.T(t, "kl").Item()), l.NegELBO, 1e-4)

			l.Total.Backward()
			for _, nv := range vs.NamedParams() {
				require.NotNil(t, nv.Var.Grad(), nv.Name)
				golden.Close(t, "grad."+nv.Name, nv.Var.Grad(), c.T(t, "grad."+nv.Name), 1e-5, 1e-4)
			}

			xi := autograd.NoGrad(c.T(t, "x"))
			iw := m.iwae(xi, labels, m.Encode(xi, labels), c.T(t, "eps_iwae"))
			golden.Close(t, "iwae", iw.Value(), c.T(t, "iwae"), 1e-4, 1e-5)
		})
	}
}
