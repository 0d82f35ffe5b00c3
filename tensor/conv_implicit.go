package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// implicitConv computes a convolution of one group of one image as an implicit GEMM:
// the image is copied once into a zero-padded plane (C,Hp,Wp), split into stride×stride
// phase planes (C,Hq,Wq) so that every kernel tap reads a contiguous run, and the column
// matrix is read through row offsets into that copy (kernels.SgemmOffsetB): no im2col
// matrix is written. The product is computed on an extended grid of OH rows of Wq
// columns, whose last Wq-OW columns are discarded.
type implicitConv struct {
	g      kernels.ConvGeom
	hq, wq int   // size of one phase plane
	off    []int // (C*KH*KW): where each row of the column matrix starts in the copy
	padLen int   // length of the copy, including the tail the discarded columns read
}

// newImplicitConv returns the implicit form of g.
func newImplicitConv(g kernels.ConvGeom) *implicitConv {
	hq, wq := ceilDiv(g.H+2*g.PH, g.SH), ceilDiv(g.W+2*g.PW, g.SW)
	plane := hq * wq
	off := make([]int, 0, g.ColRows())
	maxOff := 0
	for c := range g.C {
		for kh := range g.KH {
			for kw := range g.KW {
				r, s := kh*g.DH, kw*g.DW
				phase := (r%g.SH)*g.SW + s%g.SW
				o := (phase*g.C+c)*plane + (r/g.SH)*wq + s/g.SW
				off = append(off, o)
				maxOff = max(maxOff, o)
			}
		}
	}
	ic := &implicitConv{g: g, hq: hq, wq: wq, off: off}
	ic.padLen = max(g.SH*g.SW*g.C*plane, maxOff+ic.extLen())
	return ic
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// extLen is the number of output positions of the extended grid.
func (ic *implicitConv) extLen() int { return ic.g.OH * ic.wq }

// run writes y (cout, OH·OW) = w (cout, C·KH·KW) × the column matrix of img (C,H,W),
// plus b (cout) unless it is nil, using xp (padLen) and yext (cout·extLen) as scratch
// and gemm on up to threads goroutines.
func (ic *implicitConv) run(y, img, w, b []float32, cout int, xp, yext []float32, threads int) {
	g := ic.g
	ic.pad(xp, img)
	L, K := ic.extLen(), g.ColRows()
	kernels.SgemmOffsetB(threads, false, false, cout, L, K, 1, w, K, xp, ic.off, 0, yext, L)
	// (cout, OH, Wq) -> (cout, OH, OW), plus the bias
	for co := range cout {
		for oh := range g.OH {
			dst, src := y[(co*g.OH+oh)*g.OW:][:g.OW], yext[co*L+oh*ic.wq:][:g.OW]
			if b == nil {
				copy(dst, src)
				continue
			}
			bv := b[co]
			for i, v := range src {
				dst[i] = v + bv
			}
		}
	}
}

// weightGrad adds to acc (C·KH·KW, cout), the transposed weight gradient, the
// contribution of one image img (C,H,W) with output gradient gy (cout, OH·OW), using
// xp (padLen) and gext (cout·extLen) as scratch.
func (ic *implicitConv) weightGrad(acc, img, gy []float32, cout int, xp, gext []float32, threads int) {
	g := ic.g
	ic.pad(xp, img)
	// (cout, OH, OW) -> (cout, OH, Wq), zero in the discarded columns.
	L := ic.extLen()
	for co := range cout {
		for oh := range g.OH {
			row := gext[co*L+oh*ic.wq:][:ic.wq]
			copy(row, gy[(co*g.OH+oh)*g.OW:][:g.OW])
			clear(row[g.OW:])
		}
	}
	// accᵀ += columns (K, L) × gextᵀ (L, cout)
	kernels.SgemmOffsetA(threads, true, g.ColRows(), cout, L, 1, xp, ic.off, gext, L, 1, acc, cout)
}

// pad copies img (C,H,W) into xp as SH·SW phase planes (C,Hq,Wq), zero where the
// padding is.
func (ic *implicitConv) pad(xp, img []float32) {
	g := ic.g
	plane := ic.hq * ic.wq
	if g.SH == 1 && g.SW == 1 {
		// One phase: write each plane in order, clearing only the gaps between rows.
		for c := range g.C {
			base := c * plane
			pos := base
			for h := range g.H {
				start := base + (h+g.PH)*ic.wq + g.PW
				clear(xp[pos:start])
				copy(xp[start:start+g.W], img[(c*g.H+h)*g.W:][:g.W])
				pos = start + g.W
			}
			clear(xp[pos : base+plane])
		}
		clear(xp[g.C*plane:])
		return
	}
	clear(xp)
	phaseLen := g.C * plane
	for c := range g.C {
		for h := range g.H {
			src := img[(c*g.H+h)*g.W:][:g.W]
			r := h + g.PH
			rowBase := (r%g.SH)*g.SW*phaseLen + c*plane + (r/g.SH)*ic.wq
			if g.SW == 1 {
				copy(xp[rowBase+g.PW:][:g.W], src)
				continue
			}
			// Column w lands in phase (w+PW)%SW at (w+PW)/SW: walk each phase's
			// columns in turn, without a division per element.
			for b := range g.SW {
				w0 := ((b-g.PW)%g.SW + g.SW) % g.SW // the first w in phase b
				dst := xp[rowBase+b*phaseLen+(w0+g.PW)/g.SW:]
				for j, w := 0, w0; w < g.W; j, w = j+1, w+g.SW {
					dst[j] = src[w]
				}
			}
		}
	}
}

// implicitInputGrad computes the input gradient of a convolution of one group of one
// image, dx (C,H,W) from gy (coutg,OH,OW), as one implicit GEMM per phase of the
// padded input (stride×stride of them): the input positions of one phase are reached
// by a fixed subset of the kernel taps, each reading the output gradient at a fixed
// shift, so each phase is a stride-1 correlation of a zero-padded copy of gy. No col2im.
type implicitInputGrad struct {
	g      kernels.ConvGeom
	coutg  int
	hg, wg int // padded output-gradient plane
	pt, pl int // where gy starts in it
	padLen int
	phases []gradPhase
	maxExt int // the largest extLen of a phase
}

// gradPhase is one phase (a,b) of the padded input: rows SH·i+a, columns SW·j+b.
type gradPhase struct {
	taps     [][2]int // (kh,kw) reaching this phase
	ilo, jlo int      // first row and column index i, j inside the unpadded input
	ni, nj   int      // how many
	off      []int    // (coutg·len(taps)): row offsets into the padded gy
}

func (ph *gradPhase) extLen(wg int) int { return ph.ni * wg }

// newImplicitInputGrad plans the input gradient of the convolution p.
func newImplicitInputGrad(p *convPlan) *implicitInputGrad {
	g := p.geo
	ig := &implicitInputGrad{g: g, coutg: p.coutg}
	// First pass: phases, their taps and ranges, and the padding gy needs.
	for a := range g.SH {
		for b := range g.SW {
			ph := gradPhase{}
			for kh := range g.KH {
				for kw := range g.KW {
					if (kh*g.DH)%g.SH == a && (kw*g.DW)%g.SW == b {
						ph.taps = append(ph.taps, [2]int{kh, kw})
					}
				}
			}
			// Input rows r = SH·i+a of the padded input with r-PH in [0,H).
			ph.ilo = ceilDiv(max(g.PH-a, 0), g.SH)
			ph.ni = max(0, (g.PH+g.H-1-a)/g.SH-ph.ilo+1)
			ph.jlo = ceilDiv(max(g.PW-b, 0), g.SW)
			ph.nj = max(0, (g.PW+g.W-1-b)/g.SW-ph.jlo+1)
			if len(ph.taps) == 0 || ph.ni == 0 || ph.nj == 0 {
				continue // nothing reaches these positions: their gradient stays 0
			}
			for _, t := range ph.taps {
				ig.pt = max(ig.pt, (t[0]*g.DH)/g.SH-ph.ilo)
				ig.pl = max(ig.pl, (t[1]*g.DW)/g.SW-ph.jlo)
			}
			ig.phases = append(ig.phases, ph)
		}
	}
	ig.hg, ig.wg = ig.pt+g.OH, ig.pl+g.OW
	for _, ph := range ig.phases {
		ig.hg = max(ig.hg, ph.ilo+ph.ni+ig.pt)
		ig.wg = max(ig.wg, ph.jlo+ph.nj+ig.pl)
	}
	plane := ig.hg * ig.wg
	ig.padLen = p.coutg * plane
	for i := range ig.phases {
		ph := &ig.phases[i]
		for co := range p.coutg {
			for _, t := range ph.taps {
				q, s := (t[0]*g.DH)/g.SH, (t[1]*g.DW)/g.SW
				o := co*plane + (ph.ilo-q+ig.pt)*ig.wg + ph.jlo - s + ig.pl
				ph.off = append(ph.off, o)
				ig.padLen = max(ig.padLen, o+ph.extLen(ig.wg))
			}
		}
		ig.maxExt = max(ig.maxExt, ph.extLen(ig.wg))
	}
	return ig
}

// weights returns, for each group and phase, the (C, coutg·taps) matrix of the kernel
// taps reaching the phase: wp[gr][ph][c][(co,t)] = w[gr·coutg+co][c][taps[t]].
func (ig *implicitInputGrad) weights(w []float32, groups int) [][][]float32 {
	g := ig.g
	kk := g.KH * g.KW
	out := make([][][]float32, groups)
	for gr := range groups {
		wg := w[gr*ig.coutg*g.C*kk:]
		for _, ph := range ig.phases {
			nt := len(ph.taps)
			m := make([]float32, g.C*ig.coutg*nt)
			for c := range g.C {
				for co := range ig.coutg {
					for t, tap := range ph.taps {
						m[(c*ig.coutg+co)*nt+t] = wg[(co*g.C+c)*kk+tap[0]*g.KW+tap[1]]
					}
				}
			}
			out[gr] = append(out[gr], m)
		}
	}
	return out
}

// run writes dx (C,H,W) of one group of one image from gy (coutg,OH,OW) with the
// group's phase weights wp, using gp (padLen) and ext (C·maxExt) as scratch.
func (ig *implicitInputGrad) run(dx, gy []float32, wp [][]float32, gp, ext []float32, threads int) {
	g := ig.g
	clear(gp)
	plane := ig.hg * ig.wg
	for co := range ig.coutg {
		for oh := range g.OH {
			copy(gp[co*plane+(oh+ig.pt)*ig.wg+ig.pl:][:g.OW], gy[(co*g.OH+oh)*g.OW:][:g.OW])
		}
	}
	for pi := range ig.phases {
		ph := &ig.phases[pi]
		L, K := ph.extLen(ig.wg), len(ph.off)
		kernels.SgemmOffsetB(threads, false, false, g.C, L, K, 1, wp[pi], K, gp, ph.off, 0, ext, L)
		// ext (C, ni, Wg) -> dx[c][SH·i+a-PH][SW·j+b-PW]
		a, b := 0, 0
		if len(ph.taps) > 0 {
			a, b = (ph.taps[0][0]*g.DH)%g.SH, (ph.taps[0][1]*g.DW)%g.SW
		}
		for c := range g.C {
			for i := range ph.ni {
				h := g.SH*(ph.ilo+i) + a - g.PH
				src := ext[c*L+i*ig.wg:][:ph.nj]
				row := dx[(c*g.H+h)*g.W:][:g.W]
				w0 := g.SW*ph.jlo + b - g.PW
				if g.SW == 1 {
					copy(row[w0:], src)
					continue
				}
				for j, v := range src {
					row[w0+g.SW*j] = v
				}
			}
		}
	}
}
