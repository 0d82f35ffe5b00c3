package mnisteval

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/genblocks/genblocks/tensor"
)

// Gaussian is a multivariate normal distribution fitted to feature vectors.
type Gaussian struct {
	Mean []float64     // (d)
	Cov  *mat.SymDense // (d,d)
}

// FitGaussian returns the sample mean and the unbiased sample covariance (divided by
// n-1, as numpy.cov) of features, n vectors of equal length d, computed in float64.
// With fewer than two vectors the covariance is zero. It panics if features is empty
// or the vectors differ in length.
func FitGaussian(features [][]float32) Gaussian {
	if len(features) == 0 {
		tensor.Panicf("mnisteval.FitGaussian", "no feature vectors")
	}
	n, d := len(features), len(features[0])
	x := mat.NewDense(n, d, nil)
	for i, f := range features {
		if len(f) != d {
			tensor.Panicf("mnisteval.FitGaussian", "feature vector %d has %d values; vector 0 has %d", i, len(f), d)
		}
		row := x.RawRowView(i)
		for j, v := range f {
			row[j] = float64(v)
		}
	}
	g := Gaussian{Mean: make([]float64, d), Cov: mat.NewSymDense(d, nil)}
	for j := range d {
		g.Mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	if n > 1 {
		stat.CovarianceMatrix(g.Cov, x, nil)
	}
	return g
}

// FrechetDistance returns the squared Fréchet (2-Wasserstein) distance between the
// Gaussians a and b,
//
//	‖μa-μb‖² + Tr(Σa + Σb - 2(Σa^½ Σb Σa^½)^½),
//
// computed in float64. The matrix square roots come from symmetric eigendecompositions
// with negative eigenvalues (rounding noise of semi-definite covariances) clamped to
// zero, which is stable where the usual sqrtm(Σa·Σb) is not; a result below zero by
// rounding is returned as 0. It panics if the dimensions differ or an eigendecomposition
// fails (a covariance with NaNs).
func FrechetDistance(a, b Gaussian) float64 {
	d := len(a.Mean)
	if len(b.Mean) != d || a.Cov.SymmetricDim() != d || b.Cov.SymmetricDim() != d {
		tensor.Panicf("mnisteval.FrechetDistance", "dimensions %d (cov %d) and %d (cov %d) differ",
			d, a.Cov.SymmetricDim(), len(b.Mean), b.Cov.SymmetricDim())
	}
	var dist float64
	for i := range d {
		diff := a.Mean[i] - b.Mean[i]
		dist += diff * diff
	}
	sa := symSqrt(a.Cov)
	var m mat.Dense
	m.Mul(sa, b.Cov)
	m.Mul(&m, sa)
	// Σa^½ Σb Σa^½ is symmetric positive semi-definite; symmetrise away rounding.
	ms := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var traceSqrt float64
	for _, l := range symEigenvalues(ms) {
		traceSqrt += math.Sqrt(max(l, 0))
	}
	dist += mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*traceSqrt
	return max(dist, 0)
}

// symEigenvalues returns the eigenvalues of the symmetric matrix s.
func symEigenvalues(s *mat.SymDense) []float64 {
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		tensor.Panicf("mnisteval.FrechetDistance", "eigendecomposition of a %d×%d covariance failed", s.SymmetricDim(), s.SymmetricDim())
	}
	return eig.Values(nil)
}

// symSqrt returns the principal square root V·diag(√max(λ,0))·Vᵀ of the symmetric
// positive semi-definite matrix s.
func symSqrt(s *mat.SymDense) *mat.Dense {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		tensor.Panicf("mnisteval.FrechetDistance", "eigendecomposition of a %d×%d covariance failed", s.SymmetricDim(), s.SymmetricDim())
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	vals := eig.Values(nil)
	n := len(vals)
	scaled := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			scaled.Set(i, j, v.At(i, j)*math.Sqrt(max(vals[j], 0)))
		}
	}
	var r mat.Dense
	r.Mul(scaled, v.T())
	return &r
}
