package nn

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Reduction says how a loss combines its per-element values. The zero value is Mean,
// PyTorch's default.
type Reduction int

// The reductions.
const (
	Mean Reduction = iota // average over elements
	Sum                   // sum over elements
	None                  // keep the per-element losses
)

func reduce(l *autograd.Var, r Reduction) *autograd.Var {
	switch r {
	case Sum:
		return autograd.Sum(l, false)
	case None:
		return l
	}
	return autograd.Mean(l, false)
}

func sameShape(op string, a, b *autograd.Var) {
	if !tensor.SameShape(a.Value(), b.Value()) {
		tensor.Panicf(op, "shapes %s and %s do not match", tensor.ShapeString(a.Shape()), tensor.ShapeString(b.Shape()))
	}
}

// MSELoss is the squared error (pred-target)². It panics if the shapes differ.
func MSELoss(pred, target *autograd.Var, r Reduction) *autograd.Var {
	sameShape("MSELoss", pred, target)
	return reduce(autograd.Square(autograd.Sub(pred, target)), r)
}

// L1Loss is the absolute error |pred-target|.
func L1Loss(pred, target *autograd.Var, r Reduction) *autograd.Var {
	sameShape("L1Loss", pred, target)
	return reduce(autograd.Abs(autograd.Sub(pred, target)), r)
}

// SmoothL1Loss is 0.5·d²/beta where |d| < beta and |d|-0.5·beta elsewhere, d =
// pred-target (PyTorch's smooth_l1_loss; beta 0 means 1).
func SmoothL1Loss(pred, target *autograd.Var, beta float32, r Reduction) *autograd.Var {
	sameShape("SmoothL1Loss", pred, target)
	if beta == 0 {
		beta = 1
	}
	d := autograd.Sub(pred, target)
	ad := autograd.Abs(d)
	small := tensor.Lt(ad.Value(), tensor.Scalar(beta))
	quad := autograd.MulScalar(autograd.Square(d), 0.5/beta)
	lin := autograd.AddScalar(ad, -0.5*beta)
	return reduce(autograd.Where(small, quad, lin), r)
}

// BCELoss is the binary cross-entropy of probabilities p against targets t:
// -(t·log p + (1-t)·log(1-p)), with each log clamped at -100 as PyTorch does. Prefer
// BCEWithLogitsLoss, which is stable.
func BCELoss(p, t *autograd.Var, r Reduction) *autograd.Var {
	sameShape("BCELoss", p, t)
	lp := clampLog(p)
	l1p := clampLog(autograd.AddScalar(autograd.Neg(p), 1))
	l := autograd.Neg(autograd.Add(autograd.Mul(t, lp), autograd.Mul(autograd.AddScalar(autograd.Neg(t), 1), l1p)))
	return reduce(l, r)
}

func clampLog(p *autograd.Var) *autograd.Var {
	return autograd.Maximum(autograd.Log(p), autograd.Const(tensor.Scalar(-100)))
}

// BCEWithLogitsLoss is the binary cross-entropy of sigmoid(x) against t computed
// stably from logits: max(x,0) - x·t + log(1+exp(-|x|)).
func BCEWithLogitsLoss(x, t *autograd.Var, r Reduction) *autograd.Var {
	sameShape("BCEWithLogitsLoss", x, t)
	return reduce(bceWithLogits(x, t), r)
}

func bceWithLogits(x, t *autograd.Var) *autograd.Var {
	return autograd.BCEWithLogits(x, t)
}

// CrossEntropyConfig configures CrossEntropyLoss and NLLLoss. The zero value is
// PyTorch's default: mean over targets, no label smoothing; negative targets (PyTorch's
// default ignore_index is -100) are skipped.
type CrossEntropyConfig struct {
	Reduction Reduction // how per-target losses are combined; the zero value is Mean
	// Ignore turns on IgnoreIndex: targets equal to it are skipped too (a padding token).
	Ignore      bool
	IgnoreIndex int // the target value skipped when Ignore is set
	// LabelSmoothing mixes the one-hot target with the uniform distribution:
	// (1-ε)·onehot + ε/C.
	LabelSmoothing float32
}

// targetWeights returns the (N,C) target distribution (zero rows for skipped targets)
// and the number of counted rows.
func targetWeights(op string, targets *tensor.Tensor, n, c int, cfg CrossEntropyConfig) (dist *tensor.Tensor, count int) {
	if targets.Numel() != n {
		tensor.Panicf(op, "%d targets for %d rows of logits", targets.Numel(), n)
	}
	dist = tensor.New(n, c)
	d := dist.Data()
	eps := cfg.LabelSmoothing
	for i, tv := range targets.Data() {
		k := int(tv)
		if k < 0 || (cfg.Ignore && k == cfg.IgnoreIndex) {
			continue
		}
		if k >= c || float32(k) != tv {
			tensor.Panicf(op, "target %g out of range for %d classes", tv, c)
		}
		count++
		row := d[i*c : (i+1)*c]
		if eps != 0 {
			for j := range row {
				row[j] = eps / float32(c)
			}
		}
		row[k] += 1 - eps
	}
	return dist, count
}

// CrossEntropyLoss is the cross-entropy of logits (N,C) — or (…,C), flattened — against
// class indices targets (N) stored as float32 integers. It panics on a target out of
// range.
func CrossEntropyLoss(logits *autograd.Var, targets *tensor.Tensor, cfg CrossEntropyConfig) *autograd.Var {
	return NLLLoss(autograd.LogSoftmax(logits, -1), targets, cfg)
}

// NLLLoss is the negative log-likelihood of log-probabilities logp (N,C) or (…,C) at the
// target classes, with the same options as CrossEntropyLoss.
func NLLLoss(logp *autograd.Var, targets *tensor.Tensor, cfg CrossEntropyConfig) *autograd.Var {
	if logp.Dim() == 0 {
		tensor.Panicf("NLLLoss", "input shape %s, want (N,C)", tensor.ShapeString(logp.Shape()))
	}
	c := logp.Size(-1)
	n := logp.Value().Numel() / max(c, 1)
	lp := autograd.Reshape(logp, n, c)
	dist, count := targetWeights("CrossEntropyLoss", targets, n, c, cfg)
	per := autograd.Neg(autograd.Sum(autograd.Mul(lp, autograd.Const(dist)), false, 1)) // (N)
	switch cfg.Reduction {
	case None:
		return autograd.Reshape(per, targets.Shape()...)
	case Sum:
		return autograd.Sum(per, false)
	}
	return autograd.MulScalar(autograd.Sum(per, false), 1/float32(max(count, 1)))
}

// GaussianKL is KL(N(mu, exp(logvar)) ‖ N(0, 1)) per element:
// -0.5·(1 + logvar - mu² - exp(logvar)). Sum it over the latent axes for a VAE.
func GaussianKL(mu, logvar *autograd.Var, r Reduction) *autograd.Var {
	sameShape("GaussianKL", mu, logvar)
	in := autograd.Sub(autograd.Sub(autograd.AddScalar(logvar, 1), autograd.Square(mu)), autograd.Exp(logvar))
	return reduce(autograd.MulScalar(in, -0.5), r)
}

// DiagGaussianKL is KL(N(mu1, exp(logvar1)) ‖ N(mu2, exp(logvar2))) per element, for
// diagonal Gaussians: 0.5·(logvar2 - logvar1 + (exp(logvar1) + (mu1-mu2)²)/exp(logvar2) - 1).
func DiagGaussianKL(mu1, logvar1, mu2, logvar2 *autograd.Var, r Reduction) *autograd.Var {
	d := autograd.Sub(mu1, mu2)
	num := autograd.Add(autograd.Exp(logvar1), autograd.Square(d))
	in := autograd.Add(autograd.Sub(logvar2, logvar1), autograd.Div(num, autograd.Exp(logvar2)))
	return reduce(autograd.MulScalar(autograd.AddScalar(in, -1), 0.5), r)
}

// GaussianLogLikelihood is log N(x; mu, exp(logvar)) per element:
// -0.5·(log 2π + logvar + (x-mu)²/exp(logvar)).
func GaussianLogLikelihood(x, mu, logvar *autograd.Var, r Reduction) *autograd.Var {
	d := autograd.Sub(x, mu)
	in := autograd.Add(autograd.AddScalar(logvar, float32(math.Log(2*math.Pi))), autograd.Mul(autograd.Square(d), autograd.Exp(autograd.Neg(logvar))))
	return reduce(autograd.MulScalar(in, -0.5), r)
}

// BernoulliLogLikelihood is log Bernoulli(x; sigmoid(logits)) per element, the negative
// of the binary cross-entropy with logits; x may be fractional (grey-level images).
func BernoulliLogLikelihood(x, logits *autograd.Var, r Reduction) *autograd.Var {
	sameShape("BernoulliLogLikelihood", x, logits)
	return reduce(autograd.Neg(bceWithLogits(logits, x)), r)
}
