package nn

import (
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/tensor"
	"gonum.org/v1/gonum/mat"
)

// FanInOut returns PyTorch's fan-in and fan-out of a weight shape: for a shape
// (a, b, k…) fan-in is b·Πk and fan-out is a·Πk. It panics for fewer than 2 axes.
func FanInOut(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		tensor.Panicf("FanInOut", "shape %s has fewer than 2 axes", tensor.ShapeString(shape))
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// Zeros initialises to 0.
func Zeros(_ *rand.Rand, shape []int) *tensor.Tensor { return tensor.New(shape...) }

// Ones initialises to 1.
func Ones(_ *rand.Rand, shape []int) *tensor.Tensor { return tensor.Ones(shape...) }

// Constant initialises to v.
func Constant(v float32) Init {
	return func(_ *rand.Rand, shape []int) *tensor.Tensor { return tensor.Full(v, shape...) }
}

// Normal initialises from N(mean, std²).
func Normal(mean, std float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data() {
			t.Data()[i] = float32(mean + std*rng.NormFloat64())
		}
		return t
	}
}

// Uniform initialises from U(lo, hi).
func Uniform(lo, hi float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		return tensor.Rand(rng, float32(lo), float32(hi), shape...)
	}
}

// leakyGain is torch.nn.init.calculate_gain("leaky_relu", a).
func leakyGain(a float64) float64 { return math.Sqrt(2 / (1 + a*a)) }

// KaimingUniform is torch.nn.init.kaiming_uniform_ with negative slope a, fan-in mode:
// U(-b, b) with b = gain·sqrt(3/fanIn). Linear and Conv2d weights default to a = √5.
func KaimingUniform(a float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		fanIn, _ := FanInOut(shape)
		b := leakyGain(a) * math.Sqrt(3/float64(fanIn))
		return tensor.Rand(rng, float32(-b), float32(b), shape...)
	}
}

// KaimingNormal is torch.nn.init.kaiming_normal_ with negative slope a, fan-in mode.
func KaimingNormal(a float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		fanIn, _ := FanInOut(shape)
		return Normal(0, leakyGain(a)/math.Sqrt(float64(fanIn)))(rng, shape)
	}
}

// XavierUniform is torch.nn.init.xavier_uniform_.
func XavierUniform(gain float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		fi, fo := FanInOut(shape)
		b := gain * math.Sqrt(6/float64(fi+fo))
		return tensor.Rand(rng, float32(-b), float32(b), shape...)
	}
}

// XavierNormal is torch.nn.init.xavier_normal_.
func XavierNormal(gain float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		fi, fo := FanInOut(shape)
		return Normal(0, gain*math.Sqrt(2/float64(fi+fo)))(rng, shape)
	}
}

// BiasUniform is PyTorch's default bias initialisation for a layer with the given
// fan-in: U(-1/√fanIn, 1/√fanIn).
func BiasUniform(fanIn int) Init {
	b := 1 / math.Sqrt(float64(max(fanIn, 1)))
	return Uniform(-b, b)
}

// Orthogonal is torch.nn.init.orthogonal_: the weight, flattened to (rows, cols), is a
// (semi-)orthogonal matrix scaled by gain, from the QR decomposition of a Gaussian
// matrix with the signs of R's diagonal folded into Q.
func Orthogonal(gain float64) Init {
	return func(rng *rand.Rand, shape []int) *tensor.Tensor {
		if len(shape) < 2 {
			tensor.Panicf("Orthogonal", "shape %s has fewer than 2 axes", tensor.ShapeString(shape))
		}
		rows := shape[0]
		cols := 1
		for _, d := range shape[1:] {
			cols *= d
		}
		r, c := rows, cols
		if rows < cols {
			r, c = cols, rows
		}
		a := mat.NewDense(r, c, nil)
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				a.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(a)
		var q, rr mat.Dense
		qr.QTo(&q)
		qr.RTo(&rr)
		out := tensor.New(shape...)
		d := out.Data()
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				// Q is r×r; use its first c columns, transposed when rows < cols.
				qi, qj := i, j
				if rows < cols {
					qi, qj = j, i
				}
				sign := 1.0
				if rr.At(qj, qj) < 0 {
					sign = -1
				}
				d[i*cols+j] = float32(gain * sign * q.At(qi, qj))
			}
		}
		return out
	}
}
