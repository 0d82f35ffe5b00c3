package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Server.
type Config struct {
	Models []*Model     // served models; names must be unique
	Limits Limits       // zero fields take their defaults
	Logger *slog.Logger // nil: slog.Default()
	Seed   uint64       // seeds the stream from which requests without a seed draw one; 0: from the clock
}

// Server is the HTTP handler of the model service. Create it with New; serve it with
// Serve, or mount it as an http.Handler.
type Server struct {
	lim      Limits
	log      *slog.Logger
	models   map[string]*Model
	order    []*Model
	pool     *pool
	metrics  *metrics
	mux      *http.ServeMux
	draining atomic.Bool
	inflight sync.WaitGroup
	seq      atomic.Uint64
	idPrefix string
	seedMu   sync.Mutex
	seedRNG  *rand.Rand
}

// routes are the served paths, which are also the path label of the metrics; any other
// path is counted as "other".
var routes = map[string]string{ // path -> allowed method
	"/v1/generate": http.MethodPost,
	"/v1/images":   http.MethodPost,
	"/v1/models":   http.MethodGet,
	"/healthz":     http.MethodGet,
	"/metrics":     http.MethodGet,
}

// New returns a Server for cfg. It fails on a duplicate model name or a model with
// neither or both of Text and Image.
func New(cfg Config) (*Server, error) {
	s := &Server{
		lim: cfg.Limits.withDefaults(), log: cfg.Logger, models: map[string]*Model{},
		metrics: newMetrics(), mux: http.NewServeMux(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, m := range cfg.Models {
		if _, dup := s.models[m.Name]; dup {
			return nil, fmt.Errorf("server: model %q given twice", m.Name)
		}
		if (m.Text == nil) == (m.Image == nil) {
			return nil, fmt.Errorf("server: model %q must have exactly one of Text and Image", m.Name)
		}
		s.models[m.Name] = m
		s.order = append(s.order, m)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	s.seedRNG = rand.New(rand.NewPCG(seed, 0x5eed))
	s.idPrefix = strconv.FormatUint(s.seedRNG.Uint64()&0xffffff, 36)
	s.pool = newPool(s.lim.Workers, s.lim.Queue)

	s.mux.HandleFunc("POST /v1/generate", s.generate)
	s.mux.HandleFunc("POST /v1/images", s.images)
	s.mux.HandleFunc("GET /v1/models", s.listModels)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /metrics", s.serveMetrics)
	for path, method := range routes {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", method)
			s.fail(w, r, &FieldError{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("method %s not allowed on %s; use %s", r.Method, path, method)})
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &FieldError{Status: http.StatusNotFound, Message: "no such endpoint: " + r.URL.Path})
	})
	return s, nil
}

// Limits returns the limits in force, defaults filled in.
func (s *Server) Limits() Limits { return s.lim }

type ctxKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

var clientIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID returns the client's X-Request-Id when it is short and plain, else a new id.
func (s *Server) requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); clientIDRE.MatchString(id) {
		return id
	}
	return s.idPrefix + "-" + strconv.FormatUint(s.seq.Add(1), 10)
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int   // written status; 0 until then
	logged int   // status to log instead of status (499: client gone)
	bytes  int64 // body bytes written
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (Flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ServeHTTP serves one request: it assigns the request id, limits the body, recovers
// panics into 500, and records metrics and a structured log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	start := time.Now()
	id := s.requestID(r)
	w.Header().Set("X-Request-Id", id)
	rec := &recorder{ResponseWriter: w}
	path := r.URL.Path
	if _, ok := routes[path]; !ok {
		path = "other"
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
	r.Body = http.MaxBytesReader(rec, r.Body, s.lim.MaxBodyBytes)
	s.metrics.begin()
	defer func() {
		if v := recover(); v != nil {
			s.metrics.panicked()
			s.log.Error("panic in handler", "id", id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				s.fail(rec, r, &PanicError{Value: v})
			} else {
				rec.logged = http.StatusInternalServerError
			}
		}
		status := rec.status
		if rec.logged != 0 {
			status = rec.logged
		}
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.end(path, status, d)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request", slog.String("id", id), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", status), slog.Duration("duration", d),
			slog.Int64("bytes", rec.bytes))
	}()
	s.mux.ServeHTTP(rec, r)
}

// PanicError is a panic recovered from a handler or a model, as an error.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns "panic: " and the recovered value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// safely runs f, turning a panic into a *PanicError.
func safely(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return f()
}

// errTimeout is the cause of a request context that ran out of time.
var errTimeout = errors.New("request timed out")

// errClientGone reports a failed write to the client.
var errClientGone = errors.New("client went away")

// statusClientGone is logged (never sent) for requests whose client went away, as nginx does.
const statusClientGone = 499

// classify maps an error from decoding, the pool or a model to an HTTP status, a field
// and a message. ctx is the request's work context.
func (s *Server) classify(ctx context.Context, err error) (status int, field, msg string) {
	var fe *FieldError
	var pe *PanicError
	switch {
	case errors.As(err, &fe):
		status = fe.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		return status, fe.Field, fe.Message
	case errors.Is(err, errPoolFull):
		return http.StatusTooManyRequests, "", err.Error()
	case errors.Is(context.Cause(ctx), errTimeout):
		return http.StatusGatewayTimeout, "", fmt.Sprintf("request took longer than %s", s.lim.Timeout)
	case ctx.Err() != nil, errors.Is(err, errClientGone):
		return statusClientGone, "", "client went away"
	case errors.As(err, &pe):
		return http.StatusInternalServerError, "", "internal error (model panicked)"
	}
	return http.StatusInternalServerError, "", "model failed: " + err.Error()
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error struct {
		Code      int    `json:"code"`
		Message   string `json:"message"`
		Field     string `json:"field,omitempty"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func (s *Server) errorBody(r *http.Request, status int, field, msg string) errorBody {
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.Field, b.Error.RequestID = status, msg, field, RequestID(r.Context())
	return b
}

// fail answers r with the error err, unless the client is gone. Model panics and other
// server-side errors are logged with the request id.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.failCtx(w, r, r.Context(), err)
}

func (s *Server) failCtx(w http.ResponseWriter, r *http.Request, ctx context.Context, err error) {
	status, field, msg := s.classify(ctx, err)
	s.logFailure(r, status, err)
	if status == statusClientGone {
		if rec, ok := w.(*recorder); ok {
			rec.logged = statusClientGone
		}
		return
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(int((s.lim.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, s.errorBody(r, status, field, msg))
}

func (s *Server) logFailure(r *http.Request, status int, err error) {
	var pe *PanicError
	if errors.As(err, &pe) {
		s.metrics.panicked()
		s.log.Error("panic in model", "id", RequestID(r.Context()), "path", r.URL.Path, "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
	} else if status >= 500 {
		s.log.Error("request failed", "id", RequestID(r.Context()), "path", r.URL.Path, "status", status, "err", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client may be gone; nothing to do about it
}

// Serve serves s on ln until ctx is done (SIGTERM, say). It then stops accepting
// connections, reports "draining" on /healthz, and waits up to drain for in-flight
// requests to finish; requests still running at the deadline have their contexts
// cancelled, so their models stop, and their connections closed. It returns nil after a
// clean drain.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	hs := &http.Server{
		Handler:           s,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      s.lim.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("draining", "deadline", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		cancelBase() // models see their contexts done
		hs.Close()
		done := make(chan struct{})
		go func() { s.inflight.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		err = fmt.Errorf("drain deadline %s passed; remaining requests cancelled", drain)
	}
	<-errc
	s.log.Info("stopped", "err", err)
	return err
}
