package main

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkWorkloads runs one step of each workload per iteration, for profiling with
// go test -bench Workloads/gpt -cpuprofile.
func BenchmarkWorkloads(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			step := w.build(rand.New(rand.NewPCG(1, 2)))
			step()
			b.ReportAllocs()
			for b.Loop() {
				step()
			}
		})
	}
}
