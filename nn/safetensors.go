package nn

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/genblocks/genblocks/tensor"
)

// The safetensors format (https://github.com/huggingface/safetensors):
//
//	8 bytes   N, little-endian uint64: the length of the header
//	N bytes   JSON header {"__metadata__":{"k":"v"},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},…}
//	rest      the tensors' bytes, little-endian, row-major, back to back
//
// data_offsets are relative to the start of the byte buffer after the header. The
// reference writer (the Rust crate behind the Python package) orders tensors by dtype
// alignment, largest first, then by name, pads the header with spaces to a multiple of
// 8 bytes and writes JSON without whitespace; WriteSafetensors does the same.

// maxHeaderSize is the largest header accepted, as in the reference implementation.
const maxHeaderSize = 100_000_000

// readChunk is how many bytes of tensor data are read and converted at a time.
const readChunk = 1 << 16

// dtypeInfo describes one safetensors dtype: its size in bytes and, for the dtypes
// this package reads, a converter to float32.
type dtypeInfo struct {
	size    int
	convert func(dst []float32, src []byte) // len(src) == len(dst)*size
}

// dtypes lists every dtype of the reference implementation in the declaration order
// of its Rust Dtype enum, which increases with alignment; its writer stores tensors in
// the reverse of this order, then by name. Sub-byte dtypes have size 0.
var dtypes = map[string]dtypeInfo{
	"BOOL":    {1, convertBool},
	"F4":      {0, nil},
	"F6_E2M3": {0, nil},
	"F6_E3M2": {0, nil},
	"U8":      {1, convertU8},
	"I8":      {1, convertI8},
	"F8_E5M2": {1, nil},
	"F8_E4M3": {1, nil},
	"F8_E8M0": {1, nil},
	"I16":     {2, convertI16},
	"U16":     {2, convertU16},
	"F16":     {2, convertF16},
	"BF16":    {2, convertBF16},
	"I32":     {4, convertI32},
	"U32":     {4, convertU32},
	"F32":     {4, convertF32},
	"C64":     {8, nil},
	"F64":     {8, convertF64},
	"I64":     {8, convertI64},
	"U64":     {8, convertU64},
}

// Safetensors is the content of a safetensors file with every tensor converted to
// float32.
type Safetensors struct {
	// Tensors holds the tensors by name.
	Tensors map[string]*tensor.Tensor
	// Dtypes holds the dtype each tensor was stored with ("F32", "BF16", "I64", …).
	Dtypes map[string]string
	// Metadata is the header's "__metadata__" map; nil if the header had none.
	Metadata map[string]string

	order []string // names in file order
}

// Names returns the tensor names in the order their data appears in the file.
func (st *Safetensors) Names() []string { return slices.Clone(st.order) }

// headerEntry is one tensor of a parsed header.
type headerEntry struct {
	name       string
	dtype      string
	info       dtypeInfo
	shape      []int
	numel      int
	begin, end uint64
}

// ParseSafetensors parses a whole safetensors file held in b. It reads the dtypes F32,
// F16, BF16, F64, the integer types and BOOL, converting every value to float32 (as
// PyTorch's .float() would: 64-bit values round to nearest, BOOL bytes become 0 or 1). It returns an
// error, never panics, for any malformed input: a header longer than the file or than
// 100 MB, JSON that is not a header object, an unknown or unsupported dtype, a negative
// or overflowing shape, offsets that are out of range, overlap, leave gaps or do not
// match shape×dtype size, and bytes after the last tensor.
func ParseSafetensors(b []byte) (*Safetensors, error) {
	return readSafetensors(bytes.NewReader(b), int64(len(b)))
}

// ReadSafetensors reads a safetensors file from r, as ParseSafetensors does. If r is an
// io.Seeker (a file) or reports its length (bytes.Reader, strings.Reader) the header is
// checked against the real size before any tensor memory is allocated; otherwise memory
// grows only with the bytes actually read, so a header that claims more data than the
// stream holds fails without a large allocation.
func ReadSafetensors(r io.Reader) (*Safetensors, error) {
	return readSafetensors(r, remainingSize(r))
}

// remainingSize returns how many bytes are left in r, or -1 if it cannot tell.
func remainingSize(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case io.Seeker:
		cur, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		end, err := r.Seek(0, io.SeekEnd)
		if _, err2 := r.Seek(cur, io.SeekStart); err != nil || err2 != nil || end < cur {
			return -1
		}
		return end - cur
	}
	return -1
}

// readSafetensors reads a file of size bytes from r; size < 0 means unknown.
func readSafetensors(r io.Reader, size int64) (*Safetensors, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, formatError("file too short for the 8-byte header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeaderSize {
		return nil, formatError("header length %d exceeds the limit of %d bytes", n, maxHeaderSize)
	}
	if size >= 0 && n > uint64(size)-8 {
		return nil, formatError("header length %d exceeds the %d bytes after the length field", n, size-8)
	}
	hdr, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, formatError("reading header: %v", err)
	}
	if uint64(len(hdr)) != n {
		return nil, formatError("header length %d exceeds the %d bytes after the length field", n, len(hdr))
	}
	entries, meta, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	dataLen := uint64(0)
	if len(entries) > 0 {
		dataLen = entries[len(entries)-1].end
	}
	if size >= 0 && dataLen != uint64(size)-8-n {
		return nil, formatError("tensors cover %d data bytes but the file has %d after the header", dataLen, uint64(size)-8-n)
	}

	st := &Safetensors{
		Tensors:  make(map[string]*tensor.Tensor, len(entries)),
		Dtypes:   make(map[string]string, len(entries)),
		Metadata: meta,
		order:    make([]string, 0, len(entries)),
	}
	chunk := make([]byte, max(8, min(readChunk, dataLen)))
	for _, e := range entries {
		data, err := readTensor(r, e, chunk, size >= 0)
		if err != nil {
			return nil, err
		}
		st.Tensors[e.name] = tensor.FromSlice(data, e.shape...)
		st.Dtypes[e.name] = e.dtype
		st.order = append(st.order, e.name)
	}
	if size < 0 {
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k != 0 {
			return nil, formatError("bytes after the last tensor's data")
		}
	}
	return st, nil
}

// readTensor reads and converts the data of e. With sized, the file length was
// checked against the header and the result is allocated at once; otherwise it grows
// with the data read.
func readTensor(r io.Reader, e headerEntry, chunk []byte, sized bool) ([]float32, error) {
	capHint := e.numel
	if !sized {
		capHint = min(capHint, readChunk)
	}
	out := make([]float32, 0, capHint)
	step := len(chunk) / e.info.size * e.info.size
	for left := e.numel * e.info.size; left > 0; {
		k := min(left, step)
		if _, err := io.ReadFull(r, chunk[:k]); err != nil {
			return nil, formatError("tensor %q: data ends early: %v", e.name, err)
		}
		m := len(out)
		out = slices.Grow(out, k/e.info.size)[:m+k/e.info.size]
		e.info.convert(out[m:], chunk[:k])
		left -= k
	}
	return out, nil
}

// formatError returns an error about malformed safetensors data.
func formatError(format string, args ...any) error {
	return fmt.Errorf("safetensors: "+format, args...)
}

// parseHeader decodes and validates the JSON header. It returns the tensors sorted by
// offset, with contiguous data starting at 0.
func parseHeader(hdr []byte) ([]headerEntry, map[string]string, error) {
	if !utf8.Valid(hdr) {
		return nil, nil, formatError("header is not valid UTF-8")
	}
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, formatError("header does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the '{'
		return nil, nil, formatError("header is not valid JSON: %v", err)
	}
	var (
		entries []headerEntry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, formatError("header is not valid JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, formatError("header is not valid JSON: unexpected %v", tok)
		}
		if seen[name] {
			return nil, nil, formatError("header has key %q twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&meta); err != nil {
				if isSyntaxError(err) {
					return nil, nil, formatError("header is not valid JSON: %v", err)
				}
				return nil, nil, formatError("__metadata__ is not a map of strings to strings: %v", err)
			}
			continue
		}
		var raw struct {
			Dtype       *string       `json:"dtype"`
			Shape       []json.Number `json:"shape"`
			DataOffsets []json.Number `json:"data_offsets"`
		}
		if err := dec.Decode(&raw); err != nil {
			if isSyntaxError(err) {
				return nil, nil, formatError("header is not valid JSON: %v", err)
			}
			return nil, nil, formatError("tensor %q: %v", name, err)
		}
		e, err := checkEntry(name, raw.Dtype, raw.Shape, raw.DataOffsets)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return nil, nil, formatError("header is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, formatError("header has data after the JSON object")
	}

	slices.SortStableFunc(entries, func(a, b headerEntry) int {
		if c := cmp.Compare(a.begin, b.begin); c != 0 {
			return c
		}
		return cmp.Compare(a.end, b.end)
	})
	next := uint64(0)
	for _, e := range entries {
		if e.begin != next {
			if e.begin < next {
				return nil, nil, formatError("tensor %q: data_offsets [%d,%d] overlap the previous tensor, which ends at %d", e.name, e.begin, e.end, next)
			}
			return nil, nil, formatError("tensor %q: data_offsets [%d,%d] leave a gap after the previous tensor, which ends at %d", e.name, e.begin, e.end, next)
		}
		next = e.end
	}
	return entries, meta, nil
}

// isSyntaxError reports whether a decoding error is malformed or truncated JSON
// rather than a value of the wrong type.
func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// checkEntry validates one tensor's header fields.
func checkEntry(name string, dtype *string, shapeRaw, offRaw []json.Number) (headerEntry, error) {
	e := headerEntry{name: name}
	if dtype == nil {
		return e, formatError("tensor %q: no dtype", name)
	}
	e.dtype = *dtype
	info, ok := dtypes[e.dtype]
	if !ok {
		return e, formatError("tensor %q: unknown dtype %q", name, e.dtype)
	}
	if info.convert == nil {
		return e, formatError("tensor %q: dtype %s is not supported", name, e.dtype)
	}
	e.info = info
	if shapeRaw == nil {
		return e, formatError("tensor %q: no shape", name)
	}
	e.shape = make([]int, len(shapeRaw))
	numel := uint64(1)
	for i, s := range shapeRaw {
		d, err := strconv.ParseUint(s.String(), 10, 64)
		if err != nil || d > math.MaxInt {
			return e, formatError("tensor %q: shape entry %s is not a dimension", name, s)
		}
		e.shape[i] = int(d)
		hi, lo := bits.Mul64(numel, d)
		if hi != 0 || lo > math.MaxInt {
			return e, formatError("tensor %q: shape %v overflows", name, shapeRaw)
		}
		numel = lo
	}
	hi, nbytes := bits.Mul64(numel, uint64(info.size))
	if hi != 0 || nbytes > math.MaxInt {
		return e, formatError("tensor %q: shape %v overflows", name, shapeRaw)
	}
	e.numel = int(numel)
	if len(offRaw) != 2 {
		return e, formatError("tensor %q: data_offsets must be two numbers, got %d", name, len(offRaw))
	}
	var off [2]uint64
	for i, s := range offRaw {
		v, err := strconv.ParseUint(s.String(), 10, 64)
		if err != nil {
			return e, formatError("tensor %q: data offset %s is not a byte position", name, s)
		}
		off[i] = v
	}
	e.begin, e.end = off[0], off[1]
	if e.end < e.begin {
		return e, formatError("tensor %q: data_offsets [%d,%d] end before they begin", name, e.begin, e.end)
	}
	if e.end-e.begin != nbytes {
		return e, formatError("tensor %q: data_offsets [%d,%d] hold %d bytes, but shape %s of %s needs %d",
			name, e.begin, e.end, e.end-e.begin, tensor.ShapeString(e.shape), e.dtype, nbytes)
	}
	return e, nil
}

// WriteSafetensors writes tensors and metadata to w as a safetensors file of F32
// tensors. The output is deterministic and byte-identical to what the Python
// safetensors package writes for the same float32 tensors (metadata keys, which it
// keeps in a hash map, are written sorted). A nil metadata map writes no
// "__metadata__" entry; an empty non-nil one writes an empty entry, as the Python
// package does for {}. It returns an error for a nil tensor, the reserved name
// "__metadata__", a name or metadata string that is not valid UTF-8, or a write error.
func WriteSafetensors(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return WriteSafetensorsDtype(w, tensors, metadata, "F32")
}

// WriteSafetensorsDtype is WriteSafetensors storing every tensor as dtype: "F32",
// "F16" or "BF16" (half-size files, for small embedded checkpoints). Conversion rounds
// to nearest even; values beyond the range become ±Inf; NaN stays NaN.
func WriteSafetensorsDtype(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string, dtype string) error {
	var (
		size   int
		encode func(dst []byte, src []float32)
	)
	switch dtype {
	case "F32":
		size, encode = 4, encodeF32
	case "F16":
		size, encode = 2, encodeF16
	case "BF16":
		size, encode = 2, encodeBF16
	default:
		return fmt.Errorf("safetensors: cannot write dtype %q (want F32, F16 or BF16)", dtype)
	}
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if t == nil {
			return fmt.Errorf("safetensors: tensor %q is nil", name)
		}
		if name == "__metadata__" {
			return fmt.Errorf("safetensors: %q cannot be a tensor name", name)
		}
		if !utf8.ValidString(name) {
			return fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", name)
		}
		names = append(names, name)
	}
	slices.Sort(names) // one dtype, so the reference order is by name
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("safetensors: metadata %q: %q is not valid UTF-8", k, v)
		}
	}

	hdr := []byte{'{'}
	if metadata != nil {
		hdr = appendJSONString(hdr, "__metadata__")
		hdr = append(hdr, ':', '{')
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				hdr = append(hdr, ',')
			}
			hdr = appendJSONString(hdr, k)
			hdr = append(hdr, ':')
			hdr = appendJSONString(hdr, metadata[k])
		}
		hdr = append(hdr, '}')
	}
	offset := 0
	for i, name := range names {
		if i > 0 || metadata != nil {
			hdr = append(hdr, ',')
		}
		t := tensors[name]
		hdr = appendJSONString(hdr, name)
		hdr = append(hdr, `:{"dtype":`...)
		hdr = appendJSONString(hdr, dtype)
		hdr = append(hdr, `,"shape":[`...)
		for j, d := range t.Shape() {
			if j > 0 {
				hdr = append(hdr, ',')
			}
			hdr = strconv.AppendInt(hdr, int64(d), 10)
		}
		hdr = append(hdr, `],"data_offsets":[`...)
		hdr = strconv.AppendInt(hdr, int64(offset), 10)
		offset += t.Numel() * size
		hdr = append(hdr, ',')
		hdr = strconv.AppendInt(hdr, int64(offset), 10)
		hdr = append(hdr, ']', '}')
	}
	hdr = append(hdr, '}')
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}

	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	buf := make([]byte, readChunk)
	for _, name := range names {
		data := tensors[name].Data()
		for len(data) > 0 {
			k := min(len(data), len(buf)/size)
			encode(buf[:k*size], data[:k])
			if _, err := w.Write(buf[:k*size]); err != nil {
				return fmt.Errorf("safetensors: %w", err)
			}
			data = data[k:]
		}
	}
	return nil
}

// appendJSONString appends s as a JSON string escaped the way serde_json (and Python's
// json with ensure_ascii=False) does: only '"', '\\' and control characters, with
// the short forms \b \f \n \r \t and lower-case \u00xx for the rest. Non-ASCII text is
// written as UTF-8.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// Float16ToFloat32 converts IEEE 754 half-precision bits to float32 exactly
// (subnormals, infinities and NaN payloads included).
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch exp {
	case 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case 0: // zero or subnormal: man × 2^-24, exact in float32
		return math.Float32frombits(sign | math.Float32bits(float32(man)*(1.0/(1<<24))))
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

// Float32ToFloat16 converts f to IEEE 754 half-precision bits, rounding to nearest
// even. Values too large become ±Inf, values too small ±0 or a subnormal; NaN stays a
// quiet NaN with the sign and the top bits of the payload kept.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man == 0 {
			return sign | 0x7c00
		}
		return sign | 0x7e00 | uint16(man>>13)
	}
	e := exp - 112 // half's biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 { // half subnormal (or zero): round (man|1<<23) × 2^(e-14)
		if e < -10 {
			return sign // below half the smallest subnormal, or exactly half: 0
		}
		m := man | 0x800000
		shift := uint(14 - e)
		return sign | uint16(roundShift(m, shift))
	}
	// The carry of rounding moves into the exponent, and up to Inf, as it should.
	return sign | (uint16(e)<<10 + uint16(roundShift(man, 13)))
}

// roundShift returns m >> shift rounded to nearest even.
func roundShift(m uint32, shift uint) uint32 {
	q := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	return q
}

// BFloat16ToFloat32 converts bfloat16 bits to float32 (exact: bfloat16 is the top
// half of a float32).
func BFloat16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBFloat16 converts f to bfloat16 bits, rounding to nearest even; NaN stays
// a quiet NaN with its sign and the top bits of the payload.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

func encodeF32(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func encodeF16(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], Float32ToFloat16(v))
	}
}

func encodeBF16(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], Float32ToBFloat16(v))
	}
}

func convertBool(dst []float32, src []byte) {
	for i, c := range src {
		if c != 0 {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
}

func convertU8(dst []float32, src []byte) {
	for i, c := range src {
		dst[i] = float32(c)
	}
}

func convertI8(dst []float32, src []byte) {
	for i, c := range src {
		dst[i] = float32(int8(c))
	}
}

func convertI16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(int16(binary.LittleEndian.Uint16(src[2*i:])))
	}
}

func convertU16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func convertF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = Float16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func convertBF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func convertI32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(int32(binary.LittleEndian.Uint32(src[4*i:])))
	}
}

func convertU32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func convertF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func convertF64(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

func convertI64(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(int64(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

func convertU64(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(binary.LittleEndian.Uint64(src[8*i:]))
	}
}
