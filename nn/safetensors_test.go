package nn

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
)

var update = flag.Bool("update", false, "rewrite the Go-written safetensors fixtures and the fuzz seed corpus")

// loadGoldenCase reads the case called name from the golden file at path.
func loadGoldenCase(t *testing.T, path, name string) *golden.Case {
	return golden.Load(t, path).Case(t, name)
}

// unsized hides the Len and Seek methods of a reader, as a network stream would.
type unsized struct{ r io.Reader }

func (u unsized) Read(p []byte) (int, error) { return u.r.Read(p) }

// bitsEqual reports whether two tensors have the same shape and bit-identical data.
func bitsEqual(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape(), what)
	for i, w := range want.Data() {
		g := got.Data()[i]
		if math.Float32bits(g) != math.Float32bits(w) {
			t.Fatalf("%s: element %d is %g (%#08x), want %g (%#08x)", what, i, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
}

// stHeader builds a safetensors file from a raw header string and data.
func stFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestFloat16ToFloat32Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		f := Float16ToFloat32(uint16(h))
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp, man := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && man == 0:
			want = math.Inf(int(sign))
		case exp == 0x1f:
			require.True(t, math.IsNaN(float64(f)), "%#04x", h)
			continue
		case exp == 0:
			want = sign * float64(man) * math.Pow(2, -24)
		default:
			want = sign * (1 + float64(man)/1024) * math.Pow(2, float64(exp-15))
		}
		require.Equal(t, want, float64(f), "%#04x", h)
		require.Equal(t, math.Signbit(want), math.Signbit(float64(f)), "%#04x", h)
	}
}

func TestHalfRoundTripExhaustive(t *testing.T) {
	for h := range 1 << 16 {
		h := uint16(h)
		f16 := Float32ToFloat16(Float16ToFloat32(h))
		bf := Float32ToBFloat16(BFloat16ToFloat32(h))
		if h&0x7fff > 0x7c00 { // NaN: payload kept, made quiet
			require.Equal(t, h|0x0200, f16, "F16 %#04x", h)
		} else {
			require.Equal(t, h, f16, "F16 %#04x", h)
		}
		if h&0x7fff > 0x7f80 {
			require.Equal(t, h|0x0040, bf, "BF16 %#04x", h)
		} else {
			require.Equal(t, h, bf, "BF16 %#04x", h)
		}
	}
}

// refFloat16 rounds x to the nearest half (ties to even) by searching the ordered
// half values, with 0x7c00 standing for 65536 so that overflow rounds like a finite
// value would.
func refFloat16(x float32) uint16 {
	sign := uint16(0)
	a := float64(x)
	if math.Signbit(a) {
		sign, a = 0x8000, -a
	}
	val := func(h uint16) float64 {
		if h == 0x7c00 {
			return 65536
		}
		return float64(Float16ToFloat32(h))
	}
	if a >= 65536 {
		return sign | 0x7c00
	}
	lo := uint16(0) // largest h with val(h) <= a
	for hi := uint16(0x7c00); lo < hi; {
		mid := (lo + hi + 1) / 2
		if val(mid) <= a {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if val(lo) == a {
		return sign | lo
	}
	dLo, dHi := a-val(lo), val(lo+1)-a
	if dHi < dLo || dHi == dLo && lo&1 == 1 {
		return sign | (lo + 1)
	}
	return sign | lo
}

// refBFloat16 rounds x to the nearest bfloat16 (ties to even) by comparing the two
// truncations around it.
func refBFloat16(x float32) uint16 {
	b := math.Float32bits(x)
	lo := uint16(b >> 16)
	vLo := float64(BFloat16ToFloat32(lo))
	if vLo == float64(x) {
		return lo
	}
	vHi := float64(math.Float32frombits(uint32(lo+1) << 16)) // may be Inf
	dLo, dHi := math.Abs(float64(x)-vLo), math.Abs(vHi-float64(x))
	if lo&0x7fff == 0x7f7f { // next is Inf: treat it as 2^128
		dHi = math.Abs(math.Copysign(math.Pow(2, 128), float64(x)) - float64(x))
	}
	if dHi < dLo || dHi == dLo && lo&1 == 1 {
		return lo + 1
	}
	return lo
}

func TestFloat32ToHalfRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var xs []float32
	for range 200_000 {
		xs = append(xs, math.Float32frombits(rng.Uint32()))
	}
	// Every float32 in the half range with a random low part, and values at and next
	// to each half value and each midpoint.
	for h := range uint32(0x7c01) {
		v := float64(Float16ToFloat32(uint16(h)))
		next := float64(Float16ToFloat32(uint16(h + 1)))
		if h == 0x7c00 {
			next = 65536
		}
		mid := float32((v + next) / 2)
		for _, x := range []float32{float32(v), mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9)} {
			xs = append(xs, x, -x)
		}
	}
	xs = append(xs, 65519.996, 65520, 65536, float32(math.MaxFloat32), 1e-45, float32(math.Inf(1)), float32(math.Inf(-1)))
	for _, x := range xs {
		if x != x {
			continue
		}
		if got, want := Float32ToFloat16(x), refFloat16(x); got != want {
			t.Fatalf("Float32ToFloat16(%g = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
		if got, want := Float32ToBFloat16(x), refBFloat16(x); got != want {
			t.Fatalf("Float32ToBFloat16(%g = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
	}
	nan := math.Float32frombits(0xffc01234)
	assert.Equal(t, uint16(0xfe00), Float32ToFloat16(nan))
	assert.Equal(t, uint16(0xffc0), Float32ToBFloat16(nan))
	assert.Equal(t, uint16(0x7e00), Float32ToFloat16(float32(math.NaN())))
}

func randomTensors(rng *rand.Rand) map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{
		"scalar":         tensor.Scalar(-3.5),
		"empty":          tensor.New(0, 4),
		"fc.weight":      tensor.Randn(rng, 3, 4),
		"fc.bias":        tensor.Randn(rng, 3),
		"conv.0.weight":  tensor.Randn(rng, 2, 3, 3, 3),
		"mixed.specials": tensor.FromSlice([]float32{0, float32(math.Copysign(0, -1)), 1e-40, 7e4, float32(math.Inf(-1)), float32(math.NaN())}, 6),
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := randomTensors(rng)
	meta := map[string]string{"format": "pt", "step": "100", "unicode": "ü\n\"x\""}
	tests := []struct {
		dtype string
		conv  func(float32) float32
	}{
		{"F32", func(x float32) float32 { return x }},
		{"F16", func(x float32) float32 { return Float16ToFloat32(Float32ToFloat16(x)) }},
		{"BF16", func(x float32) float32 { return BFloat16ToFloat32(Float32ToBFloat16(x)) }},
	}
	for _, tt := range tests {
		t.Run(tt.dtype, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteSafetensorsDtype(&buf, in, meta, tt.dtype))
			require.Zero(t, (binary.LittleEndian.Uint64(buf.Bytes())+8)%8, "data starts 8-byte aligned")
			for _, read := range []struct {
				name string
				fn   func([]byte) (*Safetensors, error)
			}{
				{"Parse", ParseSafetensors},
				{"ReadUnsized", func(b []byte) (*Safetensors, error) { return ReadSafetensors(unsized{bytes.NewReader(b)}) }},
			} {
				st, err := read.fn(buf.Bytes())
				require.NoError(t, err, read.name)
				require.Equal(t, meta, st.Metadata)
				require.Len(t, st.Tensors, len(in))
				for name, want := range in {
					w := want.Clone()
					for i, v := range w.Data() {
						w.Data()[i] = tt.conv(v)
					}
					bitsEqual(t, read.name+" "+name, st.Tensors[name], w)
					require.Equal(t, tt.dtype, st.Dtypes[name])
				}
				require.Equal(t, []string{"conv.0.weight", "empty", "fc.bias", "fc.weight", "mixed.specials", "scalar"}, st.Names())
			}
		})
	}
}

func TestWriteSafetensorsDeterministic(t *testing.T) {
	in := randomTensors(rand.New(rand.NewPCG(5, 6)))
	meta := map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}
	var first bytes.Buffer
	require.NoError(t, WriteSafetensors(&first, in, meta))
	for range 20 {
		var b bytes.Buffer
		require.NoError(t, WriteSafetensors(&b, in, meta))
		require.Equal(t, first.Bytes(), b.Bytes())
	}
}

func TestWriteSafetensorsReferenceBytes(t *testing.T) {
	// The byte strings of the reference implementation's own serialization tests.
	tests := []struct {
		name    string
		tensors map[string]*tensor.Tensor
		meta    map[string]string
		want    string
	}{
		{"empty", nil, nil, "\x08\x00\x00\x00\x00\x00\x00\x00{}      "},
		{"empty with metadata", nil, map[string]string{"framework": "pt"},
			"(\x00\x00\x00\x00\x00\x00\x00" + `{"__metadata__":{"framework":"pt"}}` + "     "},
		{"one tensor", map[string]*tensor.Tensor{"attn0": tensor.Arange(0, 6, 1).Reshape(1, 1, 2, 3)}, nil,
			"H\x00\x00\x00\x00\x00\x00\x00" + `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}` + "       " +
				"\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, WriteSafetensors(&b, tt.tensors, tt.meta))
			require.Equal(t, tt.want, b.String())
		})
	}
}

func TestWriteSafetensorsErrors(t *testing.T) {
	ok := map[string]*tensor.Tensor{"w": tensor.Ones(2)}
	tests := []struct {
		name    string
		tensors map[string]*tensor.Tensor
		meta    map[string]string
		dtype   string
		want    string
	}{
		{"dtype", ok, nil, "F64", `cannot write dtype "F64"`},
		{"nil tensor", map[string]*tensor.Tensor{"w": nil}, nil, "F32", `tensor "w" is nil`},
		{"reserved name", map[string]*tensor.Tensor{"__metadata__": tensor.Ones(1)}, nil, "F32", "cannot be a tensor name"},
		{"bad utf-8 name", map[string]*tensor.Tensor{"\xff": tensor.Ones(1)}, nil, "F32", "not valid UTF-8"},
		{"bad utf-8 metadata", ok, map[string]string{"k": "\xc3"}, "F32", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteSafetensorsDtype(io.Discard, tt.tensors, tt.meta, tt.dtype)
			require.ErrorContains(t, err, tt.want)
		})
	}
	err := WriteSafetensors(&failingWriter{w: io.Discard, left: 10}, ok, nil)
	require.ErrorIs(t, err, errDiskFull)
}

func TestReadPyTorchSafetensors(t *testing.T) {
	g := loadGoldenCase(t, "testdata/safetensors.json", "pytorch_mixed")
	st, err := LoadFile("testdata/pytorch_mixed.safetensors")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"format": "pt", "source": "gen_safetensors.py"}, st.Metadata)
	dtypes := g.Attrs["dtypes"].(map[string]any)
	require.Len(t, st.Tensors, len(dtypes))
	for name, dt := range dtypes {
		require.Equal(t, dt, st.Dtypes[name], name)
		bitsEqual(t, name, st.Tensors[name], g.T(t, name))
	}
	// The dtypes in every family were present.
	have := map[string]bool{}
	for _, dt := range st.Dtypes {
		have[dt] = true
	}
	for _, dt := range []string{"F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL"} {
		require.True(t, have[dt], dt)
	}
	// Data order: I64 first, BOOL last, as the reference writer sorts.
	names := st.Names()
	require.Equal(t, "bn.num_batches_tracked", names[0])
	require.Equal(t, "mask", names[len(names)-1])
	require.Equal(t, float32(1), st.Tensors["bn.num_batches_tracked"].Item())
}

// byteCompatInput returns the float32 tensors and metadata that st.py wrote as the
// st_py_* fixtures, taken from the golden JSON (not from the fixtures themselves).
func byteCompatInput(t *testing.T) (map[string]*tensor.Tensor, map[string]string) {
	g := loadGoldenCase(t, "testdata/safetensors.json", "byte_compat")
	tensors := map[string]*tensor.Tensor{}
	for name := range g.Tensors {
		tensors[name] = g.T(t, name)
	}
	meta := map[string]string{}
	for k, v := range g.Attrs["metadata"].(map[string]any) {
		meta[k] = v.(string)
	}
	return tensors, meta
}

var fixtureDtypes = []struct{ tag, dtype string }{{"f32", "F32"}, {"f16", "F16"}, {"bf16", "BF16"}}

func TestWriteMatchesPythonBytes(t *testing.T) {
	tensors, meta := byteCompatInput(t)
	for _, fx := range fixtureDtypes {
		t.Run(fx.dtype, func(t *testing.T) {
			want, err := os.ReadFile("testdata/st_py_" + fx.tag + ".safetensors")
			require.NoError(t, err)
			var got bytes.Buffer
			require.NoError(t, WriteSafetensorsDtype(&got, tensors, meta, fx.dtype))
			if !bytes.Equal(want, got.Bytes()) {
				i := 0
				for i < min(len(want), got.Len()) && want[i] == got.Bytes()[i] {
					i++
				}
				t.Fatalf("bytes differ from st.py's at offset %d (lengths %d and %d)", i, got.Len(), len(want))
			}
		})
	}
}

// TestGoWrittenFixtures keeps the Go-written fixtures, which gen_safetensors.py reads
// with st.py, in step with the writer. With -update it rewrites them and the fuzz
// seed corpus.
func TestGoWrittenFixtures(t *testing.T) {
	tensors, meta := byteCompatInput(t)
	for _, fx := range fixtureDtypes {
		path := "testdata/go_written_" + fx.tag + ".safetensors"
		var b bytes.Buffer
		require.NoError(t, WriteSafetensorsDtype(&b, tensors, meta, fx.dtype))
		if *update {
			require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, want, b.Bytes(), path)
	}
	if *update {
		writeFuzzSeeds(t)
	}
}

// hostileInputs are malformed files, each with the text its error must contain.
func hostileInputs() []struct {
	name string
	in   []byte
	want string
} {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	return []struct {
		name string
		in   []byte
		want string
	}{
		{"empty file", nil, "too short"},
		{"short length", []byte{1, 2, 3}, "too short"},
		{"header length 1 TB", append(huge, "{}"...), "exceeds the limit"},
		{"header length max uint64", append(binary.LittleEndian.AppendUint64(nil, math.MaxUint64), "{}"...), "exceeds the limit"},
		{"header longer than file", append(binary.LittleEndian.AppendUint64(nil, 64), "{}"...), "exceeds the"},
		{"header not UTF-8", stFile("{\"\xff\":1}", nil), "UTF-8"},
		{"header not object", stFile("[1,2]   ", nil), "start with '{'"},
		{"header leading space", stFile(" {}", nil), "start with '{'"},
		{"invalid JSON", stFile(`{"a":{"dtype":"F32",`, nil), "not valid JSON"},
		{"truncated JSON", stFile(`{"a"`, nil), "not valid JSON"},
		{"trailing JSON", stFile(`{}{}`, nil), "after the JSON object"},
		{"tensor not object", stFile(`{"a":5}`, nil), `tensor "a"`},
		{"no dtype", stFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, f32(1)), "no dtype"},
		{"unknown dtype", stFile(`{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}`, f32(1)), `unknown dtype "F33"`},
		{"unsupported dtype", stFile(`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), "not supported"},
		{"no shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, f32(1)), "no shape"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32(1)), "not a dimension"},
		{"fractional dim", stFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, f32(1)), "not a dimension"},
		{"dim beyond int", stFile(`{"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}}`, f32(1)), "not a dimension"},
		{"dim beyond uint64", stFile(`{"a":{"dtype":"F32","shape":[184467440737095516150],"data_offsets":[0,4]}}`, f32(1)), "not a dimension"},
		{"shape overflow", stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, f32(1)), "overflows"},
		{"bytes overflow", stFile(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}`, f32(2)), "overflows"},
		{"shape string", stFile(`{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}`, f32(1)), `tensor "a"`},
		{"one offset", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, f32(1)), "two numbers"},
		{"negative offset", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, f32(1)), "not a byte position"},
		{"end before begin", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, f32(1)), "end before they begin"},
		{"size mismatch", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, f32(2)), "needs 8"},
		{"offsets out of range", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, nil), "cover 4 data bytes"},
		{"huge offsets", stFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1099511627776,1099511627777]}}`, []byte{1}), "gap"},
		{"gap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32(3)), "gap"},
		{"gap at start", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)), "gap"},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)), "overlap"},
		{"same offsets", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)), "overlap"},
		{"duplicate name", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)), "twice"},
		{"trailing data", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(2)), "cover 4 data bytes"},
		{"metadata not strings", stFile(`{"__metadata__":{"k":1}}`, nil), "__metadata__"},
		{"metadata list", stFile(`{"__metadata__":["k"]}`, nil), "__metadata__"},
		{"duplicate metadata", stFile(`{"__metadata__":{},"__metadata__":{}}`, nil), "twice"},
		{"claims 1 TB of data", stFile(`{"a":{"dtype":"F32","shape":[274877906944],"data_offsets":[0,1099511627776]}}`, f32(4)), "cover 1099511627776 data bytes"},
	}
}

func TestReadSafetensorsHostile(t *testing.T) {
	for _, tt := range hostileInputs() {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSafetensors(tt.in)
			require.ErrorContains(t, err, tt.want)
			require.True(t, strings.HasPrefix(err.Error(), "safetensors: "), err.Error())
			// A stream of unknown length must fail too (with its own wording where
			// the size matters).
			_, err = ReadSafetensors(unsized{bytes.NewReader(tt.in)})
			require.Error(t, err)
		})
	}
}

func TestReadSafetensorsValidEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		check func(t *testing.T, st *Safetensors)
	}{
		{"no padding, any key order", stFile(`{"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]},"a":{"data_offsets":[0,4],"shape":[1],"dtype":"F32","extra":true}}`,
			[]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}),
			func(t *testing.T, st *Safetensors) {
				assert.Equal(t, []string{"a", "b"}, st.Names())
				assert.Equal(t, []float32{1}, st.Tensors["a"].Data())
				assert.Equal(t, []int{}, st.Tensors["b"].Shape())
				assert.Equal(t, float32(2), st.Tensors["b"].Item())
				assert.Nil(t, st.Metadata)
			}},
		{"null metadata", stFile(`{"__metadata__":null}`, nil), func(t *testing.T, st *Safetensors) { assert.Nil(t, st.Metadata) }},
		{"zero-size tensors share an offset", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"I64","shape":[3,0],"data_offsets":[0,0]}}`, nil),
			func(t *testing.T, st *Safetensors) { assert.Equal(t, []int{3, 0}, st.Tensors["b"].Shape()) }},
		{"integers and bool", stFile(`{"i":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},"u":{"dtype":"U16","shape":[1],"data_offsets":[2,4]},"b":{"dtype":"BOOL","shape":[2],"data_offsets":[4,6]},"j":{"dtype":"I16","shape":[1],"data_offsets":[6,8]},"k":{"dtype":"U32","shape":[1],"data_offsets":[8,12]},"l":{"dtype":"U64","shape":[1],"data_offsets":[12,20]}}`,
			[]byte{0xff, 0x7f, 0xff, 0xff, 0, 2, 0x00, 0x80, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0}),
			func(t *testing.T, st *Safetensors) {
				assert.Equal(t, []float32{-1, 127}, st.Tensors["i"].Data())
				assert.Equal(t, []float32{65535}, st.Tensors["u"].Data())
				assert.Equal(t, []float32{0, 1}, st.Tensors["b"].Data())
				assert.Equal(t, []float32{-32768}, st.Tensors["j"].Data())
				assert.Equal(t, []float32{1}, st.Tensors["k"].Data())
				assert.Equal(t, []float32{9}, st.Tensors["l"].Data())
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseSafetensors(tt.in)
			require.NoError(t, err)
			tt.check(t, st)
			st, err = ReadSafetensors(unsized{bytes.NewReader(tt.in)})
			require.NoError(t, err)
			tt.check(t, st)
		})
	}
}

// TestReadSafetensorsTruncated checks that every strict prefix of a valid file, and
// the file with a byte appended, is rejected: a torn write never loads.
func TestReadSafetensorsTruncated(t *testing.T) {
	in := randomTensors(rand.New(rand.NewPCG(7, 8)))
	var buf bytes.Buffer
	require.NoError(t, WriteSafetensors(&buf, in, map[string]string{"k": "v"}))
	b := buf.Bytes()
	for k := range len(b) {
		_, err := ParseSafetensors(b[:k])
		require.Error(t, err, "prefix of %d bytes", k)
		_, err = ReadSafetensors(unsized{bytes.NewReader(b[:k])})
		require.Error(t, err, "unsized prefix of %d bytes", k)
	}
	_, err := ParseSafetensors(append(slices.Clone(b), 0))
	require.Error(t, err)
	_, err = ReadSafetensors(unsized{bytes.NewReader(append(slices.Clone(b), 0))})
	require.ErrorContains(t, err, "after the last tensor")
}

// TestReadSafetensorsBoundedAllocation feeds headers that claim a terabyte through a
// stream of unknown length and checks that reading them allocates little.
func TestReadSafetensorsBoundedAllocation(t *testing.T) {
	inputs := [][]byte{
		stFile(`{"a":{"dtype":"F32","shape":[274877906944],"data_offsets":[0,1099511627776]}}`, make([]byte, 1000)),
		append(binary.LittleEndian.AppendUint64(nil, maxHeaderSize), "{}"...),
	}
	for i, in := range inputs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadSafetensors(unsized{bytes.NewReader(in)})
		runtime.ReadMemStats(&after)
		require.Error(t, err)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "input %d", i)
	}
}

func FuzzReadSafetensors(f *testing.F) {
	for _, tt := range hostileInputs() {
		f.Add(tt.in)
	}
	var buf bytes.Buffer
	if err := WriteSafetensorsDtype(&buf, randomTensors(rand.New(rand.NewPCG(1, 1))), map[string]string{"k": "v"}, "F16"); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseSafetensors(b)
		st2, err2 := ReadSafetensors(unsized{bytes.NewReader(b)})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("sized and unsized readers disagree: %v / %v", err, err2)
		}
		if err != nil {
			return
		}
		total := 0
		for name, tn := range st.Tensors {
			n := 1
			for _, d := range tn.Shape() {
				n *= d
			}
			if n != tn.Numel() {
				t.Fatalf("%q: shape %v holds %d, data %d", name, tn.Shape(), n, tn.Numel())
			}
			total += tn.Numel()
			if !tensor.SameShape(tn, st2.Tensors[name]) {
				t.Fatalf("%q: readers disagree on shape", name)
			}
		}
		if total > len(b) {
			t.Fatalf("%d values from %d bytes", total, len(b))
		}
		// Whatever loads can be written and read back unchanged (as F32).
		var out bytes.Buffer
		if err := WriteSafetensors(&out, st.Tensors, st.Metadata); err != nil {
			// Only names the writer refuses (invalid UTF-8 is impossible after a
			// valid header) may fail.
			t.Fatalf("rewrite: %v", err)
		}
		back, err := ParseSafetensors(out.Bytes())
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		for name, tn := range st.Tensors {
			got := back.Tensors[name]
			if !tensor.SameShape(got, tn) {
				t.Fatalf("%q: shape changed", name)
			}
			for i, v := range tn.Data() {
				if math.Float32bits(v) != math.Float32bits(got.Data()[i]) {
					t.Fatalf("%q: value %d changed", name, i)
				}
			}
		}
	})
}

// writeFuzzSeeds writes the committed seed corpus of FuzzReadSafetensors: the
// fixtures and the hostile inputs, in the go test fuzz v1 encoding.
func writeFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReadSafetensors")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	write := func(name string, b []byte) {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	fixtures, err := filepath.Glob("testdata/*.safetensors")
	require.NoError(t, err)
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		write(strings.TrimSuffix(filepath.Base(p), ".safetensors"), b)
	}
	for _, tt := range hostileInputs() {
		write("hostile_"+strings.ReplaceAll(tt.name, " ", "_"), tt.in)
	}
}

func ExampleWriteSafetensors() {
	tensors := map[string]*tensor.Tensor{
		"fc.weight": tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3),
		"fc.bias":   tensor.FromSlice([]float32{0.5, -0.5}, 2),
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, tensors, map[string]string{"format": "pt"}); err != nil {
		panic(err)
	}
	st, err := ParseSafetensors(buf.Bytes())
	if err != nil {
		panic(err)
	}
	for _, name := range st.Names() {
		t := st.Tensors[name]
		fmt.Println(name, st.Dtypes[name], t.Shape(), t.Data())
	}
	fmt.Println(st.Metadata)
	// Output:
	// fc.bias F32 [2] [0.5 -0.5]
	// fc.weight F32 [2 3] [1 2 3 4 5 6]
	// map[format:pt]
}
