package autograd

import (
	"fmt"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// The reference values come from tensor/testdata/gen_index.py.

// indexCase binds a golden case to its test so the op table below reads briefly.
type indexCase struct {
	*golden.Case
	tb testing.TB
}

func (c *indexCase) t(name string) *tensor.Tensor { return c.T(c.tb, name) }
func (c *indexCase) has(name string) bool         { return c.Has(name) }
func (c *indexCase) int(name string) int          { return c.Int(c.tb, name) }
func (c *indexCase) ints(name string) []int       { return c.Ints(c.tb, name) }

func loadIndexGolden(t *testing.T, path string) []*indexCase {
	var out []*indexCase
	for _, c := range golden.Load(t, path).Cases {
		out = append(out, &indexCase{c, t})
	}
	return out
}

// indexClose fails unless got and want have one shape and agree within tol·(1+|want|).
func indexClose(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	golden.Close(t, what, got, want, tol, tol)
}

var padModes = map[string]tensor.PadMode{
	"constant": tensor.PadConstant, "reflect": tensor.PadReflect, "replicate": tensor.PadReplicate,
}

// indexGoldenOp returns the names of the differentiable inputs of c and the function of
// them that c's op computes.
func indexGoldenOp(c *indexCase) ([]string, func(xs []*Var) *Var) {
	op := c.Attrs["op"].(string)
	x := []string{"x"}
	switch op {
	case "gather":
		return x, func(v []*Var) *Var { return Gather(v[0], c.int("axis"), c.t("index")) }
	case "index_select":
		return x, func(v []*Var) *Var { return IndexSelect(v[0], c.int("axis"), c.t("index")) }
	case "index_add":
		return []string{"x", "src"}, func(v []*Var) *Var { return IndexAdd(v[0], c.int("axis"), c.t("index"), v[1]) }
	case "scatter_add":
		return []string{"x", "src"}, func(v []*Var) *Var { return ScatterAdd(v[0], c.int("axis"), c.t("index"), v[1]) }
	case "pad":
		mode := padModes[c.Attrs["mode"].(string)]
		value := float32(c.Attrs["value"].(float64))
		return x, func(v []*Var) *Var { return Pad(v[0], c.ints("pads"), mode, value) }
	case "cat", "stack":
		var names []string
		for i := 0; c.has(fmt.Sprintf("x%d", i)); i++ {
			names = append(names, fmt.Sprintf("x%d", i))
		}
		if op == "cat" {
			return names, func(v []*Var) *Var { return Concat(c.int("axis"), v...) }
		}
		return names, func(v []*Var) *Var { return Stack(c.int("axis"), v...) }
	case "flip":
		return x, func(v []*Var) *Var { return Flip(v[0], c.ints("axes")...) }
	case "narrow":
		return x, func(v []*Var) *Var { return Narrow(v[0], c.int("axis"), c.int("start"), c.int("length")) }
	case "slice":
		return x, func(v []*Var) *Var {
			return Slice(v[0], c.int("axis"), c.int("start"), c.int("end"), c.int("step"))
		}
	case "split":
		return x, func(v []*Var) *Var {
			p := Split(v[0], c.int("axis"), c.ints("sizes")...)
			for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
				p[i], p[j] = p[j], p[i]
			}
			return Concat(c.int("axis"), p...)
		}
	case "chunk":
		return x, func(v []*Var) *Var {
			p := Chunk(v[0], c.int("n"), c.int("axis"))
			for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
				p[i], p[j] = p[j], p[i]
			}
			return Concat(c.int("axis"), p...)
		}
	case "tril":
		return x, func(v []*Var) *Var { return Tril(v[0], c.int("k")) }
	case "triu":
		return x, func(v []*Var) *Var { return Triu(v[0], c.int("k")) }
	case "masked_fill":
		value := float32(c.Attrs["value"].(float64))
		return x, func(v []*Var) *Var { return MaskedFill(v[0], c.t("mask"), value) }
	}
	return nil, nil
}

// TestIndexGolden compares forward values and gradients, for a fixed random upstream
// gradient, with PyTorch.
func TestIndexGolden(t *testing.T) {
	const tol = 1e-5
	n := 0
	for _, c := range loadIndexGolden(t, "../tensor/testdata/index.json") {
		names, f := indexGoldenOp(c)
		if f == nil {
			continue // one_hot and printing are tested in package tensor
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			xs := make([]*Var, len(names))
			for i, name := range names {
				xs[i] = Param(c.t(name))
			}
			y := f(xs)
			indexClose(t, "y", y.Value(), c.t("y"), tol)
			if !c.has("g") {
				return
			}
			y.BackwardWith(c.t("g"))
			for i, name := range names {
				indexClose(t, "g"+name, xs[i].Grad(), c.t("g"+name), tol)
			}
		})
	}
	require.Greater(t, n, 30)
}
