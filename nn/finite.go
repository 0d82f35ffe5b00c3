package nn

import (
	"fmt"
	"math"

	"github.com/genblocks/genblocks/tensor"
)

// NonFiniteError reports the first NaN or infinite value CheckFinite found.
type NonFiniteError struct {
	Name  string  // state_dict name of the parameter or buffer
	Grad  bool    // whether the value is in the parameter's gradient
	Index int     // flat index of the value
	Value float32 // the NaN or ±Inf
}

// Error names the step-independent facts: the parameter, value or gradient, and where.
func (e *NonFiniteError) Error() string {
	what := "value"
	if e.Grad {
		what = "gradient"
	}
	return fmt.Sprintf("nn: %s of %s is %v at index %d", what, e.Name, e.Value, e.Index)
}

// CheckFinite returns a *NonFiniteError naming the first parameter (in creation order)
// whose value or gradient holds a NaN or an infinity, then the first such buffer, or nil
// when every value is finite. Training loops call it after Backward (gradients) or
// after the optimizer step (values) to stop at the step where training diverged:
//
//	if err := nn.CheckFinite(vs); err != nil {
//		return fmt.Errorf("step %d: %w", step, err)
//	}
//
// It reads every value once, which costs far less than a forward pass.
func CheckFinite(vs *VarStore) error {
	for _, nv := range vs.NamedParams() {
		if err := firstNonFinite(nv.Name, false, nv.Var.Value()); err != nil {
			return err
		}
		if err := firstNonFinite(nv.Name, true, nv.Var.Grad()); err != nil {
			return err
		}
	}
	sd := vs.StateDict()
	for _, name := range vs.Names() {
		if vs.Param(name) == nil {
			if err := firstNonFinite(name, false, sd[name]); err != nil {
				return err
			}
		}
	}
	return nil
}

func firstNonFinite(name string, grad bool, t *tensor.Tensor) error {
	if t == nil {
		return nil
	}
	for i, v := range t.Data() {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return &NonFiniteError{Name: name, Grad: grad, Index: i, Value: v}
		}
	}
	return nil
}
