package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/genblocks/genblocks/tensor"
)

// File is a golden file's cases by name.
type File struct {
	Cases []*Case `json:"cases"`
}

// Case is one reference computation: named tensors and scalar attributes.
type Case struct {
	Name    string             `json:"name"`
	Attrs   map[string]any     `json:"attrs"`
	Tensors map[string]*Stored `json:"tensors"`
}

// Stored is a tensor as written by the generator.
type Stored struct {
	Shape []int   `json:"shape"`
	Data  Numbers `json:"data"`
}

// Numbers is a list of JSON numbers in which the strings "nan", "inf" and "-inf"
// stand for the values JSON cannot hold.
type Numbers []float64

// UnmarshalJSON reads numbers and the non-finite strings.
func (n *Numbers) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]float64, len(raw))
	for i, v := range raw {
		switch v := v.(type) {
		case float64:
			out[i] = v
		case string:
			switch v {
			case "nan":
				out[i] = math.NaN()
			case "inf":
				out[i] = math.Inf(1)
			case "-inf":
				out[i] = math.Inf(-1)
			default:
				return fmt.Errorf("golden: bad number %q", v)
			}
		default:
			return fmt.Errorf("golden: bad number %v", v)
		}
	}
	*n = out
	return nil
}

// Load reads a golden file and fails the test if it cannot.
func Load(t testing.TB, path string) *File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("golden: %s: %v", path, err)
	}
	return &f
}

// Case returns the case called name and fails the test if there is none.
func (f *File) Case(t testing.TB, name string) *Case {
	t.Helper()
	for _, c := range f.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("golden: no case %q", name)
	return nil
}

// T returns the tensor called name and fails the test if there is none.
func (c *Case) T(t testing.TB, name string) *tensor.Tensor {
	t.Helper()
	s, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden: case %q has no tensor %q", c.Name, name)
	}
	if s.Shape == nil {
		s.Shape = []int{}
	}
	return tensor.FromFloat64(s.Data, s.Shape...)
}

// F64 returns the values of the tensor called name in float64, as written.
func (c *Case) F64(t testing.TB, name string) []float64 {
	t.Helper()
	s, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden: case %q has no tensor %q", c.Name, name)
	}
	return s.Data
}

// NumOr returns the numeric (or boolean, as 0/1) attribute name, or def if absent.
func (c *Case) NumOr(name string, def float64) float64 {
	switch v := c.Attrs[name].(type) {
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
		return 0
	}
	return def
}

// Has reports whether the case holds a tensor called name.
func (c *Case) Has(name string) bool { _, ok := c.Tensors[name]; return ok }

// Int returns the integer attribute name (JSON numbers and booleans).
func (c *Case) Int(t testing.TB, name string) int {
	t.Helper()
	switch v := c.Attrs[name].(type) {
	case float64:
		return int(v)
	case bool:
		if v {
			return 1
		}
		return 0
	}
	t.Fatalf("golden: case %q has no numeric attribute %q", c.Name, name)
	return 0
}

// Float returns the numeric attribute name.
func (c *Case) Float(t testing.TB, name string) float64 {
	t.Helper()
	v, ok := c.Attrs[name].(float64)
	if !ok {
		t.Fatalf("golden: case %q has no numeric attribute %q", c.Name, name)
	}
	return v
}

// Ints returns the integer-list attribute name.
func (c *Case) Ints(t testing.TB, name string) []int {
	t.Helper()
	raw, ok := c.Attrs[name].([]any)
	if !ok {
		t.Fatalf("golden: case %q has no list attribute %q", c.Name, name)
	}
	out := make([]int, len(raw))
	for i, v := range raw {
		out[i] = int(v.(float64))
	}
	return out
}

// String returns the string attribute name.
func (c *Case) String(t testing.TB, name string) string {
	t.Helper()
	v, ok := c.Attrs[name].(string)
	if !ok {
		t.Fatalf("golden: case %q has no string attribute %q", c.Name, name)
	}
	return v
}

// Close fails the test if got and want differ in shape or by more than
// atol + rtol·|want| anywhere, naming the first element that does.
func Close(t testing.TB, what string, got, want *tensor.Tensor, atol, rtol float64) {
	t.Helper()
	if !tensor.SameShape(got, want) {
		t.Fatalf("%s: shape %s, want %s", what, tensor.ShapeString(got.Shape()), tensor.ShapeString(want.Shape()))
	}
	g, w := got.Data(), want.Data()
	for i := range g {
		d := float64(g[i]) - float64(w[i])
		if d < 0 {
			d = -d
		}
		lim := atol + rtol*abs(float64(w[i]))
		if w[i] != w[i] && g[i] != g[i] || g[i] == w[i] {
			continue // NaN where NaN is expected; equal infinities
		}
		if !(d <= lim) {
			t.Fatalf("%s: element %d is %g, want %g (diff %.3g > %.3g)", what, i, g[i], w[i], d, lim)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
