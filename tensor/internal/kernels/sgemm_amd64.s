//go:build amd64 && !purego

#include "textflag.h"

// One k-step of the 6×16 tile: two B vectors, six A broadcasts, twelve FMAs into
// Y4..Y15 (row r in Y(4+2r), Y(5+2r)). Rows 0-2 of A are at SI + r*R11, rows 3-5 at
// R10 + (r-3)*R11; both pointers then step by R12 along k. bo is the B byte offset.
#define KSTEP(bo) \
	VMOVUPS      bo(DI), Y0; \
	VMOVUPS      bo+32(DI), Y1; \
	VBROADCASTSS (SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS (SI)(R11*1), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS (SI)(R11*2), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	VBROADCASTSS (R10), Y3; \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11; \
	VBROADCASTSS (R10)(R11*1), Y2; \
	VFMADD231PS  Y0, Y2, Y12; \
	VFMADD231PS  Y1, Y2, Y13; \
	VBROADCASTSS (R10)(R11*2), Y3; \
	VFMADD231PS  Y0, Y3, Y14; \
	VFMADD231PS  Y1, Y3, Y15; \
	ADDQ         R12, SI; \
	ADDQ         R12, R10

// Row r of the tile: C = acc (already scaled by alpha), or acc + beta*C with beta in Y1.
#define STORE0(r0, r1) \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 32(DX); \
	ADDQ    R8, DX

#define STOREB(r0, r1) \
	VFMADD231PS (DX), Y1, r0; \
	VFMADD231PS 32(DX), Y1, r1; \
	VMOVUPS     r0, (DX); \
	VMOVUPS     r1, 32(DX); \
	ADDQ        R8, DX

// func sgemmKernel6x16(kc int, a0, a1 *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R10
	MOVQ rsa+24(FP), R11
	SHLQ $2, R11
	MOVQ csa+32(FP), R12
	SHLQ $2, R12
	MOVQ b+40(FP), DI
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	// Touch the C tile early so its lines arrive while the loop runs.
	MOVQ DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail

loop4:
	KSTEP(0)
	KSTEP(64)
	KSTEP(128)
	KSTEP(192)
	ADDQ $256, DI
	DECQ BX
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   done

loop1:
	KSTEP(0)
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

done:
	VBROADCASTSS alpha+64(FP), Y0
	VMULPS Y0, Y4, Y4
	VMULPS Y0, Y5, Y5
	VMULPS Y0, Y6, Y6
	VMULPS Y0, Y7, Y7
	VMULPS Y0, Y8, Y8
	VMULPS Y0, Y9, Y9
	VMULPS Y0, Y10, Y10
	VMULPS Y0, Y11, Y11
	VMULPS Y0, Y12, Y12
	VMULPS Y0, Y13, Y13
	VMULPS Y0, Y14, Y14
	VMULPS Y0, Y15, Y15

	// beta == 0 (and not NaN): store without reading C.
	VMOVSS   beta+68(FP), X1
	VXORPS   X2, X2, X2
	VUCOMISS X2, X1
	JNE      withbeta
	JPS      withbeta
	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	STORE0(Y10, Y11)
	STORE0(Y12, Y13)
	STORE0(Y14, Y15)
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+68(FP), Y1
	STOREB(Y4, Y5)
	STOREB(Y6, Y7)
	STOREB(Y8, Y9)
	STOREB(Y10, Y11)
	STOREB(Y12, Y13)
	STOREB(Y14, Y15)
	VZEROUPPER
	RET

// func sgemmPackB16(dst, src *float32, ldb, kc int)
TEXT ·sgemmPackB16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), DX
	SHLQ $2, DX
	MOVQ kc+24(FP), CX

packb:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    DX, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     packb
	VZEROUPPER
	RET

// func sgemmPackA6(dst, src *float32, lda, kc int)
TEXT ·sgemmPackA6(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), DX
	SHLQ $2, DX
	MOVQ kc+24(FP), CX
	LEAQ (SI)(DX*2), R10
	ADDQ DX, R10

packa:
	MOVL (SI), AX
	MOVL (SI)(DX*1), BX
	MOVL (SI)(DX*2), R8
	MOVL (R10), R9
	MOVL (R10)(DX*1), R11
	MOVL (R10)(DX*2), R12
	MOVL AX, (DI)
	MOVL BX, 4(DI)
	MOVL R8, 8(DI)
	MOVL R9, 12(DI)
	MOVL R11, 16(DI)
	MOVL R12, 20(DI)
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $24, DI
	DECQ CX
	JNZ  packa
	RET

// func sgemmPackB16Off(dst, src *float32, off *int, kc int)
TEXT ·sgemmPackB16Off(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ off+16(FP), BX
	MOVQ kc+24(FP), CX

packboff:
	MOVQ    (BX), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $8, BX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     packboff
	VZEROUPPER
	RET

// One k-step of the 3×16 tile: rows 0-2 of KSTEP only (Y4..Y9).
#define KSTEP3(bo) \
	VMOVUPS      bo(DI), Y0; \
	VMOVUPS      bo+32(DI), Y1; \
	VBROADCASTSS (SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS (SI)(R11*1), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS (SI)(R11*2), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	ADDQ         R12, SI

// func sgemmKernel3x16(kc int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha float32)
// C (3×16, stride ldc) = alpha·A·B: the edge tile for at most three rows of A, half
// the work of sgemmKernel6x16. C is written without being read.
TEXT ·sgemmKernel3x16(SB), NOSPLIT, $0-60
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R11
	SHLQ $2, R11
	MOVQ csa+24(FP), R12
	SHLQ $2, R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail3

loop43:
	KSTEP3(0)
	KSTEP3(64)
	KSTEP3(128)
	KSTEP3(192)
	ADDQ $256, DI
	DECQ BX
	JNZ  loop43

tail3:
	ANDQ $3, CX
	JZ   done3

loop13:
	KSTEP3(0)
	ADDQ $64, DI
	DECQ CX
	JNZ  loop13

done3:
	VBROADCASTSS alpha+56(FP), Y0
	VMULPS Y0, Y4, Y4
	VMULPS Y0, Y5, Y5
	VMULPS Y0, Y6, Y6
	VMULPS Y0, Y7, Y7
	VMULPS Y0, Y8, Y8
	VMULPS Y0, Y9, Y9
	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	VZEROUPPER
	RET
