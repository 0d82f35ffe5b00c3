//go:build amd64 && !purego

#include "textflag.h"

// Elementwise add, subtract, multiply and divide of float32 slices in AVX, for
// kernels.Binary: vv takes two vectors, vs a vector and a scalar (a[i] op s), sv a
// scalar and a vector (s op b[i]). Each runs over len(dst) elements, a multiple of 8
// (the Go wrappers do the tails). These operations are exactly rounded, so the
// results equal the scalar Go loops bit for bit.

// BINVV defines func NAME(dst, a, b []float32): dst[i] = a[i] OP b[i].
#define BINVV(NAME, OP) \
TEXT NAME(SB), NOSPLIT, $0-72; \
	MOVQ dst_base+0(FP), DI; \
	MOVQ dst_len+8(FP), CX; \
	MOVQ a_base+24(FP), SI; \
	MOVQ b_base+48(FP), DX; \
loop16: \
	CMPQ    CX, $16; \
	JL      loop8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	OP      (DX), Y0, Y0; \
	OP      32(DX), Y1, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DX; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
	JMP     loop16; \
loop8: \
	CMPQ    CX, $8; \
	JL      done; \
	VMOVUPS (SI), Y0; \
	OP      (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
	JMP     loop8; \
done: \
	VZEROUPPER; \
	RET

// BINS defines func NAME(dst, x []float32, s float32) with the scalar broadcast in
// Y15: LOAD2 and LOAD1 compute two and one vectors of results into Y0, Y1 from x at SI.
#define BINS(NAME, LOAD2, LOAD1) \
TEXT NAME(SB), NOSPLIT, $0-52; \
	MOVQ         dst_base+0(FP), DI; \
	MOVQ         dst_len+8(FP), CX; \
	MOVQ         x_base+24(FP), SI; \
	VBROADCASTSS s+48(FP), Y15; \
loop16: \
	CMPQ    CX, $16; \
	JL      loop8; \
	LOAD2; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
	JMP     loop16; \
loop8: \
	CMPQ    CX, $8; \
	JL      done; \
	LOAD1; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
	JMP     loop8; \
done: \
	VZEROUPPER; \
	RET

// a[i] OP s
#define VS2(OP) VMOVUPS (SI), Y0; VMOVUPS 32(SI), Y1; OP Y15, Y0, Y0; OP Y15, Y1, Y1
#define VS1(OP) VMOVUPS (SI), Y0; OP Y15, Y0, Y0
// s OP b[i]
#define SV2(OP) OP (SI), Y15, Y0; OP 32(SI), Y15, Y1
#define SV1(OP) OP (SI), Y15, Y0

BINVV(·vaddvv, VADDPS)
BINS(·vaddvs, VS2(VADDPS), VS1(VADDPS))
BINS(·vaddsv, SV2(VADDPS), SV1(VADDPS))
BINVV(·vsubvv, VSUBPS)
BINS(·vsubvs, VS2(VSUBPS), VS1(VSUBPS))
BINS(·vsubsv, SV2(VSUBPS), SV1(VSUBPS))
BINVV(·vmulvv, VMULPS)
BINS(·vmulvs, VS2(VMULPS), VS1(VMULPS))
BINS(·vmulsv, SV2(VMULPS), SV1(VMULPS))
BINVV(·vdivvv, VDIVPS)
BINS(·vdivvs, VS2(VDIVPS), VS1(VDIVPS))
BINS(·vdivsv, SV2(VDIVPS), SV1(VDIVPS))
