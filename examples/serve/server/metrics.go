package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the request latency histogram.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// histogram is a Prometheus histogram without labels of its own.
type histogram struct {
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

func (h *histogram) observe(v float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(latencyBuckets)+1)
	}
	i, _ := slices.BinarySearch(latencyBuckets, v)
	h.counts[i]++
	h.sum += v
	h.n++
}

type codeKey struct {
	path string
	code int
}

// metrics holds the server's counters; it writes them in the Prometheus text format
// (version 0.0.4) with nothing but the standard library.
type metrics struct {
	mu        sync.Mutex
	requests  map[codeKey]uint64
	latency   map[string]*histogram // by path
	tokens    map[string]uint64     // by model
	prompt    map[string]uint64     // prompt tokens by model
	images    map[string]uint64     // by model
	rejected  uint64                // 429s
	panics    uint64
	inFlight  int64
	startTime time.Time
}

func newMetrics() *metrics {
	return &metrics{
		requests: map[codeKey]uint64{}, latency: map[string]*histogram{},
		tokens: map[string]uint64{}, prompt: map[string]uint64{}, images: map[string]uint64{},
		startTime: time.Now(),
	}
}

func (m *metrics) begin() {
	m.mu.Lock()
	m.inFlight++
	m.mu.Unlock()
}

func (m *metrics) end(path string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight--
	m.requests[codeKey{path, code}]++
	h := m.latency[path]
	if h == nil {
		h = &histogram{}
		m.latency[path] = h
	}
	h.observe(d.Seconds())
	if code == 429 {
		m.rejected++
	}
}

func (m *metrics) add(counter map[string]uint64, model string, n int) {
	m.mu.Lock()
	counter[model] += uint64(n)
	m.mu.Unlock()
}

func (m *metrics) panicked() {
	m.mu.Lock()
	m.panics++
	m.mu.Unlock()
}

// write writes every metric to w; p may be nil.
func (m *metrics) write(w io.Writer, p *pool) error {
	var b bytes.Buffer
	head := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	m.mu.Lock()
	head("genblocks_http_requests_total", "counter", "HTTP requests by path and status code.")
	keys := slices.SortedFunc(maps.Keys(m.requests), func(a, b codeKey) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return a.code - b.code
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "genblocks_http_requests_total{path=%q,code=\"%d\"} %d\n", k.path, k.code, m.requests[k])
	}
	head("genblocks_http_request_duration_seconds", "histogram", "HTTP request latency by path.")
	for _, path := range slices.Sorted(maps.Keys(m.latency)) {
		h := m.latency[path]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "genblocks_http_request_duration_seconds_bucket{path=%q,le=%q} %d\n", path, formatFloat(le), cum)
		}
		fmt.Fprintf(&b, "genblocks_http_request_duration_seconds_bucket{path=%q,le=\"+Inf\"} %d\n", path, h.n)
		fmt.Fprintf(&b, "genblocks_http_request_duration_seconds_sum{path=%q} %s\n", path, formatFloat(h.sum))
		fmt.Fprintf(&b, "genblocks_http_request_duration_seconds_count{path=%q} %d\n", path, h.n)
	}
	byModel := func(name, help string, c map[string]uint64) {
		head(name, "counter", help)
		for _, model := range slices.Sorted(maps.Keys(c)) {
			fmt.Fprintf(&b, "%s{model=%q} %d\n", name, model, c[model])
		}
	}
	byModel("genblocks_tokens_generated_total", "Tokens generated, by model.", m.tokens)
	byModel("genblocks_prompt_tokens_total", "Prompt tokens read, by model.", m.prompt)
	byModel("genblocks_images_generated_total", "Images generated, by model.", m.images)
	head("genblocks_rejected_total", "counter", "Requests refused with 429 because the worker pool was full.")
	fmt.Fprintf(&b, "genblocks_rejected_total %d\n", m.rejected)
	head("genblocks_panics_total", "counter", "Panics recovered in handlers or models.")
	fmt.Fprintf(&b, "genblocks_panics_total %d\n", m.panics)
	head("genblocks_http_requests_in_flight", "gauge", "HTTP requests being served.")
	fmt.Fprintf(&b, "genblocks_http_requests_in_flight %d\n", m.inFlight)
	start := m.startTime
	m.mu.Unlock()

	if p != nil {
		head("genblocks_workers_busy", "gauge", "Model calls running.")
		fmt.Fprintf(&b, "genblocks_workers_busy %d\n", p.running())
		head("genblocks_queue_waiting", "gauge", "Requests waiting for a worker.")
		fmt.Fprintf(&b, "genblocks_queue_waiting %d\n", p.waiting())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	head("go_goroutines", "gauge", "Number of goroutines.")
	fmt.Fprintf(&b, "go_goroutines %d\n", runtime.NumGoroutine())
	head("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	fmt.Fprintf(&b, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	head("go_memstats_sys_bytes", "gauge", "Bytes obtained from the OS.")
	fmt.Fprintf(&b, "go_memstats_sys_bytes %d\n", ms.Sys)
	head("go_gc_cycles_total", "counter", "Completed GC cycles.")
	fmt.Fprintf(&b, "go_gc_cycles_total %d\n", ms.NumGC)
	head("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.")
	fmt.Fprintf(&b, "process_start_time_seconds %d\n", start.Unix())
	if rss, peak, ok := procRSS("self"); ok {
		head("process_resident_memory_bytes", "gauge", "Resident set size (VmRSS).")
		fmt.Fprintf(&b, "process_resident_memory_bytes %d\n", rss)
		head("process_peak_resident_memory_bytes", "gauge", "Peak resident set size (VmHWM).")
		fmt.Fprintf(&b, "process_peak_resident_memory_bytes %d\n", peak)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// procRSS reads VmRSS and VmHWM (bytes) from /proc/<pid>/status; ok is false where
// there is no such file (not Linux).
func procRSS(pid string) (rss, peak int64, ok bool) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, found := strings.Cut(sc.Text(), ":")
		if !found || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, rss > 0
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
