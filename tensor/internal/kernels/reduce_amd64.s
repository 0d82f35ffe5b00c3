//go:build amd64 && !purego

#include "textflag.h"

// Reductions and a three-term affine map in AVX2+FMA. Each runs over len(x) or
// len(g) or len(dst) elements, which must be a multiple of 8: the Go wrappers in
// reduce_amd64.go do the tails.

// HSUM leaves the sum of the eight lanes of Y(r) in X(r)'s low lane (clobbers X15).
#define HSUM(yr, xr) \
	VEXTRACTF128 $1, yr, X15; \
	VADDPS       X15, xr, xr; \
	VHADDPS      xr, xr, xr; \
	VHADDPS      xr, xr, xr

// func vsumDot(g, y []float32) (sg, sgy float32)
TEXT ·vsumDot(SB), NOSPLIT, $0-56
	MOVQ   g_base+0(FP), SI
	MOVQ   g_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

sdloop32:
	CMPQ        CX, $32
	JL          sdloop8
	VMOVUPS     (SI), Y8
	VMOVUPS     32(SI), Y9
	VMOVUPS     64(SI), Y10
	VMOVUPS     96(SI), Y11
	VADDPS      Y8, Y0, Y0
	VADDPS      Y9, Y1, Y1
	VADDPS      Y10, Y2, Y2
	VADDPS      Y11, Y3, Y3
	VFMADD231PS (DI), Y8, Y4
	VFMADD231PS 32(DI), Y9, Y5
	VFMADD231PS 64(DI), Y10, Y6
	VFMADD231PS 96(DI), Y11, Y7
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         sdloop32

sdloop8:
	CMPQ        CX, $8
	JL          sddone
	VMOVUPS     (SI), Y8
	VADDPS      Y8, Y0, Y0
	VFMADD231PS (DI), Y8, Y4
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         sdloop8

sddone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	HSUM(Y0, X0)
	HSUM(Y4, X4)
	MOVSS  X0, sg+48(FP)
	MOVSS  X4, sgy+52(FP)
	VZEROUPPER
	RET

// func vsumSqDev(x []float32, m float32) float32
TEXT ·vsumSqDev(SB), NOSPLIT, $0-36
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS m+24(FP), Y14
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3

sqloop32:
	CMPQ        CX, $32
	JL          sqloop8
	VSUBPS      (SI), Y14, Y8
	VSUBPS      32(SI), Y14, Y9
	VSUBPS      64(SI), Y14, Y10
	VSUBPS      96(SI), Y14, Y11
	VFMADD231PS Y8, Y8, Y0
	VFMADD231PS Y9, Y9, Y1
	VFMADD231PS Y10, Y10, Y2
	VFMADD231PS Y11, Y11, Y3
	ADDQ        $128, SI
	SUBQ        $32, CX
	JMP         sqloop32

sqloop8:
	CMPQ        CX, $8
	JL          sqdone
	VSUBPS      (SI), Y14, Y8
	VFMADD231PS Y8, Y8, Y0
	ADDQ        $32, SI
	SUBQ        $8, CX
	JMP         sqloop8

sqdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0)
	MOVSS  X0, ret+32(FP)
	VZEROUPPER
	RET

// func vaxpbyc(dst, x, y []float32, a, b, c float32)
TEXT ·vaxpbyc(SB), NOSPLIT, $0-84
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	MOVQ         y_base+48(FP), DX
	VBROADCASTSS a+72(FP), Y12
	VBROADCASTSS b+76(FP), Y13
	VBROADCASTSS c+80(FP), Y14

abloop16:
	CMPQ        CX, $16
	JL          abloop8
	VMOVAPS     Y14, Y0
	VMOVAPS     Y14, Y1
	VFMADD231PS (SI), Y12, Y0
	VFMADD231PS 32(SI), Y12, Y1
	VFMADD231PS (DX), Y13, Y0
	VFMADD231PS 32(DX), Y13, Y1
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DX
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         abloop16

abloop8:
	CMPQ        CX, $8
	JL          abdone
	VMOVAPS     Y14, Y0
	VFMADD231PS (SI), Y12, Y0
	VFMADD231PS (DX), Y13, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         abloop8

abdone:
	VZEROUPPER
	RET

// func vnormAffine(y, out, x []float32, m, rs, w, b float32)
// y[i] = (x[i]-m)·rs; out[i] = y[i]·w + b, the product rounded before the sum.
TEXT ·vnormAffine(SB), NOSPLIT, $0-88
	MOVQ         y_base+0(FP), DI
	MOVQ         y_len+8(FP), CX
	MOVQ         out_base+24(FP), DX
	MOVQ         x_base+48(FP), SI
	VBROADCASTSS m+72(FP), Y11
	VBROADCASTSS rs+76(FP), Y12
	VBROADCASTSS w+80(FP), Y13
	VBROADCASTSS b+84(FP), Y14

naloop:
	CMPQ        CX, $8
	JL          nadone
	VMOVUPS     (SI), Y0
	VSUBPS      Y11, Y0, Y0
	VMULPS      Y12, Y0, Y0
	VMULPS      Y0, Y13, Y1 // rounded, then added: the same values as Go's y*w + b
	VADDPS      Y14, Y1, Y1
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, (DX)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         naloop

nadone:
	VZEROUPPER
	RET

// func vnormGrad(dx, g, y []float32, mg, mgy, rs float32)
// dx[i] = rs·((g[i]-mg) - y[i]·mgy).
TEXT ·vnormGrad(SB), NOSPLIT, $0-84
	MOVQ         dx_base+0(FP), DI
	MOVQ         dx_len+8(FP), CX
	MOVQ         g_base+24(FP), SI
	MOVQ         y_base+48(FP), DX
	VBROADCASTSS mg+72(FP), Y12
	VBROADCASTSS mgy+76(FP), Y13
	VBROADCASTSS rs+80(FP), Y14

ngloop:
	CMPQ         CX, $8
	JL           ngdone
	VMOVUPS      (SI), Y0
	VSUBPS       Y12, Y0, Y0
	VFNMADD231PS (DX), Y13, Y0
	VMULPS       Y14, Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          ngloop

ngdone:
	VZEROUPPER
	RET
