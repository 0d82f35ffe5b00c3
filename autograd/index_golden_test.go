package autograd

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// The reference values come from tensor/testdata/gen_index.py. Package autograd may not
// import tensor/internal/golden (Go's internal rule), so this file reads the same JSON
// layout itself.

type goldenCase struct {
	Name    string         `json:"name"`
	Attrs   map[string]any `json:"attrs"`
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"tensors"`
}

func (c *goldenCase) t(name string) *tensor.Tensor {
	s, ok := c.Tensors[name]
	if !ok {
		panic(fmt.Sprintf("case %s has no tensor %s", c.Name, name))
	}
	if s.Shape == nil {
		s.Shape = []int{}
	}
	return tensor.FromFloat64(s.Data, s.Shape...)
}

func (c *goldenCase) has(name string) bool { _, ok := c.Tensors[name]; return ok }

func (c *goldenCase) int(name string) int { return int(c.Attrs[name].(float64)) }

func (c *goldenCase) ints(name string) []int {
	var out []int
	for _, v := range c.Attrs[name].([]any) {
		out = append(out, int(v.(float64)))
	}
	return out
}

func loadGolden(t *testing.T, path string) []*goldenCase {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f struct {
		Cases []*goldenCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	return f.Cases
}

// closeTo fails unless got and want have one shape and agree within tol·(1+|want|).
func closeTo(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape(), "%s: shape", what)
	for i, w := range want.Data() {
		g := got.Data()[i]
		d := float64(g) - float64(w)
		lim := tol * (1 + max(float64(w), -float64(w)))
		if !(d <= lim && -d <= lim) {
			t.Fatalf("%s: element %d is %g, want %g", what, i, g, w)
		}
	}
}

var padModes = map[string]tensor.PadMode{
	"constant": tensor.PadConstant, "reflect": tensor.PadReflect, "replicate": tensor.PadReplicate,
}

// goldenOp returns the names of the differentiable inputs of c and the function of
// them that c's op computes.
func goldenOp(c *goldenCase) ([]string, func(xs []*Var) *Var) {
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
	for _, c := range loadGolden(t, "../tensor/testdata/index.json") {
		names, f := goldenOp(c)
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
			closeTo(t, "y", y.Value(), c.t("y"), tol)
			if !c.has("g") {
				return
			}
			y.BackwardWith(c.t("g"))
			for i, name := range names {
				closeTo(t, "g"+name, xs[i].Grad(), c.t("g"+name), tol)
			}
		})
	}
	require.Greater(t, n, 30)
}
