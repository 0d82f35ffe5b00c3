//go:build !amd64 || purego

package kernels

// useAsm is always false without assembly.
var useAsm = false

// Without assembly there is no AVX-512 kernel either.
var useAVX512, hasAVX512 = false, false

// kernel6x16 is the pure-Go micro-kernel; see sgemmKernelGo.
func kernel6x16(kc int, a0, a1 []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32) {
	sgemmKernelGo(kc, a0, a1, rsa, csa, b, c, ldc, alpha, beta)
}

// kernel3x16 reports false: the Go kernel computes whole 6-row tiles.
func kernel3x16(kc int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha float32) bool {
	return false
}

func packB16(dst, src []float32, ldb, kc int) { packB16Go(dst, src, ldb, kc) }

func packB16Off(dst, src []float32, off []int, kc int) { packB16OffGo(dst, src, off, kc) }

func packA6(dst, src []float32, lda, kc int) { packA6Go(dst, src, lda, kc) }
