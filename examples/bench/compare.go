package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
)

// runTwin runs torch_twin.py and parses its JSON lines.
func runTwin(python, only string, steps, warmup int) ([]Result, error) {
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "torch_twin.py")
	if _, err := os.Stat(script); err != nil {
		script = filepath.Join("examples", "bench", "torch_twin.py")
	}
	args := []string{script, "--steps", strconv.Itoa(steps), "--warmup", strconv.Itoa(warmup)}
	if only != "" {
		args = append(args, "--only", only)
	}
	cmd := exec.Command(python, args...)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if os.Getenv("OMP_WAIT_POLICY") == "" {
		// OpenMP's default spin-waiting makes PyTorch up to 10× slower on a shared,
		// loaded machine (its 2 threads spin while descheduled); passive waiting is the
		// fair setting there and costs nothing on an idle one.
		cmd.Env = append(cmd.Env, "OMP_WAIT_POLICY=PASSIVE")
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running the PyTorch twin (%s %s): %w; install Debian's python3-torch", python, script, err)
	}
	var res []Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("PyTorch twin printed %q: %w", sc.Text(), err)
		}
		res = append(res, r)
	}
	return res, sc.Err()
}

// figure returns the headline number of r and whether larger is better.
func figure(r Result) (float64, string, bool) {
	switch {
	case r.TokensPerS != 0:
		return r.TokensPerS, "tokens/s", true
	case r.GFLOPS != 0:
		return r.GFLOPS, "GFLOP/s", true
	}
	return r.MsPerStep, "ms/step", false
}

// printTable prints genblocks against PyTorch with the speed-up (>1 means genblocks is
// faster).
func printTable(ours, theirs []Result) {
	byName := map[string]Result{}
	for _, r := range theirs {
		byName[r.Workload] = r
	}
	fmt.Printf("\n%-10s %14s %14s %10s %9s\n", "workload", "genblocks", "pytorch", "unit", "speed-up")
	for _, o := range ours {
		t, ok := byName[o.Workload]
		g, unit, higher := figure(o)
		if !ok {
			fmt.Printf("%-10s %14.2f %14s %10s %9s\n", o.Workload, g, "-", unit, "-")
			continue
		}
		p, _, _ := figure(t)
		ratio := p / g
		if higher {
			ratio = g / p
		}
		fmt.Printf("%-10s %14.2f %14.2f %10s %8.2fx\n", o.Workload, g, p, unit, ratio)
	}
}
