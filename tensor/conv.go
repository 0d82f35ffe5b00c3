package tensor

import (
	"slices"
	"sync"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// Conv2dConfig holds the hyper-parameters of a 2-D convolution, each [2]int as
// (height, width). Zero values take PyTorch's defaults: a zero Stride entry means 1,
// Padding 0 means no padding, a zero Dilation entry means 1 and Groups 0 means 1.
type Conv2dConfig struct {
	Stride   [2]int // step between windows [1,1]
	Padding  [2]int // zeros added on both sides of each spatial axis [0,0]
	Dilation [2]int // spacing between kernel taps [1,1]
	Groups   int    // input and output channels are split into this many groups [1]
}

// withDefaults replaces zero fields by their defaults and panics on negative ones.
func (c Conv2dConfig) withDefaults(op string) Conv2dConfig {
	for i := range 2 {
		if c.Stride[i] < 0 || c.Dilation[i] < 0 || c.Padding[i] < 0 {
			Panicf(op, "negative stride %v, padding %v or dilation %v", c.Stride, c.Padding, c.Dilation)
		}
	}
	for i := range 2 {
		if c.Stride[i] == 0 {
			c.Stride[i] = 1
		}
		if c.Dilation[i] == 0 {
			c.Dilation[i] = 1
		}
	}
	if c.Groups == 0 {
		c.Groups = 1
	}
	if c.Groups < 0 {
		Panicf(op, "groups %d is negative", c.Groups)
	}
	return c
}

// convOutSize is PyTorch's output length of a convolution along one axis.
func convOutSize(in, k, s, p, d int) int { return (in+2*p-d*(k-1)-1)/s + 1 }

// convPlan is a validated convolution: the per-group geometry and the sizes the loops
// need.
type convPlan struct {
	geo    kernels.ConvGeom // one group of one image
	n      int              // batch
	groups int
	coutg  int // output channels per group
	out    []int
}

// direct reports whether the column matrix of an image is the image itself (1×1
// kernel, stride 1, no padding), so the convolution is one plain product per image;
// every other convolution is an implicit GEMM (conv_implicit.go).
func (p *convPlan) direct() bool {
	g := p.geo
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PH == 0 && g.PW == 0 && g.OH == g.H && g.OW == g.W
}

// planConv validates a convolution of an input of xShape (N,Cin,H,W) with a weight of
// wShape (Cout,Cin/groups,kh,kw) and returns its plan. The output is (N,Cout,OH,OW).
func planConv(op string, xShape, wShape []int, c Conv2dConfig) *convPlan {
	c = c.withDefaults(op)
	if len(xShape) != 4 || len(wShape) != 4 {
		Panicf(op, "input %s and weight %s must both be 4-D (N,C,H,W) and (Cout,Cin/groups,kh,kw)",
			ShapeString(xShape), ShapeString(wShape))
	}
	n, cin, h, w := xShape[0], xShape[1], xShape[2], xShape[3]
	cout, cing, kh, kw := wShape[0], wShape[1], wShape[2], wShape[3]
	g := c.Groups
	if cin%g != 0 || cout%g != 0 || cing*g != cin {
		Panicf(op, "input %s and weight %s do not match with %d groups (weight axis 1 must be Cin/groups, Cout divisible by groups)",
			ShapeString(xShape), ShapeString(wShape), g)
	}
	if kh <= 0 || kw <= 0 {
		Panicf(op, "weight %s has an empty kernel", ShapeString(wShape))
	}
	oh := convOutSize(h, kh, c.Stride[0], c.Padding[0], c.Dilation[0])
	ow := convOutSize(w, kw, c.Stride[1], c.Padding[1], c.Dilation[1])
	if h+2*c.Padding[0] < c.Dilation[0]*(kh-1)+1 || w+2*c.Padding[1] < c.Dilation[1]*(kw-1)+1 {
		Panicf(op, "input %s with padding %v is smaller than the dilated kernel of weight %s (dilation %v)",
			ShapeString(xShape), c.Padding, ShapeString(wShape), c.Dilation)
	}
	return &convPlan{
		geo: kernels.ConvGeom{C: cing, H: h, W: w, KH: kh, KW: kw,
			SH: c.Stride[0], SW: c.Stride[1], PH: c.Padding[0], PW: c.Padding[1],
			DH: c.Dilation[0], DW: c.Dilation[1], OH: oh, OW: ow},
		n: n, groups: g, coutg: cout / g,
		out: []int{n, cout, oh, ow},
	}
}

// forward computes y = conv(x, w) into y, which is overwritten, adding the bias b
// (Cout) unless it is nil. Only the implicit path takes a bias: the caller adds it
// after a direct convolution.
func (p *convPlan) forward(y, x, w, b []float32) {
	g := p.geo
	if !p.direct() {
		p.implicit(newImplicitConv(g), y, x, w, b)
		return
	}
	K, L := g.C, g.ColCols()
	narrow := p.narrow()
	p.samples(func(lo, hi int, gemm sgemmFunc) {
		var yt []float32
		if narrow {
			buf := getScratch(L * p.coutg)
			defer putScratch(buf)
			yt = *buf
		}
		for i := lo * p.groups; i < hi*p.groups; i++ {
			img := x[i*K*L : (i+1)*K*L] // (K,L)
			wg, yi := w[i%p.groups*p.coutg*K:], y[i*p.coutg*L:(i+1)*p.coutg*L]
			if narrow {
				// yᵀ (L,coutg) = imgᵀ·wᵀ: the image is read in place, not packed.
				gemm(true, true, L, p.coutg, K, 1, img, L, wg, K, 0, yt, p.coutg)
				transposeInto(yi, yt, L, p.coutg, false)
				continue
			}
			gemm(false, false, p.coutg, L, K, 1, wg, K, img, L, 0, yi, L)
		}
	})
}

// pieceThreads is the goroutine budget of the GEMMs inside a piece lo..hi of
// samples: all of them when the piece is the whole batch, else one.
func (p *convPlan) pieceThreads(lo, hi int) int {
	if hi-lo == p.n {
		return kernels.Threads()
	}
	return 1
}

// implicit runs the implicit convolution ic over every group of every image, adding
// the bias b (Cout) unless it is nil.
func (p *convPlan) implicit(ic *implicitConv, y, x, w, b []float32) {
	g := ic.g
	inSz, outSz, wSz := g.C*g.H*g.W, p.coutg*g.OH*g.OW, p.coutg*g.ColRows()
	p.samples(func(lo, hi int, _ sgemmFunc) {
		threads := p.pieceThreads(lo, hi)
		xp, yext := getScratch(ic.padLen), getScratch(p.coutg*ic.extLen())
		defer putScratch(xp)
		defer putScratch(yext)
		for i := lo * p.groups; i < hi*p.groups; i++ {
			gr := i % p.groups
			var bg []float32
			if b != nil {
				bg = b[gr*p.coutg : (gr+1)*p.coutg]
			}
			ic.run(y[i*outSz:(i+1)*outSz], x[i*inSz:(i+1)*inSz], w[gr*wSz:(gr+1)*wSz], bg, p.coutg, *xp, *yext, threads)
		}
	})
}

// implicitBackwardWeight adds the weight gradient to dw with implicit GEMMs that read
// the column matrix of each image in place in its padded copy. Each piece of the batch
// accumulates dwᵀ (per group (K, coutg)) privately; the pieces' sums are added up and
// transposed into dw once at the end.
func (p *convPlan) implicitBackwardWeight(dw, x, gy []float32) {
	g := p.geo
	ic := newImplicitConv(g)
	K := g.ColRows()
	inSz, outSz := g.C*g.H*g.W, p.coutg*g.OH*g.OW
	var (
		mu   sync.Mutex
		accs []*[]float32
	)
	p.samples(func(lo, hi int, _ sgemmFunc) {
		threads := p.pieceThreads(lo, hi)
		xp, gext := getScratch(ic.padLen), getScratch(p.coutg*ic.extLen())
		defer putScratch(xp)
		defer putScratch(gext)
		accBuf := getScratch(p.groups * K * p.coutg)
		acc := *accBuf
		clear(acc)
		for i := lo * p.groups; i < hi*p.groups; i++ {
			gr := i % p.groups
			ic.weightGrad(acc[gr*K*p.coutg:(gr+1)*K*p.coutg], x[i*inSz:(i+1)*inSz], gy[i*outSz:(i+1)*outSz], p.coutg, *xp, *gext, threads)
		}
		mu.Lock()
		accs = append(accs, accBuf)
		mu.Unlock()
	})
	if len(accs) == 0 {
		return // an empty batch
	}
	sum := *accs[0]
	for _, a := range accs[1:] {
		kernels.Axpy(1, *a, sum)
		putScratch(a)
	}
	for gr := range p.groups {
		o := gr * p.coutg * K
		transposeInto(dw[o:o+p.coutg*K], sum[o:o+p.coutg*K], K, p.coutg, true)
	}
	putScratch(accs[0])
}

// implicitBackwardInput computes dx from gy with one implicit GEMM per input phase of
// every group of every image (see implicitInputGrad).
func (p *convPlan) implicitBackwardInput(dx, gy, w []float32) {
	g := p.geo
	ig := newImplicitInputGrad(p)
	wp := ig.weights(w, p.groups)
	inSz, outSz := g.C*g.H*g.W, p.coutg*g.OH*g.OW
	p.samples(func(lo, hi int, _ sgemmFunc) {
		threads := p.pieceThreads(lo, hi)
		gp, ext := getScratch(ig.padLen), getScratch(g.C*ig.maxExt)
		defer putScratch(gp)
		defer putScratch(ext)
		for i := lo * p.groups; i < hi*p.groups; i++ {
			ig.run(dx[i*inSz:(i+1)*inSz], gy[i*outSz:(i+1)*outSz], wp[i%p.groups], *gp, *ext, threads)
		}
	})
}

// convNarrowCout: 1×1 convolutions with at most this many output channels per group
// compute transposed products, whose wide operand, the image, Sgemm then reads in place
// instead of packing it (see kernels' gemmPackAMinN).
const convNarrowCout = 64

func (p *convPlan) narrow() bool { return p.coutg <= convNarrowCout }

// transposeInto writes (or, with add, adds) the transpose of src (rows,cols) to dst
// (cols,rows).
func transposeInto(dst, src []float32, rows, cols int, add bool) {
	const blk = 32
	for r0 := 0; r0 < rows; r0 += blk {
		r1 := min(r0+blk, rows)
		for c := 0; c < cols; c++ {
			d := dst[c*rows+r0 : c*rows+r1]
			if add {
				for r := range d {
					d[r] += src[(r0+r)*cols+c]
				}
				continue
			}
			for r := range d {
				d[r] = src[(r0+r)*cols+c]
			}
		}
	}
}

// sgemmFunc is kernels.Sgemm or kernels.SgemmSerial.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// convGrainWork is the least work, in multiply-adds, of a piece of a batch split.
const convGrainWork = 1 << 20

// samples splits the minibatch over the worker pool: fn(lo, hi, gemm) handles samples
// lo..hi-1 with gemm, which is the serial Sgemm inside a piece of a split and the
// parallel one when fn gets the whole batch.
func (p *convPlan) samples(fn func(lo, hi int, gemm sgemmFunc)) {
	g := p.geo
	work := p.groups * p.coutg * g.ColRows() * g.ColCols()
	if p.n < 2 || work >= 4*convGrainWork*kernels.Threads() {
		// One sample is enough work for Sgemm's own split.
		fn(0, p.n, kernels.Sgemm)
		return
	}
	parallel(p.n, max(1, convGrainWork/max(work, 1)), func(lo, hi int) {
		if hi-lo == p.n {
			fn(lo, hi, kernels.Sgemm)
			return
		}
		fn(lo, hi, kernels.SgemmSerial)
	})
}

// backwardInput computes dx = convᵀ(gy, w) into dx, which must be zero.
func (p *convPlan) backwardInput(dx, gy, w []float32) {
	g := p.geo
	if !p.direct() {
		p.implicitBackwardInput(dx, gy, w)
		return
	}
	K, L := g.C, g.ColCols()
	p.samples(func(lo, hi int, gemm sgemmFunc) {
		for i := lo * p.groups; i < hi*p.groups; i++ {
			wg := w[i%p.groups*p.coutg*K:] // (coutg,K), used transposed
			gemm(true, false, K, L, p.coutg, 1, wg, K, gy[i*p.coutg*L:], L, 1, dx[i*K*L:(i+1)*K*L], L)
		}
	})
}

// backwardWeight adds the weight gradient for input x and output gradient gy into dw.
func (p *convPlan) backwardWeight(dw, x, gy []float32) {
	g := p.geo
	if !p.direct() {
		p.implicitBackwardWeight(dw, x, gy)
		return
	}
	K, L := g.C, g.ColCols()
	narrow := p.narrow()
	var mu sync.Mutex
	p.samples(func(lo, hi int, gemm sgemmFunc) {
		acc := dw
		private := hi-lo < p.n || narrow
		if private {
			// A piece of a split, or a transposed accumulator: accumulate privately,
			// then add under the lock. Narrow convolutions accumulate dwᵀ (K,coutg) per
			// group, so that the image is read in place.
			acc = make([]float32, p.groups*p.coutg*K)
		}
		for i := lo * p.groups; i < hi*p.groups; i++ {
			img, gi, ag := x[i*K*L:(i+1)*K*L], gy[i*p.coutg*L:], acc[i%p.groups*p.coutg*K:]
			if narrow {
				gemm(false, true, K, p.coutg, L, 1, img, L, gi, L, 1, ag, p.coutg)
				continue
			}
			gemm(false, true, p.coutg, K, L, 1, gi, L, img, L, 1, ag, K)
		}
		if private {
			mu.Lock()
			if narrow {
				for gr := 0; gr < p.groups; gr++ {
					o := gr * p.coutg * K
					transposeInto(dw[o:o+p.coutg*K], acc[o:o+p.coutg*K], K, p.coutg, true)
				}
			} else {
				kernels.Axpy(1, acc, dw)
			}
			mu.Unlock()
		}
	})
}

// addBias adds b[c] to every value of channel c of y (N,C,H,W).
func addBias(op string, y, b *Tensor) {
	c := y.shape[1]
	if len(b.shape) != 1 || b.shape[0] != c {
		Panicf(op, "bias %s for output %s: want (%d)", ShapeString(b.shape), ShapeString(y.shape), c)
	}
	L := y.shape[2] * y.shape[3]
	parallel(y.shape[0]*c, max(1, grainCheap/max(L, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := y.data[r*L : (r+1)*L]
			bv := b.data[r%c]
			for i := range row {
				row[i] += bv
			}
		}
	})
}

// Conv2d returns the 2-D cross-correlation of x (N,Cin,H,W) with w (Cout,Cin/groups,kh,kw)
// plus the bias b (Cout), which may be nil, as torch.nn.functional.conv2d. The result is
// (N,Cout,OH,OW) with OH = (H+2·padding-dilation·(kh-1)-1)/stride+1, likewise OW. It
// panics if the shapes do not fit each other or cfg, or the padded input is smaller
// than the dilated kernel.
func Conv2d(x, w, b *Tensor, cfg Conv2dConfig) *Tensor {
	const op = "Conv2d"
	p := planConv(op, x.shape, w.shape, cfg)
	out := empty(p.out...) // the convolution writes every value
	if b != nil {
		// Check the bias before the work.
		if len(b.shape) != 1 || b.shape[0] != p.out[1] {
			Panicf(op, "bias %s for weight %s: want (%d)", ShapeString(b.shape), ShapeString(w.shape), p.out[1])
		}
	}
	var bias []float32
	if b != nil && !p.direct() {
		bias = b.data // added as the implicit GEMM's result is copied out
	}
	p.forward(out.data, x.data, w.data, bias) // (N,Cin,H,W) -> (N,Cout,OH,OW)
	if b != nil && bias == nil {
		addBias(op, out, b)
	}
	return out
}

// Conv2dBackwardInput returns the gradient with respect to the input of Conv2d, given
// the output gradient g (N,Cout,OH,OW), the weight w (Cout,Cin/groups,kh,kw) and the
// input's shape (N,Cin,H,W), which the output shape alone does not determine when the
// stride is above 1. It is the transpose of Conv2d as a linear map of its input. It
// panics if the shapes do not fit each other or cfg.
func Conv2dBackwardInput(g, w *Tensor, inputShape []int, cfg Conv2dConfig) *Tensor {
	const op = "Conv2dBackwardInput"
	p := planConv(op, inputShape, w.shape, cfg)
	checkConvGrad(op, p, g, inputShape, w.shape)
	dx := New(inputShape...)
	p.backwardInput(dx.data, g.data, w.data) // (N,Cout,OH,OW) -> (N,Cin,H,W)
	return dx
}

// Conv2dBackwardWeight returns the gradient with respect to the weight of Conv2d, given
// the input x (N,Cin,H,W), the output gradient g (N,Cout,OH,OW) and the weight's shape
// (Cout,Cin/groups,kh,kw). It panics if the shapes do not fit each other or cfg.
func Conv2dBackwardWeight(x, g *Tensor, weightShape []int, cfg Conv2dConfig) *Tensor {
	const op = "Conv2dBackwardWeight"
	p := planConv(op, x.shape, weightShape, cfg)
	checkConvGrad(op, p, g, x.shape, weightShape)
	dw := New(weightShape...)
	p.backwardWeight(dw.data, x.data, g.data) // (N,Cin,H,W), (N,Cout,OH,OW) -> (Cout,Cin/groups,kh,kw)
	return dw
}

// checkConvGrad panics unless g has the shape of the convolution's output.
func checkConvGrad(op string, p *convPlan, g *Tensor, xShape, wShape []int) {
	if !slices.Equal(g.shape, p.out) {
		Panicf(op, "output gradient %s for input %s and weight %s: want %s",
			ShapeString(g.shape), ShapeString(xShape), ShapeString(wShape), ShapeString(p.out))
	}
}

// ConvTranspose2dConfig holds the hyper-parameters of a 2-D transposed convolution,
// each [2]int as (height, width). Zero values take PyTorch's defaults: a zero Stride
// entry means 1, Padding and OutputPadding 0 mean none, a zero Dilation entry means 1
// and Groups 0 means 1. OutputPadding must be smaller than Stride (PyTorch also allows
// it to be smaller than Dilation instead; that case is not supported).
type ConvTranspose2dConfig struct {
	Stride        [2]int // step between windows of the matching convolution [1,1]
	Padding       [2]int // padding of the matching convolution, removed from the output [0,0]
	OutputPadding [2]int // extra rows and columns added to one side of the output [0,0]
	Dilation      [2]int // spacing between kernel taps [1,1]
	Groups        int    // channel groups [1]
}

// Conv returns the configuration of the convolution whose input gradient the transposed
// convolution is. With it, the gradients of y = ConvTranspose2d(x, w, b, c) for an
// output gradient g are
//
//	dx = Conv2d(g, w, nil, c.Conv())
//	dw = Conv2dBackwardWeight(g, x, w.Shape(), c.Conv())
//	db = the sum of g over axes 0, 2 and 3.
func (c ConvTranspose2dConfig) Conv() Conv2dConfig {
	return Conv2dConfig{Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation, Groups: c.Groups}
}

// ConvTranspose2dOutputShape returns the shape of ConvTranspose2d's output for an input
// of shape xShape (N,Cin,H,W) and weight of shape wShape (Cin,Cout/groups,kh,kw):
// (N,Cout,OH,OW) with OH = (H-1)·stride-2·padding+dilation·(kh-1)+outputPadding+1,
// likewise OW. It panics if the shapes do not fit each other or c.
func ConvTranspose2dOutputShape(xShape, wShape []int, c ConvTranspose2dConfig) []int {
	return planConvTranspose("ConvTranspose2d", xShape, wShape, c).out
}

// planConvTranspose returns the plan of the convolution whose input gradient the
// transposed convolution is: its input is the transposed convolution's output.
func planConvTranspose(op string, xShape, wShape []int, c ConvTranspose2dConfig) *convPlan {
	cc := c.Conv().withDefaults(op)
	if len(xShape) != 4 || len(wShape) != 4 {
		Panicf(op, "input %s and weight %s must both be 4-D (N,Cin,H,W) and (Cin,Cout/groups,kh,kw)",
			ShapeString(xShape), ShapeString(wShape))
	}
	if xShape[1] != wShape[0] || xShape[1]%cc.Groups != 0 {
		Panicf(op, "input %s and weight %s do not match with %d groups (weight axis 0 must be Cin, divisible by groups)",
			ShapeString(xShape), ShapeString(wShape), cc.Groups)
	}
	outShape := []int{xShape[0], wShape[1] * cc.Groups, 0, 0}
	for i := range 2 {
		op2 := c.OutputPadding[i]
		if op2 < 0 || op2 >= cc.Stride[i] {
			Panicf(op, "output padding %v must be non-negative and smaller than stride %v", c.OutputPadding, cc.Stride)
		}
		outShape[2+i] = (xShape[2+i]-1)*cc.Stride[i] - 2*cc.Padding[i] + cc.Dilation[i]*(wShape[2+i]-1) + op2 + 1
		if outShape[2+i] <= 0 {
			Panicf(op, "input %s and weight %s with stride %v, padding %v give an empty output",
				ShapeString(xShape), ShapeString(wShape), cc.Stride, cc.Padding)
		}
	}
	p := planConv(op, outShape, wShape, cc)
	if p.out[2] != xShape[2] || p.out[3] != xShape[3] {
		// Unreachable while output padding is below the stride; kept as a guard.
		Panicf(op, "input %s does not match output %s", ShapeString(xShape), ShapeString(outShape))
	}
	return &convPlan{geo: p.geo, n: p.n, groups: p.groups, coutg: p.coutg, out: outShape}
}

// ConvTranspose2d returns the 2-D transposed convolution of x (N,Cin,H,W) with
// w (Cin,Cout/groups,kh,kw) plus the bias b (Cout), which may be nil, as
// torch.nn.functional.conv_transpose2d. The output shape is given by
// ConvTranspose2dOutputShape. It is the gradient of Conv2d with respect to its input,
// computed with the same kernels. It panics if the shapes do not fit each other or cfg.
func ConvTranspose2d(x, w, b *Tensor, cfg ConvTranspose2dConfig) *Tensor {
	const op = "ConvTranspose2d"
	p := planConvTranspose(op, x.shape, w.shape, cfg)
	if b != nil && (len(b.shape) != 1 || b.shape[0] != p.out[1]) {
		Panicf(op, "bias %s for weight %s: want (%d)", ShapeString(b.shape), ShapeString(w.shape), p.out[1])
	}
	out := New(p.out...)
	p.backwardInput(out.data, x.data, w.data) // (N,Cin,H,W) -> (N,Cout,OH,OW)
	if b != nil {
		addBias(op, out, b)
	}
	return out
}

// scratchPool recycles the padded image copies and extended-grid products of the
// implicit convolutions, which never leave the conv functions.
var scratchPool sync.Pool

// getScratch returns a buffer of n values (contents undefined) from scratchPool.
func getScratch(n int) *[]float32 {
	if b, ok := scratchPool.Get().(*[]float32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, n)
	return &b
}

func putScratch(b *[]float32) { scratchPool.Put(b) }
