package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// AdamCoeffs are the per-step scalars of one Adam or AdamW update (see AdamUpdate),
// in float32 as the update uses them. The caller computes them in float64, bias
// corrections included, and rounds each once.
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

// AdamUpdate applies one Adam update (with c.Decoupled, AdamW) in place to the
// parameters p, given their gradient g, and updates the first and second moments m
// and v in place. Per element, in float32 with each product and sum rounded (no fused
// multiply-add), in this order:
//
//	p = p·Decay          if Decoupled,  else  g = g + WeightDecay·p   if WeightDecay ≠ 0
//	m = m·β1 + (1-β1)·g
//	v = v·β2 + ((1-β2)·g)·g
//	p = p + (NegStep·m) / (√v/BC2Sqrt + Eps)
//
// The results are the same bit for bit on every path (AVX2 assembly, pure Go, split
// over the worker pool for long slices or not); g itself is not written. It panics
// if g, m and v do not all have the length of p.
func AdamUpdate(p, g, m, v []float32, c AdamCoeffs) {
	if len(g) != len(p) || len(m) != len(p) || len(v) != len(p) {
		Panicf("AdamUpdate", "lengths %d (p), %d (g), %d (m) and %d (v) differ", len(p), len(g), len(m), len(v))
	}
	kernels.AdamStep(p, g, m, v, kernels.AdamCoeffs(c))
}
