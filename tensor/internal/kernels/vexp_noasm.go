//go:build !amd64 || purego

package kernels

// useVecMath is always false without assembly.
var useVecMath = false

func expSlice(dst, src []float32)                         { expSliceGo(dst, src) }
func sigmoidSlice(dst, src []float32)                     { sigmoidSliceGo(dst, src) }
func siluSlice(dst, src []float32)                        { siluSliceGo(dst, src) }
func tanhSlice(dst, src []float32)                        { tanhSliceGo(dst, src) }
func geluTanhSlice(dst, src []float32)                    { geluTanhSliceGo(dst, src) }
func siluGradSlice(dst, x, g []float32)                   { siluGradSliceGo(dst, x, g) }
func geluTanhGradSlice(dst, x, g []float32)               { geluTanhGradSliceGo(dst, x, g) }
func tanhGradSlice(dst, y, g []float32)                   { tanhGradSliceGo(dst, y, g) }
func sigmoidGradSlice(dst, y, g []float32)                { sigmoidGradSliceGo(dst, y, g) }
func expGradSlice(dst, y, g []float32)                    { expGradSliceGo(dst, y, g) }
func bceLogits(dst, x, t []float32)                       { bceLogitsGo(dst, x, t) }
func bceLogitsGrad(dst, x, t, g []float32)                { bceLogitsGradGo(dst, x, t, g) }
func reluSlice(dst, x, v []float32)                       { reluSliceGo(dst, x, v) }
func leakySlice(dst, x, v []float32, alpha float32)       { leakySliceGo(dst, x, v, alpha) }
func axpy(alpha float32, x, y []float32)                  { axpyGo(alpha, x, y) }
func expSum(dst, src []float32, scale, m float32) float64 { return expSumGo(dst, src, scale, m) }

// hasVecMath reports whether the assembly loops can run: never without them.
func hasVecMath() bool { return false }
