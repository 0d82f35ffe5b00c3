package kernels

// ConvGeom is the geometry of a 2-D convolution over one image of C channels (one
// group's channels when the convolution is grouped): the input plane size, the kernel
// size, stride, zero padding and dilation, and the output plane size. All fields must be
// set; OH and OW need not be the largest output that fits (a smaller output just uses
// fewer windows), which is what transposed convolutions with output padding rely on.
type ConvGeom struct {
	C, H, W int // input channels, height, width
	KH, KW  int // kernel height, width
	SH, SW  int // stride
	PH, PW  int // zero padding on each side
	DH, DW  int // dilation
	OH, OW  int // output height, width
}

// ColRows returns the number of rows of the column matrix: C*KH*KW.
func (g ConvGeom) ColRows() int { return g.C * g.KH * g.KW }

// ColCols returns the number of columns of the column matrix: OH*OW.
func (g ConvGeom) ColCols() int { return g.OH * g.OW }

// Im2col unfolds img, one image of shape (C,H,W), into col, the (C*KH*KW, OH*OW)
// matrix whose column l holds the input window that output position l sees (zeros where
// the window covers padding). col must hold ColRows()*ColCols() values.
//
// Reference loop:
//
//	for c, ki, kj, oh, ow:
//	    ih, iw := oh*SH-PH+ki*DH, ow*SW-PW+kj*DW
//	    col[((c*KH+ki)*KW+kj)*OH*OW + oh*OW+ow] = img[(c*H+ih)*W+iw] or 0 outside
func Im2col(col, img []float32, g ConvGeom) {
	L := g.OH * g.OW
	col = col[:g.ColRows()*L]
	img = img[:g.C*g.H*g.W]
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for ki := 0; ki < g.KH; ki++ {
			for kj := 0; kj < g.KW; kj++ {
				dst := col[r*L : (r+1)*L]
				r++
				// Output columns whose input column is inside [0, W).
				off := kj*g.DW - g.PW
				lo, hi := validRange(off, g.SW, g.W, g.OW)
				if g.SW == 1 {
					im2colRows1(dst, plane, g, ki, off, lo, hi)
					continue
				}
				for oh := 0; oh < g.OH; oh++ {
					row := dst[oh*g.OW : (oh+1)*g.OW]
					ih := oh*g.SH - g.PH + ki*g.DH
					if ih < 0 || ih >= g.H || lo >= hi {
						clear(row)
						continue
					}
					src := plane[ih*g.W : (ih+1)*g.W]
					if lo > 0 {
						clear(row[:lo])
					}
					if g.SW == 2 {
						gather2(row[lo:hi], src[lo*2+off:])
					} else {
						iw := lo*g.SW + off
						for ow := lo; ow < hi; ow++ {
							row[ow] = src[iw]
							iw += g.SW
						}
					}
					if hi < g.OW {
						clear(row[hi:])
					}
				}
			}
		}
	}
}

// im2colRows1 writes the OH×OW block of one column-matrix row (c, ki, kj) for a
// stride-1 convolution: output column ow reads input column ow+off, valid for ow in
// [lo, hi).
func im2colRows1(dst, plane []float32, g ConvGeom, ki, off, lo, hi int) {
	ow := g.OW
	for oh := 0; oh < g.OH; oh++ {
		row := dst[oh*ow : (oh+1)*ow]
		ih := oh*g.SH - g.PH + ki*g.DH
		if ih < 0 || ih >= g.H || lo >= hi {
			clear(row)
			continue
		}
		for i := range row[:lo] {
			row[i] = 0
		}
		src := plane[ih*g.W+lo+off : ih*g.W+hi+off]
		copy(row[lo:hi], src)
		for i := range row[hi:] {
			row[hi+i] = 0
		}
	}
}

// Col2im is the adjoint of Im2col: it adds every entry of col, a (C*KH*KW, OH*OW)
// matrix, into the position of img, one (C,H,W) image, that Im2col would have read it
// from; entries that fall on padding are dropped. img is accumulated into, not
// overwritten.
//
// Reference loop:
//
//	for c, ki, kj, oh, ow:
//	    ih, iw := oh*SH-PH+ki*DH, ow*SW-PW+kj*DW
//	    if inside: img[(c*H+ih)*W+iw] += col[((c*KH+ki)*KW+kj)*OH*OW + oh*OW+ow]
func Col2im(img, col []float32, g ConvGeom) {
	L := g.OH * g.OW
	col = col[:g.ColRows()*L]
	img = img[:g.C*g.H*g.W]
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for ki := 0; ki < g.KH; ki++ {
			for kj := 0; kj < g.KW; kj++ {
				src := col[r*L : (r+1)*L]
				r++
				off := kj*g.DW - g.PW
				lo, hi := validRange(off, g.SW, g.W, g.OW)
				if lo >= hi {
					continue
				}
				for oh := 0; oh < g.OH; oh++ {
					ih := oh*g.SH - g.PH + ki*g.DH
					if ih < 0 || ih >= g.H {
						continue
					}
					row := src[oh*g.OW : (oh+1)*g.OW]
					dst := plane[ih*g.W : (ih+1)*g.W]
					if g.SW == 1 {
						d := dst[lo+off : hi+off]
						for i, v := range row[lo:hi] {
							d[i] += v
						}
					} else if g.SW == 2 {
						scatterAdd2(dst[lo*2+off:], row[lo:hi])
					} else {
						iw := lo*g.SW + off
						for ow := lo; ow < hi; ow++ {
							dst[iw] += row[ow]
							iw += g.SW
						}
					}
				}
			}
		}
	}
}

// validRange returns the range [lo, hi) of output indices o in [0, n) for which
// o*stride+off lies in [0, size).
func validRange(off, stride, size, n int) (lo, hi int) {
	// o*stride+off >= 0  <=>  o >= ceil(-off/stride)
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	// o*stride+off <= size-1  <=>  o <= floor((size-1-off)/stride)
	if size-1-off < 0 {
		return 0, 0
	}
	hi = (size-1-off)/stride + 1
	lo = min(lo, n)
	hi = min(hi, n)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// gather2 sets dst[i] = src[2*i].
func gather2(dst, src []float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	src = src[:2*n-1]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[2*i : 2*i+7]
		d := dst[i : i+4]
		d[0], d[1], d[2], d[3] = s[0], s[2], s[4], s[6]
	}
	for ; i < n; i++ {
		dst[i] = src[2*i]
	}
}

// scatterAdd2 adds src[i] to dst[2*i].
func scatterAdd2(dst, src []float32) {
	n := len(src)
	if n == 0 {
		return
	}
	dst = dst[:2*n-1]
	i := 0
	for ; i+4 <= n; i += 4 {
		d := dst[2*i : 2*i+7]
		s := src[i : i+4]
		d[0] += s[0]
		d[2] += s[1]
		d[4] += s[2]
		d[6] += s[3]
	}
	for ; i < n; i++ {
		dst[2*i] += src[i]
	}
}
