package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// bodyReadTimeout bounds the time a client may take to send its request body.
const bodyReadTimeout = 10 * time.Second

// readBody decodes the body with decode under a read deadline, which is lifted
// afterwards so that it cannot cancel a long generation.
func readBody[T any](w http.ResponseWriter, decode func() (T, error)) (T, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) // unsupported under httptest.ResponseRecorder
	defer rc.SetReadDeadline(time.Time{})
	return decode()
}

// lookup finds the model a request names; an empty name picks the only model of the
// wanted type when there is exactly one.
func (s *Server) lookup(name string, text bool) (*Model, error) {
	kind := "image"
	if text {
		kind = "text"
	}
	if name == "" {
		var only *Model
		for _, m := range s.order {
			if (m.Text != nil) == text {
				if only != nil {
					return nil, BadField("model", "required: more than one %s model is served", kind)
				}
				only = m
			}
		}
		if only == nil {
			return nil, &FieldError{Field: "model", Message: "no " + kind + " model is served", Status: http.StatusNotFound}
		}
		return only, nil
	}
	m, ok := s.models[name]
	if !ok || (m.Text != nil) != text {
		return nil, &FieldError{Field: "model", Message: fmt.Sprintf("no %s model named %q (see GET /v1/models)", kind, name), Status: http.StatusNotFound}
	}
	return m, nil
}

func (s *Server) drawSeed() uint64 {
	s.seedMu.Lock()
	defer s.seedMu.Unlock()
	return s.seedRNG.Uint64() >> 11 // < 2^53: exact in JSON numbers read as doubles
}

// GenerateResponse is the JSON answer of POST /v1/generate without streaming.
type GenerateResponse struct {
	ID    string `json:"id"`
	Model string `json:"model"`
	Text  string `json:"text"`
	Seed  uint64 `json:"seed"`
	Usage Usage  `json:"usage"`
}

// errStopped ends a generation when a stop sequence appears.
var errStopped = errors.New("stop sequence reached")

func (s *Server) generate(w http.ResponseWriter, r *http.Request) {
	type decoded struct {
		req *GenerateRequest
		p   TextParams
	}
	d, err := readBody(w, func() (decoded, error) {
		req, p, err := DecodeGenerateRequest(r.Body, s.lim)
		return decoded{req, p}, err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, p := d.req, d.p
	m, err := s.lookup(req.Model, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Seed == nil {
		p.Seed = s.drawSeed()
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), s.lim.Timeout, errTimeout)
	defer cancel()
	release, err := s.pool.acquire(ctx)
	if err != nil {
		s.failCtx(w, r, ctx, err)
		return
	}
	defer release()

	resp := GenerateResponse{ID: RequestID(r.Context()), Model: m.Name, Seed: p.Seed}
	var sse *sseWriter
	if req.Stream {
		sse = startSSE(w)
	}
	var text strings.Builder
	stops := stopScanner{stops: p.Stop}
	tokens := 0
	emit := func(tok string) error {
		tokens++
		out, stopped := stops.push(tok)
		if sse != nil && out != "" {
			if err := sse.event("token", map[string]string{"text": out}); err != nil {
				return fmt.Errorf("%w: %v", errClientGone, err)
			}
		}
		text.WriteString(out)
		if stopped {
			return errStopped
		}
		return nil
	}
	var usage Usage
	err = safely(func() (err error) {
		usage, err = m.Text.Generate(ctx, req.Prompt, p, emit)
		return err
	})
	s.metrics.add(s.metrics.tokens, m.Name, tokens)
	s.metrics.add(s.metrics.prompt, m.Name, usage.PromptTokens)
	switch {
	case errors.Is(err, errStopped):
		err, usage.FinishReason = nil, "stop"
	case err == nil:
		if rest := stops.flush(); rest != "" {
			text.WriteString(rest)
			if sse != nil {
				err = sse.event("token", map[string]string{"text": rest})
			}
		}
		if usage.FinishReason == "" {
			usage.FinishReason = "length"
		}
	}
	usage.CompletionTokens = tokens
	resp.Text, resp.Usage = text.String(), usage
	if err != nil {
		if sse == nil {
			s.failCtx(w, r, ctx, err)
			return
		}
		status, field, msg := s.classify(ctx, err)
		s.logFailure(r, status, err)
		if status == statusClientGone {
			w.(*recorder).logged = statusClientGone
			return
		}
		w.(*recorder).logged = status
		_ = sse.event("error", s.errorBody(r, status, field, msg))
		return
	}
	if sse != nil {
		resp.Text = "" // already sent as tokens
		_ = sse.event("done", resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// sseWriter writes server-sent events: "event: NAME\ndata: JSON\n\n", flushed at once.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	_ = sse.rc.Flush()
	return sse
}

func (e *sseWriter) event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", name, data); err != nil {
		return err
	}
	return e.rc.Flush()
}

// stopScanner cuts generated text at the first stop sequence. It holds back the
// shortest tail that could still begin a stop sequence, so that streamed text never
// contains one.
type stopScanner struct {
	stops []string
	held  string
}

// push adds tok and returns the text that is safe to send, and whether a stop sequence
// has been reached (the text then ends just before it).
func (s *stopScanner) push(tok string) (out string, stopped bool) {
	if len(s.stops) == 0 {
		return tok, false
	}
	buf := s.held + tok
	first := -1
	for _, stop := range s.stops {
		if i := strings.Index(buf, stop); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first >= 0 {
		s.held = ""
		return buf[:first], true
	}
	keep := 0 // longest suffix of buf that is a proper prefix of a stop sequence
	for _, stop := range s.stops {
		for n := min(len(stop)-1, len(buf)); n > keep; n-- {
			if strings.HasSuffix(buf, stop[:n]) {
				keep = n
				break
			}
		}
	}
	s.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], false
}

// flush returns the held-back text at the end of a generation.
func (s *stopScanner) flush() string {
	out := s.held
	s.held = ""
	return out
}

// ImageResponse is the JSON answer of POST /v1/images.
type ImageResponse struct {
	ID     string      `json:"id"`
	Model  string      `json:"model"`
	Seed   uint64      `json:"seed"`
	Images []ImageJSON `json:"images"`
}

// ImageJSON is one generated image.
type ImageJSON struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	PNG    string `json:"png_base64"`
}

// wantsPNG reports whether the Accept header prefers image/png to JSON.
func wantsPNG(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "image/png":
			return true
		case "application/json", "*/*", "application/*":
			return false
		}
	}
	return false
}

func (s *Server) images(w http.ResponseWriter, r *http.Request) {
	req, err := readBody(w, func() (*ImageRequest, error) { return DecodeImageRequest(r.Body, s.lim) })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.lookup(req.Model, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.imageParams(req, m, wantsPNG(r.Header.Get("Accept")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), s.lim.Timeout, errTimeout)
	defer cancel()
	release, err := s.pool.acquire(ctx)
	if err != nil {
		s.failCtx(w, r, ctx, err)
		return
	}
	defer release()
	var pngs [][]byte
	var sizes [][2]int
	err = safely(func() error {
		imgs, err := m.Image.Sample(ctx, p)
		if err != nil {
			return err
		}
		if len(imgs) != p.N {
			return fmt.Errorf("model %s returned %d images, want %d", m.Name, len(imgs), p.N)
		}
		for _, img := range imgs {
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return err
			}
			pngs = append(pngs, buf.Bytes())
			b := img.Bounds()
			sizes = append(sizes, [2]int{b.Dx(), b.Dy()})
		}
		return nil
	})
	if err != nil {
		s.failCtx(w, r, ctx, err)
		return
	}
	s.metrics.add(s.metrics.images, m.Name, len(pngs))
	w.Header().Set("X-Seed", strconv.FormatUint(p.Seed, 10))
	if wantsPNG(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(pngs[0])))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(pngs[0])
		return
	}
	resp := ImageResponse{ID: RequestID(r.Context()), Model: m.Name, Seed: p.Seed}
	for i, b := range pngs {
		resp.Images = append(resp.Images, ImageJSON{Width: sizes[i][0], Height: sizes[i][1], PNG: base64.StdEncoding.EncodeToString(b)})
	}
	writeJSON(w, http.StatusOK, resp)
}

// imageParams checks req against model m and fills in defaults.
func (s *Server) imageParams(req *ImageRequest, m *Model, png bool) (ImageParams, error) {
	p := ImageParams{N: 1, Steps: min(m.DefaultSteps, s.lim.MaxSteps)}
	if req.N != nil {
		p.N = *req.N
	}
	if png && p.N != 1 {
		return p, BadField("n", "must be 1 with Accept: image/png (ask for application/json to get %d images)", p.N)
	}
	if req.Class != nil {
		switch {
		case m.Classes == 0:
			return p, BadField("class", "model %s is unconditional", m.Name)
		case *req.Class >= m.Classes:
			return p, BadField("class", "must be in [0, %d), got %d", m.Classes, *req.Class)
		}
		p.Class, p.HasClass = *req.Class, true
	}
	if req.Steps != nil {
		if m.DefaultSteps == 0 {
			return p, BadField("steps", "model %s takes no sampling steps", m.Name)
		}
		p.Steps = *req.Steps
	}
	if req.Guidance != nil {
		if !m.Guidance {
			return p, BadField("guidance", "model %s takes no guidance scale", m.Name)
		}
		p.Guidance = *req.Guidance
	}
	if req.Seed != nil {
		p.Seed = *req.Seed
	} else {
		p.Seed = s.drawSeed()
	}
	return p, nil
}

// ModelInfo describes a served model in GET /v1/models.
type ModelInfo struct {
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Type         string `json:"type"` // "text" or "image"
	Description  string `json:"description,omitempty"`
	Demo         bool   `json:"demo"`
	Width        int    `json:"width,omitempty"`
	Height       int    `json:"height,omitempty"`
	Classes      int    `json:"classes,omitempty"`
	DefaultSteps int    `json:"default_steps,omitempty"`
	Guidance     bool   `json:"guidance,omitempty"`
}

// LimitsInfo is the public part of Limits, in GET /v1/models.
type LimitsInfo struct {
	MaxBodyBytes int64   `json:"max_body_bytes"`
	MaxTokens    int     `json:"max_tokens"`
	MaxImages    int     `json:"max_images"`
	MaxSteps     int     `json:"max_steps"`
	TimeoutSec   float64 `json:"timeout_seconds"`
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	var out struct {
		Models []ModelInfo `json:"models"`
		Limits LimitsInfo  `json:"limits"`
	}
	out.Models = []ModelInfo{}
	for _, m := range s.order {
		info := ModelInfo{Name: m.Name, Kind: m.Kind, Type: "text", Description: m.Description, Demo: m.Demo}
		if m.Image != nil {
			info.Type, info.Width, info.Height = "image", m.Width, m.Height
			info.Classes, info.DefaultSteps, info.Guidance = m.Classes, m.DefaultSteps, m.Guidance
		}
		out.Models = append(out.Models, info)
	}
	l := s.lim
	out.Limits = LimitsInfo{l.MaxBodyBytes, l.MaxTokens, l.MaxImages, l.MaxSteps, l.Timeout.Seconds()}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "models": len(s.order)})
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = s.metrics.write(w, s.pool)
}
