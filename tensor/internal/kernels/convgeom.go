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
