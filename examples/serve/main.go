// Command serve serves genblocks models over HTTP/JSON with the standard library only.
//
//	go run ./examples/serve                       # demo models, on 127.0.0.1:8080
//	go run ./examples/serve -model gpt=text:ckpt/gpt.safetensors -model digits=diffusion:ckpt/ddpm.safetensors
//
// Endpoints: POST /v1/generate (text; JSON or server-sent events with "stream":true),
// POST /v1/images (PNG or base64 JSON), GET /v1/models, GET /healthz, GET /metrics
// (Prometheus text format). See README.md for the limits and their flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/genblocks/genblocks/examples/serve/server"
)

func main() {
	var specs []server.Spec
	flag.Func("model", "model to serve, name=kind:path[?key=value&...] (repeatable); kinds: "+strings.Join(loaders.Kinds(), ", ")+
		"\n(default: the pretrained models embedded in examples/pretrained, as gpt=text:pretrained:gpt-shakespeare and so on)", func(s string) error {
		spec, err := server.ParseSpec(s)
		if err == nil {
			specs = append(specs, spec)
		}
		return err
	})
	var (
		addr      = flag.String("addr", "127.0.0.1:8080", "listen address")
		maxBody   = flag.Int64("max-body", 64<<10, "request body limit in bytes (413 above)")
		maxTokens = flag.Int("max-tokens", 512, "max_tokens ceiling")
		maxImages = flag.Int("max-images", 16, "n ceiling for /v1/images")
		maxSteps  = flag.Int("max-steps", 1000, "steps ceiling for /v1/images")
		timeout   = flag.Duration("timeout", 60*time.Second, "per-request deadline, queueing included (504 after)")
		workers   = flag.Int("workers", runtime.GOMAXPROCS(0), "model calls running at once")
		queue     = flag.Int("queue", 0, "requests waiting for a worker before 429 (0: 2×workers, -1: none)")
		retry     = flag.Duration("retry-after", time.Second, "Retry-After sent with 429")
		drain     = flag.Duration("drain", 30*time.Second, "on SIGTERM/SIGINT, wait this long for in-flight requests")
		logJSON   = flag.Bool("log-json", false, "log JSON lines instead of text")
		seed      = flag.Uint64("seed", 0, "seed for requests that give none (0: from the clock)")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "serve: unexpected arguments:", flag.Args())
		os.Exit(2)
	}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(h)
	if len(specs) == 0 {
		specs = defaultSpecs
	}
	lim := server.Limits{
		MaxBodyBytes: *maxBody, MaxTokens: *maxTokens, MaxImages: *maxImages, MaxSteps: *maxSteps,
		Timeout: *timeout, Workers: *workers, Queue: *queue, RetryAfter: *retry,
	}
	if err := run(log, *addr, specs, lim, *drain, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr string, specs []server.Spec, lim server.Limits, drain time.Duration, seed uint64) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	start := time.Now()
	models, err := loaders.Load(ctx, specs)
	if err != nil {
		return err
	}
	for _, m := range models {
		log.Info("model loaded", "name", m.Name, "kind", m.Kind, "demo", m.Demo, "description", m.Description)
	}
	log.Info("models ready", "count", len(models), "took", time.Since(start).Round(time.Millisecond))
	srv, err := server.New(server.Config{Models: models, Limits: lim, Logger: log, Seed: seed})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	l := srv.Limits()
	log.Info("listening", "addr", ln.Addr().String(), "pid", os.Getpid(), "workers", l.Workers, "queue", l.Queue,
		"timeout", l.Timeout, "max_body", l.MaxBodyBytes, "max_tokens", l.MaxTokens, "max_images", l.MaxImages, "max_steps", l.MaxSteps)
	return srv.Serve(ctx, ln, drain)
}
