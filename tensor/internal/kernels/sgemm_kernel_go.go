package kernels

// sgemmKernelGo is the pure-Go micro-kernel, the same loop as sgemmKernel6x16: rows 0-2
// of A start at a0 and rows 3-5 at a1, with row stride rsa and k stride csa; b is a
// packed panel of kc steps of 16 values,
//
//	for r < 6, j < 16:
//		s := Σ_{p<kc} A[r][p*csa] * b[p*16+j]   (A[r] = a0[r*rsa:] for r < 3, a1[(r-3)*rsa:] after)
//		if beta == 0 { c[r*ldc+j] = alpha*s } else { c[r*ldc+j] = alpha*s + beta*c[r*ldc+j] }
//
// It works on 2×4 sub-tiles so the eight accumulators stay in registers.
func sgemmKernelGo(kc int, a0, a1 []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32) {
	b = b[:kc*gemmNR]
	row := func(r int) []float32 {
		if r < 3 {
			return a0[r*rsa:]
		}
		return a1[(r-3)*rsa:]
	}
	for r := 0; r < gemmMR; r += 2 {
		c0 := c[r*ldc : r*ldc+gemmNR]
		c1 := c[(r+1)*ldc : (r+1)*ldc+gemmNR]
		a0s, a1s := row(r), row(r+1)
		for j := 0; j < gemmNR; j += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			for p := range kc {
				a0, a1 := a0s[p*csa], a1s[p*csa]
				bp := b[p*gemmNR+j:][:4:4]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				s00 += a0 * b0
				s01 += a0 * b1
				s02 += a0 * b2
				s03 += a0 * b3
				s10 += a1 * b0
				s11 += a1 * b1
				s12 += a1 * b2
				s13 += a1 * b3
			}
			d0 := c0[j : j+4 : j+4]
			d1 := c1[j : j+4 : j+4]
			if beta == 0 {
				d0[0], d0[1], d0[2], d0[3] = alpha*s00, alpha*s01, alpha*s02, alpha*s03
				d1[0], d1[1], d1[2], d1[3] = alpha*s10, alpha*s11, alpha*s12, alpha*s13
			} else {
				d0[0] = alpha*s00 + beta*d0[0]
				d0[1] = alpha*s01 + beta*d0[1]
				d0[2] = alpha*s02 + beta*d0[2]
				d0[3] = alpha*s03 + beta*d0[3]
				d1[0] = alpha*s10 + beta*d1[0]
				d1[1] = alpha*s11 + beta*d1[1]
				d1[2] = alpha*s12 + beta*d1[2]
				d1[3] = alpha*s13 + beta*d1[3]
			}
		}
	}
}

// packB16Go is the Go twin of sgemmPackB16:
//
//	for p < kc, j < 16: dst[p*16+j] = src[p*ldb+j]
func packB16Go(dst, src []float32, ldb, kc int) {
	for p := range kc {
		d := dst[p*gemmNR:][:gemmNR:gemmNR]
		s := src[p*ldb:][:gemmNR:gemmNR]
		copy(d, s)
	}
}

// packB16OffGo is the Go twin of sgemmPackB16Off:
//
//	for p < kc, j < 16: dst[p*16+j] = src[off[p]+j]
func packB16OffGo(dst, src []float32, off []int, kc int) {
	for p, o := range off[:kc] {
		*(*[gemmNR]float32)(dst[p*gemmNR:]) = *(*[gemmNR]float32)(src[o:])
	}
}

// packA6Go is the Go twin of sgemmPackA6:
//
//	for p < kc, r < 6: dst[p*6+r] = src[r*lda+p]
func packA6Go(dst, src []float32, lda, kc int) {
	r0 := src[:kc]
	r1 := src[lda:][:kc]
	r2 := src[2*lda:][:kc]
	r3 := src[3*lda:][:kc]
	r4 := src[4*lda:][:kc]
	r5 := src[5*lda:][:kc]
	for p := range r0 {
		q := dst[p*gemmMR:][:gemmMR:gemmMR]
		q[0], q[1], q[2], q[3], q[4], q[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}
