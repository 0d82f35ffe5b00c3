package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bounds what one request may ask for and how the server spends its workers.
// The zero value of each field means its default.
type Limits struct {
	MaxBodyBytes int64         // request body size; default 64 KiB
	MaxTokens    int           // max_tokens ceiling; default 512
	MaxImages    int           // n ceiling; default 16
	MaxSteps     int           // steps ceiling; default 1000
	MaxStop      int           // number of stop sequences; default 4
	Timeout      time.Duration // whole-request deadline, queueing included; default 60 s
	Workers      int           // requests running a model at once; default 2
	Queue        int           // requests waiting for a worker before 429; default 2×Workers; negative: none
	RetryAfter   time.Duration // Retry-After sent with 429; default 1 s
}

const (
	maxStopLen     = 64  // bytes per stop sequence
	maxGuidance    = 100 // guidance scale ceiling
	defaultTokens  = 64
	defaultTemp    = 1.0
	maxTemperature = 10
)

// withDefaults returns l with zero fields replaced by their defaults.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 64 << 10
	}
	def(&l.MaxTokens, 512)
	def(&l.MaxImages, 16)
	def(&l.MaxSteps, 1000)
	def(&l.MaxStop, 4)
	def(&l.Workers, 2)
	switch {
	case l.Queue == 0:
		l.Queue = 2 * l.Workers
	case l.Queue < 0:
		l.Queue = 0
	}
	if l.Timeout <= 0 {
		l.Timeout = 60 * time.Second
	}
	if l.RetryAfter <= 0 {
		l.RetryAfter = time.Second
	}
	return l
}

// FieldError is a client mistake in a request; the server answers it with Status
// (400 unless set) and a message naming Field.
type FieldError struct {
	Field   string // JSON field at fault; empty for the request as a whole
	Message string
	Status  int // HTTP status; 0 means 400
}

// Error returns the message, prefixed by the field when there is one.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// BadField returns a 400 *FieldError for field.
func BadField(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// GenerateRequest is the body of POST /v1/generate.
type GenerateRequest struct {
	Model       string   `json:"model"`
	Prompt      string   `json:"prompt"`
	MaxTokens   *int     `json:"max_tokens"`
	Temperature *float64 `json:"temperature"`
	TopK        *int     `json:"top_k"`
	TopP        *float64 `json:"top_p"`
	Seed        *uint64  `json:"seed"`
	Stop        []string `json:"stop"`
	Stream      bool     `json:"stream"`
}

// ImageRequest is the body of POST /v1/images.
type ImageRequest struct {
	Model    string   `json:"model"`
	N        *int     `json:"n"`
	Seed     *uint64  `json:"seed"`
	Class    *int     `json:"class"`
	Steps    *int     `json:"steps"`
	Guidance *float64 `json:"guidance"`
}

// DecodeGenerateRequest reads and validates a generate request from r, reading at most
// lim.MaxBodyBytes (+1 to detect excess). It returns the request and its sampling
// parameters, with defaults filled in except Seed when absent (the caller draws one).
// Every error is a *FieldError: 413 for an oversized body, else 400.
func DecodeGenerateRequest(r io.Reader, lim Limits) (*GenerateRequest, TextParams, error) {
	lim = lim.withDefaults()
	var req GenerateRequest
	if err := decodeStrict(r, lim.MaxBodyBytes, &req); err != nil {
		return nil, TextParams{}, err
	}
	p := TextParams{MaxTokens: defaultTokens, Temperature: defaultTemp, TopP: 1, Stop: req.Stop}
	if p.MaxTokens > lim.MaxTokens {
		p.MaxTokens = lim.MaxTokens
	}
	if !utf8.ValidString(req.Prompt) {
		return nil, p, BadField("prompt", "not valid UTF-8")
	}
	if v := req.MaxTokens; v != nil {
		if *v < 1 || *v > lim.MaxTokens {
			return nil, p, BadField("max_tokens", "must be in [1, %d], got %d", lim.MaxTokens, *v)
		}
		p.MaxTokens = *v
	}
	if v := req.Temperature; v != nil {
		if !(*v >= 0 && *v <= maxTemperature) { // also rejects NaN
			return nil, p, BadField("temperature", "must be in [0, %d], got %g", maxTemperature, *v)
		}
		p.Temperature = *v
	}
	if v := req.TopK; v != nil {
		if *v < 0 {
			return nil, p, BadField("top_k", "must be ≥ 0 (0: off), got %d", *v)
		}
		p.TopK = *v
	}
	if v := req.TopP; v != nil {
		if !(*v > 0 && *v <= 1) {
			return nil, p, BadField("top_p", "must be in (0, 1], got %g", *v)
		}
		p.TopP = *v
	}
	if req.Seed != nil {
		p.Seed = *req.Seed
	}
	if len(req.Stop) > lim.MaxStop {
		return nil, p, BadField("stop", "at most %d sequences, got %d", lim.MaxStop, len(req.Stop))
	}
	for i, s := range req.Stop {
		if s == "" || len(s) > maxStopLen || !utf8.ValidString(s) {
			return nil, p, BadField("stop", "sequence %d must be 1 to %d bytes of UTF-8", i, maxStopLen)
		}
	}
	return &req, p, nil
}

// DecodeImageRequest reads and validates an image request from r against the limits
// (not yet against a model: see Server). Every error is a *FieldError.
func DecodeImageRequest(r io.Reader, lim Limits) (*ImageRequest, error) {
	lim = lim.withDefaults()
	var req ImageRequest
	if err := decodeStrict(r, lim.MaxBodyBytes, &req); err != nil {
		return nil, err
	}
	if v := req.N; v != nil && (*v < 1 || *v > lim.MaxImages) {
		return nil, BadField("n", "must be in [1, %d], got %d", lim.MaxImages, *v)
	}
	if v := req.Class; v != nil && *v < 0 {
		return nil, BadField("class", "must be ≥ 0, got %d", *v)
	}
	if v := req.Steps; v != nil && (*v < 1 || *v > lim.MaxSteps) {
		return nil, BadField("steps", "must be in [1, %d], got %d", lim.MaxSteps, *v)
	}
	if v := req.Guidance; v != nil && !(*v >= 0 && *v <= maxGuidance) {
		return nil, BadField("guidance", "must be in [0, %d], got %g", maxGuidance, *v)
	}
	return &req, nil
}

// decodeStrict decodes exactly one JSON object from at most limit bytes of r into v,
// rejecting unknown fields and trailing data, and names the field at fault.
func decodeStrict(r io.Reader, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return &FieldError{Message: fmt.Sprintf("body larger than %d bytes", limit), Status: 413}
		}
		return &FieldError{Message: "reading body: " + err.Error()}
	}
	if int64(len(body)) > limit {
		return &FieldError{Message: fmt.Sprintf("body larger than %d bytes", limit), Status: 413}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &FieldError{Message: "empty body: want a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	if dec.More() {
		return &FieldError{Message: "invalid JSON: data after the object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Message: "invalid JSON: data after the object"}
	}
	return nil
}

// jsonFieldError turns an encoding/json error into a *FieldError naming the field.
func jsonFieldError(err error) *FieldError {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &FieldError{Message: "want a JSON object, got " + typ.Value}
		}
		return BadField(typ.Field, "want %s, got %s", jsonType(typ.Type.String()), typ.Value)
	case errors.As(err, &syn):
		return &FieldError{Message: fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Message: "invalid JSON: unexpected end"}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return BadField(strings.Trim(f, `"`), "unknown field")
	}
	return &FieldError{Message: "invalid JSON: " + err.Error()}
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(goType string) string {
	t := strings.TrimPrefix(goType, "*")
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "uint"):
		return fmt.Sprintf("an integer in [0, %d]", uint64(math.MaxUint64))
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return t
}
