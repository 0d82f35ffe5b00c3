//go:build amd64 && !purego

#include "textflag.h"

// Eight copies of a 32-bit constant, for use as a 256-bit memory operand.
#define CONST8(name, v) \
	DATA name<>+0(SB)/4, $v; \
	DATA name<>+4(SB)/4, $v; \
	DATA name<>+8(SB)/4, $v; \
	DATA name<>+12(SB)/4, $v; \
	DATA name<>+16(SB)/4, $v; \
	DATA name<>+20(SB)/4, $v; \
	DATA name<>+24(SB)/4, $v; \
	DATA name<>+28(SB)/4, $v; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

// Expf's constants (fastmath.go), as float32 bit patterns.
CONST8(expLo, 0xc2d00000)    // -104
CONST8(expHi, 0x42b1999a)    // 88.8
CONST8(expLog2e, 0x3fb8aa3b)
CONST8(expLn2Hi, 0x3f318000)
CONST8(expLn2Lo, 0xb95e8083)
CONST8(expP0, 0x39506967)
CONST8(expP1, 0x3ab743ce)
CONST8(expP2, 0x3c088908)
CONST8(expP3, 0x3d2aa9c1)
CONST8(expP4, 0x3e2aaaaa)
CONST8(expP5, 0x3f000000)
CONST8(exp127, 0x0000007f)   // int32 exponent bias
CONST8(one, 0x3f800000)      // 1
CONST8(half, 0x3f000000)     // 0.5
CONST8(negHalf, 0xbf000000)  // -0.5
CONST8(signBit, 0x80000000)
CONST8(absMask, 0x7fffffff)

// Cephes tanhf's polynomial for |x| < 0.625.
CONST8(tanhSmall, 0x3f200000) // 0.625
CONST8(tanhP0, 0xbbbaf0ea)
CONST8(tanhP1, 0x3ca9134e)
CONST8(tanhP2, 0xbd5c1e2d)
CONST8(tanhP3, 0x3e088393)
CONST8(tanhP4, 0xbeaaaa99)

// GELU(tanh): 0.044715, -2·√(2/π), √(2/π), 3·0.044715·√(2/π).
CONST8(geluC, 0x3d372713)
CONST8(geluNeg2K, 0xbfcc422a)
CONST8(geluK, 0x3f4c422a)
CONST8(geluK3C, 0x3ddb33b6)

// Cephes logf's polynomial: log(1+f) = f - f²/2 + f³·P(f) for f in [√½-1, √2-1].
CONST8(logP0, 0x3d9021bb)
CONST8(logP1, 0xbdebd1b8)
CONST8(logP2, 0x3def251a)
CONST8(logP3, 0xbdfe5d4f)
CONST8(logP4, 0x3e11e9bf)
CONST8(logP5, 0xbe2aae50)
CONST8(logP6, 0x3e4cceac)
CONST8(logP7, 0xbe7ffffc)
CONST8(logP8, 0x3eaaaaaa)
CONST8(sqrt2m1, 0x3ed413cd)  // √2-1

// Tail masks: the 8 dwords at tailMask<>+(8-r)*4 have the low r lanes set.
DATA tailMask<>+0(SB)/8, $0xffffffffffffffff
DATA tailMask<>+8(SB)/8, $0xffffffffffffffff
DATA tailMask<>+16(SB)/8, $0xffffffffffffffff
DATA tailMask<>+24(SB)/8, $0xffffffffffffffff
DATA tailMask<>+32(SB)/8, $0
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// LOADCLAMP puts Expf's clamp bounds in Y14 and Y15, where EXP expects them (as
// register operands, so that a NaN input passes through VMAXPS and VMINPS).
#define LOADCLAMP \
	VMOVUPS expLo<>(SB), Y14; \
	VMOVUPS expHi<>(SB), Y15

// EXP sets x = Expf(x) lane by lane, with the steps of Expf: clamp, x = n·ln2 + r,
// the degree-5 polynomial, and the scaling by 2**n in two normal factors. t1 and t2
// are clobbered.
#define EXP(x, t1, t2) \
	VMAXPS       x, Y14, x; \
	VMINPS       x, Y15, x; \
	VMULPS       expLog2e<>(SB), x, t1; \
	VROUNDPS     $8, t1, t1; \
	VFNMADD231PS expLn2Hi<>(SB), t1, x; \
	VFNMADD231PS expLn2Lo<>(SB), t1, x; \
	VMOVUPS      expP0<>(SB), t2; \
	VFMADD213PS  expP1<>(SB), x, t2; \
	VFMADD213PS  expP2<>(SB), x, t2; \
	VFMADD213PS  expP3<>(SB), x, t2; \
	VFMADD213PS  expP4<>(SB), x, t2; \
	VFMADD213PS  expP5<>(SB), x, t2; \
	VMULPS       x, t2, t2; \
	VFMADD213PS  x, x, t2; \
	VADDPS       one<>(SB), t2, t2; \
	VCVTTPS2DQ   t1, t1; \
	VPSRAD       $1, t1, x; \
	VPSUBD       x, t1, t1; \
	VPADDD       exp127<>(SB), x, x; \
	VPSLLD       $23, x, x; \
	VPADDD       exp127<>(SB), t1, t1; \
	VPSLLD       $23, t1, t1; \
	VMULPS       x, t2, t2; \
	VMULPS       t1, t2, x

// SIGMOIDNEG sets x = 1/(1+Expf(x)), that is σ(-x). t1, t2 are clobbered.
#define SIGMOIDNEG(x, t1, t2) \
	EXP(x, t1, t2); \
	VADDPS one<>(SB), x, x; \
	VMOVUPS one<>(SB), t1; \
	VDIVPS x, t1, x

// The loop skeletons. Each function keeps its element count in CX, advances its
// pointers by 32 bytes per block of 8, and handles the last 1–7 elements with masked
// loads and stores (mask in Y13), which touch no memory outside the slices.
#define TAILMASK \
	LEAQ    tailMask<>(SB), AX; \
	MOVQ    $8, BX; \
	SUBQ    CX, BX; \
	VMOVDQU (AX)(BX*4), Y13

// func vexp(dst, src []float32)
TEXT ·vexp(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y0
	EXP(Y0, Y1, Y2)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y0
	EXP(Y0, Y1, Y2)
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// SIGMOIDBODY: Y0 = σ(Y0).
#define SIGMOIDBODY \
	VXORPS signBit<>(SB), Y0, Y0; \
	SIGMOIDNEG(Y0, Y1, Y2)

// func vsigmoid(dst, src []float32)
TEXT ·vsigmoid(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y0
	SIGMOIDBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y0
	SIGMOIDBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// SILUBODY: Y0 = Y3·σ(Y3) = Y3/(1+e**-Y3).
#define SILUBODY \
	VXORPS signBit<>(SB), Y3, Y0; \
	EXP(Y0, Y1, Y2); \
	VADDPS one<>(SB), Y0, Y0; \
	VDIVPS Y0, Y3, Y0

// func vsilu(dst, src []float32)
TEXT ·vsilu(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	SILUBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	SILUBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// TANHBODY: Y0 = tanh(Y3). |x| ≥ 0.625: sign(x)·(1 - 2/(e**2|x|+1)); below: Cephes'
// odd polynomial x + x·z·P(z), z = x². The two are blended on |x| < 0.625.
#define TANHBODY \
	VANDPS       absMask<>(SB), Y3, Y4; \
	VADDPS       Y4, Y4, Y0; \
	EXP(Y0, Y1, Y2); \
	VADDPS       one<>(SB), Y0, Y0; \
	VMOVUPS      one<>(SB), Y1; \
	VADDPS       Y1, Y1, Y2; \
	VDIVPS       Y0, Y2, Y0; \
	VSUBPS       Y0, Y1, Y0; \
	VANDPS       signBit<>(SB), Y3, Y1; \
	VORPS        Y1, Y0, Y0; \
	VMULPS       Y3, Y3, Y5; \
	VMOVUPS      tanhP0<>(SB), Y6; \
	VFMADD213PS  tanhP1<>(SB), Y5, Y6; \
	VFMADD213PS  tanhP2<>(SB), Y5, Y6; \
	VFMADD213PS  tanhP3<>(SB), Y5, Y6; \
	VFMADD213PS  tanhP4<>(SB), Y5, Y6; \
	VMULPS       Y3, Y5, Y5; \
	VFMADD213PS  Y3, Y5, Y6; \
	VCMPPS       $1, tanhSmall<>(SB), Y4, Y4; \
	VBLENDVPS    Y4, Y6, Y0, Y0

// func vtanh(dst, src []float32)
TEXT ·vtanh(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	TANHBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	TANHBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// GELUBODY: Y0 = x/(1+e**(-2u)), u = √(2/π)·(x+0.044715x³), x in Y3.
#define GELUBODY \
	VMULPS      Y3, Y3, Y0; \
	VMULPS      geluC<>(SB), Y0, Y0; \
	VFMADD213PS Y3, Y3, Y0; \
	VMULPS      geluNeg2K<>(SB), Y0, Y0; \
	EXP(Y0, Y1, Y2); \
	VADDPS      one<>(SB), Y0, Y0; \
	VDIVPS      Y0, Y3, Y0

// func vgeluTanh(dst, src []float32)
TEXT ·vgeluTanh(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	GELUBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	GELUBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// SIGMOIDPAIR sets x = σ(x) and oms = 1-σ(x) as sigmoidPairf does: e = Expf(-x),
// σ = 1/(1+e), 1-σ = min(e·σ, 1) (1 where e·σ is Inf·0). t1, t2 are clobbered.
#define SIGMOIDPAIR(x, oms, t1, t2) \
	VXORPS  signBit<>(SB), x, x; \
	EXP(x, t1, t2); \
	VADDPS  one<>(SB), x, t1; \
	VMOVUPS one<>(SB), t2; \
	VDIVPS  t1, t2, t1; \
	VMULPS  t1, x, oms; \
	VMINPS  one<>(SB), oms, oms; \
	VMOVAPS t1, x

// SILUGRADBODY: Y0 = g·s·(1+x·(1-s)), s = σ(x), x in Y3, g in Y4.
#define SILUGRADBODY \
	VMOVAPS     Y3, Y0; \
	SIGMOIDPAIR(Y0, Y5, Y1, Y2); \
	VFMADD213PS one<>(SB), Y3, Y5; \
	VMULPS      Y4, Y0, Y0; \
	VMULPS      Y5, Y0, Y0

// func vsiluGrad(dst, x, g []float32)
TEXT ·vsiluGrad(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ g_base+48(FP), DX
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	SILUGRADBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	SILUGRADBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// GELUGRADBODY: Y0 = g·(s + 2x·s(1-s)·√(2/π)(1+3·0.044715x²)), s = σ(2u), x in Y3,
// g in Y4.
#define GELUGRADBODY \
	VMULPS      Y3, Y3, Y5; \
	VMULPS      geluC<>(SB), Y5, Y0; \
	VFMADD213PS Y3, Y3, Y0; \
	VMULPS      geluNeg2K<>(SB), Y0, Y0; \
	VXORPS      signBit<>(SB), Y0, Y0; \
	SIGMOIDPAIR(Y0, Y6, Y1, Y2); \
	VMULPS      Y0, Y6, Y6; \
	VMULPS      geluK3C<>(SB), Y5, Y5; \
	VADDPS      geluK<>(SB), Y5, Y5; \
	VMULPS      Y5, Y6, Y6; \
	VMULPS      Y3, Y6, Y6; \
	VADDPS      Y6, Y6, Y6; \
	VADDPS      Y6, Y0, Y0; \
	VMULPS      Y4, Y0, Y0

// func vgeluTanhGrad(dst, x, g []float32)
TEXT ·vgeluTanhGrad(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ g_base+48(FP), DX
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	GELUGRADBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	GELUGRADBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// EXPSUMBODY: Y0 = Expf(scale·Y0 - m) (scale in Y11, m in Y12), masked by Y13 when
// MASK, added in float64 to Y9 (low 4 lanes) and Y10 (high 4 lanes).
#define EXPSUMBODY(MASK) \
	VFMSUB213PS Y12, Y11, Y0; \
	EXP(Y0, Y1, Y2); \
	MASK; \
	VCVTPS2PD   X0, Y1; \
	VADDPD      Y1, Y9, Y9; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD   X2, Y2; \
	VADDPD      Y2, Y10, Y10

#define NOMASK
#define ANDMASK VANDPS Y13, Y0, Y0

// func vexpSum(dst, src []float32, scale, m float32) float64
TEXT ·vexpSum(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y11
	VBROADCASTSS m+52(FP), Y12
	VXORPD       Y9, Y9, Y9
	VXORPD       Y10, Y10, Y10
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y0
	EXPSUMBODY(NOMASK)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y0
	EXPSUMBODY(ANDMASK)
	VMASKMOVPS Y0, Y13, (DI)

done:
	VADDPD       Y10, Y9, Y9
	VEXTRACTF128 $1, Y9, X10
	VADDPD       X10, X9, X9
	VHADDPD      X9, X9, X9
	VMOVSD       X9, ret+56(FP)
	VZEROUPPER
	RET

// BCEBODY: Y0 = max(x,0) - x·t + log1p(e), e = Expf(-|x|), x in Y3, t in Y4.
// log1p(e) for e in [0,1] is Cephes' log(1+f) + k·ln2 with f = e, k = 0 for e < √2-1
// and f = (e-1)/2 (exact by FMA), k = 1 above.
#define BCEBODY \
	VANDPS       absMask<>(SB), Y3, Y0; \
	VXORPS       signBit<>(SB), Y0, Y0; \
	EXP(Y0, Y1, Y2); \
	VMOVUPS      half<>(SB), Y1; \
	VFMADD213PS  negHalf<>(SB), Y0, Y1; \
	VCMPPS       $1, sqrt2m1<>(SB), Y0, Y2; \
	VBLENDVPS    Y2, Y0, Y1, Y0; \
	VANDNPS      one<>(SB), Y2, Y2; \
	VMULPS       Y0, Y0, Y5; \
	VMOVUPS      logP0<>(SB), Y6; \
	VFMADD213PS  logP1<>(SB), Y0, Y6; \
	VFMADD213PS  logP2<>(SB), Y0, Y6; \
	VFMADD213PS  logP3<>(SB), Y0, Y6; \
	VFMADD213PS  logP4<>(SB), Y0, Y6; \
	VFMADD213PS  logP5<>(SB), Y0, Y6; \
	VFMADD213PS  logP6<>(SB), Y0, Y6; \
	VFMADD213PS  logP7<>(SB), Y0, Y6; \
	VFMADD213PS  logP8<>(SB), Y0, Y6; \
	VMULPS       Y0, Y6, Y6; \
	VMULPS       Y5, Y6, Y6; \
	VFMADD231PS  expLn2Lo<>(SB), Y2, Y6; \
	VFNMADD231PS half<>(SB), Y5, Y6; \
	VADDPS       Y6, Y0, Y0; \
	VFMADD231PS  expLn2Hi<>(SB), Y2, Y0; \
	VXORPS       Y1, Y1, Y1; \
	VMAXPS       Y1, Y3, Y1; \
	VFNMADD231PS Y4, Y3, Y1; \
	VADDPS       Y1, Y0, Y0

// func vbceLogits(dst, x, t []float32)
TEXT ·vbceLogits(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ t_base+48(FP), DX
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	BCEBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	BCEBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// BCEGRADBODY: Y0 = g·(σ(x) - t), x in Y3, t in Y4, g in Y5.
#define BCEGRADBODY \
	VXORPS signBit<>(SB), Y3, Y0; \
	SIGMOIDNEG(Y0, Y1, Y2); \
	VSUBPS Y4, Y0, Y0; \
	VMULPS Y5, Y0, Y0

// func vbceLogitsGrad(dst, x, t, g []float32)
TEXT ·vbceLogitsGrad(SB), NOSPLIT, $0-96
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ t_base+48(FP), DX
	MOVQ g_base+72(FP), R8
	LOADCLAMP

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	VMOVUPS (R8), Y5
	BCEGRADBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	VMASKMOVPS (R8), Y13, Y5
	BCEGRADBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// Gradients from the forward output y, in Y3, with g in Y4, to Y0.
// TANHGRADBODY: g·(1-y²).
#define TANHGRADBODY \
	VMOVUPS      one<>(SB), Y0; \
	VFNMADD231PS Y3, Y3, Y0; \
	VMULPS       Y4, Y0, Y0

// SIGMOIDGRADBODY: g·y·(1-y).
#define SIGMOIDGRADBODY \
	VMOVUPS one<>(SB), Y0; \
	VSUBPS  Y3, Y0, Y0; \
	VMULPS  Y3, Y4, Y1; \
	VMULPS  Y1, Y0, Y0

// EXPGRADBODY: g·y.
#define EXPGRADBODY VMULPS Y3, Y4, Y0

// func vtanhGrad(dst, y, g []float32)
TEXT ·vtanhGrad(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ y_base+24(FP), SI
	MOVQ g_base+48(FP), DX

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	TANHGRADBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	TANHGRADBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// func vsigmoidGrad(dst, y, g []float32)
TEXT ·vsigmoidGrad(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ y_base+24(FP), SI
	MOVQ g_base+48(FP), DX

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	SIGMOIDGRADBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	SIGMOIDGRADBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// func vexpGrad(dst, y, g []float32)
TEXT ·vexpGrad(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ y_base+24(FP), SI
	MOVQ g_base+48(FP), DX

loop:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y3
	VMOVUPS (DX), Y4
	EXPGRADBODY
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	EXPGRADBODY
	VMASKMOVPS Y0, Y13, (DI)

done:
	VZEROUPPER
	RET

// Lanes of Y1 set where x > 0 (ordered: NaN is not > 0); Y15 holds zeros.
#define POSMASK(x) VCMPPS $0x1e, Y15, x, Y1

// func vrelu(dst, x, v []float32)
TEXT ·vrelu(SB), NOSPLIT, $0-72
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   x_base+24(FP), SI
	MOVQ   v_base+48(FP), DX
	VXORPS Y15, Y15, Y15

reluloop:
	CMPQ    CX, $8
	JL      relutail
	VMOVUPS (SI), Y3
	POSMASK(Y3)
	VANDPS  (DX), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     reluloop

relutail:
	TESTQ      CX, CX
	JZ         reludone
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	POSMASK(Y3)
	VANDPS     Y4, Y1, Y0
	VMASKMOVPS Y0, Y13, (DI)

reludone:
	VZEROUPPER
	RET

// func vleaky(dst, x, v []float32, alpha float32)
TEXT ·vleaky(SB), NOSPLIT, $0-76
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	MOVQ         v_base+48(FP), DX
	VBROADCASTSS alpha+72(FP), Y14
	VXORPS       Y15, Y15, Y15

leakyloop:
	CMPQ      CX, $8
	JL        leakytail
	VMOVUPS   (SI), Y3
	VMOVUPS   (DX), Y4
	POSMASK(Y3)
	VMULPS    Y14, Y4, Y5
	VBLENDVPS Y1, Y4, Y5, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       leakyloop

leakytail:
	TESTQ      CX, CX
	JZ         leakydone
	TAILMASK
	VMASKMOVPS (SI), Y13, Y3
	VMASKMOVPS (DX), Y13, Y4
	POSMASK(Y3)
	VMULPS     Y14, Y4, Y5
	VBLENDVPS  Y1, Y4, Y5, Y0
	VMASKMOVPS Y0, Y13, (DI)

leakydone:
	VZEROUPPER
	RET

// func vaxpy(alpha float32, x, y []float32)
TEXT ·vaxpy(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y14
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI

axpyloop16:
	CMPQ        CX, $16
	JL          axpyloop8
	VMOVUPS     (DI), Y0
	VMOVUPS     32(DI), Y1
	VFMADD231PS (SI), Y14, Y0
	VFMADD231PS 32(SI), Y14, Y1
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpyloop16

axpyloop8:
	CMPQ        CX, $8
	JL          axpytail
	VMOVUPS     (DI), Y0
	VFMADD231PS (SI), Y14, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX

axpytail:
	TESTQ       CX, CX
	JZ          axpydone
	TAILMASK
	VMASKMOVPS  (SI), Y13, Y3
	VMASKMOVPS  (DI), Y13, Y0
	VFMADD231PS Y3, Y14, Y0
	VMASKMOVPS  Y0, Y13, (DI)

axpydone:
	VZEROUPPER
	RET
