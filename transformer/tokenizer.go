package transformer

import "fmt"

// Tokenizer turns text into token ids and back. CharTokenizer and BPE implement it. All
// methods are safe for concurrent use.
type Tokenizer interface {
	// Encode returns the ids of s. It never panics; how it treats text the vocabulary
	// cannot represent is documented by each implementation.
	Encode(s string) []int
	// Decode returns the text of ids. It panics if an id is outside [0, VocabSize()).
	Decode(ids []int) string
	// VocabSize is one more than the largest id Encode or Decode can use: the size of a
	// model's embedding table.
	VocabSize() int
	// SpecialTokens returns a fresh map from each special token's text (such as
	// EndOfText) to its id; it is empty when there are none.
	SpecialTokens() map[string]int
}

// EndOfText is GPT-2's end-of-text special token, id 50256 in its vocabulary.
const EndOfText = "<|endoftext|>"

// Compile-time checks that the tokenizers satisfy the interface.
var (
	_ Tokenizer = (*CharTokenizer)(nil)
	_ Tokenizer = (*BPE)(nil)
)

// decodePanic is what Decode panics with for an id outside the vocabulary: a programmer
// mistake, such as sampling from a model whose output size exceeds VocabSize.
func decodePanic(op string, id, n int) {
	panic(fmt.Errorf("transformer: %s: id %d out of range [0,%d)", op, id, n))
}
