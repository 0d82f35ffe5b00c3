package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
)

// reportGFLOPS reports the rate of a benchmark that did flops floating-point operations
// per iteration.
func reportGFLOPS(b *testing.B, flops float64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
	}
}

// BenchmarkMatMul times square float32 matrix products through tensor.MatMul (the
// gonum-based kernel), 2n³ flops each.
func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			x, y := tensor.Randn(rng, n, n), tensor.Randn(rng, n, n)
			b.ReportAllocs()
			for b.Loop() {
				tensor.MatMul(x, y)
			}
			reportGFLOPS(b, 2*float64(n)*float64(n)*float64(n))
		})
	}
}

// BenchmarkMatMulT times the transposed variants at one size: a·bᵀ is the attention
// score and linear-layer form.
func BenchmarkMatMulT(b *testing.B) {
	const n = 512
	rng := rand.New(rand.NewPCG(2, n))
	x, y := tensor.Randn(rng, n, n), tensor.Randn(rng, n, n)
	for _, c := range []struct {
		name   string
		ta, tb bool
	}{{"NN", false, false}, {"NT", false, true}, {"TN", true, false}, {"TT", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tensor.MatMulT(x, y, c.ta, c.tb)
			}
			reportGFLOPS(b, 2*n*n*n)
		})
	}
}

// naiveMatMul32 is the i-k-j triple loop over row-major float32 slices, the reference
// the kernel is measured against.
func naiveMatMul32(c, a, bm []float32, n int) {
	clear(c)
	for i := 0; i < n; i++ {
		ci := c[i*n : (i+1)*n]
		for k := 0; k < n; k++ {
			aik := a[i*n+k]
			bk := bm[k*n : (k+1)*n]
			for j := range ci {
				ci[j] += aik * bk[j]
			}
		}
	}
}

// BenchmarkMatMulNaive is the naive reference loop at the smaller sizes.
func BenchmarkMatMulNaive(b *testing.B) {
	for _, n := range []int{256, 512} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			x, y := tensor.Randn(rng, n, n), tensor.Randn(rng, n, n)
			c := make([]float32, n*n)
			b.ReportAllocs()
			for b.Loop() {
				naiveMatMul32(c, x.Data(), y.Data(), n)
			}
			reportGFLOPS(b, 2*float64(n)*float64(n)*float64(n))
		})
	}
}

// The naive reference agrees with MatMul, so the benchmark compares like with like.
func TestNaiveMatMul32(t *testing.T) {
	const n = 33
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := tensor.Randn(rng, n, n), tensor.Randn(rng, n, n)
	c := make([]float32, n*n)
	naiveMatMul32(c, x.Data(), y.Data(), n)
	want := tensor.MatMul(x, y).Data()
	for i := range c {
		if d := c[i] - want[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("element %d: naive %g, MatMul %g", i, c[i], want[i])
		}
	}
}
