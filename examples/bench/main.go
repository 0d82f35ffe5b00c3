// Command bench runs the reference workloads of genblocks and prints one JSON line per
// workload with the median time per training step (or tokens per second, or GFLOP/s),
// the bytes and allocations per step:
//
//	go run ./examples/bench                 # every workload
//	go run ./examples/bench -only gpt       # one
//	go run ./examples/bench -compare        # also run the PyTorch twin and print ratios
//
// The PyTorch twin, torch_twin.py beside this file, builds the same models and prints
// the same lines; -compare runs it with /usr/bin/python3 (Debian's python3-torch) on 2
// threads, in the same run, so the ratios compare like with like. The twin gets
// OMP_WAIT_POLICY=PASSIVE unless the environment sets it: with OpenMP's default
// spin-waiting, PyTorch runs up to 10× slower on a shared, loaded machine.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Result is one line of output.
type Result struct {
	Workload      string  `json:"workload"`
	MsPerStep     float64 `json:"ms_per_step,omitempty"`
	TokensPerS    float64 `json:"tokens_per_s,omitempty"`
	GFLOPS        float64 `json:"gflops,omitempty"`
	BytesPerStep  float64 `json:"bytes_per_step,omitempty"`
	AllocsPerStep float64 `json:"allocs_per_step,omitempty"`
	Steps         int     `json:"steps"`
	Impl          string  `json:"impl"`
}

// workload builds a model and returns one step of work.
type workload struct {
	name  string
	build func(rng *rand.Rand) func()
	// kind of figure: "ms" (per step), "tokens" (127 tokens per step), "gflops".
	kind  string
	flops float64 // per step, for gflops
}

var workloads = []workload{
	{name: "mlp", build: buildMLP, kind: "ms"},
	{name: "vae", build: buildVAE, kind: "ms"},
	{name: "dcgan", build: buildDCGAN, kind: "ms"},
	{name: "gpt", build: buildGPT, kind: "ms"},
	{name: "generate", build: buildGenerate, kind: "tokens"},
	{name: "unet", build: buildUNet, kind: "ms"},
	{name: "gemm512", build: buildGEMM(512), kind: "gflops", flops: 2 * 512 * 512 * 512},
	{name: "gemm1024", build: buildGEMM(1024), kind: "gflops", flops: 2 * 1024 * 1024 * 1024},
}

func main() {
	only := flag.String("only", "", "comma-separated workloads to run (default all)")
	steps := flag.Int("steps", 10, "timed steps per workload")
	warmup := flag.Int("warmup", 2, "untimed steps first")
	compare := flag.Bool("compare", false, "also run the PyTorch twin and print a ratio table")
	python := flag.String("python", "/usr/bin/python3", "Python with torch, for -compare")
	flag.Parse()

	var sel []workload
	for _, w := range workloads {
		if *only == "" || slices.Contains(strings.Split(*only, ","), w.name) {
			sel = append(sel, w)
		}
	}
	if len(sel) == 0 {
		fmt.Fprintf(os.Stderr, "bench: no workload matches -only %q\n", *only)
		os.Exit(2)
	}
	var ours []Result
	enc := json.NewEncoder(os.Stdout)
	for _, w := range sel {
		r := run(w, *steps, *warmup)
		ours = append(ours, r)
		enc.Encode(r)
	}
	if *compare {
		theirs, err := runTwin(*python, *only, *steps, *warmup)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		for _, r := range theirs {
			enc.Encode(r)
		}
		printTable(ours, theirs)
	}
}

// run times steps of w after warmup and returns the median.
func run(w workload, steps, warmup int) Result {
	rng := rand.New(rand.NewPCG(1, 2))
	step := w.build(rng)
	for i := 0; i < warmup; i++ {
		step()
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	times := make([]float64, steps)
	for i := range times {
		t0 := time.Now()
		step()
		times[i] = time.Since(t0).Seconds()
	}
	runtime.ReadMemStats(&after)
	slices.Sort(times)
	med := times[len(times)/2]
	r := Result{Workload: w.name, Steps: steps, Impl: "genblocks",
		BytesPerStep:  float64(after.TotalAlloc-before.TotalAlloc) / float64(steps),
		AllocsPerStep: float64(after.Mallocs-before.Mallocs) / float64(steps)}
	switch w.kind {
	case "ms":
		r.MsPerStep = med * 1e3
	case "tokens":
		r.TokensPerS = generateTokens / med
	case "gflops":
		r.GFLOPS = w.flops / med / 1e9
	}
	return r
}
