//go:build amd64 && !purego

package kernels

// The AVX forms of kernels.Binary's add, subtract, multiply and divide (see
// binary_amd64.s); they need AVX, which hasAVX2FMA implies.

//go:noescape
func vaddvv(dst, a, b []float32)

//go:noescape
func vaddvs(dst, x []float32, s float32)

//go:noescape
func vaddsv(dst, x []float32, s float32)

//go:noescape
func vsubvv(dst, a, b []float32)

//go:noescape
func vsubvs(dst, x []float32, s float32)

//go:noescape
func vsubsv(dst, x []float32, s float32)

//go:noescape
func vmulvv(dst, a, b []float32)

//go:noescape
func vmulvs(dst, x []float32, s float32)

//go:noescape
func vmulsv(dst, x []float32, s float32)

//go:noescape
func vdivvv(dst, a, b []float32)

//go:noescape
func vdivvs(dst, x []float32, s float32)

//go:noescape
func vdivsv(dst, x []float32, s float32)

// binaryVec runs the vector loop for op over the first len(dst)&^7 elements of dst
// (a and b of the same length, or one of them a single broadcast value: sa or sb 0)
// and returns how many it did.
func binaryVec(op BinOp, dst, a []float32, sa int, b []float32, sb int) int {
	n8 := len(dst) &^ 7
	if !useVecMath || n8 == 0 {
		return 0
	}
	d := dst[:n8]
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n8], b[:n8]
		switch op {
		case Add:
			vaddvv(d, a, b)
		case Sub:
			vsubvv(d, a, b)
		case Mul:
			vmulvv(d, a, b)
		case Div:
			vdivvv(d, a, b)
		default:
			return 0
		}
	case sa == 1 && sb == 0:
		a = a[:n8]
		switch op {
		case Add:
			vaddvs(d, a, b[0])
		case Sub:
			vsubvs(d, a, b[0])
		case Mul:
			vmulvs(d, a, b[0])
		case Div:
			vdivvs(d, a, b[0])
		default:
			return 0
		}
	case sa == 0 && sb == 1:
		b = b[:n8]
		switch op {
		case Add:
			vaddsv(d, b, a[0])
		case Sub:
			vsubsv(d, b, a[0])
		case Mul:
			vmulsv(d, b, a[0])
		case Div:
			vdivsv(d, b, a[0])
		default:
			return 0
		}
	default:
		return 0
	}
	return n8
}
