package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReluLeakyMatchGo checks the ReLU and LeakyReLU loops (forward, v = x, and
// backward, v = the gradient) against their Go references bit for bit, edge values
// included, without writing outside dst.
func TestReluLeakyMatchGo(t *testing.T) {
	if !hasVecMath() {
		t.Skip("no vector loops on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 100, 1003} {
		x, _ := guardedSlice(rng, n, true)
		v, _ := guardedSlice(rng, n, true)
		vecInputs(rng, x)
		vecInputs(rng, v)
		for _, alpha := range []float32{0.2, 0, -1.5} {
			for _, fwd := range []bool{true, false} {
				in := v
				if fwd {
					in = x
				}
				want := make([]float32, n)
				got, full := guardedSlice(rng, n, false)
				wantL := make([]float32, n)
				gotL, fullL := guardedSlice(rng, n, false)
				reluSliceGo(want, x, in)
				reluSlice(got, x, in)
				leakySliceGo(wantL, x, in, alpha)
				leakySlice(gotL, x, in, alpha)
				requireGuards(t, full, n)
				requireGuards(t, fullL, n)
				for i := range n {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "relu n=%d i=%d x=%v v=%v", n, i, x[i], in[i])
					require.Equal(t, math.Float32bits(wantL[i]), math.Float32bits(gotL[i]), "leaky n=%d i=%d x=%v v=%v alpha=%v", n, i, x[i], in[i], alpha)
				}
			}
		}
	}
}

func BenchmarkLeakyReLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, dst := make([]float32, 1<<16), make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	b.Run("naive", func(b *testing.B) {
		for b.Loop() {
			leakySliceGo(dst, x, x, 0.2)
		}
		b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			leakySlice(dst, x, x, 0.2)
		}
		b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
}

// TestAxpyMatchesGo checks Axpy's vector loop (one FMA per element) against the Go
// loop, within one rounding, without writing outside y.
func TestAxpyMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 100, 1003} {
		x, _ := guardedSlice(rng, n, true)
		y, full := guardedSlice(rng, n, true)
		want := make([]float32, n)
		copy(want, y)
		axpyGo(-1.75, x, want)
		Axpy(-1.75, x, y)
		requireGuards(t, full, n)
		for i := range n {
			require.InDelta(t, want[i], y[i], 1e-6*(1+math.Abs(float64(want[i]))), "n=%d i=%d", n, i)
		}
	}
}

func BenchmarkAxpy(b *testing.B) {
	x, y := make([]float32, 1<<14), make([]float32, 1<<14)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	b.Run("naive", func(b *testing.B) {
		for b.Loop() {
			axpyGo(0.5, x, y)
		}
		b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			Axpy(0.5, x, y)
		}
		b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
}
