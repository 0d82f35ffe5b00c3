package optim

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/genblocks/genblocks/tensor"
)

// The golden reader of tensor/internal/golden cannot be imported from here (Go's
// internal rule limits it to package tensor's tree), so this is a minimal copy of it
// for the files testdata/golden.py writes.

type goldenFile struct {
	Cases []*goldenCase `json:"cases"`
}

type goldenCase struct {
	Name    string                   `json:"name"`
	Attrs   map[string]any           `json:"attrs"`
	Tensors map[string]*goldenTensor `json:"tensors"`
}

type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func loadGolden(t testing.TB, path string) *goldenFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	var f goldenFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("golden: %s: %v", path, err)
	}
	return &f
}

func (f *goldenFile) Case(t testing.TB, name string) *goldenCase {
	t.Helper()
	for _, c := range f.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("golden: no case %q", name)
	return nil
}

// T returns the tensor called name as float32.
func (c *goldenCase) T(t testing.TB, name string) *tensor.Tensor {
	t.Helper()
	s, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden: case %q has no tensor %q", c.Name, name)
	}
	return tensor.FromFloat64(s.Data, s.Shape...)
}

// F64 returns the tensor called name as float64 values (schedules are stored in
// float64).
func (c *goldenCase) F64(t testing.TB, name string) []float64 {
	t.Helper()
	s, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden: case %q has no tensor %q", c.Name, name)
	}
	return s.Data
}

// attr returns the numeric attribute name, or def if it is absent.
func (c *goldenCase) attr(name string, def float64) float64 {
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
