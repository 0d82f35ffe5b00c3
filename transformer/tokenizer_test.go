package transformer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shakespeare is the start of tinyshakespeare.txt, the corpus of nanoGPT's
// character-level model.
const shakespeare = `First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.

All:
We know't, we know't.
`

func TestCharTokenizer(t *testing.T) {
	tok := NewCharTokenizer(shakespeare)
	want := "\n ',.:?ABCFMRSWYacdefhiklmnoprstuvwyz"
	require.Equal(t, utf8.RuneCountInString(want), tok.VocabSize())
	assert.Equal(t, want, tok.Decode(seq(tok.VocabSize())), "sorted by code point")
	assert.Empty(t, tok.SpecialTokens())

	ids := tok.Encode("First Citizen:")
	assert.Equal(t, []int{10, 22, 29, 30, 31, 1, 9, 22, 31, 22, 36, 19, 26, 5}, ids)
	assert.Equal(t, shakespeare, tok.Decode(tok.Encode(shakespeare)))

	// Unknown runes: Encode skips them, EncodeStrict names the first.
	assert.Equal(t, tok.Encode("First"), tok.Encode("Fi🎭rst"))
	_, err := tok.EncodeStrict("Fi🎭rst")
	require.EqualError(t, err, `transformer: CharTokenizer: rune '🎭' at byte 2 is not in the vocabulary`)
	got, err := tok.EncodeStrict("First")
	require.NoError(t, err)
	assert.Equal(t, tok.Encode("First"), got)

	assert.PanicsWithError(t, fmt.Sprintf("transformer: CharTokenizer.Decode: id %d out of range [0,%d)", tok.VocabSize(), tok.VocabSize()),
		func() { tok.Decode([]int{tok.VocabSize()}) })
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestCharTokenizerJSON(t *testing.T) {
	tok := NewCharTokenizer("héllo\n😀 wörld\t\"\\")
	data, err := json.Marshal(tok)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"char","vocab":["\t","\n"," ","\"","\\","d","h","l","o","r","w","é","ö","😀"]}`, string(data))
	loaded, err := LoadCharTokenizer(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, tok.Decode(seq(tok.VocabSize())), loaded.Decode(seq(loaded.VocabSize())))

	for _, c := range []struct{ in, err string }{
		{`{"type":"char","vocab":["a","bc"]}`, `vocab entry 1 is "bc", want one rune`},
		{`{"type":"char","vocab":["a",""]}`, `vocab entry 1 is "", want one rune`},
		{`{"type":"char","vocab":["a","b","a"]}`, `rune 'a' appears at 0 and 2`},
		{`{"type":"bpe","vocab":[]}`, `type "bpe", want "char"`},
		{`{"type":`, `unexpected end of JSON input`},
	} {
		_, err := LoadCharTokenizer(strings.NewReader(c.in))
		assert.ErrorContains(t, err, c.err, c.in)
	}
}

func TestTokenizerInterface(t *testing.T) {
	for name, tok := range map[string]Tokenizer{
		"char": NewCharTokenizer(shakespeare),
		"gpt2": gpt2(t),
	} {
		s := "You are all resolved rather to die than to famish?"
		assert.Equal(t, s, tok.Decode(tok.Encode(s)), name)
		assert.Positive(t, tok.VocabSize(), name)
	}
}

func FuzzCharRoundTrip(f *testing.F) {
	for _, s := range []string{"", shakespeare[:60], "héllo 😀\t\n", "\xff\xfeab\xc3"} {
		f.Add(s, "")
		f.Add(s, "extra text")
	}
	f.Fuzz(func(t *testing.T, corpus, extra string) {
		tok := NewCharTokenizer(corpus)
		// Every rune of the corpus is in the vocabulary; invalid bytes become U+FFFD.
		want := string([]rune(corpus))
		if got := tok.Decode(tok.Encode(corpus)); got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", corpus, got, want)
		}
		ids, err := tok.EncodeStrict(corpus)
		if err != nil || tok.Decode(ids) != want {
			t.Fatalf("EncodeStrict(%q) = %v, %v", corpus, ids, err)
		}
		// Text with other runes: Encode keeps exactly the known ones.
		var known strings.Builder
		for _, r := range extra {
			if strings.ContainsRune(want, r) {
				known.WriteRune(r)
			}
		}
		if got := tok.Decode(tok.Encode(extra)); got != known.String() {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", extra, got, known.String())
		}
		// Save and load keep the ids.
		data, err := json.Marshal(tok)
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadCharTokenizer(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if got := loaded.Encode(want); !equalInts(got, tok.Encode(want)) {
			t.Fatalf("loaded tokenizer encodes %q as %v, want %v", want, got, tok.Encode(want))
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ExampleNewCharTokenizer() {
	tok := NewCharTokenizer("hello world")
	ids := tok.Encode("hold the door")
	fmt.Println(tok.VocabSize(), ids)
	fmt.Printf("%q\n", tok.Decode(ids))
	_, err := tok.EncodeStrict("hold the door")
	fmt.Println(err)
	// Output:
	// 8 [3 5 4 1 0 3 2 0 1 5 5 6]
	// "hold he door"
	// transformer: CharTokenizer: rune 't' at byte 5 is not in the vocabulary
}
