//go:build amd64 && !purego

#include "textflag.h"

// func vadam(p, g, m, v []float32, b1, omb1, b2, omb2, nstep, bc2sqrt, eps, wd, decay float32, l2, dec uint32)
//
// Blocks of 8 over len(p)&^7 elements; the caller runs the rest in Go. The
// coefficients stay broadcast in Y4–Y14 and Y15 is the one scratch register. Each
// line follows a line of adamStepGo; the decoupled decay and the L2 term are both
// computed and selected with VBLENDVPS by the masks, which keeps the arithmetic of
// the unselected lanes out of the result.
TEXT ·vadam(SB), NOSPLIT, $0-140
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         g_base+24(FP), SI
	MOVQ         m_base+48(FP), DX
	MOVQ         v_base+72(FP), R8
	VBROADCASTSS b1+96(FP), Y4
	VBROADCASTSS omb1+100(FP), Y5
	VBROADCASTSS b2+104(FP), Y6
	VBROADCASTSS omb2+108(FP), Y7
	VBROADCASTSS nstep+112(FP), Y8
	VBROADCASTSS bc2sqrt+116(FP), Y9
	VBROADCASTSS eps+120(FP), Y10
	VBROADCASTSS wd+124(FP), Y11
	VBROADCASTSS decay+128(FP), Y12
	VBROADCASTSS l2+132(FP), Y13
	VBROADCASTSS dec+136(FP), Y14
	SHRQ         $3, CX
	JZ           done

loop:
	VMOVUPS (DI), Y0 // p
	VMOVUPS (SI), Y1 // x = g
	VMOVUPS (DX), Y2 // m
	VMOVUPS (R8), Y3 // v

	// p = p·decay (dec) or x = x + wd·p (l2)
	VMULPS    Y12, Y0, Y15
	VBLENDVPS Y14, Y15, Y0, Y0
	VMULPS    Y0, Y11, Y15
	VADDPS    Y15, Y1, Y15
	VBLENDVPS Y13, Y15, Y1, Y1

	// m = m·b1 + omb1·x
	VMULPS Y4, Y2, Y2
	VMULPS Y1, Y5, Y15
	VADDPS Y15, Y2, Y2

	// v = v·b2 + (omb2·x)·x
	VMULPS Y6, Y3, Y3
	VMULPS Y1, Y7, Y15
	VMULPS Y1, Y15, Y15
	VADDPS Y15, Y3, Y3

	// d = √v/bc2sqrt + eps
	VSQRTPS Y3, Y15
	VDIVPS  Y9, Y15, Y15
	VADDPS  Y10, Y15, Y15

	// p = p + (nstep·m)/d
	VMULPS Y2, Y8, Y1
	VDIVPS Y15, Y1, Y1
	VADDPS Y1, Y0, Y0

	VMOVUPS Y0, (DI)
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, (R8)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET
