package transformer

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// BPE is a byte-level byte-pair-encoding tokenizer in the style of GPT-2
// (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners",
// https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf).
// Text is split into pieces with GPT-2's pre-tokenisation pattern; each piece's UTF-8
// bytes start as one token per byte and are merged pairwise, lowest merge rank first,
// until no ranked pair is left. Because every byte has a token, Encode never fails and
// Decode(Encode(s)) == s for every string, valid UTF-8 or not.
//
// Get one from LoadGPT2 or LoadGPT2Dir (OpenAI's GPT-2 vocabulary or any vocabulary in
// its two-file format) or from TrainBPE. A BPE is safe for concurrent use; it caches the
// tokens of the pieces it has seen.
type BPE struct {
	vocab   [][]byte         // id -> bytes of the token; nil for an unused id
	byteID  [256]int32       // byte -> id of its single-byte token
	ranks   map[uint64]merge // pairKey(left, right) -> merge
	merges  [][2]int32       // (left, right) ids in rank order, as in vocab.bpe
	special map[string]int   // special token text -> id
	byLen   []string         // special token texts, longest first
	mu      sync.RWMutex     // guards cache
	cache   map[string][]int // piece -> ids
	ordered bool             // every merge's parts are made only by earlier merges
}

// merge is one BPE rule: the pair becomes token id; lower ranks apply first.
type merge struct{ rank, id int32 }

// maxCache bounds the number of pieces the encode cache holds; it is emptied when full.
const maxCache = 1 << 16

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// byteRunes is GPT-2's bytes_to_unicode table: the printable rune that stands for each
// byte in encoder.json and vocab.bpe. Printable Latin-1 bytes stand for themselves; the
// others map to U+0100 onwards in byte order (so ' ' is 'Ġ', U+0120).
var byteRunes, runeBytes = func() (fwd [256]rune, inv map[rune]byte) {
	inv = make(map[rune]byte, 256)
	n := 0
	for b := range 256 {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			fwd[b] = rune(b)
		} else {
			fwd[b] = rune(256 + n)
			n++
		}
		inv[fwd[b]] = byte(b)
	}
	return fwd, inv
}()

// bytesToUnicode writes b in the byte-to-rune alphabet of encoder.json.
func bytesToUnicode(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(byteRunes[c])
	}
	return sb.String()
}

// unicodeToBytes inverts bytesToUnicode; ok is false if s has a rune outside the
// alphabet.
func unicodeToBytes(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := runeBytes[r]
		if !ok {
			return nil, false
		}
		b = append(b, c)
	}
	return b, true
}

// newBPE completes a BPE whose vocab, byteID, merges and special are set; idOf maps
// the bytes of every ordinary token to its id.
func newBPE(b *BPE, idOf map[string]int32) (*BPE, error) {
	b.ranks = make(map[uint64]merge, len(b.merges))
	for r, m := range b.merges {
		k := pairKey(m[0], m[1])
		if _, dup := b.ranks[k]; dup {
			continue
		}
		id, ok := idOf[string(b.vocab[m[0]])+string(b.vocab[m[1]])]
		if !ok {
			return nil, fmt.Errorf("merge %d has no token for its result", r)
		}
		b.ranks[k] = merge{rank: int32(r), id: id}
	}
	// ordered lets long pieces use mergeHeap, which applies merges in rank order as they
	// become possible; that equals GPT-2's algorithm when no merge can create a pair
	// that ranks before itself. True for GPT-2 and for most trained vocabularies.
	lastMade := make([]int32, len(b.vocab)) // highest rank of a merge that makes the id
	for i := range lastMade {
		lastMade[i] = -1
	}
	for _, m := range b.ranks {
		lastMade[m.id] = max(lastMade[m.id], m.rank)
	}
	b.ordered = true
	for k, m := range b.ranks {
		l, r := int32(k>>32), int32(uint32(k))
		if lastMade[l] >= m.rank || lastMade[r] >= m.rank {
			b.ordered = false
		}
	}
	b.byLen = b.byLen[:0]
	for s := range b.special {
		b.byLen = append(b.byLen, s)
	}
	slices.SortFunc(b.byLen, func(x, y string) int {
		if c := cmp.Compare(len(y), len(x)); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	b.cache = make(map[string][]int)
	return b, nil
}

// VocabSize returns one more than the largest id: 50257 for GPT-2.
func (b *BPE) VocabSize() int { return len(b.vocab) }

// SpecialTokens returns a fresh map from each special token's text to its id, for GPT-2
// {"<|endoftext|>": 50256}.
func (b *BPE) SpecialTokens() map[string]int {
	m := make(map[string]int, len(b.special))
	for s, id := range b.special {
		m[s] = id
	}
	return m
}

// NumMerges returns the number of merge rules.
func (b *BPE) NumMerges() int { return len(b.merges) }

// Encode returns the ids of s. Special tokens are not recognised: "<|endoftext|>" in s
// is encoded as ordinary text (use EncodeSpecial for that). It never fails; invalid UTF-8
// is encoded byte by byte like any other bytes.
func (b *BPE) Encode(s string) []int {
	out := make([]int, 0, len(s)/3+1)
	return b.appendEncoded(out, s)
}

// EncodeSpecial is Encode, but every occurrence in s of a special token's text (such as
// EndOfText) becomes that token's id. Where two special tokens start at the same place
// the longer wins.
func (b *BPE) EncodeSpecial(s string) []int {
	out := make([]int, 0, len(s)/3+1)
	forEachSpecial(s, b.byLen, func(text, special string) {
		out = b.appendEncoded(out, text)
		if special != "" {
			out = append(out, b.special[special])
		}
	})
	return out
}

// forEachSpecial cuts s at the occurrences of specials (sorted longest first) and calls
// fn with the text before each and the special token, and at last with the rest and "".
func forEachSpecial(s string, specials []string, fn func(text, special string)) {
	const unknown = -2
	next := make([]int, len(specials)) // next occurrence at or after pos, -1 for none
	for k := range next {
		next[k] = unknown
	}
	for pos := 0; ; {
		best, bk := len(s), -1
		for k, sp := range specials {
			if next[k] == unknown || (next[k] >= 0 && next[k] < pos) {
				next[k] = strings.Index(s[pos:], sp)
				if next[k] >= 0 {
					next[k] += pos
				}
			}
			if next[k] >= 0 && next[k] < best {
				best, bk = next[k], k
			}
		}
		if bk < 0 {
			fn(s[pos:], "")
			return
		}
		fn(s[pos:best], specials[bk])
		pos = best + len(specials[bk])
	}
}

func (b *BPE) appendEncoded(out []int, s string) []int {
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		out = b.appendPiece(out, s[i:j])
		i = j
	}
	return out
}

// appendPiece appends the tokens of one pre-token, through the cache.
func (b *BPE) appendPiece(out []int, piece string) []int {
	if len(piece) == 1 {
		return append(out, int(b.byteID[piece[0]]))
	}
	b.mu.RLock()
	ids, ok := b.cache[piece]
	b.mu.RUnlock()
	if ok {
		return append(out, ids...)
	}
	if b.ordered && len(piece) > heapMergeMin {
		ids = b.mergeHeap(piece)
	} else {
		ids = b.mergePiece(piece)
	}
	b.mu.Lock()
	if len(b.cache) >= maxCache {
		clear(b.cache)
	}
	b.cache[strings.Clone(piece)] = ids
	b.mu.Unlock()
	return append(out, ids...)
}

// heapMergeMin is the piece length above which mergeHeap, O(n log n), replaces
// mergePiece, O(n²).
const heapMergeMin = 32

// mergeHeap gives mergePiece's result for a BPE whose merges are ordered, in
// O(n log n): a heap holds the ranked adjacent pairs by (rank, position), and symbols
// form a linked list. An entry whose pair is no longer adjacent is skipped when popped.
func (b *BPE) mergeHeap(piece string) []int {
	type symbol struct{ id, prev, next int32 } // id -1: merged into its left neighbour
	sym := make([]symbol, len(piece))
	for i := range sym {
		sym[i] = symbol{id: b.byteID[piece[i]], prev: int32(i - 1), next: int32(i + 1)}
	}
	sym[len(sym)-1].next = -1
	var h candHeap
	push := func(pos int32) {
		if r := sym[pos].next; r >= 0 {
			if m, ok := b.ranks[pairKey(sym[pos].id, sym[r].id)]; ok {
				h.push(cand{rank: m.rank, pos: pos, left: sym[pos].id, right: sym[r].id, id: m.id})
			}
		}
	}
	for i := range int32(len(sym) - 1) {
		push(i)
	}
	for len(h) > 0 {
		c := h.pop()
		s := &sym[c.pos]
		if s.id != c.left || s.next < 0 || sym[s.next].id != c.right {
			continue // stale
		}
		r := s.next
		s.id, s.next = c.id, sym[r].next
		sym[r].id = -1
		if s.next >= 0 {
			sym[s.next].prev = c.pos
		}
		if s.prev >= 0 {
			push(s.prev)
		}
		push(c.pos)
	}
	var ids []int
	for i := int32(0); i >= 0; i = sym[i].next {
		ids = append(ids, int(sym[i].id))
	}
	return ids
}

// cand is a ranked adjacent pair in mergeHeap.
type cand struct{ rank, pos, left, right, id int32 }

// candHeap is a binary min-heap of cands by (rank, pos).
type candHeap []cand

func (c cand) less(d cand) bool { return c.rank < d.rank || (c.rank == d.rank && c.pos < d.pos) }

func (h *candHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *candHeap) pop() cand {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s[l].less(s[m]) {
			m = l
		}
		if l+1 < n && s[l+1].less(s[m]) {
			m = l + 1
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// mergePiece runs GPT-2's bpe(): starting from single bytes, repeatedly take the
// adjacent pair with the lowest merge rank and merge all its occurrences, left to right.
func (b *BPE) mergePiece(piece string) []int {
	syms := make([]int32, len(piece))
	for i := range len(piece) {
		syms[i] = b.byteID[piece[i]]
	}
	// rank[i] is the merge of (syms[i], syms[i+1]), or rank math.MaxInt32 for none.
	rank := make([]merge, len(syms))
	look := func(i int) merge {
		if i+1 < len(syms) {
			if m, ok := b.ranks[pairKey(syms[i], syms[i+1])]; ok {
				return m
			}
		}
		return merge{rank: math.MaxInt32}
	}
	for i := range syms {
		rank[i] = look(i)
	}
	for len(syms) > 1 {
		best := merge{rank: math.MaxInt32}
		first := -1
		for i, m := range rank[:len(syms)-1] {
			if m.rank < best.rank {
				best, first = m, i
			}
		}
		if first < 0 {
			break
		}
		l, r := syms[first], syms[first+1]
		j := first
		for i := first; i < len(syms); j++ {
			if i+1 < len(syms) && syms[i] == l && syms[i+1] == r {
				syms[j] = best.id
				rank[j] = merge{rank: -1} // recomputed below
				i += 2
			} else {
				syms[j], rank[j] = syms[i], rank[i]
				i++
			}
		}
		syms, rank = syms[:j], rank[:j]
		for i := range syms {
			if rank[i].rank == -1 || (i+1 < len(syms) && syms[i+1] == best.id) {
				rank[i] = look(i)
			}
		}
	}
	ids := make([]int, len(syms))
	for i, s := range syms {
		ids[i] = int(s)
	}
	return ids
}

// Decode returns the concatenated bytes of the tokens, special tokens as their text.
// The result is not checked for valid UTF-8: a prefix of a token stream may end in the
// middle of a character. It panics if an id is outside [0, VocabSize()) or unused.
func (b *BPE) Decode(ids []int) string {
	n := 0
	for _, id := range ids {
		if id < 0 || id >= len(b.vocab) || b.vocab[id] == nil {
			decodePanic("BPE.Decode", id, len(b.vocab))
		}
		n += len(b.vocab[id])
	}
	buf := make([]byte, 0, n)
	for _, id := range ids {
		buf = append(buf, b.vocab[id]...)
	}
	return string(buf)
}

// TokenBytes returns a copy of the bytes of token id (a special token's text). It
// panics if id is outside [0, VocabSize()) or unused.
func (b *BPE) TokenBytes(id int) []byte {
	if id < 0 || id >= len(b.vocab) || b.vocab[id] == nil {
		decodePanic("BPE.TokenBytes", id, len(b.vocab))
	}
	return bytes.Clone(b.vocab[id])
}

// LoadGPT2 reads a vocabulary in GPT-2's two-file format. encoderJSON maps each token,
// its bytes written in GPT-2's bytes_to_unicode alphabet, to its id; vocabBPE lists the
// merge rules in rank order, one "left right" pair per line, after an optional
// "#version" line. HuggingFace's vocab.json and merges.txt are the same two files.
// Tokens that are neither a single byte nor the result of a merge are special tokens and
// stand for their own text, like "<|endoftext|>" in GPT-2. It returns an error if the
// files are malformed or inconsistent.
func LoadGPT2(encoderJSON, vocabBPE io.Reader) (*BPE, error) {
	b, err := loadGPT2(encoderJSON, vocabBPE)
	if err != nil {
		return nil, fmt.Errorf("transformer: LoadGPT2: %w", err)
	}
	return b, nil
}

func loadGPT2(encoderJSON, vocabBPE io.Reader) (*BPE, error) {
	var enc map[string]int
	if err := json.NewDecoder(encoderJSON).Decode(&enc); err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	n, limit := 0, 2*len(enc)+1024 // ids may have gaps, but not absurd ones
	for key, id := range enc {
		if id < 0 || id >= limit {
			return nil, fmt.Errorf("encoder: token %q has id %d outside [0,%d)", key, id, limit)
		}
		n = max(n, id+1)
	}
	keyOf := make([]string, n)
	has := make([]bool, n)
	for key, id := range enc {
		if has[id] {
			return nil, fmt.Errorf("encoder: tokens %q and %q share id %d", keyOf[id], key, id)
		}
		keyOf[id], has[id] = key, true
	}
	b := &BPE{vocab: make([][]byte, n), special: make(map[string]int)}
	regular := make([]bool, n)
	for c := range 256 {
		key := string(byteRunes[c])
		id, ok := enc[key]
		if !ok {
			return nil, fmt.Errorf("encoder: no token for byte 0x%02x (%q)", c, key)
		}
		b.byteID[c], regular[id] = int32(id), true
	}

	sc := bufio.NewScanner(vocabBPE)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSuffix(sc.Text(), "\r")
		if (line == 1 && strings.HasPrefix(text, "#version")) || strings.TrimSpace(text) == "" {
			continue
		}
		l, r, ok := strings.Cut(text, " ")
		if !ok || l == "" || r == "" || strings.Contains(r, " ") {
			return nil, fmt.Errorf("merges line %d: %q is not two tokens separated by a space", line, text)
		}
		var ids [3]int
		for i, key := range [3]string{l, r, l + r} {
			id, ok := enc[key]
			if !ok {
				return nil, fmt.Errorf("merges line %d: %q: token %q is not in the encoder", line, text, key)
			}
			ids[i] = id
		}
		lid, rid, mid := ids[0], ids[1], ids[2]
		b.merges = append(b.merges, [2]int32{int32(lid), int32(rid)})
		regular[mid] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("merges: %w", err)
	}
	idOf := make(map[string]int32, len(enc))
	for id, key := range keyOf {
		switch {
		case !has[id]:
		case regular[id]:
			tok, ok := unicodeToBytes(key)
			if !ok {
				return nil, fmt.Errorf("encoder: token %q (id %d) is not in the byte alphabet", key, id)
			}
			b.vocab[id], idOf[string(tok)] = tok, int32(id)
		case key == "":
			return nil, fmt.Errorf("encoder: empty special token (id %d)", id)
		default:
			b.vocab[id], b.special[key] = []byte(key), id
		}
	}
	for r, m := range b.merges {
		for _, id := range m {
			if !regular[id] {
				return nil, fmt.Errorf("merge %d uses %q, which is neither a byte nor a merge result", r, keyOf[id])
			}
		}
	}
	return newBPE(b, idOf)
}

// LoadGPT2Dir loads encoder.json and vocab.bpe (OpenAI's names) or vocab.json and
// merges.txt (HuggingFace's) from dir with LoadGPT2. The error names a missing file.
func LoadGPT2Dir(dir string) (*BPE, error) {
	enc, err := openEither(dir, "encoder.json", "vocab.json")
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	merges, err := openEither(dir, "vocab.bpe", "merges.txt")
	if err != nil {
		return nil, err
	}
	defer merges.Close()
	b, err := loadGPT2(bufio.NewReader(enc), merges)
	if err != nil {
		return nil, fmt.Errorf("transformer: LoadGPT2Dir %s: %w", dir, err)
	}
	return b, nil
}

// openEither opens dir/a, or dir/b if there is no a.
func openEither(dir, a, b string) (*os.File, error) {
	f, err := os.Open(filepath.Join(dir, a))
	if errors.Is(err, os.ErrNotExist) {
		f, err = os.Open(filepath.Join(dir, b))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("transformer: LoadGPT2Dir: %s has neither %s nor %s", dir, a, b)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("transformer: LoadGPT2Dir: %w", err)
	}
	return f, nil
}

// keyOf is the text of token id in encoder.json.
func (b *BPE) keyOf(id int32) string {
	if sid, ok := b.special[string(b.vocab[id])]; ok && sid == int(id) {
		return string(b.vocab[id])
	}
	return bytesToUnicode(b.vocab[id])
}

// Save writes the vocabulary in GPT-2's two-file format, as LoadGPT2 reads it:
// encoder.json in id order, formatted as Python's json.dumps formats it, and vocab.bpe
// with a "#version: 0.2" line. Saving OpenAI's GPT-2 files reproduces them byte for
// byte. It returns an error if two tokens would get the same text (a special token
// spelled like an ordinary one) or if writing fails.
func (b *BPE) Save(encoderJSON, vocabBPE io.Writer) error {
	keys := make(map[string]int32, len(b.vocab))
	ew := bufio.NewWriter(encoderJSON)
	ew.WriteByte('{')
	first := true
	for id, tok := range b.vocab {
		if tok == nil {
			continue
		}
		key := b.keyOf(int32(id))
		if other, dup := keys[key]; dup {
			return fmt.Errorf("transformer: BPE.Save: tokens %d and %d are both %q", other, id, key)
		}
		keys[key] = int32(id)
		if !first {
			ew.WriteString(", ")
		}
		first = false
		writePyJSONString(ew, key)
		fmt.Fprintf(ew, ": %d", id)
	}
	ew.WriteByte('}')
	if err := ew.Flush(); err != nil {
		return fmt.Errorf("transformer: BPE.Save: encoder: %w", err)
	}
	mw := bufio.NewWriter(vocabBPE)
	mw.WriteString("#version: 0.2\n")
	for _, m := range b.merges {
		mw.WriteString(b.keyOf(m[0]))
		mw.WriteByte(' ')
		mw.WriteString(b.keyOf(m[1]))
		mw.WriteByte('\n')
	}
	if err := mw.Flush(); err != nil {
		return fmt.Errorf("transformer: BPE.Save: merges: %w", err)
	}
	return nil
}

// SaveDir writes encoder.json and vocab.bpe into dir, which must exist, with Save.
func (b *BPE) SaveDir(dir string) (err error) {
	ef, err := os.Create(filepath.Join(dir, "encoder.json"))
	if err != nil {
		return fmt.Errorf("transformer: BPE.SaveDir: %w", err)
	}
	defer func() { err = errors.Join(err, ef.Close()) }()
	mf, err := os.Create(filepath.Join(dir, "vocab.bpe"))
	if err != nil {
		return fmt.Errorf("transformer: BPE.SaveDir: %w", err)
	}
	defer func() { err = errors.Join(err, mf.Close()) }()
	return b.Save(ef, mf)
}

// writePyJSONString writes s as a JSON string the way Python's json.dumps does with
// ensure_ascii: everything outside printable ASCII as \uXXXX (surrogate pairs above
// U+FFFF), with the short escapes for quote, backslash, \n, \r, \t, \b and \f.
func writePyJSONString(w *bufio.Writer, s string) {
	w.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			w.WriteString(`\"`)
		case '\\':
			w.WriteString(`\\`)
		case '\n':
			w.WriteString(`\n`)
		case '\r':
			w.WriteString(`\r`)
		case '\t':
			w.WriteString(`\t`)
		case '\b':
			w.WriteString(`\b`)
		case '\f':
			w.WriteString(`\f`)
		default:
			switch {
			case ' ' <= r && r <= '~':
				w.WriteRune(r)
			case r > 0xFFFF:
				r -= 0x10000
				fmt.Fprintf(w, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			default:
				fmt.Fprintf(w, `\u%04x`, r)
			}
		}
	}
	w.WriteByte('"')
}

// TrainBPE learns a byte-level BPE vocabulary of vocabSize tokens from corpus: the 256
// single bytes (id = byte value), then one token per merge, then the special tokens in
// the order given. The corpus is cut at occurrences of the special tokens and split
// with GPT-2's pre-tokenisation pattern; merges never cross a piece. Each step merges
// the adjacent pair with the highest count over all pieces; ties go to the pair with the
// smaller (left, right) ids, so training is deterministic. A merge whose result spells
// an existing token reuses its id. Training stops early, with a smaller VocabSize, when
// no adjacent pairs are left. It returns an error if vocabSize < 256+len(special) or a
// special token is empty or repeated.
func TrainBPE(corpus string, vocabSize int, special []string) (*BPE, error) {
	if vocabSize < 256+len(special) {
		return nil, fmt.Errorf("transformer: TrainBPE: vocabSize %d < 256 bytes + %d special tokens", vocabSize, len(special))
	}
	specialIDs := make(map[string]int, len(special))
	for _, s := range special {
		if s == "" {
			return nil, errors.New("transformer: TrainBPE: empty special token")
		}
		if _, dup := specialIDs[s]; dup {
			return nil, fmt.Errorf("transformer: TrainBPE: special token %q given twice", s)
		}
		specialIDs[s] = 0
	}
	bySize := slices.Clone(special)
	slices.SortFunc(bySize, func(x, y string) int { return cmp.Compare(len(y), len(x)) })

	// Unique pieces with their counts, in sorted order.
	counts := make(map[string]int64)
	forEachSpecial(corpus, bySize, func(text, _ string) {
		for i := 0; i < len(text); {
			j := nextPiece(text, i)
			counts[text[i:j]]++
			i = j
		}
	})
	pieces := make([]string, 0, len(counts))
	for p := range counts {
		pieces = append(pieces, p)
	}
	slices.Sort(pieces)

	t := &trainer{
		pairs: make(map[uint64]int64),
		where: make(map[uint64][]int32),
		syms:  make([][]int32, len(pieces)),
		count: make([]int64, len(pieces)),
		seen:  make([]int, len(pieces)),
	}
	for wi, p := range pieces {
		w := make([]int32, len(p))
		for i := range len(p) {
			w[i] = int32(p[i])
		}
		t.syms[wi], t.count[wi] = w, counts[p]
		for i := 0; i+1 < len(w); i++ {
			k := pairKey(w[i], w[i+1])
			t.pairs[k] += counts[p]
			t.index(k, int32(wi))
		}
	}
	for k, c := range t.pairs {
		t.heap = append(t.heap, pairCount{k, c})
	}
	heap.Init(&t.heap)

	b := &BPE{vocab: make([][]byte, 256), special: make(map[string]int)}
	idOf := make(map[string]int32, vocabSize)
	for c := range 256 {
		b.vocab[c] = []byte{byte(c)}
		b.byteID[c] = int32(c)
		idOf[string(b.vocab[c])] = int32(c)
	}
	for len(b.vocab) < vocabSize-len(special) && t.heap.Len() > 0 {
		top := heap.Pop(&t.heap).(pairCount)
		if cur := t.pairs[top.key]; cur != top.count {
			if cur > 0 && cur < top.count { // an increase was pushed when it happened
				heap.Push(&t.heap, pairCount{top.key, cur})
			}
			continue
		}
		l, r := int32(top.key>>32), int32(uint32(top.key))
		tok := slices.Concat(b.vocab[l], b.vocab[r])
		id, ok := idOf[string(tok)]
		if !ok {
			id = int32(len(b.vocab))
			b.vocab = append(b.vocab, tok)
			idOf[string(tok)] = id
		}
		b.merges = append(b.merges, [2]int32{l, r})
		t.merge(top.key, l, r, id)
	}
	for _, s := range special {
		b.special[s] = len(b.vocab)
		b.vocab = append(b.vocab, []byte(s))
	}
	return newBPE(b, idOf)
}

// trainer holds TrainBPE's incremental pair statistics.
type trainer struct {
	syms  [][]int32          // each unique piece as token ids
	count []int64            // occurrences of each piece
	pairs map[uint64]int64   // adjacent pair -> weighted count
	where map[uint64][]int32 // pair -> pieces that may contain it
	heap  pairHeap           // pair counts, with stale entries skipped on pop
	seen  []int              // per piece: the step that last visited it
	step  int
	delta map[uint64]int64
}

// index records that piece wi contains pair k.
func (t *trainer) index(k uint64, wi int32) {
	ws := t.where[k]
	if len(ws) == 0 || ws[len(ws)-1] != wi {
		t.where[k] = append(ws, wi)
	}
}

// merge replaces every (l, r) in the pieces that contain it by id and updates counts.
func (t *trainer) merge(k uint64, l, r, id int32) {
	t.step++
	if t.delta == nil {
		t.delta = make(map[uint64]int64)
	}
	clear(t.delta)
	for _, wi := range t.where[k] {
		if t.seen[wi] == t.step {
			continue
		}
		t.seen[wi] = t.step
		w, c := t.syms[wi], t.count[wi]
		if !containsPair(w, l, r) { // a stale entry of where
			continue
		}
		for i := 0; i+1 < len(w); i++ {
			t.delta[pairKey(w[i], w[i+1])] -= c
		}
		j := 0
		for i := 0; i < len(w); j++ {
			if i+1 < len(w) && w[i] == l && w[i+1] == r {
				w[j] = id
				i += 2
			} else {
				w[j] = w[i]
				i++
			}
		}
		w = w[:j]
		t.syms[wi] = w
		for i := 0; i+1 < len(w); i++ {
			pk := pairKey(w[i], w[i+1])
			t.delta[pk] += c
			if w[i] == id || w[i+1] == id {
				t.index(pk, wi)
			}
		}
	}
	delete(t.where, k)
	for pk, d := range t.delta {
		if d == 0 {
			continue
		}
		n := t.pairs[pk] + d
		if n <= 0 {
			delete(t.pairs, pk)
		} else {
			t.pairs[pk] = n
		}
		if d > 0 {
			heap.Push(&t.heap, pairCount{pk, n})
		}
	}
}

func containsPair(w []int32, l, r int32) bool {
	for i := 0; i+1 < len(w); i++ {
		if w[i] == l && w[i+1] == r {
			return true
		}
	}
	return false
}

// pairCount is a heap entry: most frequent first, then the smaller pair key.
type pairCount struct {
	key   uint64
	count int64
}

type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].key < h[j].key
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
