package gan

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Loss selects the adversarial objective. Every loss takes the discriminator's raw
// outputs (logits, or critic scores for Hinge and Wasserstein) of any shape and
// averages over their elements.
type Loss int

// The adversarial losses. For real scores r and fake scores f (logits), with
// softplus(x) = log(1+eˣ) and real target t (1, or 1-s with label smoothing s):
//
//	Minimax        D: softplus(-r)·t + softplus(r)·(1-t) + softplus(f)   G: -softplus(f)
//	NonSaturating  D: as Minimax                                           G: softplus(-f)
//	LeastSquares   D: ½(r-t)² + ½f²                                       G: ½(f-1)²
//	Hinge          D: relu(1-r) + relu(1+f)                                G: -f
//	Wasserstein    D: f - r                                                G: -f
//
// Minimax is Goodfellow et al.'s original log(1-D(G(z))) generator objective (it
// saturates early in training); NonSaturating is their -log D(G(z)) fix (the DCGAN
// default); LeastSquares is LSGAN (Mao et al. 2017, https://arxiv.org/abs/1611.04076);
// Hinge is the SN-GAN/BigGAN loss (Lim & Ye 2017, https://arxiv.org/abs/1705.02894);
// Wasserstein is WGAN's critic loss (Arjovsky et al. 2017), which needs a Lipschitz
// constraint: GradientPenalty gives WGAN-GP (Gulrajani et al. 2017,
// https://arxiv.org/abs/1704.00028). Label smoothing applies to the BCE and
// least-squares losses only.
const (
	NonSaturating Loss = iota
	Minimax
	LeastSquares
	Hinge
	Wasserstein
)

var lossNames = []string{"ns", "minimax", "lsgan", "hinge", "wgan"}

// String returns the loss's short name, as ParseLoss reads it.
func (l Loss) String() string {
	if l < 0 || int(l) >= len(lossNames) {
		return fmt.Sprintf("Loss(%d)", int(l))
	}
	return lossNames[l]
}

// ParseLoss reads a loss name: ns, minimax, lsgan, hinge, wgan or wgan-gp (both
// Wasserstein; the trainer adds the gradient penalty to Wasserstein by default).
func ParseLoss(s string) (Loss, error) {
	s = strings.ToLower(s)
	if s == "wgan-gp" || s == "wgangp" {
		return Wasserstein, nil
	}
	for i, n := range lossNames {
		if n == s {
			return Loss(i), nil
		}
	}
	return 0, fmt.Errorf("gan: unknown loss %q (want ns, minimax, lsgan, hinge or wgan-gp)", s)
}

func (l Loss) check(op string) {
	if l < 0 || int(l) >= len(lossNames) {
		tensor.Panicf(op, "unknown loss %d", int(l))
	}
}

// softplus(x) = log(1+eˣ), written stably as relu(x) + log(1+e^-|x|).
func softplus(x *autograd.Var) *autograd.Var {
	sp := autograd.Log(autograd.AddScalar(autograd.Exp(autograd.Neg(autograd.Abs(x))), 1))
	return autograd.Add(autograd.ReLU(x), sp)
}

// DiscriminatorLoss is the discriminator's (critic's) loss for real and fake scores,
// each averaged over its elements, with one-sided label smoothing: the real target is
// 1-smoothing (Salimans et al. 2016) for the BCE and least-squares losses; smoothing
// is ignored by Hinge and Wasserstein. It panics on an unknown loss.
func DiscriminatorLoss(l Loss, real, fake *autograd.Var, smoothing float32) *autograd.Var {
	l.check("gan.DiscriminatorLoss")
	t := 1 - smoothing
	var lr, lf *autograd.Var
	switch l {
	case NonSaturating, Minimax:
		// BCE(r, t) = softplus(r) - t·r, BCE(f, 0) = softplus(f).
		lr = autograd.Sub(softplus(real), autograd.MulScalar(real, t))
		lf = softplus(fake)
	case LeastSquares:
		lr = autograd.MulScalar(autograd.Square(autograd.AddScalar(real, -t)), 0.5)
		lf = autograd.MulScalar(autograd.Square(fake), 0.5)
	case Hinge:
		lr = autograd.ReLU(autograd.AddScalar(autograd.Neg(real), 1))
		lf = autograd.ReLU(autograd.AddScalar(fake, 1))
	case Wasserstein:
		lr = autograd.Neg(real)
		lf = fake
	}
	return autograd.Add(autograd.Mean(lr, false), autograd.Mean(lf, false))
}

// GeneratorLoss is the generator's loss for the discriminator's scores of fakes,
// averaged over their elements. It panics on an unknown loss.
func GeneratorLoss(l Loss, fake *autograd.Var) *autograd.Var {
	l.check("gan.GeneratorLoss")
	var g *autograd.Var
	switch l {
	case NonSaturating:
		g = softplus(autograd.Neg(fake))
	case Minimax:
		g = autograd.Neg(softplus(fake))
	case LeastSquares:
		g = autograd.MulScalar(autograd.Square(autograd.AddScalar(fake, -1)), 0.5)
	case Hinge, Wasserstein:
		g = autograd.Neg(fake)
	}
	return autograd.Mean(g, false)
}

// inputGradSquares returns ‖∂ΣD(x)/∂x‖₂² per sample (N) for x (N,…), on the graph so
// that a penalty on it can be differentiated with respect to D's parameters.
func inputGradSquares(d nn.Module, x *autograd.Var) *autograd.Var {
	out := d.Forward(x)
	g := autograd.Grad([]*autograd.Var{out}, []*autograd.Var{x},
		[]*tensor.Tensor{tensor.Ones(out.Shape()...)}, true)[0]
	n := x.Size(0)
	return autograd.Sum(autograd.Square(autograd.Reshape(g, n, -1)), false, 1) // (N,…) -> (N)
}

// GradientPenalty is WGAN-GP's penalty E[(‖∇D(x̂)‖₂ - 1)²] at x̂ = α·real + (1-α)·fake,
// with one α per sample: alpha (N) in [0,1], for example from RandomAlpha. The input
// gradient is computed with createGraph, so the penalty's gradient with respect to D's
// parameters (a gradient of a gradient) flows through Backward. Multiply it by λ (10 in
// the paper) and add it to the critic loss. It panics if real and fake differ in shape
// or alpha is not (N).
func GradientPenalty(d nn.Module, real, fake *tensor.Tensor, alpha *tensor.Tensor) *autograd.Var {
	if !tensor.SameShape(real, fake) {
		tensor.Panicf("gan.GradientPenalty", "real %s and fake %s differ", tensor.ShapeString(real.Shape()), tensor.ShapeString(fake.Shape()))
	}
	n := real.Size(0)
	if alpha.Numel() != n {
		tensor.Panicf("gan.GradientPenalty", "alpha %s for a batch of %d", tensor.ShapeString(alpha.Shape()), n)
	}
	bshape := make([]int, real.Dim()) // (N,1,1,…)
	for i := range bshape {
		bshape[i] = 1
	}
	bshape[0] = n
	a := alpha.Reshape(bshape...)
	mix := tensor.Add(tensor.Mul(a, real), tensor.Mul(a.MulScalar(-1).AddScalar(1), fake))
	x := autograd.Param(mix) // a leaf the input gradient is taken at
	sq := inputGradSquares(d, x)
	norm := autograd.Sqrt(autograd.AddScalar(sq, 1e-12))
	return autograd.Mean(autograd.Square(autograd.AddScalar(norm, -1)), false)
}

// RandomAlpha draws n interpolation weights uniformly from [0,1) for GradientPenalty.
func RandomAlpha(rng *rand.Rand, n int) *tensor.Tensor { return tensor.Rand(rng, 0, 1, n) }

// R1Penalty is the R1 regulariser ½·E[‖∇D(x)‖₂²] on real data (Mescheder et al. 2018,
// https://arxiv.org/abs/1801.04406), on the graph like GradientPenalty. Multiply it by
// γ and add it to the discriminator loss.
func R1Penalty(d nn.Module, real *tensor.Tensor) *autograd.Var {
	x := autograd.Param(real.Clone())
	return autograd.MulScalar(autograd.Mean(inputGradSquares(d, x), false), 0.5)
}
