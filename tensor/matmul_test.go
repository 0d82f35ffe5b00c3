package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveMatMul multiplies op(a)·op(b) one output element at a time in float64, with
// batch axes broadcast, where op transposes the last two axes when asked.
func naiveMatMul(a, b *tensor.Tensor, transA, transB bool) ([]int, []float64) {
	as, bs := a.Shape(), b.Shape()
	ar, ac := as[len(as)-2], as[len(as)-1]
	br, bc := bs[len(bs)-2], bs[len(bs)-1]
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	n := bc
	if transB {
		n = br
	}
	batch := tensor.BroadcastShapes("test", as[:len(as)-2], bs[:len(bs)-2])
	nb := 1
	for _, d := range batch {
		nb *= d
	}
	out := append(append([]int{}, batch...), m, n)
	res := make([]float64, 0, nb*m*n)
	idx := make([]int, len(batch))
	for bi := 0; bi < nb; bi++ {
		ao := bcastIndex(idx, as[:len(as)-2], batch) * ar * ac
		bo := bcastIndex(idx, bs[:len(bs)-2], batch) * br * bc
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					av := a.Data()[ao+i*ac+p]
					if transA {
						av = a.Data()[ao+p*ac+i]
					}
					bv := b.Data()[bo+p*bc+j]
					if transB {
						bv = b.Data()[bo+j*bc+p]
					}
					s += float64(av) * float64(bv)
				}
				res = append(res, s)
			}
		}
		for ax := len(batch) - 1; ax >= 0; ax-- {
			idx[ax]++
			if idx[ax] < batch[ax] {
				break
			}
			idx[ax] = 0
		}
	}
	return out, res
}

func TestMatMul(t *testing.T) {
	cases := []struct {
		a, b           []int
		transA, transB bool
	}{
		{[]int{3, 4}, []int{4, 5}, false, false},
		{[]int{1, 1}, []int{1, 1}, false, false},
		{[]int{1, 7}, []int{7, 1}, false, false},
		{[]int{2, 1, 3, 4}, []int{3, 4, 5}, false, false},
		{[]int{2, 3, 4}, []int{4, 5}, false, false},
		{[]int{3, 4}, []int{2, 4, 5}, false, false},
		{[]int{2, 3, 4}, []int{1, 4, 5}, false, false},
		{[]int{2, 3, 4}, []int{2, 4, 5}, false, false},
		{[]int{4, 3}, []int{4, 5}, true, false},
		{[]int{3, 4}, []int{5, 4}, false, true},
		{[]int{4, 3}, []int{5, 4}, true, true},
		{[]int{2, 4, 3}, []int{4, 5}, true, false},
		{[]int{2, 3, 4}, []int{5, 4}, false, true},
		{[]int{2, 1, 4, 3}, []int{3, 5, 4}, true, true},
		{[]int{1, 2, 4, 3}, []int{2, 1, 4, 5}, true, false},
		{[]int{17, 33}, []int{33, 65}, false, false}, // sizes that are not multiples of a block
		{[]int{3, 0}, []int{0, 4}, false, false},     // k = 0: zeros
		{[]int{0, 3}, []int{3, 4}, false, false},     // m = 0
		{[]int{2, 0, 3, 4}, []int{4, 5}, false, false},
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v%v_%v_%v", c.a, c.b, c.transA, c.transB), func(t *testing.T) {
			a, b := tensor.Randn(rng, c.a...), tensor.Randn(rng, c.b...)
			got := tensor.MatMulT(a, b, c.transA, c.transB)
			shape, want := naiveMatMul(a, b, c.transA, c.transB)
			require.Equal(t, shape, got.Shape())
			assert.InDeltaSlice(t, want, f64(got), 1e-4)
			if !c.transA && !c.transB {
				assert.Equal(t, got.Data(), tensor.MatMul(a, b).Data())
			}
		})
	}
}

func TestMatMulTransposeEquivalence(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	a, b := tensor.Randn(rng, 2, 5, 3), tensor.Randn(rng, 2, 4, 5)
	// aᵀ·bᵀ = (b·a)ᵀ
	got := tensor.MatMulT(a, b, true, true)
	want := tensor.Transpose(tensor.MatMul(b, a), -1, -2)
	assert.InDeltaSlice(t, f64(want), f64(got), 1e-5)
	// MatMulT(a, b, true, false) = MatMul(aᵀ, b) with an explicit copy.
	c := tensor.Randn(rng, 5, 6)
	assert.InDeltaSlice(t, f64(tensor.MatMul(tensor.Transpose(a, 1, 2), c)), f64(tensor.MatMulT(a, c, true, false)), 1e-5)
}

func TestMatMulIdentity(t *testing.T) {
	x := tensor.Randn(rand.New(rand.NewPCG(10, 10)), 4, 4)
	assert.Equal(t, x.Data(), tensor.MatMul(x, tensor.Eye(4)).Data())
	assert.Equal(t, x.Data(), tensor.MatMul(tensor.Eye(4), x).Data())
}
