package server

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fuzzLimits = Limits{MaxBodyBytes: 4096, MaxTokens: 64, MaxImages: 8, MaxSteps: 100}

func TestDecodeGenerateDefaults(t *testing.T) {
	req, p, err := DecodeGenerateRequest(strings.NewReader(`{"prompt":"hi"}`), Limits{})
	require.NoError(t, err)
	assert.Equal(t, "hi", req.Prompt)
	assert.Nil(t, req.Seed)
	assert.Equal(t, TextParams{MaxTokens: 64, Temperature: 1, TopP: 1}, p)

	_, p, err = DecodeGenerateRequest(strings.NewReader(
		`{"max_tokens":9,"temperature":0,"top_k":5,"top_p":0.9,"seed":18446744073709551615,"stop":["\n"]}`), Limits{})
	require.NoError(t, err)
	assert.Equal(t, TextParams{MaxTokens: 9, Temperature: 0, TopK: 5, TopP: 0.9, Seed: 1<<64 - 1, Stop: []string{"\n"}}, p)
}

// TestDecodeBoundedOnHostileInput feeds bodies far larger than the limit: the decoder
// must stop reading at the limit and allocate about that much, not the whole body.
func TestDecodeBoundedOnHostileInput(t *testing.T) {
	for name, body := range map[string]io.Reader{
		"deep nesting": io.MultiReader(strings.NewReader(`{"stop":`), strings.NewReader(strings.Repeat("[", 32<<20))),
		"huge string":  io.MultiReader(strings.NewReader(`{"prompt":"`), strings.NewReader(strings.Repeat("x", 32<<20))),
		"endless":      io.LimitReader(zeroReader{}, 1<<30),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := DecodeGenerateRequest(body, fuzzLimits)
		runtime.ReadMemStats(&after)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), name)
		assert.Equal(t, 413, fe.Status, name)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), name)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// checkFieldError asserts that err is a well-formed client error.
func checkFieldError(t *testing.T, err error) {
	var fe *FieldError
	require.True(t, errors.As(err, &fe), "error %v is not a *FieldError", err)
	require.NotEmpty(t, fe.Message)
	require.Contains(t, []int{0, 400, 413}, fe.Status)
}

func FuzzDecodeGenerateRequest(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"Shall I","max_tokens":16,"temperature":0.8,"top_k":40,"top_p":0.95,"seed":1,"stop":["\n"],"stream":true}`,
		`{"model":"m","prompt":"\u00e9\ud800"}`, `{"max_tokens":1e9}`, `{"temperature":NaN}`, `{"stop":[[]]}`,
		`[]`, `null`, `{"prompt":"a"}{"prompt":"b"}`, `{"seed":-0}`, `{"top_p":1e-320}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, p, err := DecodeGenerateRequest(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			checkFieldError(t, err)
			return
		}
		require.LessOrEqual(t, len(data), int(fuzzLimits.MaxBodyBytes))
		require.NotNil(t, req)
		require.True(t, p.MaxTokens >= 1 && p.MaxTokens <= fuzzLimits.MaxTokens)
		require.True(t, p.Temperature >= 0 && p.Temperature <= maxTemperature)
		require.True(t, p.TopP > 0 && p.TopP <= 1)
		require.GreaterOrEqual(t, p.TopK, 0)
		require.LessOrEqual(t, len(p.Stop), 4)
		for _, s := range p.Stop {
			require.NotEmpty(t, s)
		}
	})
}

func FuzzDecodeImageRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"diff","n":4,"seed":7,"class":3,"steps":50,"guidance":2.5}`,
		`{"n":0}`, `{"class":-1}`, `{"steps":1e3}`, `{"guidance":-0}`, `{"n":"1"}`, ` {} `, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeImageRequest(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			checkFieldError(t, err)
			return
		}
		if req.N != nil {
			require.True(t, *req.N >= 1 && *req.N <= fuzzLimits.MaxImages)
		}
		if req.Class != nil {
			require.GreaterOrEqual(t, *req.Class, 0)
		}
		if req.Steps != nil {
			require.True(t, *req.Steps >= 1 && *req.Steps <= fuzzLimits.MaxSteps)
		}
		if req.Guidance != nil {
			require.True(t, *req.Guidance >= 0 && *req.Guidance <= maxGuidance)
		}
	})
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		err  string
	}{
		{"gpt=text:ckpt/gpt.safetensors", Spec{Name: "gpt", Kind: "text", Path: "ckpt/gpt.safetensors"}, ""},
		{"chars=demo-text:", Spec{Name: "chars", Kind: "demo-text"}, ""},
		{"d=diffusion:/a/b.st?steps=50&tok=x", Spec{Name: "d", Kind: "diffusion", Path: "/a/b.st",
			Options: map[string][]string{"steps": {"50"}, "tok": {"x"}}}, ""},
		{"c:\\x=text:y", Spec{}, "bad name"},
		{"noequals", Spec{}, "want name=kind:path"},
		{"a=nokind", Spec{}, "want name=kind:path"},
		{"a=:path", Spec{}, "want name=kind:path"},
		{"a=text:p?%zz", Spec{}, "options"},
	}
	for _, tc := range tests {
		got, err := ParseSpec(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
		back, err := ParseSpec(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
}
