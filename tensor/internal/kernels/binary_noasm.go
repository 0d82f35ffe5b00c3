//go:build !amd64 || purego

package kernels

// binaryVec does nothing without assembly: Binary's Go loops do all the work.
func binaryVec(op BinOp, dst, a []float32, sa int, b []float32, sb int) int { return 0 }
