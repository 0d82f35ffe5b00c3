package transformer

import (
	"unicode"
	"unicode/utf8"
)

// GPT-2 splits text into pieces before BPE with the regular expression
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Go's regexp has no lookahead, so nextPiece reproduces its leftmost-first,
// greedy-with-backtracking semantics by hand. Every rune falls in exactly one class:
// \s is Unicode White_Space (unicode.IsSpace, as in OpenAI's tiktoken), \p{L} is
// unicode.IsLetter, \p{N} is unicode.IsNumber, and everything else, including each byte
// of invalid UTF-8, is "other". The contractions are case-sensitive, as in GPT-2.

// runeClass is the class of a rune in the pattern.
type runeClass uint8

const (
	classOther runeClass = iota
	classLetter
	classNumber
	classSpace
)

// asciiClass is runeClass for bytes below utf8.RuneSelf.
var asciiClass = func() (t [utf8.RuneSelf]runeClass) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = slowClass(r)
	}
	return t
}()

func slowClass(r rune) runeClass {
	switch {
	case unicode.IsSpace(r):
		return classSpace
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

// classAt returns the class of the rune starting at s[i] and its width in bytes. An
// invalid byte is classOther with width 1.
func classAt(s string, i int) (runeClass, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && w == 1 {
		return classOther, 1
	}
	return slowClass(r), w
}

// runEnd returns the end of the run of class c that continues at s[i:].
func runEnd(s string, i int, c runeClass) int {
	for i < len(s) {
		ci, w := classAt(s, i)
		if ci != c {
			break
		}
		i += w
	}
	return i
}

// nextPiece returns the end of the GPT-2 pre-token that starts at s[i]; i < len(s).
func nextPiece(s string, i int) int {
	// 's|'t|'re|'ve|'m|'ll|'d
	if s[i] == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i + 3
			}
		}
	}
	c, w := classAt(s, i)
	// ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+' with the optional space present.
	if s[i] == ' ' && i+1 < len(s) {
		if c2, w2 := classAt(s, i+1); c2 != classSpace {
			return runEnd(s, i+1+w2, c2)
		}
	}
	if c != classSpace {
		return runEnd(s, i+w, c)
	}
	// '\s+(?!\S)': the whitespace run, less its last rune if a non-space follows;
	// '\s+' when that leaves nothing (a single space before a non-space).
	j, last := i+w, i
	for j < len(s) {
		cj, wj := classAt(s, j)
		if cj != classSpace {
			break
		}
		last = j
		j += wj
	}
	if j < len(s) && last > i {
		return last
	}
	return j
}

// splitGPT2 calls fn with each GPT-2 pre-token of s, in order. The pieces concatenate
// to s.
func splitGPT2(s string, fn func(piece string)) {
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		fn(s[i:j])
		i = j
	}
}
