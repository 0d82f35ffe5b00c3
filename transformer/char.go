package transformer

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// CharTokenizer maps each character (rune) of a fixed alphabet to an id, as nanoGPT's
// character-level Shakespeare model does. Ids are the positions of the runes in sorted
// order. It has no special tokens. The zero value has an empty vocabulary; use
// NewCharTokenizer or LoadCharTokenizer.
//
// Invalid UTF-8 is read as U+FFFD, one per bad byte, as ranging over a string does: such
// text round-trips as string([]rune(s)), not byte for byte.
type CharTokenizer struct {
	runes []rune               // id -> rune
	ids   map[rune]int         // rune -> id
	ascii [utf8.RuneSelf]int32 // ids of ASCII runes, -1 if absent
}

// NewCharTokenizer builds the vocabulary of the distinct runes of corpus, sorted by code
// point.
func NewCharTokenizer(corpus string) *CharTokenizer {
	seen := make(map[rune]bool)
	for _, r := range corpus {
		seen[r] = true
	}
	runes := make([]rune, 0, len(seen))
	for r := range seen {
		runes = append(runes, r)
	}
	slices.Sort(runes)
	return newCharTokenizer(runes)
}

func newCharTokenizer(runes []rune) *CharTokenizer {
	t := &CharTokenizer{runes: runes, ids: make(map[rune]int, len(runes))}
	for i, r := range runes {
		t.ids[r] = i
		if r < utf8.RuneSelf {
			t.ascii[r] = int32(i) + 1
		}
	}
	return t
}

// id returns the id of r.
func (t *CharTokenizer) id(r rune) (int, bool) {
	if r < utf8.RuneSelf {
		id := t.ascii[r]
		return int(id) - 1, id > 0
	}
	id, ok := t.ids[r]
	return id, ok
}

// Encode returns the id of each rune of s, skipping runes that are not in the vocabulary.
// Use EncodeStrict to be told about them instead.
func (t *CharTokenizer) Encode(s string) []int {
	out := make([]int, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		if id, ok := t.id(r); ok {
			out = append(out, id)
		}
	}
	return out
}

// EncodeStrict is Encode, but returns an error naming the first rune of s that is not in
// the vocabulary and its byte offset.
func (t *CharTokenizer) EncodeStrict(s string) ([]int, error) {
	out := make([]int, 0, len(s))
	for i, r := range s {
		id, ok := t.id(r)
		if !ok {
			return nil, fmt.Errorf("transformer: CharTokenizer: rune %q at byte %d is not in the vocabulary", r, i)
		}
		out = append(out, id)
	}
	return out, nil
}

// Decode returns the runes of ids as a string. It panics if an id is outside
// [0, VocabSize()).
func (t *CharTokenizer) Decode(ids []int) string {
	var b strings.Builder
	b.Grow(len(ids))
	for _, id := range ids {
		if id < 0 || id >= len(t.runes) {
			decodePanic("CharTokenizer.Decode", id, len(t.runes))
		}
		b.WriteRune(t.runes[id])
	}
	return b.String()
}

// VocabSize returns the number of distinct runes.
func (t *CharTokenizer) VocabSize() int { return len(t.runes) }

// SpecialTokens returns an empty map: a CharTokenizer has no special tokens.
func (t *CharTokenizer) SpecialTokens() map[string]int { return map[string]int{} }

// charJSON is the saved form: the vocabulary in id order, one rune per string.
type charJSON struct {
	Type  string   `json:"type"`
	Vocab []string `json:"vocab"`
}

// MarshalJSON saves the vocabulary as {"type":"char","vocab":["\n"," ","!",…]}, the
// rune of id i at index i.
func (t *CharTokenizer) MarshalJSON() ([]byte, error) {
	v := charJSON{Type: "char", Vocab: make([]string, len(t.runes))}
	for i, r := range t.runes {
		v.Vocab[i] = string(r)
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes. It returns an error if an entry is not
// exactly one rune or appears twice.
func (t *CharTokenizer) UnmarshalJSON(data []byte) error {
	var v charJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("transformer: CharTokenizer: %w", err)
	}
	if v.Type != "char" {
		return fmt.Errorf("transformer: CharTokenizer: type %q, want \"char\"", v.Type)
	}
	runes := make([]rune, len(v.Vocab))
	seen := make(map[rune]int, len(v.Vocab))
	for i, s := range v.Vocab {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) {
			return fmt.Errorf("transformer: CharTokenizer: vocab entry %d is %q, want one rune", i, s)
		}
		if j, dup := seen[r]; dup {
			return fmt.Errorf("transformer: CharTokenizer: rune %q appears at %d and %d", r, j, i)
		}
		seen[r] = i
		runes[i] = r
	}
	*t = *newCharTokenizer(runes)
	return nil
}

// LoadCharTokenizer reads a vocabulary saved with MarshalJSON.
func LoadCharTokenizer(r io.Reader) (*CharTokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("transformer: LoadCharTokenizer: %w", err)
	}
	t := new(CharTokenizer)
	if err := t.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return t, nil
}
