package kernels

import "math"

// Float32 elementary functions for the hot loops (softmax, GELU, SiLU, sigmoid): a
// range reduction and a short polynomial in float32 instead of a float64 math call.
// Expf is within 2 ulp of the correctly rounded exp over the float32 range.

const (
	log2e   = 1.44269504088896341
	ln2Hi   = 0.693359375
	ln2Lo   = -2.12194440e-4
	expP0   = 1.9875691500e-4
	expP1   = 1.3981999507e-3
	expP2   = 8.3334519073e-3
	expP3   = 4.1665795894e-2
	expP4   = 1.6666665459e-1
	expP5   = 5.0000001201e-1
	roundUp = 12582912 // 1.5·2²³: adding and subtracting it rounds to an integer
)

// Expf returns e**x in float32 (Cephes' expf polynomial): +Inf above 88.8, 0 below
// -104, NaN for NaN. It has no data-dependent branches, so that loops over it do not
// stall on mispredictions.
func Expf(x float32) float32 {
	// Clamp (NaN passes through min and max) so that 2**k below stays in range.
	x = min(max(x, -104), 88.8)
	// x = n·ln2 + r with |r| ≤ ln2/2.
	n := (x*log2e + roundUp) - roundUp
	r := x - n*ln2Hi - n*ln2Lo
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	y := p*r*r + r + 1
	// Scale by 2**k in two normal steps: k is in [-150, 129].
	k := int32(n)
	k1 := k >> 1
	return y * math.Float32frombits(uint32(k1+127)<<23) * math.Float32frombits(uint32(k-k1+127)<<23)
}

// sigmoidf returns 1/(1+e**-x) in float32, accurate to a few ulp relative everywhere
// (for large negative x, e**-x is large and the quotient keeps its relative accuracy).
func sigmoidf(x float32) float32 {
	return 1 / (1 + Expf(-x))
}

// tanhf returns tanh(x) in float32: from Expf for |x| ≥ 0.625, where 1-2/(e**2x+1)
// loses nothing, and from the float64 library below it, where it would.
func tanhf(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	if a < 0.625 {
		return float32(math.Tanh(float64(x)))
	}
	if a > 9.1 { // tanh rounds to ±1 in float32
		return float32(math.Copysign(1, float64(x)))
	}
	t := 1 - 2/(Expf(2*a)+1)
	if x < 0 {
		return -t
	}
	return t
}

// geluTanhf returns the tanh approximation of GELU, 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))),
// in float32. 1+tanh(u) = 2/(1+e**-2u), so no cancellation arises for negative u.
func geluTanhf(x float32) float32 {
	u := sqrt2overPi * (x + 0.044715*x*x*x)
	return x * sigmoidf(2*u)
}

// sigmoidPairf returns σ(x) and 1-σ(x), both with small relative error: 1-σ(x) is
// e**-x·σ(x), not a difference that cancels for large x (it is 1 where e**-x
// overflows and σ(x) is 0).
func sigmoidPairf(x float32) (s, oms float32) {
	e := Expf(-x)
	s = 1 / (1 + e)
	oms = e * s
	if !(oms <= 1) {
		oms = 1
	}
	return s, oms
}

// geluTanhGradf returns the derivative of geluTanhf at x.
func geluTanhGradf(x float32) float32 {
	x2 := x * x
	u := sqrt2overPi * (x + 0.044715*x2*x)
	s, oms := sigmoidPairf(2 * u) // (1+t)/2, (1-t)/2
	// 0.5(1+t) + 0.5x(1-t²)u' with 1-t² = 4s(1-s).
	return s + 2*x*s*oms*sqrt2overPi*(1+3*0.044715*x2)
}

// Cephes' logf polynomial: log(1+f) = f - f²/2 + f³·P(f) for f in [√½-1, √2-1].
var logP = [...]float32{
	7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
	1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
}

// log1pf returns log(1+x) in float32 for x in [0, 1] (NaN for NaN), within 2 ulp:
// Cephes' logf polynomial on f = x (below √2-1) or f = (x-1)/2, which is exact, plus
// ln 2 (above). It has no data-dependent branches beyond that choice.
func log1pf(x float32) float32 {
	f, k := x, float32(0)
	if !(x < math.Sqrt2-1) {
		f, k = x*0.5-0.5, 1
	}
	z := f * f
	p := logP[0]
	for _, c := range logP[1:] {
		p = p*f + c
	}
	y := p*f*z + ln2Lo*k - 0.5*z
	return f + y + ln2Hi*k
}

// absf returns |x|.
func absf(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}
