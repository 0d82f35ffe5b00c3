package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSgemmOffsetBMatchesRef checks SgemmOffsetB, with B's rows as overlapping windows
// into one buffer, against SgemmRef on a dense copy of the same B, in every kernel and
// blocking mode.
func TestSgemmOffsetBMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, mode := range sgemmModes() {
		t.Run(mode.name, func(t *testing.T) {
			defer withMode(mode)()
			for ci, tc := range sgemmCases() {
				for _, transB := range []bool{false, true} {
					transA := ci%2 == 1
					sc := sgemmScalars[ci%len(sgemmScalars)]
					checkSgemmOffsetCase(t, rng, transA, transB, tc.m, tc.n, tc.k, sc.alpha, sc.beta)
				}
			}
		})
	}
}

func checkSgemmOffsetCase(t *testing.T, rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	name := fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d alpha=%v beta=%v", transA, transB, m, n, k, alpha, beta)
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	// The windows overlap: row r starts anywhere in a buffer only a little longer than
	// one row per three rows.
	buf := make([]float32, cols+rows/3+5)
	for i := range buf {
		buf[i] = float32(rng.NormFloat64())
	}
	boff := make([]int, rows)
	dense := make([]float32, rows*cols)
	for r := range boff {
		boff[r] = rng.IntN(len(buf) - cols + 1)
		copy(dense[r*cols:], buf[boff[r]:boff[r]+cols])
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	a := newGuarded(rng, ar, ac, ac+1)
	c := newGuarded(rng, m, n, n+2)
	want := make([]float32, len(c.buf))
	copy(want, c.buf)
	if beta == 0 {
		c.fillNaN()
	}
	SgemmOffsetB(0, transA, transB, m, n, k, alpha, a.view(), a.ld, buf, boff, beta, c.view(), c.ld)
	SgemmRef(transA, transB, m, n, k, alpha, a.view(), a.ld, dense, cols, beta, want[guardLen:guardLen+c.size], c.ld)
	c.checkGuards(t, name+": c")
	requireMatchesRef(t, name, c, want, m, n, k, alpha, beta)
}

func TestSgemmOffsetBPanics(t *testing.T) {
	a, c := make([]float32, 6), make([]float32, 6)
	b := make([]float32, 10)
	require.PanicsWithValue(t, "kernels: SgemmOffsetB: 1 row offsets for 3 rows of B", func() {
		SgemmOffsetB(1, false, false, 2, 3, 3, 1, a, 3, b, []int{0}, 0, c, 3)
	})
	require.PanicsWithValue(t, "kernels: SgemmOffsetB: row 2 of B at 8..11 outside len(b)=10", func() {
		SgemmOffsetB(1, false, false, 2, 3, 3, 1, a, 3, b, []int{0, 1, 8}, 0, c, 3)
	})
}

// TestSgemmOffsetAMatchesRef checks SgemmOffsetA against SgemmRef on a dense copy of
// A, with rows at random offsets (A packed) and in runs of three with one stride, as a
// 3-wide convolution kernel's rows are (A read in place by the micro-kernel).
func TestSgemmOffsetAMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, mode := range sgemmModes() {
		t.Run(mode.name, func(t *testing.T) {
			defer withMode(mode)()
			for ci, tc := range sgemmCases() {
				for _, triples := range []bool{false, true} {
					transB := ci%2 == 1
					sc := sgemmScalars[ci%len(sgemmScalars)]
					checkSgemmOffsetACase(t, rng, triples, transB, tc.m, tc.n, tc.k, sc.alpha, sc.beta)
				}
			}
		})
	}
}

func checkSgemmOffsetACase(t *testing.T, rng *rand.Rand, triples, transB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	name := fmt.Sprintf("triples=%v transB=%v m=%d n=%d k=%d alpha=%v beta=%v", triples, transB, m, n, k, alpha, beta)
	aoff := make([]int, m)
	stride, jump := 1+rng.IntN(3), k+rng.IntN(5)
	for i := range aoff {
		if triples {
			aoff[i] = i/3*jump + i%3*stride
		} else {
			aoff[i] = rng.IntN(k + m + 3)
		}
	}
	buf := make([]float32, slices.Max(aoff)+k+rng.IntN(3))
	for i := range buf {
		buf[i] = float32(rng.NormFloat64())
	}
	dense := make([]float32, m*k)
	for i, o := range aoff {
		copy(dense[i*k:], buf[o:o+k])
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	b := newGuarded(rng, br, bc, bc+1)
	c := newGuarded(rng, m, n, n+2)
	want := make([]float32, len(c.buf))
	copy(want, c.buf)
	if beta == 0 {
		c.fillNaN()
	}
	SgemmOffsetA(0, transB, m, n, k, alpha, buf, aoff, b.view(), b.ld, beta, c.view(), c.ld)
	SgemmRef(false, transB, m, n, k, alpha, dense, k, b.view(), b.ld, beta, want[guardLen:guardLen+c.size], c.ld)
	c.checkGuards(t, name+": c")
	requireMatchesRef(t, name, c, want, m, n, k, alpha, beta)
}

// BenchmarkSgemmOffsetB multiplies a 32×288 weight by the implicit column matrix of a
// 32-channel 28×28 image under a 3×3 kernel (the unet workload's main convolution),
// against Sgemm on the same matrix written out (the im2col reference).
func BenchmarkSgemmOffsetB(b *testing.B) {
	const c, cout = 32, 32
	img, offs, L, K := convBenchImage(c)
	boff := offs
	dense := make([]float32, K*L)
	for r, o := range boff {
		copy(dense[r*L:], img[o:o+L])
	}
	w, out := make([]float32, cout*K), make([]float32, cout*L)
	flops := 2 * float64(cout*K*L)
	b.Run("implicit", func(b *testing.B) {
		for b.Loop() {
			SgemmOffsetB(1, false, false, cout, L, K, 1, w, K, img, boff, 0, out, L)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("im2col+sgemm", func(b *testing.B) {
		for b.Loop() {
			for r, o := range boff {
				copy(dense[r*L:], img[o:o+L])
			}
			SgemmSerial(false, false, cout, L, K, 1, w, K, dense, L, 0, out, L)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// BenchmarkSgemmOffsetA is the weight gradient of the same convolution: the column
// matrix (288×840, rows in place in the padded image) times the output gradient
// transposed, against Sgemm on the written-out matrix.
func BenchmarkSgemmOffsetA(b *testing.B) {
	const c, cout = 32, 32
	img, offs, L, K := convBenchImage(c)
	aoff := offs
	dense := make([]float32, K*L)
	gy, out := make([]float32, cout*L), make([]float32, K*cout)
	flops := 2 * float64(cout*K*L)
	b.Run("implicit", func(b *testing.B) {
		for b.Loop() {
			SgemmOffsetA(1, true, K, cout, L, 1, img, aoff, gy, L, 0, out, cout)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("im2col+sgemm", func(b *testing.B) {
		for b.Loop() {
			for r, o := range aoff {
				copy(dense[r*L:], img[o:o+L])
			}
			SgemmSerial(false, true, K, cout, L, 1, dense, L, gy, L, 0, out, cout)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// convBenchImage returns a padded 28×28 image of c channels (30×30 planes plus a tail)
// and the row offsets of its 3×3 column matrix, which has K rows of L values.
func convBenchImage(c int) (img []float32, offs []int, L, K int) {
	const hw = 28
	wp := hw + 2
	img = make([]float32, c*wp*wp+2)
	for i := range img {
		img[i] = float32(i%7) - 3
	}
	for ch := range c {
		for kh := range 3 {
			for kw := range 3 {
				offs = append(offs, ch*wp*wp+kh*wp+kw)
			}
		}
	}
	return img, offs, hw * wp, c * 9
}
