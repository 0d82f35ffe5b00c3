package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// im2colGeoms covers stride, padding, dilation, non-square kernels and outputs smaller
// than the largest that fits.
func im2colGeoms() []ConvGeom {
	out := func(in, k, s, p, d int) int { return (in+2*p-d*(k-1)-1)/s + 1 }
	var gs []ConvGeom
	for _, c := range []struct{ C, H, W, KH, KW, SH, SW, PH, PW, DH, DW int }{
		{1, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1},
		{2, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1},
		{3, 7, 5, 3, 2, 2, 1, 1, 0, 1, 1},
		{2, 6, 7, 2, 3, 2, 3, 0, 2, 2, 1},
		{1, 9, 8, 3, 3, 2, 2, 2, 3, 2, 3},
		{2, 3, 3, 3, 3, 1, 1, 4, 4, 1, 1}, // padding larger than the image
	} {
		g := ConvGeom{C: c.C, H: c.H, W: c.W, KH: c.KH, KW: c.KW, SH: c.SH, SW: c.SW, PH: c.PH, PW: c.PW, DH: c.DH, DW: c.DW}
		g.OH, g.OW = out(c.H, c.KH, c.SH, c.PH, c.DH), out(c.W, c.KW, c.SW, c.PW, c.DW)
		gs = append(gs, g)
		// The same geometry with a cropped output.
		if g.OH > 1 && g.OW > 1 {
			g.OH--
			g.OW--
			gs = append(gs, g)
		}
	}
	return gs
}

func im2colRef(col, img []float32, g ConvGeom) {
	L := g.OH * g.OW
	for c := 0; c < g.C; c++ {
		for ki := 0; ki < g.KH; ki++ {
			for kj := 0; kj < g.KW; kj++ {
				r := (c*g.KH+ki)*g.KW + kj
				for oh := 0; oh < g.OH; oh++ {
					for ow := 0; ow < g.OW; ow++ {
						ih, iw := oh*g.SH-g.PH+ki*g.DH, ow*g.SW-g.PW+kj*g.DW
						var v float32
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							v = img[(c*g.H+ih)*g.W+iw]
						}
						col[r*L+oh*g.OW+ow] = v
					}
				}
			}
		}
	}
}

const guard = 7

// guardedSlice returns a slice of n values with NaN guard regions on both sides, and the
// full backing slice.
func guardedSlice(rng *rand.Rand, n int, fill bool) (s, full []float32) {
	full = make([]float32, n+2*guard)
	for i := range full {
		full[i] = float32(math.NaN())
	}
	s = full[guard : guard+n : guard+n]
	for i := range s {
		if fill {
			s[i] = float32(rng.NormFloat64())
		} else {
			s[i] = 0
		}
	}
	return s, full
}

func requireGuards(t *testing.T, full []float32, n int) {
	t.Helper()
	for i := 0; i < guard; i++ {
		require.True(t, math.IsNaN(float64(full[i])), "guard before slice written at %d", i)
		require.True(t, math.IsNaN(float64(full[guard+n+i])), "guard after slice written at %d", i)
	}
}

func TestIm2colMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range im2colGeoms() {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			ni, nc := g.C*g.H*g.W, g.ColRows()*g.ColCols()
			img, imgFull := guardedSlice(rng, ni, true)
			col, colFull := guardedSlice(rng, nc, false)
			for i := range col {
				col[i] = 123 // must be overwritten, including padding zeros
			}
			Im2col(col, img, g)
			want := make([]float32, nc)
			im2colRef(want, img, g)
			require.Equal(t, want, col)
			requireGuards(t, imgFull, ni)
			requireGuards(t, colFull, nc)
		})
	}
}

// Col2im is the adjoint of Im2col: <Im2col(x), y> == <x, Col2im(y)>, and it
// accumulates into its destination.
func TestCol2imIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range im2colGeoms() {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			ni, nc := g.C*g.H*g.W, g.ColRows()*g.ColCols()
			x, _ := guardedSlice(rng, ni, true)
			y, yFull := guardedSlice(rng, nc, true)
			colx := make([]float32, nc)
			Im2col(colx, x, g)
			var lhs float64
			for i := range colx {
				lhs += float64(colx[i]) * float64(y[i])
			}
			img, imgFull := guardedSlice(rng, ni, true)
			base := append([]float32(nil), img...)
			Col2im(img, y, g)
			var rhs float64
			for i := range img {
				rhs += float64(x[i]) * float64(img[i]-base[i])
			}
			require.InDelta(t, lhs, rhs, 1e-3*(1+math.Abs(lhs)))
			requireGuards(t, imgFull, ni)
			requireGuards(t, yFull, nc)
		})
	}
}

func TestValidRange(t *testing.T) {
	for _, c := range []struct{ off, stride, size, n, lo, hi int }{
		{0, 1, 5, 5, 0, 5},
		{-2, 1, 5, 7, 2, 7},
		{-3, 2, 5, 4, 2, 4},
		{2, 1, 5, 5, 0, 3},
		{6, 1, 5, 5, 0, 0},
		{-9, 1, 5, 3, 3, 3},
	} {
		lo, hi := validRange(c.off, c.stride, c.size, c.n)
		require.Equal(t, [2]int{c.lo, c.hi}, [2]int{lo, hi}, "%+v", c)
	}
}

func BenchmarkIm2col(b *testing.B) {
	for _, g := range []ConvGeom{
		{C: 64, H: 32, W: 32, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OH: 32, OW: 32},
		{C: 64, H: 32, W: 32, KH: 4, KW: 4, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1, OH: 16, OW: 16},
	} {
		b.Run(fmt.Sprintf("C%d_%dx%d_k%d_s%d", g.C, g.H, g.W, g.KH, g.SH), func(b *testing.B) {
			img := make([]float32, g.C*g.H*g.W)
			col := make([]float32, g.ColRows()*g.ColCols())
			b.ReportAllocs()
			b.SetBytes(int64(4 * len(col)))
			for b.Loop() {
				Im2col(col, img, g)
			}
		})
	}
}
