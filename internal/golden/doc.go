// Package golden reads the reference values that PyTorch scripts (testdata/gen_*.py)
// write for the tests. A golden file is JSON:
//
//	{"cases": [{"name": "conv_stride2", "attrs": {"stride": 2},
//	            "tensors": {"x": {"shape": [1,2,5,5], "data": [...]}, ...}}]}
//
// The tests never run Python; they read the committed files.
//
// # Shapes
//
// A stored tensor keeps PyTorch's shape and row-major data; Case.T returns it as a
// contiguous float32 *tensor.Tensor of that shape. Non-finite values are stored as the
// strings "nan", "inf" and "-inf".
//
// # Errors
//
// Every function takes the test's testing.TB and fails the test (t.Fatal) when a file,
// case, tensor or attribute is missing or malformed, so callers need no error checks.
// Close fails the test, naming the first element at fault, when two tensors differ by more than
// atol + rtol·|want| anywhere or have different shapes.
package golden
