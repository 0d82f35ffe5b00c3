// Package golden reads the reference values that PyTorch scripts (testdata/gen_*.py)
// write for the tests. A golden file is JSON:
//
//	{"cases": [{"name": "conv_stride2", "attrs": {"stride": 2},
//	            "tensors": {"x": {"shape": [1,2,5,5], "data": [...]}, ...}}]}
//
// The tests never run Python; they read the committed files.
package golden
