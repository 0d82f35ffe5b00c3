//go:build amd64 && !purego

package kernels

// sgemmKernel6x16 is the AVX2+FMA register-tiled micro-kernel: for the packed panels a
// (kc steps of 6 values, one per row) and b (kc steps of 16 values, one per column) it
// computes the 6×16 tile at c with row stride ldc:
//
//	for r < 6, j < 16:
//		s := Σ_{p<kc} a[p*6+r] * b[p*16+j]
//		if beta == 0 { c[r*ldc+j] = alpha*s } else { c[r*ldc+j] = alpha*s + beta*c[r*ldc+j] }
//
// C is not read when beta == 0, so NaNs there do not propagate. kc must be ≥ 1 and the
// CPU must support AVX2 and FMA.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernel6x16 runs the assembly micro-kernel when the CPU supports it, else the pure-Go one.
func kernel6x16(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	if useAsm {
		sgemmKernel6x16(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
		return
	}
	sgemmKernelGo(kc, a, b, c, ldc, alpha, beta)
}

// useAsm selects the assembly kernels; tests switch it off to cover the Go kernels.
var useAsm = hasAVX2FMA
