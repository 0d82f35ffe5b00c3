// Command loadtest fires concurrent requests at a local examples/serve server and
// reports throughput and latency percentiles per endpoint and concurrency level, and the
// server's peak resident memory.
//
//	go run ./examples/serve/loadtest -url http://127.0.0.1:8080 -c 1,8,32
//	go run ./examples/serve/loadtest -spawn "/tmp/serve -model gpt=text:ckpt.safetensors -model gan=gan:g.safetensors" \
//		-text-model gpt -image-model gan
//
// It talks to loopback addresses only, and each level stops after -requests requests
// or -duration, whichever comes first. 429 answers are counted, not retried. With
// -spawn it starts the server itself (adding -addr from -url), waits for /healthz,
// reads the server's peak RSS from /proc at the end and stops it with SIGTERM.
// -image-model takes a comma-separated list of models, measured one after the other.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// config is what one run measures.
type config struct {
	URL        string
	Levels     []int
	Requests   int           // per endpoint and level
	Duration   time.Duration // per endpoint and level
	TextModel  string        // "" skips the text endpoint… unless "-" which lets the server pick
	ImageModel string
	MaxTokens  int
	N, Steps   int
	PID        int // server pid for /proc/<pid>/status; 0: use /metrics only
}

func main() {
	var cfg config
	var levels string
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	flag.StringVar(&levels, "c", "1,8,32", "concurrency levels, comma-separated")
	flag.IntVar(&cfg.Requests, "requests", 200, "requests per endpoint and level (at most)")
	flag.DurationVar(&cfg.Duration, "duration", 15*time.Second, "time per endpoint and level (at most)")
	flag.StringVar(&cfg.TextModel, "text-model", "chars", "text model to load ('' to skip)")
	flag.StringVar(&cfg.ImageModel, "image-model", "blobs", "image model to load ('' to skip)")
	flag.IntVar(&cfg.MaxTokens, "max-tokens", 32, "max_tokens per text request")
	flag.IntVar(&cfg.N, "n", 1, "images per image request")
	flag.IntVar(&cfg.Steps, "steps", 0, "steps per image request (0: the model's default)")
	flag.IntVar(&cfg.PID, "pid", 0, "server pid, to read its peak RSS from /proc (default: from /metrics)")
	spawn := flag.String("spawn", "", "server command line to start (space-separated; -addr is added from -url) and stop at the end")
	flag.Parse()
	for f := range strings.SplitSeq(levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 || c > 256 {
			fmt.Fprintf(os.Stderr, "loadtest: bad concurrency %q (want 1..256)\n", f)
			os.Exit(2)
		}
		cfg.Levels = append(cfg.Levels, c)
	}
	if *spawn != "" {
		stop, err := spawnServer(context.Background(), &cfg, *spawn)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		defer stop()
	}
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// spawnServer starts the server command line with -addr taken from cfg.URL, sets
// cfg.PID, and waits up to two minutes for /healthz (models load first). The returned
// function stops the server with SIGTERM and waits for it.
func spawnServer(ctx context.Context, cfg *config, cmdline string) (stop func(), err error) {
	if err := checkLoopback(cfg.URL); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	args := append(strings.Fields(cmdline), "-addr", u.Host)
	cmd := exec.Command(args[0], args[1:]...)
	logs := &startupLog{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}
	cfg.PID = cmd.Process.Pid
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("server exited before it was ready: %v\n%s", err, logs.String())
		default:
		}
		if getOK(ctx, client, strings.TrimSuffix(cfg.URL, "/")+"/healthz") == nil {
			logs.ready.Store(true)
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("server not ready after 2 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startupLog keeps the first 64 KiB a spawned server logs until it is ready (to show
// why it failed to start) and drops the per-request logs after.
type startupLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready atomic.Bool
}

func (l *startupLog) Write(p []byte) (int, error) {
	if !l.ready.Load() {
		l.mu.Lock()
		if l.buf.Len() < 64<<10 {
			l.buf.Write(p)
		}
		l.mu.Unlock()
	}
	return len(p), nil
}

func (l *startupLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// checkLoopback refuses any URL whose host is not a loopback address.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("url %q: want http://", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("url %q: only loopback hosts (127.0.0.1, ::1, localhost) are allowed", raw)
	}
	return nil
}

// result is one endpoint at one level.
type result struct {
	endpoint   string
	level      int
	ok, busy   int // 200s, 429s
	failed     int // other codes and transport errors
	units      int // tokens or images produced
	unitName   string
	elapsed    time.Duration
	latencies  []time.Duration // of the 200s
	firstError string
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	if err := checkLoopback(cfg.URL); err != nil {
		return err
	}
	base := strings.TrimSuffix(cfg.URL, "/")
	maxC := slices.Max(cfg.Levels)
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: maxC, MaxConnsPerHost: maxC, DisableCompression: true},
		Timeout:   2 * time.Minute,
	}
	defer client.CloseIdleConnections()
	if err := getOK(ctx, client, base+"/healthz"); err != nil {
		return fmt.Errorf("server not ready: %w", err)
	}
	type endpoint struct {
		name, path, unit string
		body             func(i int) any
		count            func(body []byte) int
	}
	var eps []endpoint
	if cfg.TextModel != "" {
		eps = append(eps, endpoint{"text", "/v1/generate", "tok/s",
			func(i int) any {
				return map[string]any{"model": cfg.TextModel, "prompt": "To be", "max_tokens": cfg.MaxTokens, "seed": i}
			},
			func(b []byte) int {
				var r struct {
					Usage struct {
						CompletionTokens int `json:"completion_tokens"`
					} `json:"usage"`
				}
				_ = json.Unmarshal(b, &r)
				return r.Usage.CompletionTokens
			}})
	}
	for name := range strings.SplitSeq(cfg.ImageModel, ",") {
		if name == "" {
			continue
		}
		label := "image"
		if strings.Contains(cfg.ImageModel, ",") {
			label = name
		}
		eps = append(eps, endpoint{label, "/v1/images", "img/s",
			func(i int) any {
				m := map[string]any{"model": name, "n": cfg.N, "seed": i}
				if cfg.Steps > 0 {
					m["steps"] = cfg.Steps
				}
				return m
			},
			func([]byte) int { return cfg.N }})
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\tconc\tok\t429\terr\treq/s\tunits/s\t\tp50 ms\tp95 ms\tp99 ms\t")
	var errs []string
	for _, ep := range eps {
		for _, c := range cfg.Levels {
			r := &result{endpoint: ep.name, level: c, unitName: ep.unit}
			lctx, cancel := context.WithTimeout(ctx, cfg.Duration)
			var next atomic.Int64
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := time.Now()
			for range c {
				wg.Go(func() {
					for lctx.Err() == nil {
						i := int(next.Add(1))
						if i > cfg.Requests {
							return
						}
						body, _ := json.Marshal(ep.body(i))
						t0 := time.Now()
						code, resp, err := post(lctx, client, base+ep.path, body)
						d := time.Since(t0)
						mu.Lock()
						switch {
						case errors.Is(err, context.DeadlineExceeded) && lctx.Err() != nil:
							// the level's time ran out mid-request: not counted
						case err != nil:
							r.failed++
							if r.firstError == "" {
								r.firstError = err.Error()
							}
						case code == http.StatusOK:
							r.ok++
							r.units += ep.count(resp)
							r.latencies = append(r.latencies, d)
						case code == http.StatusTooManyRequests:
							r.busy++
						default:
							r.failed++
							if r.firstError == "" {
								r.firstError = fmt.Sprintf("%d %s", code, bytes.TrimSpace(resp))
							}
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			cancel()
			r.elapsed = time.Since(start)
			slices.Sort(r.latencies)
			secs := r.elapsed.Seconds()
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t\n", r.endpoint, r.level, r.ok, r.busy, r.failed,
				float64(r.ok)/secs, float64(r.units)/secs, r.unitName,
				ms(pct(r.latencies, 50)), ms(pct(r.latencies, 95)), ms(pct(r.latencies, 99)))
			if r.firstError != "" {
				errs = append(errs, fmt.Sprintf("%s at %d: first error: %s", r.endpoint, c, r.firstError))
			}
		}
	}
	tw.Flush()
	for _, e := range errs {
		fmt.Fprintln(out, e)
	}
	return reportMemory(ctx, client, base, cfg.PID, out)
}

// pct returns the p-th percentile (nearest rank) of sorted durations, or -1 if empty.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return -1
	}
	i := (p*len(sorted) + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return strconv.FormatFloat(d.Seconds()*1000, 'f', 1, 64)
}

func post(ctx context.Context, client *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, b, err
}

func getOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// reportMemory prints the server's RSS and peak RSS, from /proc/<pid>/status when pid
// is given and readable, else from the server's /metrics.
func reportMemory(ctx context.Context, client *http.Client, base string, pid int, out io.Writer) error {
	if pid > 0 {
		if rss, peak, err := procStatus(pid); err == nil {
			fmt.Fprintf(out, "server memory (/proc/%d/status): RSS %.1f MiB, peak RSS %.1f MiB\n", pid, mib(rss), mib(peak))
			return nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	vals := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if ok && !strings.HasPrefix(name, "#") {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				vals[name] = f
			}
		}
	}
	if rss, ok := vals["process_resident_memory_bytes"]; ok {
		fmt.Fprintf(out, "server memory (/metrics): RSS %.1f MiB, peak RSS %.1f MiB, Go heap %.1f MiB\n",
			mib(int64(rss)), mib(int64(vals["process_peak_resident_memory_bytes"])), mib(int64(vals["go_memstats_heap_alloc_bytes"])))
	} else {
		fmt.Fprintln(out, "server memory: not reported (no /proc on the server's OS)")
	}
	return sc.Err()
}

func procStatus(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, val, _ := strings.Cut(line, ":")
		kb, perr := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch {
		case perr != nil:
		case name == "VmRSS":
			rss = kb << 10
		case name == "VmHWM":
			peak = kb << 10
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS")
	}
	return rss, peak, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
