//go:build amd64 && !purego

package kernels

// vadam is adamStepGo on the first len(p)&^7 elements, 8 lanes at a time with AVX
// (VMULPS, VADDPS, VSQRTPS, VDIVPS in the loop's order, no FMA, so that every lane
// rounds as the Go loop does). g, m and v must be at least as long as p. l2 and dec
// are lane masks, all ones or zero: dec selects p·decay for p (AdamW) and l2 selects
// g + wd·p for the gradient (Adam's L2 term).
//
//go:noescape
func vadam(p, g, m, v []float32, b1, omb1, b2, omb2, nstep, bc2sqrt, eps, wd, decay float32, l2, dec uint32)

// adamStepSerial runs AdamStep on one goroutine: the assembly on blocks of 8 when the
// CPU has AVX2, and adamStepGo on the rest.
func adamStepSerial(p, g, m, v []float32, c *AdamCoeffs) {
	n8 := 0
	if useVecMath {
		n8 = len(p) &^ 7
		if n8 > 0 {
			var l2, dec uint32
			if c.Decoupled {
				dec = ^uint32(0)
			} else if c.WeightDecay != 0 {
				l2 = ^uint32(0)
			}
			vadam(p[:n8], g[:n8], m[:n8], v[:n8], c.Beta1, c.OneMinusBeta1, c.Beta2, c.OneMinusBeta2,
				c.NegStep, c.BC2Sqrt, c.Eps, c.WeightDecay, c.Decay, l2, dec)
		}
	}
	adamStepGo(p[n8:], g[n8:], m[n8:], v[n8:], c)
}
