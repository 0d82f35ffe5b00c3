package kernels

import (
	"math"
	"sync"
)

// AdamCoeffs are the per-step scalars of one Adam or AdamW update (see AdamStep), in
// float32 as the update uses them; the caller computes them, bias corrections
// included, in float64 and rounds once.
type AdamCoeffs struct {
	Beta1, OneMinusBeta1 float32 // β1 and 1-β1, the decay of the first moment
	Beta2, OneMinusBeta2 float32 // β2 and 1-β2, the decay of the second moment
	NegStep              float32 // -lr/(1-β1^t)
	BC2Sqrt              float32 // √(1-β2^t)
	Eps                  float32 // added to the denominator
	WeightDecay          float32 // L2 term added to the gradient (Adam), unless Decoupled; 0 means none
	Decay                float32 // decoupled factor p *= Decay (AdamW), used when Decoupled
	Decoupled            bool    // apply Decay to p instead of WeightDecay to the gradient
}

// adamGrain is the least number of elements AdamStep gives one goroutine: at about
// 1 ns an element (AVX2, in cache) such a piece takes some 30 µs, well above the few
// µs of handing it to the worker pool.
const adamGrain = 1 << 15

// AdamStep applies one Adam (or, with c.Decoupled, AdamW) update to the parameters p
// in place, with gradient g, first moment m and second moment v (updated in place),
// giving exactly the results of adamStepGo, the reference loop: per element, in
// float32 with each product and sum rounded (no fused multiply-add),
//
//	p = p·Decay          if Decoupled,  else  g = g + WeightDecay·p   if WeightDecay ≠ 0
//	m = m·β1 + (1-β1)·g
//	v = v·β2 + ((1-β2)·g)·g
//	p = p + (NegStep·m) / (√v/BC2Sqrt + Eps)
//
// Tensors of at least 2·adamGrain elements are split over Threads goroutines. g, m and
// v must be at least as long as p; shorter ones panic with Go's index-out-of-range
// error before anything is written.
func AdamStep(p, g, m, v []float32, c AdamCoeffs) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	t := min(Threads(), n/adamGrain)
	if t <= 1 {
		adamStepSerial(p, g, m, v, &c)
		return
	}
	j := adamJobPool.Get().(*adamJob)
	j.p, j.g, j.m, j.v, j.c, j.parts = p, g, m, v, c, t
	parallelFor(j, t, &j.wg)
	j.p, j.g, j.m, j.v = nil, nil, nil, nil
	adamJobPool.Put(j)
}

// adamJob is an AdamStep split into parts contiguous pieces whose bounds are
// multiples of 16 elements (a 64-byte cache line), so that no two pieces write one line.
type adamJob struct {
	p, g, m, v []float32
	c          AdamCoeffs
	parts      int
	wg         sync.WaitGroup
}

func (j *adamJob) runChunk(i int) {
	n := len(j.p)
	lo, hi := i*n/j.parts&^15, (i+1)*n/j.parts&^15
	if i == j.parts-1 {
		hi = n
	}
	if lo < hi {
		adamStepSerial(j.p[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi], &j.c)
	}
}

var adamJobPool = sync.Pool{New: func() any { return new(adamJob) }}

// adamStepGo is the reference loop of AdamStep on one goroutine: g, m and v have at
// least len(p) elements. The explicit float32 conversions keep the compiler from
// fusing a multiply and an add (which it may do on GOAMD64=v3 and other
// architectures), so every operation rounds once, as in the assembly.
func adamStepGo(p, g, m, v []float32, c *AdamCoeffs) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	b1, omb1, b2, omb2 := c.Beta1, c.OneMinusBeta1, c.Beta2, c.OneMinusBeta2
	nstep, bc2sqrt, eps := c.NegStep, c.BC2Sqrt, c.Eps
	decoupled, decay := c.Decoupled, c.Decay
	wd := c.WeightDecay
	l2 := !decoupled && wd != 0
	for i, x := range g {
		if decoupled {
			p[i] *= decay
		} else if l2 {
			x += float32(wd * p[i])
		}
		m[i] = float32(m[i]*b1) + float32(omb1*x)
		v[i] = float32(v[i]*b2) + float32(float32(omb2*x)*x)
		d := float32(math.Sqrt(float64(v[i])))/bc2sqrt + eps
		p[i] += float32(nstep*m[i]) / d
	}
}
