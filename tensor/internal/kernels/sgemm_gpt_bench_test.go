package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// sgemmGPTShapes are the products of one training step of the gpt workload
// (examples/bench): the Linear layers forward and backward over 2048 tokens, and the
// per-head attention products over 128 positions of 32 channels.
var sgemmGPTShapes = []struct {
	name           string
	m, n, k        int
	transA, transB bool
}{
	{"fwd_qkv", 2048, 384, 128, false, true},
	{"fwd_fc", 2048, 512, 128, false, true},
	{"fwd_fcproj", 2048, 128, 512, false, true},
	{"dx_qkv", 2048, 128, 384, false, false},
	{"dx_fcproj", 2048, 512, 128, false, false},
	{"dw_qkv", 384, 128, 2048, true, false},
	{"dw_fcproj", 128, 512, 2048, true, false},
	{"attn_qk", 128, 128, 32, false, true},
	{"attn_av", 128, 32, 128, false, false},
	{"attn_dv", 128, 32, 128, true, false},
}

func BenchmarkSgemmGPT(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range sgemmGPTShapes {
		a, bm, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("shape=%s/threads=%d", s.name, th), func(b *testing.B) {
				defer withThreads(th)()
				b.ReportAllocs()
				for b.Loop() {
					Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
