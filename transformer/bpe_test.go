package transformer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	gpt2Once sync.Once
	gpt2Tok  *BPE
	gpt2Err  error
)

// gpt2 loads the committed GPT-2 vocabulary once per test binary.
func gpt2(t testing.TB) *BPE {
	t.Helper()
	gpt2Once.Do(func() { gpt2Tok, gpt2Err = LoadGPT2Dir(filepath.Join("testdata", "gpt2")) })
	require.NoError(t, gpt2Err)
	return gpt2Tok
}

func TestGPT2MatchesTiktoken(t *testing.T) {
	tok := gpt2(t)
	require.Equal(t, 50257, tok.VocabSize())
	require.Equal(t, 50000, tok.NumMerges())
	require.Equal(t, map[string]int{EndOfText: 50256}, tok.SpecialTokens())

	raw, err := os.ReadFile(filepath.Join("testdata", "gpt2_ids.json"))
	require.NoError(t, err)
	var fixture struct {
		Cases []struct {
			Text    string `json:"text"`
			Special bool   `json:"special"`
			IDs     []int  `json:"ids"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &fixture))
	require.GreaterOrEqual(t, len(fixture.Cases), 60)
	for i, c := range fixture.Cases {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			var got []int
			if c.Special {
				got = tok.EncodeSpecial(c.Text)
			} else {
				got = tok.Encode(c.Text)
			}
			if len(c.IDs) == 0 {
				c.IDs = []int{}
			}
			require.Equal(t, c.IDs, got, "text %q", c.Text)
			assert.Equal(t, c.Text, tok.Decode(got))
		})
	}
}

func TestGPT2EndOfText(t *testing.T) {
	tok := gpt2(t)
	// Encode treats the special token's text as text; EncodeSpecial recognises it.
	assert.Equal(t, []int{27, 91, 437, 1659, 5239, 91, 29}, tok.Encode(EndOfText))
	assert.Equal(t, []int{50256}, tok.EncodeSpecial(EndOfText))
	assert.Equal(t, EndOfText, tok.Decode([]int{50256}))
	assert.Equal(t, []byte(" the"), tok.TokenBytes(262))
}

func TestSplitGPT2(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello world", []string{"Hello", " world"}},
		{"don't", []string{"don", "'t"}},
		{"DON'T", []string{"DON", "'", "T"}},
		{"?'s", []string{"?'", "s"}},
		{" 's", []string{" '", "s"}},
		{"'", []string{"'"}},
		{"a   b", []string{"a", "  ", " b"}},
		{"a \tb", []string{"a", " ", "\t", "b"}},
		{"\t\ta", []string{"\t", "\t", "a"}},
		{"x  ", []string{"x", "  "}},
		{"x\n\ny", []string{"x", "\n", "\n", "y"}},
		{"x \ny", []string{"x", " ", "\n", "y"}},
		{" 123 abc !!", []string{" 123", " abc", " !!"}},
		{"abc123def", []string{"abc", "123", "def"}},
		{"  ?", []string{" ", " ?"}},
		{"é\xffx", []string{"é", "\xff", "x"}},
		{"a\xff\xfe b", []string{"a", "\xff\xfe", " b"}},
	}
	for _, c := range cases {
		var got []string
		splitGPT2(c.in, func(p string) { got = append(got, p) })
		assert.Equal(t, c.want, got, "%q", c.in)
	}
}

// roundTripTexts are strings every tokenizer built from them must reproduce.
var roundTripTexts = []string{
	"",
	"First Citizen:\nBefore we proceed any further, hear me speak.\n",
	"  leading and trailing  \n\n",
	"café 日本語 😀 \t\r\n",
	"code: if (x != y) { return x*2; }",
	"<|endoftext|> inside text",
}

func TestBPERoundTrip(t *testing.T) {
	small, err := TrainBPE(trainCorpus, 300, []string{EndOfText})
	require.NoError(t, err)
	for name, tok := range map[string]*BPE{"gpt2": gpt2(t), "trained": small} {
		for _, s := range append(roundTripTexts, "\xff\xfe invalid \xc3 utf8 \xe6\x97") {
			assert.Equal(t, s, tok.Decode(tok.Encode(s)), "%s %q", name, s)
			assert.Equal(t, s, tok.Decode(tok.EncodeSpecial(s)), "%s %q", name, s)
		}
	}
}

func TestMergeHeapMatchesGPT2Algorithm(t *testing.T) {
	tok := gpt2(t)
	require.True(t, tok.ordered)
	rng := rand.New(rand.NewPCG(7, 7))
	pieces := []string{strings.Repeat("a", 1001), strings.Repeat("ab", 300), "x", "hello"}
	for range 20 {
		var b strings.Builder
		for range 1 + rng.IntN(3000) {
			b.WriteByte("aabcdeeefghilmnorst0 \xc3\xa9"[rng.IntN(23)])
		}
		pieces = append(pieces, b.String())
	}
	for _, p := range pieces {
		require.Equal(t, tok.mergePiece(p), tok.mergeHeap(p), "%q", p)
	}
	// Long words encode in O(n log n): 1 MB without a space.
	long := randomText(rng, 1<<20)
	long = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == ',' || r == '.' {
			return 'q'
		}
		return r
	}, long)
	assert.Equal(t, long, tok.Decode(tok.Encode(long)))
}

func TestBPEConcurrentEncode(t *testing.T) {
	tok := gpt2(t)
	text := randomText(rand.New(rand.NewPCG(8, 8)), 20000)
	want := tok.Encode(text)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			sub := text[g*1000 : (g+1)*3000]
			assert.Equal(t, sub, tok.Decode(tok.Encode(sub)))
			assert.Equal(t, want, tok.Encode(text))
		})
	}
	wg.Wait()
}

func TestBPEDecodePanics(t *testing.T) {
	tok := gpt2(t)
	assert.PanicsWithError(t, "transformer: BPE.Decode: id 50257 out of range [0,50257)", func() { tok.Decode([]int{1, 50257}) })
	assert.Panics(t, func() { tok.Decode([]int{-1}) })
}

func TestGPT2SaveReproducesFiles(t *testing.T) {
	tok := gpt2(t)
	var enc, merges bytes.Buffer
	require.NoError(t, tok.Save(&enc, &merges))
	wantEnc, err := os.ReadFile(filepath.Join("testdata", "gpt2", "encoder.json"))
	require.NoError(t, err)
	wantMerges, err := os.ReadFile(filepath.Join("testdata", "gpt2", "vocab.bpe"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(wantEnc, enc.Bytes()), "encoder.json differs")
	assert.True(t, bytes.Equal(wantMerges, merges.Bytes()), "vocab.bpe differs")
}

func TestLoadGPT2DirNames(t *testing.T) {
	src := filepath.Join("testdata", "gpt2")
	enc, err := os.ReadFile(filepath.Join(src, "encoder.json"))
	require.NoError(t, err)
	merges, err := os.ReadFile(filepath.Join(src, "vocab.bpe"))
	require.NoError(t, err)

	hf := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(hf, "vocab.json"), enc, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(hf, "merges.txt"), merges, 0o644))
	tok, err := LoadGPT2Dir(hf)
	require.NoError(t, err)
	assert.Equal(t, []int{15496, 11, 995, 0}, tok.Encode("Hello, world!"))

	onlyVocab := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(onlyVocab, "vocab.json"), enc, 0o644))
	_, err = LoadGPT2Dir(onlyVocab)
	require.ErrorContains(t, err, "has neither vocab.bpe nor merges.txt")

	_, err = LoadGPT2Dir(t.TempDir())
	require.ErrorContains(t, err, "has neither encoder.json nor vocab.json")
}

func TestLoadGPT2Errors(t *testing.T) {
	var bytesOnly strings.Builder
	bytesOnly.WriteString("{")
	for c := range 256 {
		if c > 0 {
			bytesOnly.WriteString(", ")
		}
		k, _ := json.Marshal(string(byteRunes[c]))
		fmt.Fprintf(&bytesOnly, "%s: %d", k, c)
	}
	full := bytesOnly.String() + `, "ab": 256}`
	cases := []struct {
		name, enc, merges, err string
	}{
		{"bad json", `{"a": `, "", "encoder"},
		{"missing byte", `{"a": 0}`, "", "no token for byte 0x00"},
		{"negative id", `{"a": -1}`, "", "outside"},
		{"shared id", bytesOnly.String() + `, "zz": 3}`, "", "share id 3"},
		{"merge token missing", full, "#version: 0.2\na c\n", `token "ac" is not in the encoder`},
		{"merge line malformed", full, "#version: 0.2\nab\n", "merges line 2"},
		{"empty special", bytesOnly.String() + `, "": 256}`, "", "empty special"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadGPT2(strings.NewReader(c.enc), strings.NewReader(c.merges))
			require.ErrorContains(t, err, c.err)
		})
	}
	tok, err := LoadGPT2(strings.NewReader(full), strings.NewReader("#version: 0.2\na b\n"))
	require.NoError(t, err)
	assert.Equal(t, []int{256, 'c'}, tok.Encode("abc"), "a b merged")
	assert.True(t, tok.ordered)

	// A merge that uses a token before a later merge makes it: GPT-2's algorithm still
	// applies, through mergePiece even for long pieces.
	tok, err = LoadGPT2(strings.NewReader(bytesOnly.String()+`, "ab": 256, "abc": 257}`),
		strings.NewReader("#version: 0.2\nab c\na b\n"))
	require.NoError(t, err)
	assert.False(t, tok.ordered)
	assert.Equal(t, []int{257}, tok.Encode("abc"))
	assert.Equal(t, slices.Repeat([]int{257}, 40), tok.Encode(strings.Repeat("abc", 40)))
}

// trainCorpus is a few lines of Shakespeare, repeated with variations.
var trainCorpus = strings.Repeat(`First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.
<|endoftext|>
`, 3) + "We know't, we know't.\n"

func TestTrainBPE(t *testing.T) {
	tok, err := TrainBPE(trainCorpus, 320, []string{EndOfText, "<pad>"})
	require.NoError(t, err)
	require.Equal(t, 320, tok.VocabSize())
	require.Equal(t, map[string]int{EndOfText: 318, "<pad>": 319}, tok.SpecialTokens())
	assert.Equal(t, 62, tok.NumMerges())

	// Deterministic: the same corpus gives the same merges, in the same order.
	again, err := TrainBPE(trainCorpus, 320, []string{EndOfText, "<pad>"})
	require.NoError(t, err)
	assert.Equal(t, tok.merges, again.merges)
	// The first merges, by their text.
	first := []string{}
	for _, m := range tok.merges[:4] {
		first = append(first, string(tok.vocab[m[0]])+"|"+string(tok.vocab[m[1]]))
	}
	assert.Equal(t, []string{" |t", " |C", "F|i", "e|a"}, first)

	// Training text encodes to far fewer tokens than bytes and round-trips.
	ids := tok.EncodeSpecial(trainCorpus)
	assert.Less(t, len(ids), len(trainCorpus)/2)
	assert.Equal(t, trainCorpus, tok.Decode(ids))
	assert.Contains(t, ids, 318)
	assert.NotContains(t, tok.Encode(trainCorpus), 318)

	// Save and load in GPT-2's format gives the same tokenizer.
	dir := t.TempDir()
	require.NoError(t, tok.SaveDir(dir))
	loaded, err := LoadGPT2Dir(dir)
	require.NoError(t, err)
	assert.Equal(t, tok.VocabSize(), loaded.VocabSize())
	assert.Equal(t, tok.SpecialTokens(), loaded.SpecialTokens())
	assert.Equal(t, ids, loaded.EncodeSpecial(trainCorpus))
	for _, s := range roundTripTexts {
		assert.Equal(t, tok.EncodeSpecial(s), loaded.EncodeSpecial(s), "%q", s)
	}
}

func TestTrainBPEEdgeCases(t *testing.T) {
	_, err := TrainBPE("abc", 257, []string{"<a>", "<b>"})
	require.ErrorContains(t, err, "vocabSize 257 < 256 bytes + 2 special tokens")
	_, err = TrainBPE("abc", 300, []string{"<a>", "<a>"})
	require.ErrorContains(t, err, "given twice")
	_, err = TrainBPE("abc", 300, []string{""})
	require.ErrorContains(t, err, "empty special")

	// Too little text: training stops when no pairs are left.
	tok, err := TrainBPE("aaaa", 1000, nil)
	require.NoError(t, err)
	assert.Equal(t, 258, tok.VocabSize()) // "aa", "aaaa"
	assert.Equal(t, []int{257}, tok.Encode("aaaa"))
	assert.Equal(t, []int{257, 256, 97}, tok.Encode("aaaaaaa"))

	// A merge that spells an existing token reuses its id.
	tok, err = TrainBPE("abc abc abc bc bc ab ab ab", 300, nil)
	require.NoError(t, err)
	for id := 256; id < tok.VocabSize(); id++ {
		for other := id + 1; other < tok.VocabSize(); other++ {
			require.NotEqual(t, tok.vocab[id], tok.vocab[other])
		}
	}
}

// randomText makes n bytes of word-like text: a Zipf-distributed lexicon of 20000
// invented words built from syllables, with capitals, punctuation, numbers and a few
// accented and CJK words.
func randomText(rng *rand.Rand, n int) string {
	syll := strings.Fields(`ka ri to ne ma su lo pe an ti or el qu st ch th ing ed er
		ba di fo gu hy jo lu my ny pa ro sa tu vi wo xe ze é ö 日 本`)
	lex := make([]string, 20000)
	for i := range lex {
		var w strings.Builder
		for range 1 + rng.IntN(4) {
			w.WriteString(syll[rng.IntN(len(syll))])
		}
		lex[i] = w.String()
	}
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(lex)-1))
	var b strings.Builder
	for b.Len() < n {
		w := lex[zipf.Uint64()]
		switch rng.IntN(24) {
		case 0:
			b.WriteString(".\n")
		case 1:
			b.WriteString(", ")
		case 2:
			fmt.Fprintf(&b, " %d", rng.IntN(3000))
		case 3:
			b.WriteString(" " + strings.ToUpper(w[:1]))
			w = w[1:]
		default:
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()[:n]
}

func TestTrainBPEOneMegabyte(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 1 MB")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	corpus := randomText(rng, 1<<20)
	tok, err := TrainBPE(corpus, 1000, []string{EndOfText})
	require.NoError(t, err)
	require.Equal(t, 1000, tok.VocabSize())
	sample := corpus[:10000]
	for !utf8.ValidString(sample) {
		sample = sample[:len(sample)-1]
	}
	assert.Equal(t, sample, tok.Decode(tok.Encode(sample)))
}

func BenchmarkTrainBPE(b *testing.B) {
	corpus := randomText(rand.New(rand.NewPCG(1, 2)), 1<<20)
	b.SetBytes(int64(len(corpus)))
	for b.Loop() {
		if _, err := TrainBPE(corpus, 1000, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode measures encode throughput on 100 KB of text. "cold" empties the
// piece cache first, as for text never seen before.
func BenchmarkEncode(b *testing.B) {
	text := randomText(rand.New(rand.NewPCG(3, 4)), 100_000)
	small, err := TrainBPE(randomText(rand.New(rand.NewPCG(5, 6)), 200_000), 1000, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tok  *BPE
		cold bool
	}{
		{"gpt2", gpt2(b), false},
		{"gpt2_cold", gpt2(b), true},
		{"trained1000", small, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if c.cold {
					c.tok.mu.Lock()
					clear(c.tok.cache)
					c.tok.mu.Unlock()
				}
				c.tok.Encode(text)
			}
		})
	}
	b.Run("char", func(b *testing.B) {
		tok := NewCharTokenizer(text)
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			tok.Encode(text)
		}
	})
}

func FuzzBPERoundTrip(f *testing.F) {
	for _, s := range append(roundTripTexts, "\xff\xfe\xc3", "a   b\t\t\n", "'s'll'VE") {
		f.Add(s)
	}
	tok := gpt2(f)
	small, err := TrainBPE(trainCorpus, 400, []string{EndOfText})
	require.NoError(f, err)
	require.True(f, small.ordered)
	f.Fuzz(func(t *testing.T, s string) {
		// Byte-level BPE has a token for every byte, so every string round-trips byte
		// for byte, valid UTF-8 or not.
		for _, b := range []*BPE{tok, small} {
			if got := b.Decode(b.Encode(s)); got != s {
				t.Fatalf("Decode(Encode(%q)) = %q", s, got)
			}
			if got := b.Decode(b.EncodeSpecial(s)); got != s {
				t.Fatalf("Decode(EncodeSpecial(%q)) = %q", s, got)
			}
		}
		// Both merge algorithms agree on the whole input taken as one piece.
		for _, b := range []*BPE{tok, small} {
			if len(s) > 0 && b.ordered {
				if x, y := b.mergePiece(s), b.mergeHeap(s); !equalInts(x, y) {
					t.Fatalf("mergePiece(%q) = %v, mergeHeap = %v", s, x, y)
				}
			}
		}
		// The pre-tokens concatenate to the input.
		var joined strings.Builder
		splitGPT2(s, func(p string) {
			if p == "" {
				t.Fatalf("empty piece in %q", s)
			}
			joined.WriteString(p)
		})
		if joined.String() != s {
			t.Fatalf("pieces of %q join to %q", s, joined.String())
		}
	})
}

func ExampleLoadGPT2Dir() {
	tok, err := LoadGPT2Dir("testdata/gpt2")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("Hello, world! It's 2024.")
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids[:3]))
	fmt.Println(tok.EncodeSpecial("The end." + EndOfText))
	fmt.Println(tok.VocabSize(), tok.SpecialTokens())
	// Output:
	// [15496 11 995 0 632 338 48609 13]
	// "Hello, world"
	// [464 886 13 50256]
	// 50257 map[<|endoftext|>:50256]
}

func ExampleTrainBPE() {
	corpus := strings.Repeat("the cat sat on the mat. the cat ate the rat.\n", 20)
	tok, err := TrainBPE(corpus, 256+10+1, []string{EndOfText})
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("the cat sat")
	fmt.Println(tok.VocabSize(), ids)
	for _, id := range ids {
		fmt.Printf("%q ", tok.TokenBytes(id))
	}
	fmt.Println()
	// Output:
	// 267 [258 261 265 256]
	// "the" " cat" " s" "at"
}
