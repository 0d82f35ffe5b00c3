package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// implicitConv computes a stride-1 convolution of one group of one image as an
// implicit GEMM: the image is copied once into a zero-padded plane (C,Hp,Wp) followed by
// a short zero tail, and the column matrix is read through row offsets into that copy
// (kernels.SgemmOffsetB), so no im2col matrix is written. The product is computed on an
// extended grid of OH rows of Wp columns, whose last Wp-OW columns are discarded.
type implicitConv struct {
	g      kernels.ConvGeom
	hp, wp int
	off    []int // (C*KH*KW): where each row of the column matrix starts in the padded plane
}

// newImplicitConv returns the implicit form of g, or nil when g is not a full-size
// stride-1 convolution.
func newImplicitConv(g kernels.ConvGeom) *implicitConv {
	hp, wp := g.H+2*g.PH, g.W+2*g.PW
	if g.SH != 1 || g.SW != 1 || g.OH != hp-g.DH*(g.KH-1) || g.OW != wp-g.DW*(g.KW-1) {
		return nil
	}
	off := make([]int, 0, g.ColRows())
	for c := range g.C {
		for kh := range g.KH {
			for kw := range g.KW {
				off = append(off, c*hp*wp+kh*g.DH*wp+kw*g.DW)
			}
		}
	}
	return &implicitConv{g: g, hp: hp, wp: wp, off: off}
}

// padLen is the length of the padded copy of one image, tail included.
func (ic *implicitConv) padLen() int { return ic.g.C*ic.hp*ic.wp + ic.g.DW*(ic.g.KW-1) }

// extLen is the number of output positions of the extended grid.
func (ic *implicitConv) extLen() int { return ic.g.OH * ic.wp }

// run writes y (cout, OH·OW) = w (cout, C·KH·KW) × the column matrix of img (C,H,W),
// using xp (padLen) and yext (cout·extLen) as scratch and gemm on up to threads
// goroutines.
func (ic *implicitConv) run(y, img, w []float32, cout int, xp, yext []float32, threads int) {
	g := ic.g
	// (C,H,W) -> (C,Hp,Wp) + tail, zero around the image.
	clear(xp)
	for c := range g.C {
		for h := range g.H {
			copy(xp[(c*ic.hp+h+g.PH)*ic.wp+g.PW:][:g.W], img[(c*g.H+h)*g.W:][:g.W])
		}
	}
	L, K := ic.extLen(), g.ColRows()
	kernels.SgemmOffsetB(threads, false, false, cout, L, K, 1, w, K, xp, ic.off, 0, yext, L)
	// (cout, OH, Wp) -> (cout, OH, OW)
	for co := range cout {
		for oh := range g.OH {
			copy(y[(co*g.OH+oh)*g.OW:][:g.OW], yext[co*L+oh*ic.wp:][:g.OW])
		}
	}
}

// transposedImplicit returns the implicit stride-1 convolution that computes the input
// gradient of the stride-1 convolution p (the full correlation of the output gradient
// with the flipped kernel), or nil when p's padding is too large for one.
func (p *convPlan) transposedImplicit() *implicitConv {
	g := p.geo
	if g.SH != 1 || g.SW != 1 {
		return nil
	}
	ph, pw := g.DH*(g.KH-1)-g.PH, g.DW*(g.KW-1)-g.PW
	if ph < 0 || pw < 0 {
		return nil
	}
	return newImplicitConv(kernels.ConvGeom{C: p.coutg, H: g.OH, W: g.OW, KH: g.KH, KW: g.KW,
		SH: 1, SW: 1, PH: ph, PW: pw, DH: g.DH, DW: g.DW, OH: g.H, OW: g.W})
}

// flipWeight returns, for each group, the weight of the transposed convolution:
// wt[gr] (Cin/groups, coutg·KH·KW) with wt[c][(co,kh,kw)] = w[gr·coutg+co][c][KH-1-kh][KW-1-kw].
func (p *convPlan) flipWeight(w []float32) []float32 {
	g := p.geo
	kk := g.KH * g.KW
	wt := make([]float32, len(w[:p.groups*p.coutg*g.C*kk]))
	for gr := range p.groups {
		src := w[gr*p.coutg*g.C*kk:]
		dst := wt[gr*p.coutg*g.C*kk:]
		for co := range p.coutg {
			for c := range g.C {
				for k := range kk {
					dst[(c*p.coutg+co)*kk+kk-1-k] = src[(co*g.C+c)*kk+k]
				}
			}
		}
	}
	return wt
}
