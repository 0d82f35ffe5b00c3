package kernels

import (
	"sync"
	"sync/atomic"
)

// Register tile of the micro-kernel: gemmMR rows of op(A) by gemmNR columns of op(B).
const (
	gemmMR = 6
	gemmNR = 16
)

// Cache blocking, BLIS style, tuned on Zen 4 (32 KiB L1d, 1 MiB L2 per core): a
// kc×gemmNR panel of B stays in L1, an mc×kc block of A in L2 and a kc×nc block of B in
// L3. The actual block sizes are balanced so the last block is not a sliver.
var (
	gemmKC = 256
	gemmMC = 144  // multiple of gemmMR
	gemmNC = 4096 // multiple of gemmNR
)

// Work thresholds, in multiply-adds (m·n·k).
var (
	// gemmSmallWork: up to this, a direct loop beats packing.
	gemmSmallWork = 4096
	// gemmParallelWork: each extra goroutine must get at least this much work.
	gemmParallelWork = 128 * 128 * 64
	// gemmPackAMinN: A is packed only when a goroutine's share of n exceeds this;
	// below it the micro-kernel reads A in place.
	gemmPackAMinN = 4 * gemmNR
)

// gemmMinColGroup is the narrowest column group a parallel work item gets.
var gemmMinColGroup = 128

// gemmProblem holds the arguments of one Sgemm call.
type gemmProblem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	boff           []int // when set, B's stored row r starts at b[boff[r]] (ldb unused)
	aoff           []int // when set, row i of A (not transposed) starts at a[aoff[i]] (lda unused)
	aTriples       bool  // with aoff: every 6-row tile is two triples of one common row stride
}

// aRow returns where row i of A (not transposed) starts in a.
func (g *gemmProblem) aRow(i int) int {
	if g.aoff != nil {
		return g.aoff[i]
	}
	return i * g.lda
}

// tripleStride reports whether rows i..i+5 of aoff form two runs of three rows with one
// common, non-negative stride, which the micro-kernel can read in place, and returns it.
func tripleStride(aoff []int, i int) (int, bool) {
	o := aoff[i : i+gemmMR : i+gemmMR]
	d := o[1] - o[0]
	return d, d >= 0 && o[2]-o[1] == d && o[4]-o[3] == d && o[5]-o[4] == d
}

// bRow returns where B's stored row r starts in b: row p of op(B) without transB,
// column p with it.
func (g *gemmProblem) bRow(r int) int {
	if g.boff != nil {
		return g.boff[r]
	}
	return r * g.ldb
}

// gemmBuf is one goroutine's packing space, reused through gemmBufPool.
type gemmBuf struct {
	a, b []float32
	tile [gemmMR * gemmNR]float32
}

var gemmBufPool = sync.Pool{New: func() any { return new(gemmBuf) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// balanced splits n into ceil(n/max) nearly equal blocks, each rounded up to a multiple
// of unit, and returns the block size.
func balanced(n, maxBlock, unit int) int {
	blocks := ceilDiv(n, maxBlock)
	return ceilDiv(ceilDiv(n, blocks), unit) * unit
}

// block computes rows [i0,i1) and columns [j0,j1) of C with packed panels.
func (g *gemmProblem) block(i0, i1, j0, j1 int, buf *gemmBuf) {
	kc := balanced(g.k, gemmKC, 1)
	mc := balanced(i1-i0, gemmMC, gemmMR)
	nc := balanced(j1-j0, gemmNC, gemmNR)
	buf.a = grow(buf.a, mc*kc)
	buf.b = grow(buf.b, nc*kc)
	// Packing A pays off only when each A panel meets many B panels.
	packedA := j1-j0 > gemmPackAMinN || (g.aoff != nil && !g.aTriples)
	for jc := j0; jc < j1; jc += nc {
		ncb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kcb := min(kc, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			g.packB(buf.b, pc, jc, kcb, ncb)
			for ic := i0; ic < i1; ic += mc {
				mcb := min(mc, i1-ic)
				g.prepareA(buf, packedA, ic, pc, mcb, kcb)
				g.macroKernel(buf, buf.b, packedA, ic, jc, mcb, ncb, pc, kcb, beta)
			}
		}
	}
}

// prepareA packs the mcb×kcb block of A at (ic,pc) into buf.a, or when A is read in
// place only its last, partial panel (zero-padded, at buf.a[0:]).
func (g *gemmProblem) prepareA(buf *gemmBuf, packedA bool, ic, pc, mcb, kcb int) {
	if packedA {
		g.packA(buf.a, ic, pc, mcb, kcb)
	} else if edge := mcb % gemmMR; edge != 0 {
		g.packA(buf.a, ic+mcb-edge, pc, edge, kcb)
	}
}

// macroKernel multiplies the mcb×kcb block of A at (ic,pc), packed in buf.a or read in
// place, by the kcb×ncb block of B packed in b into C at (ic,jc). Edge tiles go through
// buf.tile so the kernel never touches C outside the block.
func (g *gemmProblem) macroKernel(buf *gemmBuf, b []float32, packedA bool, ic, jc, mcb, ncb, pc, kcb int, beta float32) {
	c, ldc, alpha := g.c, g.ldc, g.alpha
	for jr := 0; jr < ncb; jr += gemmNR {
		nr := min(gemmNR, ncb-jr)
		bp := b[jr*kcb:]
		for ir := 0; ir < mcb; ir += gemmMR {
			mr := min(gemmMR, mcb-ir)
			ap, rsa, csa := buf.a, 1, gemmMR
			var ap1 []float32 // rows 3-5, when not at ap[3*rsa:]
			switch {
			case packedA:
				ap = buf.a[ir*kcb:]
			case mr < gemmMR:
				// the packed edge panel at buf.a[0:]
			case g.transA:
				ap, rsa, csa = g.a[pc*g.lda+ic+ir:], 1, g.lda
			case g.aoff != nil:
				i := ic + ir
				rsa, _ = tripleStride(g.aoff, i)
				ap, ap1, csa = g.a[g.aoff[i]+pc:], g.a[g.aoff[i+3]+pc:], 1
			default:
				ap, rsa, csa = g.a[(ic+ir)*g.lda+pc:], g.lda, 1
			}
			if ap1 == nil {
				ap1 = ap[3*rsa:]
			}
			off := (ic+ir)*ldc + jc + jr
			if mr == gemmMR && nr == gemmNR {
				kernel6x16(kcb, ap, ap1, rsa, csa, bp, c[off:], ldc, alpha, beta)
				continue
			}
			tile := buf.tile[:]
			if mr > 3 || !kernel3x16(kcb, ap, rsa, csa, bp, tile, gemmNR, alpha) {
				kernel6x16(kcb, ap, ap1, rsa, csa, bp, tile, gemmNR, alpha, 0)
			}
			for r := range mr {
				dst := c[off+r*ldc:][:nr]
				src := tile[r*gemmNR:][:nr]
				if beta == 0 {
					copy(dst, src)
					continue
				}
				for j, v := range src {
					dst[j] = v + beta*dst[j]
				}
			}
		}
	}
}

// packA packs rows [ic,ic+mcb) and columns [pc,pc+kcb) of op(A) into gemmMR-row
// panels: panel q starts at dst[q*gemmMR*kcb] and holds op(A)[ic+q*gemmMR+r][pc+p] at
// p*gemmMR+r. Rows past mcb are zero.
func (g *gemmProblem) packA(dst []float32, ic, pc, mcb, kcb int) {
	a, lda := g.a, g.lda
	if g.transA {
		g.packATrans(dst, ic, pc, mcb, kcb)
		return
	}
	for ir := 0; ir < mcb; ir += gemmMR {
		mr := min(gemmMR, mcb-ir)
		d := dst[ir*kcb : (ir+gemmMR)*kcb]
		i := ic + ir
		switch {
		case mr == gemmMR && g.aoff == nil:
			packA6(d, a[i*lda+pc:], lda, kcb)
		case mr == gemmMR:
			packA6Rows(d, a, g.aoff[i:i+gemmMR], pc, kcb)
		default:
			clear(d)
			for r := range mr {
				row := a[g.aRow(i+r)+pc:][:kcb]
				for p, v := range row {
					d[p*gemmMR+r] = v
				}
			}
		}
	}
}

// packATrans is packA for a transposed A, where op(A)[i][p] = a[p*lda+i]. It works
// on tiles of eight panels by 32 stored rows so that the rows it reads and the panel
// pieces it writes stay in L1 together: going panel by panel reads kcb rows lda apart,
// and row by row writes to every panel, 6·kcb floats apart; for the strides of a few
// hundred floats that neural nets use, either keeps evicting itself from a few L1 sets.
func (g *gemmProblem) packATrans(dst []float32, ic, pc, mcb, kcb int) {
	const rows, panels = 32, 8
	a, lda := g.a, g.lda
	full := mcb - mcb%gemmMR
	for i0 := 0; i0 < full; i0 += panels * gemmMR {
		i1 := min(i0+panels*gemmMR, full)
		for p0 := 0; p0 < kcb; p0 += rows {
			p1 := min(p0+rows, kcb)
			for ir := i0; ir < i1; ir += gemmMR {
				d := dst[ir*kcb:]
				for p := p0; p < p1; p++ {
					s := a[(pc+p)*lda+ic+ir:][:gemmMR:gemmMR]
					q := d[p*gemmMR:][:gemmMR:gemmMR]
					q[0], q[1], q[2], q[3], q[4], q[5] = s[0], s[1], s[2], s[3], s[4], s[5]
				}
			}
		}
	}
	if full < mcb {
		for p := range kcb {
			q := dst[full*kcb+p*gemmMR:][:gemmMR]
			copy(q, a[(pc+p)*lda+ic+full:][:mcb-full])
			clear(q[mcb-full:])
		}
	}
}

// packA6Rows interleaves kcb values from each of the six rows starting at a[off[r]+pc]
// into a packed panel: dst[p*6+r] = a[off[r]+pc+p].
func packA6Rows(dst, a []float32, off []int, pc, kcb int) {
	r0 := a[off[0]+pc:][:kcb]
	r1 := a[off[1]+pc:][:kcb]
	r2 := a[off[2]+pc:][:kcb]
	r3 := a[off[3]+pc:][:kcb]
	r4 := a[off[4]+pc:][:kcb]
	r5 := a[off[5]+pc:][:kcb]
	for p := range r0 {
		q := dst[p*gemmMR:][:gemmMR:gemmMR]
		q[0], q[1], q[2], q[3], q[4], q[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packB packs rows [pc,pc+kcb) and columns [jc,jc+ncb) of op(B) into gemmNR-column
// panels: panel q starts at dst[q*gemmNR*kcb] and holds op(B)[pc+p][jc+q*gemmNR+j] at
// p*gemmNR+j. Columns past ncb are zero.
func (g *gemmProblem) packB(dst []float32, pc, jc, kcb, ncb int) {
	b, ldb := g.b, g.ldb
	for jr := 0; jr < ncb; jr += gemmNR {
		nr := min(gemmNR, ncb-jr)
		d := dst[jr*kcb : (jr+gemmNR)*kcb]
		j := jc + jr
		switch {
		case !g.transB && nr == gemmNR && g.boff == nil:
			packB16(d, b[pc*ldb+j:], ldb, kcb)
		case !g.transB && nr == gemmNR:
			packB16Off(d, b[j:], g.boff[pc:pc+kcb], kcb)
		case !g.transB:
			for p := range kcb {
				q := d[p*gemmNR:][:gemmNR]
				copy(q, b[g.bRow(pc+p)+j:][:nr])
				clear(q[nr:])
			}
		case nr == gemmNR:
			// op(B)[p][j] = b[j*ldb+p]: each column is a contiguous run of kcb values.
			var cols [gemmNR][]float32
			for col := range cols {
				cols[col] = b[g.bRow(j+col)+pc:][:kcb]
			}
			packB16Trans(d, &cols, kcb)
		default:
			clear(d)
			for col := range nr {
				src := b[g.bRow(j+col)+pc:][:kcb]
				for p, v := range src {
					d[p*gemmNR+col] = v
				}
			}
		}
	}
}

// packB16Trans interleaves sixteen columns of kcb values into a packed panel,
// dst[p*16+j] = cols[j][p], writing each 16-value row of the panel in one go.
func packB16Trans(dst []float32, cols *[gemmNR][]float32, kcb int) {
	c0, c1, c2, c3 := cols[0][:kcb], cols[1][:kcb], cols[2][:kcb], cols[3][:kcb]
	c4, c5, c6, c7 := cols[4][:kcb], cols[5][:kcb], cols[6][:kcb], cols[7][:kcb]
	c8, c9, c10, c11 := cols[8][:kcb], cols[9][:kcb], cols[10][:kcb], cols[11][:kcb]
	c12, c13, c14, c15 := cols[12][:kcb], cols[13][:kcb], cols[14][:kcb], cols[15][:kcb]
	for p := range c0 {
		q := dst[p*gemmNR:][:gemmNR:gemmNR]
		q[0], q[1], q[2], q[3] = c0[p], c1[p], c2[p], c3[p]
		q[4], q[5], q[6], q[7] = c4[p], c5[p], c6[p], c7[p]
		q[8], q[9], q[10], q[11] = c8[p], c9[p], c10[p], c11[p]
		q[12], q[13], q[14], q[15] = c12[p], c13[p], c14[p], c15[p]
	}
}

// small computes C directly, without packing, for problems too small to amortise it.
func (g *gemmProblem) small() {
	m, n, k := g.m, g.n, g.k
	a, b, c := g.a, g.b, g.c
	lda, ldc := g.lda, g.ldc
	scaleRows(g.beta, c, m, n, ldc)
	for i := range m {
		crow := c[i*ldc:][:n]
		if !g.transB {
			for p := range k {
				axpy(g.alpha*g.atA(i, p), b[g.bRow(p):][:n], crow)
			}
			continue
		}
		for j := range n {
			bcol := b[g.bRow(j):][:k]
			var s float32
			if g.transA {
				for p, v := range bcol {
					s += a[p*lda+i] * v
				}
			} else {
				s = dot(a[g.aRow(i):][:k], bcol)
			}
			crow[j] += g.alpha * s
		}
	}
}

// atA returns op(A)[i][p].
// dot returns Σ x[i]·y[i] over len(x), with eight independent partial sums.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		xs, ys := x[i:i+8:i+8], y[i:i+8:i+8]
		s0 += xs[0] * ys[0]
		s1 += xs[1] * ys[1]
		s2 += xs[2] * ys[2]
		s3 += xs[3] * ys[3]
		s4 += xs[4] * ys[4]
		s5 += xs[5] * ys[5]
		s6 += xs[6] * ys[6]
		s7 += xs[7] * ys[7]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

func (g *gemmProblem) atA(i, p int) float32 {
	if g.transA {
		return g.a[p*g.lda+i]
	}
	return g.a[g.aRow(i)+p]
}

// scaleRows sets the m×n matrix c (row stride ldc) to beta*c, clearing it (NaNs
// included) when beta is 0.
func scaleRows(beta float32, c []float32, m, n, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc:][:n]
		if beta == 0 {
			clear(row)
		} else {
			Scale(beta, row)
		}
	}
}

// gemmJob is a gemmProblem run by several goroutines, BLIS style: for each (jc,pc)
// block they first pack the shared B block together, then take (row block, column
// group) items from an atomic counter, each packing its own A. It lives in gemmJobPool
// so that parallel calls allocate nothing.
type gemmJob struct {
	gemmProblem
	threads int
	b       []float32 // the shared packed B block

	// State of the current (jc,pc) step.
	packing              bool
	mc, jc, ncb, pc, kcb int
	beta                 float32
	colGroup, nColGroups int
	nItems               int
	packedA              bool
	nextItem             atomic.Int64
	wg                   sync.WaitGroup
}

var gemmJobPool = sync.Pool{New: func() any { return new(gemmJob) }}

func (j *gemmJob) runChunk(i int) {
	if j.packing {
		// Chunk i packs its share of the B panels.
		per := ceilDiv(ceilDiv(j.ncb, gemmNR), j.threads) * gemmNR
		j0, j1 := i*per, min((i+1)*per, j.ncb)
		if j0 < j1 {
			j.packB(j.b[j0*j.kcb:], j.pc, j.jc+j0, j.kcb, j1-j0)
		}
		return
	}
	buf := gemmBufPool.Get().(*gemmBuf)
	buf.a = grow(buf.a, j.mc*j.kcb)
	lastIC := -1
	for {
		it := int(j.nextItem.Add(1)) - 1
		if it >= j.nItems {
			break
		}
		ic := it / j.nColGroups * j.mc
		mcb := min(j.mc, j.m-ic)
		j0 := it % j.nColGroups * j.colGroup
		if ic != lastIC {
			j.prepareA(buf, j.packedA, ic, j.pc, mcb, j.kcb)
			lastIC = ic
		}
		j.macroKernel(buf, j.b[j0*j.kcb:], j.packedA, ic, j.jc+j0, mcb, min(j.colGroup, j.ncb-j0), j.pc, j.kcb, j.beta)
	}
	gemmBufPool.Put(buf)
}

// runParallel computes the whole product with j.threads goroutines.
func (j *gemmJob) runParallel() {
	kc := balanced(j.k, gemmKC, 1)
	nc := balanced(j.n, gemmNC, gemmNR)
	j.mc = balanced(j.m, gemmMC, gemmMR)
	rowBlocks := ceilDiv(j.m, j.mc)
	j.b = grow(j.b, nc*kc)
	for jc := 0; jc < j.n; jc += nc {
		ncb := min(nc, j.n-jc)
		// Enough items to balance the goroutines, but column groups of at least
		// gemmMinColGroup so that packing A stays cheap next to using it.
		groups := min(max(ceilDiv(4*j.threads, rowBlocks), 1), max(ncb/gemmMinColGroup, 1))
		j.colGroup = ceilDiv(ceilDiv(ncb, groups), gemmNR) * gemmNR
		j.nColGroups = ceilDiv(ncb, j.colGroup)
		j.nItems = rowBlocks * j.nColGroups
		j.packedA = j.colGroup > gemmPackAMinN || (j.aoff != nil && !j.aTriples)
		j.jc, j.ncb = jc, ncb
		for pc := 0; pc < j.k; pc += kc {
			j.pc, j.kcb = pc, min(kc, j.k-pc)
			j.beta = j.gemmProblem.beta
			if pc > 0 {
				j.beta = 1
			}
			j.packing = true
			parallelFor(j, min(j.threads, ceilDiv(ncb, gemmNR)), &j.wg)
			j.packing = false
			j.nextItem.Store(0)
			parallelFor(j, min(j.threads, j.nItems), &j.wg)
		}
	}
}

// run computes the product with the packed kernels, on up to Threads() goroutines when
// there is enough work.
func (g *gemmProblem) run(threads int) {
	t := min(threads, max(1, g.m*g.n*g.k/gemmParallelWork))
	if t <= 1 {
		buf := gemmBufPool.Get().(*gemmBuf)
		g.block(0, g.m, 0, g.n, buf)
		gemmBufPool.Put(buf)
		return
	}
	job := gemmJobPool.Get().(*gemmJob)
	job.gemmProblem = *g
	job.threads = t
	job.runParallel()
	job.gemmProblem = gemmProblem{} // do not keep the caller's slices alive
	gemmJobPool.Put(job)
}
