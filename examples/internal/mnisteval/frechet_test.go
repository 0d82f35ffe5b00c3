package mnisteval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/genblocks/genblocks/internal/golden"
)

func diagGaussian(mean, variances []float64) Gaussian {
	cov := mat.NewSymDense(len(variances), nil)
	for i, v := range variances {
		cov.SetSym(i, i, v)
	}
	return Gaussian{Mean: mean, Cov: cov}
}

// rotated returns Q·diag(variances)·Qᵀ for the orthogonal q.
func rotated(q *mat.Dense, mean, variances []float64) Gaussian {
	d := len(variances)
	var qd, full mat.Dense
	qd.Mul(q, mat.NewDiagDense(d, variances))
	full.Mul(&qd, q.T())
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, (full.At(i, j)+full.At(j, i))/2)
		}
	}
	return Gaussian{Mean: mean, Cov: cov}
}

// randomOrthogonal returns the Q factor of a random d×d matrix.
func randomOrthogonal(d int, rng *rand.Rand) *mat.Dense {
	a := mat.NewDense(d, d, nil)
	for i := range d {
		for j := range d {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// closedForm is the Fréchet distance of Gaussians whose covariances share their
// eigenvectors: ‖μa-μb‖² + Σ(√λa - √λb)².
func closedForm(ma, va, mb, vb []float64) float64 {
	var d float64
	for i := range ma {
		d += (ma[i]-mb[i])*(ma[i]-mb[i]) + (math.Sqrt(va[i])-math.Sqrt(vb[i]))*(math.Sqrt(va[i])-math.Sqrt(vb[i]))
	}
	return d
}

func TestFrechetDistanceClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name   string
		ma, va []float64
		mb, vb []float64
	}{
		{"identical", []float64{1, 2}, []float64{3, 4}, []float64{1, 2}, []float64{3, 4}},
		{"means only", []float64{0, 0, 0}, []float64{1, 1, 1}, []float64{1, 2, 2}, []float64{1, 1, 1}},
		{"variances only", []float64{0}, []float64{4}, []float64{0}, []float64{1}},
		{"singular", []float64{0, 1, 0}, []float64{0, 2, 5}, []float64{1, 1, 0}, []float64{3, 0, 5}},
		{"both zero", []float64{0, 0}, []float64{0, 0}, []float64{3, 4}, []float64{0, 0}},
		{"d64", randVec(64, rng, 1), randVec(64, rng, 0), randVec(64, rng, 1), randVec(64, rng, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := closedForm(c.ma, c.va, c.mb, c.vb)
			tol := 1e-9 * max(1, want)
			assert.InDelta(t, want, FrechetDistance(diagGaussian(c.ma, c.va), diagGaussian(c.mb, c.vb)), tol, "diagonal")
			assert.InDelta(t, want, FrechetDistance(diagGaussian(c.mb, c.vb), diagGaussian(c.ma, c.va)), tol, "diagonal, swapped")
			q := randomOrthogonal(len(c.va), rng)
			// Zero eigenvalues of rotated matrices come back as ±1e-16: a looser tolerance.
			assert.InDelta(t, want, FrechetDistance(rotated(q, c.ma, c.va), rotated(q, c.mb, c.vb)), 1e-6*max(1, want), "rotated")
		})
	}
}

// randVec returns d values: standard normal, or squared normal (variances) if pos is 0.
func randVec(d int, rng *rand.Rand, pos int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = rng.NormFloat64()
		if pos == 0 {
			v[i] *= v[i]
		}
	}
	return v
}

// TestFrechetDistanceGolden compares with numpy's Tr((Σa Σb)^½) from the eigenvalues
// of the non-symmetric product (testdata/gen_frechet.py), on non-commuting covariances.
func TestFrechetDistanceGolden(t *testing.T) {
	f := golden.Load(t, "testdata/frechet.json")
	for _, name := range []string{"d4", "d16", "d6_rank3", "d32"} {
		c := f.Case(t, name)
		g := func(m, cov string) Gaussian {
			mean := c.F64(t, m)
			return Gaussian{Mean: mean, Cov: mat.NewSymDense(len(mean), c.F64(t, cov))}
		}
		want := c.Float(t, "frechet")
		assert.InDelta(t, want, FrechetDistance(g("m1", "c1"), g("m2", "c2")), 1e-7*want, name)
		assert.InDelta(t, want, FrechetDistance(g("m2", "c2"), g("m1", "c1")), 1e-7*want, name+" swapped")
	}
}

func TestFrechetDistancePanics(t *testing.T) {
	a := diagGaussian([]float64{0, 0}, []float64{1, 1})
	b := diagGaussian([]float64{0, 0, 0}, []float64{1, 1, 1})
	require.PanicsWithError(t, "tensor: mnisteval.FrechetDistance: dimensions 2 (cov 2) and 3 (cov 3) differ", func() { FrechetDistance(a, b) })
}

func TestFitGaussian(t *testing.T) {
	g := FitGaussian([][]float32{{1, 0}, {3, 2}, {2, 4}})
	assert.InDeltaSlice(t, []float64{2, 2}, g.Mean, 1e-12)
	// numpy.cov([[1,3,2],[0,2,4]]) = [[1, 1], [1, 4]]
	assert.InDeltaSlice(t, []float64{1, 1, 1, 4}, mat.DenseCopyOf(g.Cov).RawMatrix().Data, 1e-12)

	one := FitGaussian([][]float32{{1, 2}})
	assert.Equal(t, []float64{1, 2}, one.Mean)
	assert.Zero(t, mat.Trace(one.Cov))

	require.Panics(t, func() { FitGaussian(nil) })
	require.Panics(t, func() { FitGaussian([][]float32{{1, 2}, {3}}) })
}

// TestFitGaussianSampling checks the fit and the distance together: samples of a
// known Gaussian are close to it, and the distance of two sample fits shrinks with n.
func TestFitGaussianSampling(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const d = 8
	truth := diagGaussian(make([]float64, d), []float64{1, 2, 3, 4, 1, 2, 3, 4})
	sample := func(n int) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = make([]float32, d)
			for j := range d {
				out[i][j] = float32(rng.NormFloat64() * math.Sqrt(truth.Cov.At(j, j)))
			}
		}
		return out
	}
	small := FrechetDistance(FitGaussian(sample(500)), truth)
	large := FrechetDistance(FitGaussian(sample(20000)), truth)
	assert.Less(t, large, small)
	assert.Less(t, large, 0.01)
}
