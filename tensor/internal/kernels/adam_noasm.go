//go:build !amd64 || purego

package kernels

// adamStepSerial is adamStepGo without assembly.
func adamStepSerial(p, g, m, v []float32, c *AdamCoeffs) { adamStepGo(p, g, m, v, c) }
