package server

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"unicode/utf8"
)

// Autoregressive adapts a next-token model to a TextModel: it runs the sampling loop
// (temperature, top-k, top-p, seed), checks ctx before every token and joins byte-level
// tokens into whole UTF-8 characters before emitting them. A model that keeps a KV cache
// between steps should implement TextModel itself; this adapter passes the whole
// (cropped) context to Logits at every step.
//
// Autoregressive is safe for concurrent use when Encode, Decode and Logits are.
type Autoregressive struct {
	Encode     func(text string) ([]int, error)
	Decode     func(ids []int) string
	Logits     func(ctx context.Context, ids []int) ([]float32, error) // logits of the token after ids
	ContextLen int                                                     // Logits sees at most the last ContextLen ids; 0: all
	EOS        int                                                     // id that ends generation; -1: none
}

// Generate implements TextModel.
func (a *Autoregressive) Generate(ctx context.Context, prompt string, p TextParams, emit func(string) error) (Usage, error) {
	ids, err := a.Encode(prompt)
	if err != nil {
		return Usage{}, BadField("prompt", "%v", err)
	}
	u := Usage{PromptTokens: len(ids), FinishReason: "length"}
	rng := rand.New(rand.NewPCG(p.Seed, 0x7e47))
	var pending []int // ids whose text is not yet a whole UTF-8 sequence
	for range p.MaxTokens {
		if err := ctx.Err(); err != nil {
			return u, err
		}
		window := ids
		if a.ContextLen > 0 && len(window) > a.ContextLen {
			window = window[len(window)-a.ContextLen:]
		}
		logits, err := a.Logits(ctx, window)
		if err != nil {
			return u, err
		}
		next := SampleLogits(logits, p, rng)
		u.CompletionTokens++
		if next == a.EOS {
			u.FinishReason = "eos"
			break
		}
		ids = append(ids, next)
		pending = append(pending, next)
		text := a.Decode(pending)
		if !utf8.ValidString(text) && len(pending) < utf8.UTFMax {
			if err := emit(""); err != nil { // one emit per token, even when it carries no text yet
				return u, err
			}
			continue
		}
		pending = pending[:0]
		if err := emit(text); err != nil {
			return u, err
		}
	}
	if len(pending) > 0 {
		if err := emit(a.Decode(pending)); err != nil {
			return u, err
		}
	}
	return u, nil
}

// SampleLogits draws a token id from logits with the temperature, top-k and top-p of p;
// temperature 0 takes the argmax. It panics on empty logits.
func SampleLogits(logits []float32, p TextParams, rng *rand.Rand) int {
	if len(logits) == 0 {
		panic("server: SampleLogits: empty logits")
	}
	if p.Temperature == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	if (p.TopK <= 0 || p.TopK >= len(idx)) && (p.TopP <= 0 || p.TopP >= 1) {
		return sampleSoftmax(logits, idx, p.Temperature, rng) // no cut: no need to sort
	}
	slices.SortStableFunc(idx, func(a, b int) int { // descending logits
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return 0
	})
	if p.TopK > 0 && p.TopK < len(idx) {
		idx = idx[:p.TopK]
	}
	probs, sum := weights(logits, idx, p.Temperature)
	if p.TopP > 0 && p.TopP < 1 {
		var cum float64
		for i := range probs {
			cum += probs[i] / sum
			if cum >= p.TopP {
				idx, probs = idx[:i+1], probs[:i+1]
				break
			}
		}
		sum = 0
		for _, q := range probs {
			sum += q
		}
	}
	return draw(idx, probs, sum, rng)
}

// weights returns exp((logit-max)/temperature) for the ids in idx, and their sum.
func weights(logits []float32, idx []int, temperature float64) ([]float64, float64) {
	top := float64(logits[idx[0]])
	for _, j := range idx {
		top = max(top, float64(logits[j]))
	}
	probs := make([]float64, len(idx))
	var sum float64
	for i, j := range idx {
		probs[i] = math.Exp((float64(logits[j]) - top) / temperature)
		sum += probs[i]
	}
	return probs, sum
}

func sampleSoftmax(logits []float32, idx []int, temperature float64, rng *rand.Rand) int {
	probs, sum := weights(logits, idx, temperature)
	return draw(idx, probs, sum, rng)
}

// draw picks idx[i] with probability probs[i]/sum.
func draw(idx []int, probs []float64, sum float64, rng *rand.Rand) int {
	u := rng.Float64() * sum
	for i, q := range probs {
		u -= q
		if u < 0 {
			return idx[i]
		}
	}
	return idx[len(idx)-1]
}

// GrayImages turns n images of h×w float32 values (row-major, image after image, as a
// (n,1,h,w) tensor's data) into grayscale images, mapping lo to black and hi to white
// and clamping outside. It panics if len(data) != n*h*w.
func GrayImages(data []float32, n, h, w int, lo, hi float32) []image.Image {
	if len(data) != n*h*w {
		panic("server: GrayImages: data length does not match n*h*w")
	}
	out := make([]image.Image, n)
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for j, v := range data[i*h*w : (i+1)*h*w] {
			t := (v - lo) / (hi - lo)
			if t != t { // NaN
				t = 0
			}
			img.Pix[j] = uint8(math.Round(float64(min(max(t, 0), 1)) * 255))
		}
		out[i] = img
	}
	return out
}
