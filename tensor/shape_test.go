package tensor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seq returns 0, 1, 2, … in the given shape.
func seq(shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = float32(i)
	}
	return t
}

func fs(v ...float32) []float32 { return append([]float32{}, v...) }

func TestShapeOps(t *testing.T) {
	x := seq(2, 3, 4)
	cases := []struct {
		name  string
		got   *Tensor
		shape []int
		data  []float32
	}{
		{"narrow_mid", Narrow(seq(2, 4), 1, 1, 2), []int{2, 2}, fs(1, 2, 5, 6)},
		{"narrow_negative_start", Narrow(seq(5), 0, -2, 2), []int{2}, fs(3, 4)},
		{"narrow_empty", Narrow(seq(2, 4), 1, 4, 0), []int{2, 0}, fs()},
		{"narrow_axis0", Narrow(x, 0, 1, 1), []int{1, 3, 4}, seq(24).data[12:]},
		{"slice_step2", Slice(seq(2, 5), 1, 0, 5, 2), []int{2, 3}, fs(0, 2, 4, 5, 7, 9)},
		{"slice_negative", Slice(seq(6), 0, -4, -1, 2), []int{2}, fs(2, 4)},
		{"slice_clamped", Slice(seq(4), 0, -10, 10, 3), []int{2}, fs(0, 3)},
		{"slice_backwards_is_empty", Slice(seq(4), 0, 3, 1, 1), []int{0}, fs()},
		{"slice_axis0_step", Slice(seq(5, 2), 0, 1, 5, 3), []int{2, 2}, fs(2, 3, 8, 9)},
		{"concat_axis1", Concat(1, seq(2, 1), Full(9, 2, 2)), []int{2, 3}, fs(0, 9, 9, 1, 9, 9)},
		{"concat_axis0", Concat(0, seq(1, 2), seq(2, 2)), []int{3, 2}, fs(0, 1, 0, 1, 2, 3)},
		{"concat_empty_piece", Concat(-1, seq(2, 0), seq(2, 1)), []int{2, 1}, fs(0, 1)},
		{"stack_axis0", Stack(0, seq(2), Full(7, 2)), []int{2, 2}, fs(0, 1, 7, 7)},
		{"stack_last", Stack(-1, seq(2), Full(7, 2)), []int{2, 2}, fs(0, 7, 1, 7)},
		{"flip_last", Flip(seq(2, 3), -1), []int{2, 3}, fs(2, 1, 0, 5, 4, 3)},
		{"flip_both", Flip(seq(2, 3), 0, 1), []int{2, 3}, fs(5, 4, 3, 2, 1, 0)},
		{"flip_none", Flip(seq(3)), []int{3}, fs(0, 1, 2)},
		{"flip_first", Flip(seq(3, 2), 0), []int{3, 2}, fs(4, 5, 2, 3, 0, 1)},
		{"pad_constant", Pad(seq(1, 2), []int{1, 2}, PadConstant, -1), []int{1, 5}, fs(-1, 0, 1, -1, -1)},
		{"pad_constant_2axes", Pad(seq(1, 2), []int{0, 1, 1, 0}, PadConstant, 5), []int{2, 3}, fs(5, 5, 5, 0, 1, 5)},
		{"pad_crop", Pad(seq(2, 3), []int{-1, 0, 0, -1}, PadConstant, 0), []int{1, 2}, fs(1, 2)},
		{"pad_reflect", Pad(seq(3), []int{2, 2}, PadReflect, 0), []int{7}, fs(2, 1, 0, 1, 2, 1, 0)},
		{"pad_replicate", Pad(seq(3), []int{2, 1}, PadReplicate, 0), []int{6}, fs(0, 0, 0, 1, 2, 2)},
		{"pad_reflect_rows", Pad(seq(2, 2), []int{0, 0, 1, 1}, PadReflect, 0), []int{4, 2}, fs(2, 3, 0, 1, 2, 3, 0, 1)},
		{"pad_nothing", Pad(seq(2), nil, PadReflect, 0), []int{2}, fs(0, 1)},
		{"tril_0", Tril(seq(3, 3), 0), []int{3, 3}, fs(0, 0, 0, 3, 4, 0, 6, 7, 8)},
		{"tril_1", Tril(seq(2, 3), 1), []int{2, 3}, fs(0, 1, 0, 3, 4, 5)},
		{"tril_-1", Tril(seq(3, 2), -1), []int{3, 2}, fs(0, 0, 2, 0, 4, 5)},
		{"triu_0", Triu(seq(3, 3), 0), []int{3, 3}, fs(0, 1, 2, 0, 4, 5, 0, 0, 8)},
		{"triu_-1", Triu(seq(3, 2), -1), []int{3, 2}, fs(0, 1, 2, 3, 0, 5)},
		{"triu_far", Triu(seq(2, 2), 5), []int{2, 2}, fs(0, 0, 0, 0)},
		{"tril_batched", Tril(seq(2, 2, 2), 0), []int{2, 2, 2}, fs(0, 0, 2, 3, 4, 0, 6, 7)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.shape, c.got.Shape())
			assert.Equal(t, c.data, c.got.Data())
		})
	}
}

func TestSplitChunk(t *testing.T) {
	parts := Split(seq(2, 5), 1, 2, 0, 3)
	require.Len(t, parts, 3)
	assert.Equal(t, fs(0, 1, 5, 6), parts[0].Data())
	assert.Equal(t, []int{2, 0}, parts[1].Shape())
	assert.Equal(t, fs(2, 3, 4, 7, 8, 9), parts[2].Data())

	for _, c := range []struct {
		n, chunks int
		want      []int
	}{
		{5, 3, []int{2, 2, 1}},
		{6, 4, []int{2, 2, 2}}, // torch.chunk returns fewer pieces than asked
		{6, 3, []int{2, 2, 2}},
		{2, 5, []int{1, 1}},
		{0, 3, []int{0, 0, 0}},
	} {
		assert.Equal(t, c.want, ChunkSizes(c.n, c.chunks), "n=%d chunks=%d", c.n, c.chunks)
	}
	ch := Chunk(seq(5, 2), 3, 0)
	require.Len(t, ch, 3)
	assert.Equal(t, fs(8, 9), ch[2].Data())
}

// PadGrad is the adjoint of Pad: <Pad(x), y> = <x, PadGrad(y)> for every x and y.
func TestPadGradIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		shape []int
		pads  []int
		mode  PadMode
	}{
		{[]int{2, 3, 4}, []int{1, 2, 2, 1}, PadReflect},
		{[]int{2, 3, 4}, []int{3, 0, 0, 2, 1, 1}, PadReplicate},
		{[]int{5}, []int{4, 4}, PadReflect},
		{[]int{2, 3, 4}, []int{-1, 2, 1, 0}, PadConstant},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			x := Randn(rng, c.shape...)
			px := Pad(x, c.pads, c.mode, 0)
			y := Randn(rng, px.shape...)
			gy := PadGrad(y, c.pads, c.mode)
			require.Equal(t, x.Shape(), gy.Shape())
			assert.InDelta(t, Sum(Mul(px, y), false).Item(), Sum(Mul(x, gy), false).Item(), 1e-4)
		})
	}
}

// remap is checked against a direct loop on random maps, including fills and repeats.
func TestRemapMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		shape := []int{1 + rng.IntN(3), 1 + rng.IntN(4), 1 + rng.IntN(5)}
		x := Randn(rng, shape...)
		maps := make([][]int, 3)
		outShape := append([]int(nil), shape...)
		for d := range maps {
			if rng.IntN(2) == 0 {
				continue
			}
			m := make([]int, rng.IntN(6))
			for i := range m {
				m[i] = rng.IntN(shape[d]+1) - 1
			}
			maps[d] = m
			outShape[d] = len(m)
		}
		got := remap(x, maps, 42)
		require.Equal(t, outShape, got.Shape())
		at := func(d, i int) int {
			if maps[d] == nil {
				return i
			}
			return maps[d][i]
		}
		for i := 0; i < outShape[0]; i++ {
			for j := 0; j < outShape[1]; j++ {
				for k := 0; k < outShape[2]; k++ {
					want := float32(42)
					if a, b, c := at(0, i), at(1, j), at(2, k); a >= 0 && b >= 0 && c >= 0 {
						want = x.At(a, b, c)
					}
					require.Equal(t, want, got.At(i, j, k), "trial %d at (%d,%d,%d)", trial, i, j, k)
				}
			}
		}
	}
}

func TestShapeOpsDoNotAlias(t *testing.T) {
	x := seq(2, 3)
	for _, y := range []*Tensor{Narrow(x, 0, 0, 2), Slice(x, 1, 0, 3, 1), Flip(x), Pad(x, nil, PadConstant, 0), Concat(0, x)} {
		y.Data()[0] = 100
		assert.Equal(t, float32(0), x.Data()[0])
	}
}

func TestShapeOpPanics(t *testing.T) {
	x := seq(2, 3)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"narrow_range", func() { Narrow(x, 1, 2, 2) }, "tensor: Narrow: start 2 and length 2 out of range for axis 1 of shape (2,3)"},
		{"narrow_axis", func() { Narrow(x, 2, 0, 1) }, "tensor: Narrow: axis 2 out of range for shape (2,3)"},
		{"slice_step", func() { Slice(x, 0, 0, 2, 0) }, "tensor: Slice: step 0 is not positive (shape (2,3))"},
		{"concat_shapes", func() { Concat(0, x, seq(2, 2)) }, "tensor: Concat: shapes (2,3) and (2,2) do not fit along axis 0"},
		{"concat_rank", func() { Concat(0, x, seq(6)) }, "tensor: Concat: shapes (2,3) and (6) do not fit along axis 0"},
		{"concat_none", func() { Concat(0) }, "tensor: Concat: no tensors"},
		{"stack_shapes", func() { Stack(0, x, seq(3, 2)) }, "tensor: Stack: shapes (2,3) and (3,2) differ"},
		{"split_sizes", func() { Split(x, 1, 1, 1) }, "tensor: Split: sizes [1 1] do not add up to axis 1 of shape (2,3)"},
		{"chunk_zero", func() { Chunk(x, 0, 0) }, "tensor: Chunk: 0 chunks"},
		{"flip_repeat", func() { Flip(x, 1, -1) }, "tensor: Flip: axis -1 repeated in [1 -1] for shape (2,3)"},
		//lint:ignore SA5012 the odd count is what this case tests
		{"pad_odd", func() { Pad(x, []int{1}, PadConstant, 0) }, "tensor: Pad: 1 pads [1] for shape (2,3) (want an even number, at most 4)"},
		{"pad_too_many", func() { Pad(x, []int{1, 1, 1, 1, 1, 1}, PadConstant, 0) }, "tensor: Pad: 6 pads [1 1 1 1 1 1] for shape (2,3) (want an even number, at most 4)"},
		{"pad_reflect_long", func() { Pad(x, []int{3, 0}, PadReflect, 0) }, "tensor: Pad: reflect pads [3 0] do not fit axis 1 of shape (2,3)"},
		{"pad_crop_negative", func() { Pad(x, []int{-2, -2}, PadConstant, 0) }, "tensor: Pad: constant pads [-2 -2] do not fit axis 1 of shape (2,3)"},
		{"pad_replicate_negative", func() { Pad(x, []int{-1, 0}, PadReplicate, 0) }, "tensor: Pad: replicate pads [-1 0] do not fit axis 1 of shape (2,3)"},
		{"pad_mode", func() { Pad(x, nil, PadMode(7), 0) }, "tensor: Pad: unknown mode PadMode(7)"},
		{"padgrad_big", func() { PadGrad(x, []int{2, 2}, PadReflect) }, "tensor: PadGrad: pads [2 2] are larger than gradient shape (2,3)"},
		{"tril_1d", func() { Tril(seq(3), 0) }, "tensor: Tril: shape (3) has fewer than 2 axes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.PanicsWithError(t, c.want, c.f)
		})
	}
}

// naivePadReflect is the per-element reference for Pad(x, [l,r,t,b], PadReflect) on
// (N,C,H,W).
func naivePadReflect(x *Tensor, l, r, top, bot int) *Tensor {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	out := New(n, c, h+top+bot, w+l+r)
	refl := func(i, n int) int {
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*(n-1) - i
		}
		return i
	}
	oh, ow := h+top+bot, w+l+r
	for a := 0; a < n*c; a++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				out.data[(a*oh+i)*ow+j] = x.data[(a*h+refl(i-top, h))*w+refl(j-l, w)]
			}
		}
	}
	return out
}

func BenchmarkShapeOps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := Randn(rng, 8, 64, 64, 64) // (N,C,H,W), 8 MiB
	idx := New(8, 64, 64, 64)
	for i := range idx.data {
		idx.data[i] = float32(rng.IntN(64))
	}
	sel := Arange(0, 64, 2)
	for _, c := range []struct {
		name string
		f    func() *Tensor
	}{
		{"pad_reflect", func() *Tensor { return Pad(x, []int{1, 1, 1, 1}, PadReflect, 0) }},
		{"pad_reflect_naive", func() *Tensor { return naivePadReflect(x, 1, 1, 1, 1) }},
		{"pad_constant", func() *Tensor { return Pad(x, []int{1, 1, 1, 1}, PadConstant, 0) }},
		{"pad_grad_reflect", func() *Tensor { return PadGrad(x, []int{1, 1, 1, 1}, PadReflect) }},
		{"narrow_channels", func() *Tensor { return Narrow(x, 1, 16, 32) }},
		{"concat_channels", func() *Tensor { return Concat(1, x, x) }},
		{"slice_w_step2", func() *Tensor { return Slice(x, 3, 0, 64, 2) }},
		{"flip_w", func() *Tensor { return Flip(x, 3) }},
		{"index_select_h", func() *Tensor { return IndexSelect(x, 2, sel) }},
		{"gather_w", func() *Tensor { return Gather(x, 3, idx) }},
		{"tril", func() *Tensor { return Tril(x, 0) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * x.Numel()))
			b.ReportAllocs()
			for b.Loop() {
				c.f()
			}
		})
	}
}

// TestPadOneAxis checks the single-axis constant Pad (the gradient of Narrow) against
// an element-by-element reference, for small and parallel sizes.
func TestPadOneAxis(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	cases := []struct {
		shape  []int
		ax     int
		before int
		after  int
		value  float32
	}{
		{[]int{2, 3, 4}, 1, 1, 2, 0},
		{[]int{2, 3, 4}, 2, 0, 3, -1.5},
		{[]int{2, 3, 4}, 0, 2, 0, 7},
		{[]int{16, 128, 128}, 2, 128, 128, 0}, // the Narrow gradient of a fused QKV
		{[]int{300, 200}, 0, 5, 1, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.shape, c.ax, c.before, c.after), func(t *testing.T) {
			x := Randn(rng, c.shape...)
			nd := len(c.shape)
			pads := make([]int, 2*nd)
			pads[2*(nd-1-c.ax)], pads[2*(nd-1-c.ax)+1] = c.before, c.after
			got := Pad(x, pads, PadConstant, c.value)
			want := slices.Clone(c.shape)
			want[c.ax] += c.before + c.after
			require.Equal(t, want, got.Shape())
			outer, inner := 1, 1
			for _, d := range c.shape[:c.ax] {
				outer *= d
			}
			for _, d := range c.shape[c.ax+1:] {
				inner *= d
			}
			n, m := c.shape[c.ax], want[c.ax]
			for o := range outer {
				for i := range m {
					for j := range inner {
						w := c.value
						if i >= c.before && i < c.before+n {
							w = x.Data()[(o*n+i-c.before)*inner+j]
						}
						require.Equal(t, w, got.Data()[(o*m+i)*inner+j])
					}
				}
			}
		})
	}
}
