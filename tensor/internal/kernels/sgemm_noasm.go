//go:build !amd64 || purego

package kernels

// kernel6x16 is the pure-Go micro-kernel; see sgemmKernelGo.
func kernel6x16(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	sgemmKernelGo(kc, a, b, c, ldc, alpha, beta)
}

// useAsm is always false without assembly.
var useAsm = false
