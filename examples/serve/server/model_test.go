package server

import (
	"context"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadersLoad(t *testing.T) {
	errBroken := errors.New("model family not wired into the server yet")
	l := Loaders{
		"text": func(ctx context.Context, s Spec) (*Model, error) { return &Model{Text: &fakeText{}}, nil },
		"both": func(ctx context.Context, s Spec) (*Model, error) {
			return &Model{Text: &fakeText{}, Image: &fakeImage{}}, nil
		},
		"stub": func(ctx context.Context, s Spec) (*Model, error) { return nil, errBroken },
	}
	ms, err := l.Load(context.Background(), []Spec{{Name: "a", Kind: "text"}, {Name: "b", Kind: "text"}})
	require.NoError(t, err)
	assert.Equal(t, "b", ms[1].Name)
	assert.Equal(t, "text", ms[1].Kind)
	for _, tc := range []struct {
		specs []Spec
		err   string
	}{
		{[]Spec{{Name: "a", Kind: "text"}, {Name: "a", Kind: "text"}}, "given twice"},
		{[]Spec{{Name: "a", Kind: "gan"}}, `unknown kind "gan" (known: both, stub, text)`},
		{[]Spec{{Name: "a", Kind: "both"}}, "exactly one"},
		{[]Spec{{Name: "a", Kind: "stub"}}, "not wired"},
	} {
		_, err := l.Load(context.Background(), tc.specs)
		require.ErrorContains(t, err, tc.err)
	}
	_, err = l.Load(context.Background(), []Spec{{Name: "a", Kind: "stub"}})
	assert.True(t, errors.Is(err, errBroken))
}

func TestSampleLogits(t *testing.T) {
	logits := []float32{1, 3, 2, -1}
	rng := rand.New(rand.NewPCG(1, 2))
	assert.Equal(t, 1, SampleLogits(logits, TextParams{Temperature: 0}, rng))
	assert.Equal(t, 1, SampleLogits(logits, TextParams{Temperature: 1, TopK: 1, TopP: 1}, rng))
	assert.Equal(t, 1, SampleLogits(logits, TextParams{Temperature: 1, TopP: 0.01}, rng))

	// Frequencies follow softmax(logits/T), restricted by top-k.
	for _, p := range []TextParams{{Temperature: 1, TopP: 1}, {Temperature: 0.5, TopP: 1}, {Temperature: 1, TopK: 2, TopP: 1}} {
		const n = 40000
		counts := make([]float64, len(logits))
		for range n {
			counts[SampleLogits(logits, p, rng)]++
		}
		want := make([]float64, len(logits))
		var sum float64
		for i, l := range logits {
			if p.TopK == 2 && i != 1 && i != 2 {
				continue
			}
			want[i] = math.Exp(float64(l) / p.Temperature)
			sum += want[i]
		}
		for i := range want {
			assert.InDelta(t, want[i]/sum, counts[i]/n, 0.01, "%+v token %d", p, i)
		}
	}
}

func TestAutoregressiveJoinsUTF8(t *testing.T) {
	// A byte-level "model" that spells out a fixed string one byte per token.
	const target = "né😀!"
	a := &Autoregressive{
		Encode: func(s string) ([]int, error) {
			ids := make([]int, len(s))
			for i := range len(s) {
				ids[i] = int(s[i])
			}
			return ids, nil
		},
		Decode: func(ids []int) string {
			b := make([]byte, len(ids))
			for i, id := range ids {
				b[i] = byte(id)
			}
			return string(b)
		},
		Logits: func(ctx context.Context, ids []int) ([]float32, error) {
			out := make([]float32, 257)
			if n := len(ids) - 1; n < len(target) { // prompt is one byte
				out[target[n]] = 10
			} else {
				out[256] = 10
			}
			return out, nil
		},
		EOS: 256,
	}
	var toks []string
	u, err := a.Generate(context.Background(), "x", TextParams{MaxTokens: 50, Temperature: 0}, func(s string) error {
		toks = append(toks, s)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, target, strings.Join(toks, ""))
	assert.Equal(t, []string{"n", "", "é", "", "", "", "😀", "!"}, toks)
	assert.Equal(t, Usage{PromptTokens: 1, CompletionTokens: len(target) + 1, FinishReason: "eos"}, u)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = a.Generate(ctx, "x", TextParams{MaxTokens: 5}, func(string) error { return nil })
	assert.ErrorIs(t, err, context.Canceled)
}

func TestGrayImages(t *testing.T) {
	imgs := GrayImages([]float32{-1, 0, 1, 2, float32(math.NaN()), 0.5}, 2, 1, 3, -1, 1)
	require.Len(t, imgs, 2)
	assert.Equal(t, []uint8{0, 128, 255}, imgs[0].(*image.Gray).Pix)
	assert.Equal(t, []uint8{255, 0, 191}, imgs[1].(*image.Gray).Pix)
}
