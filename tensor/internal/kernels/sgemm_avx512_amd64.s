//go:build amd64 && !purego

#include "textflag.h"

// The AVX-512 form of sgemmKernel6x16: one ZMM holds a row of the 16-wide tile, so a
// k-step is one B load and six broadcast FMAs. Six accumulators are too few to hide
// the FMA latency on two ports, so even k-steps go to Z4..Z9 and odd ones to Z10..Z15,
// summed at the end. Rows 0-2 of A are at SI + r*R11 (odd step: R13 + r*R11), rows
// 3-5 at R10 + (r-3)*R11 (odd step: R14 + …); all four pointers step by R12 = 2*csa.

#define KPAIR(bo) \
	VMOVUPS          bo(DI), Z0; \
	VMOVUPS          bo+64(DI), Z1; \
	VFMADD231PS.BCST (SI), Z0, Z4; \
	VFMADD231PS.BCST (R13), Z1, Z10; \
	VFMADD231PS.BCST (SI)(R11*1), Z0, Z5; \
	VFMADD231PS.BCST (R13)(R11*1), Z1, Z11; \
	VFMADD231PS.BCST (SI)(R11*2), Z0, Z6; \
	VFMADD231PS.BCST (R13)(R11*2), Z1, Z12; \
	VFMADD231PS.BCST (R10), Z0, Z7; \
	VFMADD231PS.BCST (R14), Z1, Z13; \
	VFMADD231PS.BCST (R10)(R11*1), Z0, Z8; \
	VFMADD231PS.BCST (R14)(R11*1), Z1, Z14; \
	VFMADD231PS.BCST (R10)(R11*2), Z0, Z9; \
	VFMADD231PS.BCST (R14)(R11*2), Z1, Z15; \
	ADDQ             R12, SI; \
	ADDQ             R12, R13; \
	ADDQ             R12, R10; \
	ADDQ             R12, R14

#define STORE0Z(r) \
	VMOVUPS r, (DX); \
	ADDQ    R8, DX

#define STOREBZ(r) \
	VFMADD231PS (DX), Z1, r; \
	VMOVUPS     r, (DX); \
	ADDQ        R8, DX

// func sgemmKernel6x16AVX512(kc int, a0, a1 *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x16AVX512(SB), NOSPLIT, $0-72
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

	LEAQ (SI)(R12*1), R13
	LEAQ (R10)(R12*1), R14
	SHLQ $1, R12

	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	// Touch the C tile early so its lines arrive while the loop runs.
	MOVQ DX, R9
	PREFETCHT0 (R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)
	ADDQ R8, R9
	PREFETCHT0 (R9)

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   pair

loop4:
	KPAIR(0)
	KPAIR(128)
	ADDQ $256, DI
	DECQ BX
	JNZ  loop4

pair:
	TESTQ $2, CX
	JZ    single
	KPAIR(0)
	ADDQ  $128, DI

single:
	TESTQ $1, CX
	JZ    done
	VMOVUPS          (DI), Z0
	VFMADD231PS.BCST (SI), Z0, Z4
	VFMADD231PS.BCST (SI)(R11*1), Z0, Z5
	VFMADD231PS.BCST (SI)(R11*2), Z0, Z6
	VFMADD231PS.BCST (R10), Z0, Z7
	VFMADD231PS.BCST (R10)(R11*1), Z0, Z8
	VFMADD231PS.BCST (R10)(R11*2), Z0, Z9

done:
	VADDPS Z10, Z4, Z4
	VADDPS Z11, Z5, Z5
	VADDPS Z12, Z6, Z6
	VADDPS Z13, Z7, Z7
	VADDPS Z14, Z8, Z8
	VADDPS Z15, Z9, Z9

	VBROADCASTSS alpha+64(FP), Z0
	VMULPS Z0, Z4, Z4
	VMULPS Z0, Z5, Z5
	VMULPS Z0, Z6, Z6
	VMULPS Z0, Z7, Z7
	VMULPS Z0, Z8, Z8
	VMULPS Z0, Z9, Z9

	// beta == 0 (and not NaN): store without reading C.
	VMOVSS   beta+68(FP), X1
	VXORPS   X2, X2, X2
	VUCOMISS X2, X1
	JNE      withbeta
	JPS      withbeta
	STORE0Z(Z4)
	STORE0Z(Z5)
	STORE0Z(Z6)
	STORE0Z(Z7)
	STORE0Z(Z8)
	STORE0Z(Z9)
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+68(FP), Z1
	STOREBZ(Z4)
	STOREBZ(Z5)
	STOREBZ(Z6)
	STOREBZ(Z7)
	STOREBZ(Z8)
	STOREBZ(Z9)
	VZEROUPPER
	RET

// The three-row edge kernel in AVX-512: three FMAs per k-step, so four k-steps go to
// four sets of accumulators (Z4..Z6, Z7..Z9, Z10..Z12, Z13..Z15) to keep twelve FMA
// chains in flight. Step s of a group of four reads A at SI, R13, R14, AX (SI + s·csa),
// each row r at + r*R11; all step by R12 = 4*csa.
#define KQUAD3(bo) \
	VMOVUPS          bo(DI), Z0; \
	VMOVUPS          bo+64(DI), Z1; \
	VMOVUPS          bo+128(DI), Z2; \
	VMOVUPS          bo+192(DI), Z3; \
	VFMADD231PS.BCST (SI), Z0, Z4; \
	VFMADD231PS.BCST (R13), Z1, Z7; \
	VFMADD231PS.BCST (R14), Z2, Z10; \
	VFMADD231PS.BCST (AX), Z3, Z13; \
	VFMADD231PS.BCST (SI)(R11*1), Z0, Z5; \
	VFMADD231PS.BCST (R13)(R11*1), Z1, Z8; \
	VFMADD231PS.BCST (R14)(R11*1), Z2, Z11; \
	VFMADD231PS.BCST (AX)(R11*1), Z3, Z14; \
	VFMADD231PS.BCST (SI)(R11*2), Z0, Z6; \
	VFMADD231PS.BCST (R13)(R11*2), Z1, Z9; \
	VFMADD231PS.BCST (R14)(R11*2), Z2, Z12; \
	VFMADD231PS.BCST (AX)(R11*2), Z3, Z15; \
	ADDQ             R12, SI; \
	ADDQ             R12, R13; \
	ADDQ             R12, R14; \
	ADDQ             R12, AX

// func sgemmKernel3x16AVX512(kc int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha float32)
TEXT ·sgemmKernel3x16AVX512(SB), NOSPLIT, $0-60
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

	LEAQ (SI)(R12*1), R13
	LEAQ (SI)(R12*2), R14
	LEAQ (R13)(R12*2), AX
	MOVQ R12, R9 // csa, for the single steps of the tail
	SHLQ $2, R12

	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail3

loop3:
	KQUAD3(0)
	ADDQ $256, DI
	DECQ BX
	JNZ  loop3

tail3:
	ANDQ $3, CX
	JZ   done3

loop13:
	VMOVUPS          (DI), Z0
	VFMADD231PS.BCST (SI), Z0, Z4
	VFMADD231PS.BCST (SI)(R11*1), Z0, Z5
	VFMADD231PS.BCST (SI)(R11*2), Z0, Z6
	ADDQ             $64, DI
	ADDQ             R9, SI
	DECQ             CX
	JNZ              loop13

done3:
	VADDPS Z7, Z4, Z4
	VADDPS Z8, Z5, Z5
	VADDPS Z9, Z6, Z6
	VADDPS Z13, Z10, Z10
	VADDPS Z14, Z11, Z11
	VADDPS Z15, Z12, Z12
	VADDPS Z10, Z4, Z4
	VADDPS Z11, Z5, Z5
	VADDPS Z12, Z6, Z6

	VBROADCASTSS alpha+56(FP), Z0
	VMULPS Z0, Z4, Z4
	VMULPS Z0, Z5, Z5
	VMULPS Z0, Z6, Z6
	STORE0Z(Z4)
	STORE0Z(Z5)
	STORE0Z(Z6)
	VZEROUPPER
	RET
