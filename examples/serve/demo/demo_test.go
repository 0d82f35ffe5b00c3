package demo

import (
	"context"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func generate(t *testing.T, m server.TextModel, prompt string, p server.TextParams) string {
	t.Helper()
	var b strings.Builder
	_, err := m.Generate(context.Background(), prompt, p, func(s string) error { b.WriteString(s); return nil })
	require.NoError(t, err)
	return b.String()
}

func TestCharMLPLearnsAndIsDeterministic(t *testing.T) {
	m, err := NewCharMLP(context.Background(), corpus, CharMLPConfig{Steps: 300})
	require.NoError(t, err)
	t.Logf("300 steps in %v, loss %.2f nats/char", m.Took, m.Loss)
	assert.Less(t, m.Loss, 2.5, "well below uniform (ln 52 = 3.95)")
	p := server.TextParams{MaxTokens: 40, Temperature: 0.8, TopP: 1, Seed: 3}
	a := generate(t, m, "Shall I ", p)
	assert.Equal(t, a, generate(t, m, "Shall I ", p), "same seed, same text")
	assert.Len(t, []rune(a), 40)

	_, err = m.Generate(context.Background(), "zebra", p, func(string) error { return nil })
	var fe *server.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "prompt", fe.Field)

	// Concurrent use (run with -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { assert.Equal(t, a, generate(t, m, "Shall I ", p)) })
	}
	wg.Wait()
}

func TestCharMLPShortCorpus(t *testing.T) {
	_, err := NewCharMLP(context.Background(), "abc", CharMLPConfig{})
	require.ErrorContains(t, err, "shorter than the context")
}

func TestLoadCharMLPOptions(t *testing.T) {
	spec, err := server.ParseSpec("c=demo-text:?steps=5&hidden=8&context=3&seed=2")
	require.NoError(t, err)
	m, err := LoadCharMLP(context.Background(), spec)
	require.NoError(t, err)
	assert.True(t, m.Demo)
	assert.Contains(t, m.Description, "DEMO")
	assert.Contains(t, m.Description, "context 3, hidden 8")
	spec.Options.Set("steps", "-1")
	_, err = LoadCharMLP(context.Background(), spec)
	require.ErrorContains(t, err, "steps")
}

func TestBlobs(t *testing.T) {
	b := Blobs{}
	p := server.ImageParams{N: 3, Seed: 4, Steps: 5, Class: 2, HasClass: true}
	imgs, err := b.Sample(context.Background(), p)
	require.NoError(t, err)
	require.Len(t, imgs, 3)
	again, err := b.Sample(context.Background(), p)
	require.NoError(t, err)
	for i := range imgs {
		assert.Equal(t, imgs[i].(*image.Gray).Pix, again[i].(*image.Gray).Pix)
		assert.Equal(t, image.Rect(0, 0, 28, 28), imgs[i].Bounds())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = b.Sample(ctx, server.ImageParams{N: 1, Steps: 1 << 30})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
