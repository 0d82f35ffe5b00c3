package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemmBenchShapes are square sizes plus the skinny products neural nets make:
// an MLP layer on MNIST, attention projections, a 65-token vocabulary head, and tiny.
var sgemmBenchShapes = []struct {
	name    string
	m, n, k int
}{
	{"4x4x4", 4, 4, 4},
	{"64", 64, 64, 64},
	{"128", 128, 128, 128},
	{"256", 256, 256, 256},
	{"512", 512, 512, 512},
	{"1024", 1024, 1024, 1024},
	{"m128_k784_n512", 128, 512, 784},
	{"m2048_k128_n384", 2048, 384, 128},
	{"m2048_k128_n65", 2048, 65, 128},
	{"m32_k288_n840", 32, 840, 288}, // one image of the unet workload's main convolution
	{"m36_k288_n840", 36, 840, 288},
	{"m36_k288_n832", 36, 832, 288},
}

func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var gonumImpl gonum.Implementation
	for _, s := range sgemmBenchShapes {
		a, bm, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), make([]float32, s.m*s.n)
		impls := []struct {
			name string
			f    func()
		}{
			{"threads=1", func() { Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n) }},
			{"threads=2", func() { Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n) }},
			{"gonum", func() {
				gonumImpl.Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
			}},
		}
		if hasAVX512 {
			impls = append(impls, struct {
				name string
				f    func()
			}{"threads=1-avx2", func() { Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n) }})
		}
		if s.m*s.n*s.k <= 128*128*128 {
			impls = append(impls, struct {
				name string
				f    func()
			}{"naive", func() { SgemmRef(false, false, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n) }})
		}
		for _, impl := range impls {
			b.Run(fmt.Sprintf("shape=%s/impl=%s", s.name, impl.name), func(b *testing.B) {
				switch impl.name {
				case "threads=1":
					defer withThreads(1)()
				case "threads=2":
					defer withThreads(2)()
				case "threads=1-avx2":
					defer withThreads(1)()
					old := useAVX512
					useAVX512 = false
					defer func() { useAVX512 = old }()
				}
				b.ReportAllocs()
				for b.Loop() {
					impl.f()
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func withThreads(n int) func() {
	old := threads.Load()
	SetThreads(n)
	return func() { threads.Store(old) }
}
