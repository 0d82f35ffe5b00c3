package dates

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/transformer"
)

// Special target tokens; the ISO characters follow.
const (
	Pad   = 0
	Start = 1
	Stop  = 2
)

// ISOChars are the characters of the target language after the special tokens.
const ISOChars = "0123456789-"

// SourceChars is the source alphabet; id 0 is padding.
const SourceChars = "\x00 ,./-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// MaxLen is the longest source or target sequence the model takes.
const MaxLen = 48

var srcID = func() map[rune]int {
	m := map[rune]int{}
	for i, r := range SourceChars {
		m[r] = i
	}
	return m
}()

// epoch is the first date; dates span 100 years from it.
var epoch = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)

const numDays = 36524 // 1950-01-01 … 2049-12-31

func ordinal(d int) string {
	switch {
	case d%10 == 1 && d != 11:
		return fmt.Sprintf("%dst", d)
	case d%10 == 2 && d != 12:
		return fmt.Sprintf("%dnd", d)
	case d%10 == 3 && d != 13:
		return fmt.Sprintf("%drd", d)
	}
	return fmt.Sprintf("%dth", d)
}

// Formats writes a date the ways people do. Two-digit years mean 1950–2049.
var Formats = []func(t time.Time) string{
	func(t time.Time) string { return t.Format("Monday, 2 January 2006") },
	func(t time.Time) string { return t.Format("2 January 2006") },
	func(t time.Time) string { return t.Format("January 2, 2006") },
	func(t time.Time) string { return t.Format("Jan 2, 2006") },
	func(t time.Time) string { return t.Format("2 Jan. 2006") },
	func(t time.Time) string { return t.Format("1/2/06") },
	func(t time.Time) string { return t.Format("01/02/2006") },
	func(t time.Time) string { return t.Format("02.01.2006") },
	func(t time.Time) string { return t.Format("Mon, Jan 2 2006") },
	func(t time.Time) string { return t.Format("02-Jan-2006") },
	func(t time.Time) string { return strings.ToLower(t.Format("January 2 2006")) },
	func(t time.Time) string { return strings.ToUpper(t.Format("Monday 2 January 2006")) },
	func(t time.Time) string { return "the " + ordinal(t.Day()) + " of " + t.Format("January, 2006") },
	func(t time.Time) string { return t.Format("Jan ") + ordinal(t.Day()) + t.Format(", 2006") },
	func(t time.Time) string { return t.Format("2006/01/02") },
}

// Example returns a random date from the training days (every day but each tenth) or
// the held-out days, as source and target token ids and the two strings.
func Example(rng *rand.Rand, heldOut bool) (src, tgt []int, human, iso string) {
	var day int
	for {
		day = rng.IntN(numDays)
		if (day%10 == 0) == heldOut {
			break
		}
	}
	t := epoch.AddDate(0, 0, day)
	human = Formats[rng.IntN(len(Formats))](t)
	iso = t.Format("2006-01-02")
	src, _ = Encode(human)
	for _, r := range iso {
		tgt = append(tgt, 3+strings.IndexRune(ISOChars, r))
	}
	return src, tgt, human, iso
}

// Encode returns the source ids of a date written by a person. It fails on a character
// outside SourceChars, on padding, and on text longer than MaxLen.
func Encode(human string) ([]int, error) {
	var src []int
	for i, r := range human {
		id, ok := srcID[r]
		if !ok || id == Pad {
			return nil, fmt.Errorf("dates: character %q at byte %d is not in the source alphabet", r, i)
		}
		src = append(src, id)
	}
	if len(src) == 0 || len(src) > MaxLen {
		return nil, fmt.Errorf("dates: %d characters; want 1 to %d", len(src), MaxLen)
	}
	return src, nil
}

// DecodeISO turns target ids into text, writing '?' for an id that is not a character.
func DecodeISO(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 3 && id < 3+len(ISOChars) {
			b.WriteByte(ISOChars[id-3])
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Config returns the model configuration of the example for a width and a number of
// encoder (and decoder) layers: 4 heads, a feed-forward width of twice the width.
func Config(dim, layers int) transformer.Seq2SeqConfig {
	return transformer.Seq2SeqConfig{SrcVocab: len(SourceChars), TgtVocab: 3 + len(ISOChars), MaxLen: MaxLen,
		EncoderLayers: layers, DecoderLayers: layers, Heads: 4, Dim: dim, FFDim: 2 * dim}
}

// NewModel builds the example's encoder–decoder under vs.
func NewModel(vs *nn.VarStore, dim, layers int) *transformer.Seq2Seq {
	return transformer.NewSeq2Seq(vs, Config(dim, layers))
}

// Translate writes a date in ISO 8601 with greedy decoding. The model must be in
// inference mode (vs.SetTraining(false)).
func Translate(ctx context.Context, m *transformer.Seq2Seq, human string) (string, error) {
	src, err := Encode(human)
	if err != nil {
		return "", err
	}
	got, err := m.Generate(ctx, src, Start, transformer.GenerateConfig{MaxNewTokens: 11, StopTokens: []int{Stop}})
	if err != nil {
		return "", err
	}
	return DecodeISO(got), nil
}
