package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBinaryMatchesApply checks Binary's vector and Go loops bit for bit against
// op.Apply for each op and each stride pattern (vector-vector, vector-scalar,
// scalar-vector, strided), with NaN guards around every slice.
func TestBinaryMatchesApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, op := range []BinOp{Add, Sub, Mul, Div, Pow, Max, Min} {
		for _, st := range [][2]int{{1, 1}, {1, 0}, {0, 1}, {2, 1}} {
			for _, n := range []int{1, 7, 8, 9, 16, 17, 33, 100} {
				t.Run(fmt.Sprintf("op%d/sa%d_sb%d/n%d", op, st[0], st[1], n), func(t *testing.T) {
					la, lb := max((n-1)*st[0]+1, 1), max((n-1)*st[1]+1, 1)
					a, _ := guardedSlice(rng, la, true)
					b, _ := guardedSlice(rng, lb, true)
					if op == Pow {
						for i := range a {
							a[i] = float32(math.Abs(float64(a[i])))
						}
					}
					dst, full := guardedSlice(rng, n, false)
					Binary(op, dst, a, st[0], b, st[1])
					requireGuards(t, full, n)
					for i := range n {
						want := op.Apply(a[i*st[0]], b[i*st[1]])
						require.Equal(t, math.Float32bits(want), math.Float32bits(dst[i]), "i=%d: %v want %v", i, dst[i], want)
					}
				})
			}
		}
	}
}

func BenchmarkBinary(b *testing.B) {
	const n = 1 << 14
	x, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%13)-6, float32(i%7)+1
	}
	for _, op := range []BinOp{Add, Mul} {
		b.Run(fmt.Sprintf("op%d/kernel", op), func(b *testing.B) {
			for b.Loop() {
				Binary(op, dst, x, 1, y, 1)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
		b.Run(fmt.Sprintf("op%d/naive", op), func(b *testing.B) {
			for b.Loop() {
				for i := range dst {
					dst[i] = op.Apply(x[i], y[i])
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
