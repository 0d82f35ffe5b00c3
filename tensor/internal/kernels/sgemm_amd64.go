//go:build amd64 && !purego

package kernels

// sgemmKernel6x16 is the AVX2+FMA register-tiled micro-kernel. Rows 0-2 of A start at
// a0 and rows 3-5 at a1, each set with row stride rsa, and every row steps by csa along
// k (in elements), so it serves a packed panel (a1 = a0+3, rsa=1, csa=6), A in place
// (a1 = a0+3·lda, rsa=lda, csa=1) and two triples of windows of an implicit matrix;
// b is a packed panel of kc steps of 16 values. It computes the 6×16 tile at c with row
// stride ldc:
//
//	for r < 6, j < 16:
//		s := Σ_{p<kc} A[r][p] * b[p*16+j]
//		if beta == 0 { c[r*ldc+j] = alpha*s } else { c[r*ldc+j] = alpha*s + beta*c[r*ldc+j] }
//
// C is not read when beta == 0, so NaNs there do not propagate. kc must be ≥ 1 and the
// CPU must support AVX2 and FMA.
//
//go:noescape
func sgemmKernel6x16(kc int, a0, a1 *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32)

// sgemmKernel6x16AVX512 is sgemmKernel6x16 in AVX-512 registers, one row of the tile
// per register: half the instructions of the AVX2 kernel. The CPU must support
// AVX-512F.
//
//go:noescape
func sgemmKernel6x16AVX512(kc int, a0, a1 *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32)

// sgemmKernel3x16 is sgemmKernel6x16 for rows 0-2 only, with beta == 0: the edge
// tile of a block whose last panel holds at most three rows.
//
//go:noescape
func sgemmKernel3x16(kc int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha float32)

// sgemmKernel3x16AVX512 is sgemmKernel3x16 in AVX-512 registers. The CPU must
// support AVX-512F.
//
//go:noescape
func sgemmKernel3x16AVX512(kc int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha float32)

// sgemmPackB16 copies kc rows of 16 values, row stride ldb, contiguously into dst:
//
//	for p < kc, j < 16: dst[p*16+j] = src[p*ldb+j]
//
//go:noescape
func sgemmPackB16(dst, src *float32, ldb, kc int)

// sgemmPackB16Off copies 16 values from each of kc rows starting at src[off[p]]
// contiguously into dst:
//
//	for p < kc, j < 16: dst[p*16+j] = src[off[p]+j]
//
//go:noescape
func sgemmPackB16Off(dst, src *float32, off *int, kc int)

// sgemmPackA6 interleaves 6 rows of kc values, row stride lda, into dst:
//
//	for p < kc, r < 6: dst[p*6+r] = src[r*lda+p]
//
//go:noescape
func sgemmPackA6(dst, src *float32, lda, kc int)

// useAsm selects the assembly kernels; tests switch it off to cover the Go kernels.
var useAsm = hasAVX2FMA

// useAVX512 selects the AVX-512 form of the 6×16 micro-kernel (with useAsm); tests
// switch it to cover both.
var useAVX512 = hasAVX512

// kernel6x16 runs the assembly micro-kernel when the CPU supports it, else the Go one.
// Rows 0-2 of A start at a0 and rows 3-5 at a1 (see sgemmKernel6x16).
func kernel6x16(kc int, a0, a1 []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32) {
	if useAsm {
		last := (kc - 1) * csa
		_, _, _ = a0[2*rsa+last], a1[2*rsa+last], b[kc*gemmNR-1]
		_ = c[5*ldc+gemmNR-1]
		if useAVX512 {
			sgemmKernel6x16AVX512(kc, &a0[0], &a1[0], rsa, csa, &b[0], &c[0], ldc, alpha, beta)
			return
		}
		sgemmKernel6x16(kc, &a0[0], &a1[0], rsa, csa, &b[0], &c[0], ldc, alpha, beta)
		return
	}
	sgemmKernelGo(kc, a0, a1, rsa, csa, b, c, ldc, alpha, beta)
}

// kernel3x16 computes rows 0-2 of the tile as kernel6x16 with beta 0 does and
// reports true, or reports false (doing nothing) without the assembly kernel.
func kernel3x16(kc int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha float32) bool {
	if !useAsm {
		return false
	}
	_, _ = a[2*rsa+(kc-1)*csa], b[kc*gemmNR-1]
	_ = c[2*ldc+gemmNR-1]
	if useAVX512 {
		sgemmKernel3x16AVX512(kc, &a[0], rsa, csa, &b[0], &c[0], ldc, alpha)
		return true
	}
	sgemmKernel3x16(kc, &a[0], rsa, csa, &b[0], &c[0], ldc, alpha)
	return true
}

// packB16 is sgemmPackB16 or its Go twin.
func packB16(dst, src []float32, ldb, kc int) {
	if useAsm {
		_, _ = dst[kc*gemmNR-1], src[(kc-1)*ldb+gemmNR-1]
		sgemmPackB16(&dst[0], &src[0], ldb, kc)
		return
	}
	packB16Go(dst, src, ldb, kc)
}

// packB16Off is sgemmPackB16Off or its Go twin. The caller has checked that every
// row lies inside src.
func packB16Off(dst, src []float32, off []int, kc int) {
	if useAsm {
		_, _ = dst[kc*gemmNR-1], off[kc-1]
		sgemmPackB16Off(&dst[0], &src[0], &off[0], kc)
		return
	}
	packB16OffGo(dst, src, off, kc)
}

// packA6 is sgemmPackA6 or its Go twin.
func packA6(dst, src []float32, lda, kc int) {
	if useAsm {
		_, _ = dst[kc*gemmMR-1], src[5*lda+kc-1]
		sgemmPackA6(&dst[0], &src[0], lda, kc)
		return
	}
	packA6Go(dst, src, lda, kc)
}
