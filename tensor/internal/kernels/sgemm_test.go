package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const guardLen = 13

var nan32 = float32(math.NaN())

// guarded is a rows×cols matrix with row stride ld inside a buffer that has NaN guard
// regions before and after it and NaN in the gaps between rows, to catch out-of-bounds
// reads (NaN would reach the result) and writes (a guard would change).
type guarded struct {
	buf            []float32
	rows, cols, ld int
	size           int
}

func newGuarded(rng *rand.Rand, rows, cols, ld int) *guarded {
	size := 0
	if rows > 0 && cols > 0 {
		size = (rows-1)*ld + cols
	}
	g := &guarded{buf: make([]float32, guardLen+size+guardLen), rows: rows, cols: cols, ld: ld, size: size}
	for i := range g.buf {
		g.buf[i] = nan32
	}
	for i := range rows {
		for j := range cols {
			g.buf[guardLen+i*ld+j] = rng.Float32()*2 - 1
		}
	}
	return g
}

func (g *guarded) view() []float32 { return g.buf[guardLen : guardLen+g.size : guardLen+g.size] }

func (g *guarded) inMatrix(idx int) bool {
	off := idx - guardLen
	return off >= 0 && off < g.size && off%g.ld < g.cols
}

// fillNaN sets every element of the matrix to NaN.
func (g *guarded) fillNaN() {
	for i := range g.buf {
		if g.inMatrix(i) {
			g.buf[i] = nan32
		}
	}
}

// checkGuards fails unless everything outside the matrix is still NaN.
func (g *guarded) checkGuards(t *testing.T, name string) {
	t.Helper()
	for i, v := range g.buf {
		if !g.inMatrix(i) && !math.IsNaN(float64(v)) {
			t.Fatalf("%s: guard at buffer index %d overwritten with %v", name, i, v)
		}
	}
}

type sgemmMode struct {
	name                string
	asm, avx512         bool
	small, parallelWork int
	kc, mc, nc, threads int
	packAMinN           int
}

// withMode sets the tuning knobs for one test mode and returns a function restoring them.
func withMode(m sgemmMode) func() {
	oldAsm, old512, oldSmall, oldPar := useAsm, useAVX512, gemmSmallWork, gemmParallelWork
	oldKC, oldMC, oldNC, oldThreads := gemmKC, gemmMC, gemmNC, threads.Load()
	oldPackA, oldColGroup := gemmPackAMinN, gemmMinColGroup
	if m.kc < 16 {
		gemmMinColGroup = gemmNR // tiny blocks: split columns as finely as possible
	}
	useAsm, useAVX512, gemmSmallWork, gemmParallelWork = m.asm, m.avx512, m.small, m.parallelWork
	gemmKC, gemmMC, gemmNC, gemmPackAMinN = m.kc, m.mc, m.nc, m.packAMinN
	SetThreads(m.threads)
	return func() {
		useAsm, useAVX512, gemmSmallWork, gemmParallelWork = oldAsm, old512, oldSmall, oldPar
		gemmKC, gemmMC, gemmNC, gemmPackAMinN = oldKC, oldMC, oldNC, oldPackA
		gemmMinColGroup = oldColGroup
		threads.Store(oldThreads)
	}
}

func sgemmModes() []sgemmMode {
	var modes []sgemmMode
	type kernel struct {
		name        string
		asm, avx512 bool
	}
	kernels := []kernel{{"go", false, false}}
	if useAsm {
		kernels = append(kernels, kernel{"asm", true, false})
	}
	if useAsm && hasAVX512 {
		kernels = append(kernels, kernel{"avx512", true, true})
	}
	for _, k := range kernels {
		name, asm, z := k.name, k.asm, k.avx512
		modes = append(modes,
			sgemmMode{name + "/small-loop", asm, z, math.MaxInt, math.MaxInt, 256, 144, 4096, 1, 64},
			sgemmMode{name + "/packed", asm, z, 0, math.MaxInt, 256, 144, 4096, 1, 64},
			sgemmMode{name + "/a-in-place", asm, z, 0, math.MaxInt, 256, 144, 4096, 1, math.MaxInt},
			// Tiny blocks and a forced 3-way split exercise every blocking edge.
			sgemmMode{name + "/packed-tiny-blocks-3threads", asm, z, 0, 1, 7, 12, 32, 3, 0},
			sgemmMode{name + "/a-in-place-tiny-blocks-2threads", asm, z, 0, 1, 5, 18, 48, 2, math.MaxInt},
		)
	}
	return modes
}

type sgemmCase struct{ m, n, k int }

func sgemmCases() []sgemmCase {
	var cases []sgemmCase
	ks := []int{1, 5, 16, 17, 2, 9}
	for m := 1; m <= 17; m++ {
		for n := 1; n <= 17; n++ {
			cases = append(cases, sgemmCase{m, n, ks[(m+n)%len(ks)]})
		}
	}
	for k := 1; k <= 17; k++ {
		cases = append(cases, sgemmCase{7, 17, k}, sgemmCase{13, 16, k})
	}
	for _, s := range []int{31, 33, 64, 100, 257} {
		cases = append(cases,
			sgemmCase{s, 7, 9}, sgemmCase{5, s, 13}, sgemmCase{3, 11, s},
			sgemmCase{s, 17, s}, sgemmCase{s, s, 6}, sgemmCase{11, s, s})
	}
	cases = append(cases, sgemmCase{33, 31, 33}, sgemmCase{64, 64, 64}, sgemmCase{100, 100, 100})
	return cases
}

var sgemmScalars = []struct{ alpha, beta float32 }{{1, 0}, {0.5, 1}, {-1.5, 0.25}, {2, -1}, {1, 1}}

func TestSgemmMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := sgemmCases()
	for _, mode := range sgemmModes() {
		t.Run(mode.name, func(t *testing.T) {
			defer withMode(mode)()
			for ci, tc := range cases {
				for tr := range 4 {
					transA, transB := tr&1 != 0, tr&2 != 0
					sc := sgemmScalars[(ci+tr)%len(sgemmScalars)]
					extra := []int{0, 3, 17}[(ci+tr)%3]
					checkSgemmCase(t, rng, transA, transB, tc.m, tc.n, tc.k, sc.alpha, sc.beta, extra)
				}
			}
		})
	}
}

// checkSgemmCase runs Sgemm and SgemmRef on the same guarded operands and compares.
func checkSgemmCase(t *testing.T, rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, extra int) {
	t.Helper()
	name := fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d alpha=%v beta=%v extra=%d", transA, transB, m, n, k, alpha, beta, extra)
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	a := newGuarded(rng, ar, ac, ac+extra)
	b := newGuarded(rng, br, bc, bc+2*extra)
	c := newGuarded(rng, m, n, n+extra+1)
	want := make([]float32, len(c.buf))
	copy(want, c.buf)
	if beta == 0 {
		c.fillNaN() // must be ignored
	}
	Sgemm(transA, transB, m, n, k, alpha, a.view(), a.ld, b.view(), b.ld, beta, c.view(), c.ld)
	SgemmRef(transA, transB, m, n, k, alpha, a.view(), a.ld, b.view(), b.ld, beta, want[guardLen:guardLen+c.size], c.ld)
	a.checkGuards(t, name+": a")
	b.checkGuards(t, name+": b")
	c.checkGuards(t, name+": c")
	requireMatchesRef(t, name, c, want, m, n, k, alpha, beta)
}

// requireMatchesRef fails unless the m×n matrix in c is within the tolerance of a
// k-term float32 dot product of want (laid out like c.buf), without NaNs.
func requireMatchesRef(t *testing.T, name string, c *guarded, want []float32, m, n, k int, alpha, beta float32) {
	t.Helper()
	tol := 2e-6 * float64(k+1) * float64(abs32(alpha)+abs32(beta)+1)
	for i := range m {
		for j := range n {
			idx := guardLen + i*c.ld + j
			got, exp := c.buf[idx], want[idx]
			if math.IsNaN(float64(got)) || math.Abs(float64(got-exp)) > tol {
				t.Fatalf("%s: c[%d][%d] = %v, want %v (tol %g)", name, i, j, got, exp, tol)
			}
		}
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

func TestSgemmScaleOnly(t *testing.T) {
	// k == 0 or alpha == 0: C = beta*C, A and B are not read (they may hold NaN).
	tests := []struct {
		name        string
		k           int
		alpha, beta float32
		c, want     []float32
	}{
		{"k=0 beta=0 clears NaN", 0, 1, 0, []float32{nan32, 2, 3, 4}, []float32{0, 0, 0, 0}},
		{"k=0 beta=2", 0, 1, 2, []float32{1, 2, 3, 4}, []float32{2, 4, 6, 8}},
		{"alpha=0 beta=0", 3, 0, 0, []float32{nan32, 2, 3, 4}, []float32{0, 0, 0, 0}},
		{"alpha=0 beta=-1", 3, 0, -1, []float32{1, 2, 3, 4}, []float32{-1, -2, -3, -4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := []float32{nan32, nan32, nan32, nan32, nan32, nan32}
			Sgemm(false, false, 2, 2, tc.k, tc.alpha, a, max(tc.k, 1), a, 2, tc.beta, tc.c, 2)
			assert.Equal(t, tc.want, tc.c)
		})
	}
}

func TestSgemmPanics(t *testing.T) {
	s := make([]float32, 12)
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"short a", func() { Sgemm(false, false, 3, 2, 5, 1, s, 5, s, 2, 0, s, 2) }, "kernels: Sgemm: len(a)=12, need 15 for 3×5 with stride 5"},
		{"short c", func() { Sgemm(false, false, 4, 4, 1, 1, s, 1, s, 4, 0, s, 4) }, "kernels: Sgemm: len(c)=12, need 16 for 4×4 with stride 4"},
		{"bad ldb", func() { Sgemm(false, true, 2, 3, 2, 1, s, 2, s, 1, 0, s, 3) }, "kernels: Sgemm: ldb=1 shorter than row length 2"},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, s, 2, s, 2, 0, s, 2) }, "kernels: Sgemm: negative dimension m=-1 n=2 k=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.PanicsWithValue(t, tc.msg, tc.f)
		})
	}
}

func TestSgemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, threads := range []int{1, 2} {
		for _, sz := range []int{8, 96, 256} {
			t.Run(fmt.Sprintf("threads=%d size=%d", threads, sz), func(t *testing.T) {
				defer withMode(sgemmMode{"", useAsm, useAVX512, gemmSmallWork, 1, gemmKC, gemmMC, gemmNC, threads, gemmPackAMinN})()
				a, b, c := randSlice(rng, sz*sz), randSlice(rng, sz*sz), make([]float32, sz*sz)
				f := func() { Sgemm(false, true, sz, sz, sz, 1, a, sz, b, sz, 0, c, sz) }
				f()
				assert.Zero(t, testing.AllocsPerRun(20, f))
			})
		}
	}
}

func TestSgemmConcurrentCalls(t *testing.T) {
	// Concurrent callers share the worker pool; each must get its own correct result.
	defer withMode(sgemmMode{"", useAsm, useAVX512, gemmSmallWork, 1, gemmKC, gemmMC, gemmNC, 2, gemmPackAMinN})()
	const n = 70
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := randSlice(rng, n*n), randSlice(rng, n*n)
	want := make([]float32, n*n)
	SgemmRef(false, false, n, n, n, 1, a, n, b, n, 0, want, n)
	var wg sync.WaitGroup
	results := make([][]float32, 8)
	for g := range results {
		wg.Go(func() {
			c := make([]float32, n*n)
			for range 20 {
				Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
			}
			results[g] = c
		})
	}
	wg.Wait()
	for _, c := range results {
		assert.InDeltaSlice(t, want, c, 1e-4)
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}
