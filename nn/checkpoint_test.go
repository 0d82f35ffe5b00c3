package nn

import (
	"bytes"
	"embed"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/tensor"
)

//go:embed testdata/pytorch_mixed.safetensors
var embeddedCheckpoints embed.FS

var errDiskFull = errors.New("disk full")

// failingWriter passes the first left bytes to w and then fails, like a full disk or
// a process killed mid-write.
type failingWriter struct {
	w    io.Writer
	left int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, errDiskFull
	}
	f.left -= len(p)
	return f.w.Write(p)
}

// dirEntries returns the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	in := randomTensors(rand.New(rand.NewPCG(9, 10)))
	meta := map[string]string{"step": "7"}
	require.NoError(t, SaveFile(path, in, meta))
	assert.Equal(t, []string{"model.safetensors"}, dirEntries(t, dir))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	st, err := LoadFile(path)
	require.NoError(t, err)
	assert.Equal(t, meta, st.Metadata)
	for name, want := range in {
		bitsEqual(t, name, st.Tensors[name], want)
	}

	// Overwrite with F16; the file is replaced.
	require.NoError(t, SaveFileDtype(path, in, nil, "F16"))
	st, err = LoadFile(path)
	require.NoError(t, err)
	assert.Nil(t, st.Metadata)
	assert.Equal(t, "F16", st.Dtypes["fc.weight"])
	assert.Equal(t, []string{"model.safetensors"}, dirEntries(t, dir))

	// A relative path in the working directory works too.
	t.Chdir(dir)
	require.NoError(t, SaveFile("rel.safetensors", in, nil))
	_, err = LoadFile("rel.safetensors")
	require.NoError(t, err)
}

func TestLoadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadFile(filepath.Join(dir, "missing.safetensors"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "missing.safetensors")

	bad := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, nil), 0o644))
	_, err = LoadFile(bad)
	require.ErrorContains(t, err, "nn: load "+bad+": safetensors: tensors cover 4 data bytes")

	_, err = LoadFS(fstest.MapFS{"x.safetensors": {Data: []byte("short")}}, "x.safetensors")
	require.ErrorContains(t, err, "nn: load x.safetensors: safetensors: file too short")
	_, err = LoadFS(fstest.MapFS{}, "nope.safetensors")
	require.ErrorIs(t, err, os.ErrNotExist)

	err = SaveFile(filepath.Join(dir, "no", "such", "dir.safetensors"), nil, nil)
	require.ErrorContains(t, err, "nn: save ")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadFS(t *testing.T) {
	want, err := LoadFile("testdata/pytorch_mixed.safetensors")
	require.NoError(t, err)
	for _, fsys := range []struct {
		name string
		fs   func() (*Safetensors, error)
	}{
		{"embed", func() (*Safetensors, error) {
			return LoadFS(embeddedCheckpoints, "testdata/pytorch_mixed.safetensors")
		}},
		{"DirFS", func() (*Safetensors, error) { return LoadFS(os.DirFS("testdata"), "pytorch_mixed.safetensors") }},
	} {
		t.Run(fsys.name, func(t *testing.T) {
			got, err := fsys.fs()
			require.NoError(t, err)
			assert.Equal(t, want.Metadata, got.Metadata)
			assert.Equal(t, want.Dtypes, got.Dtypes)
			assert.Equal(t, want.Names(), got.Names())
			for name, w := range want.Tensors {
				bitsEqual(t, name, got.Tensors[name], w)
			}
		})
	}
}

// TestSaveInterruptedAtEveryByte fails the write of a new checkpoint after every
// possible number of bytes and checks each time that the save reports the error,
// the previous checkpoint still loads with its old values, and no temporary file is
// left behind. It then simulates a process killed before the rename (a partial
// temporary file stays) and checks the same.
func TestSaveInterruptedAtEveryByte(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	rng := rand.New(rand.NewPCG(11, 12))
	old := map[string]*tensor.Tensor{"w": tensor.Randn(rng, 2, 3), "b": tensor.Randn(rng, 3)}
	require.NoError(t, SaveFile(path, old, map[string]string{"step": "1"}))
	oldBytes, err := os.ReadFile(path)
	require.NoError(t, err)

	next := map[string]*tensor.Tensor{"w": tensor.Randn(rng, 2, 3), "b": tensor.Randn(rng, 3), "extra": tensor.Randn(rng, 4)}
	var full bytes.Buffer
	require.NoError(t, WriteSafetensors(&full, next, map[string]string{"step": "2"}))

	checkOld := func(k int) {
		t.Helper()
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, oldBytes, got, "after failing at byte %d", k)
		st, err := LoadFile(path)
		require.NoError(t, err)
		require.Equal(t, "1", st.Metadata["step"])
		bitsEqual(t, "w", st.Tensors["w"], old["w"])
	}
	for k := range full.Len() {
		err := writeFileAtomic(path, func(w io.Writer) error {
			return WriteSafetensors(&failingWriter{w: w, left: k}, next, map[string]string{"step": "2"})
		})
		require.ErrorIs(t, err, errDiskFull, "byte %d", k)
		checkOld(k)
		require.Equal(t, []string{"ckpt.safetensors"}, dirEntries(t, dir), "byte %d", k)
	}

	// Killed before the rename: a partial temporary file is all that was written.
	for _, k := range []int{0, 7, 8, full.Len() / 2, full.Len() - 1, full.Len()} {
		tmp, err := os.CreateTemp(dir, ".ckpt.safetensors.tmp-*")
		require.NoError(t, err)
		_, err = tmp.Write(full.Bytes()[:k])
		require.NoError(t, err)
		require.NoError(t, tmp.Close())
		checkOld(k)
		_, err = ParseSafetensors(full.Bytes()[:k])
		if k < full.Len() {
			require.Error(t, err, "a torn file of %d bytes must not load", k)
		}
	}

	// The next save succeeds despite the leftovers and replaces the file.
	require.NoError(t, SaveFile(path, next, map[string]string{"step": "2"}))
	st, err := LoadFile(path)
	require.NoError(t, err)
	require.Equal(t, "2", st.Metadata["step"])
	bitsEqual(t, "extra", st.Tensors["extra"], next["extra"])

	// An error from the writer itself (a nil tensor) also leaves the file alone.
	require.NoError(t, SaveFile(path, old, map[string]string{"step": "1"}))
	err = SaveFile(path, map[string]*tensor.Tensor{"w": nil}, nil)
	require.ErrorContains(t, err, `nn: save `+path+`: safetensors: tensor "w" is nil`)
	checkOld(-1)
}

// testModel builds a store with two parameters and a buffer, named like PyTorch's
// Linear and BatchNorm1d.
func testModel(seed uint64) *VarStore {
	vs := NewVarStore(rand.New(rand.NewPCG(seed, seed)))
	randn := func(rng *rand.Rand, shape []int) *tensor.Tensor { return tensor.Randn(rng, shape...) }
	vb := vs.Root()
	vb.Push("fc").Param("weight", randn, 3, 4)
	vb.Push("fc").Param("bias", randn, 3)
	vb.Push("bn").Buffer("running_mean", tensor.New(3))
	vb.Push("bn").Buffer("num_batches_tracked", tensor.Scalar(0))
	return vs
}

func TestVarStoreSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vs.safetensors")
	a := testModel(1)
	a.StateDict()["bn.running_mean"].Data()[1] = 0.25
	require.NoError(t, a.Save(path, map[string]string{"epoch": "3"}))

	b := testModel(2)
	require.NotEqual(t, a.Param("fc.weight").Value().Data(), b.Param("fc.weight").Value().Data())
	require.NoError(t, b.Load(path))
	for name, want := range a.StateDict() {
		bitsEqual(t, name, b.StateDict()[name], want)
	}
	// The loaded values are copied into the existing parameters.
	assert.Same(t, b.Param("fc.weight").Value(), b.StateDict()["fc.weight"])
}

func TestVarStoreLoadStrictFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.safetensors")
	require.NoError(t, SaveFile(path, map[string]*tensor.Tensor{
		"fc.weight":       tensor.Ones(4, 3), // transposed
		"fc.bias":         tensor.Ones(3),
		"bn.running_mean": tensor.Ones(3),
		"head.weight":     tensor.Ones(2), // not in the model
		// bn.num_batches_tracked is missing
	}, nil))

	vs := testModel(1)
	before := vs.Param("fc.bias").Value().Clone()
	err := vs.Load(path)
	require.Error(t, err)
	var sde *StateDictError
	require.ErrorAs(t, err, &sde)
	assert.Equal(t, []string{"bn.num_batches_tracked"}, sde.Missing)
	assert.Equal(t, []string{"head.weight"}, sde.Unexpected)
	assert.Equal(t, []string{"fc.weight: checkpoint (4,3), model (3,4)"}, sde.Mismatched)
	msg := err.Error()
	for _, s := range []string{path, "missing keys: bn.num_batches_tracked", "unexpected keys: head.weight", "fc.weight: checkpoint (4,3), model (3,4)"} {
		assert.Contains(t, msg, s)
	}
	// Nothing was changed.
	bitsEqual(t, "fc.bias", vs.Param("fc.bias").Value(), before)

	// Non-strict loading still refuses the shape mismatch.
	st, err := LoadFile(path)
	require.NoError(t, err)
	require.ErrorAs(t, vs.LoadFrom(st, false), &sde)
	require.Error(t, vs.LoadFrom(nil, false))
}

// TestVarStoreLoadPyTorch loads a state dict PyTorch produced (F32 parameters and
// buffers, the I64 num_batches_tracked) into a store non-strictly.
func TestVarStoreLoadPyTorch(t *testing.T) {
	st, err := LoadFile("testdata/pytorch_mixed.safetensors")
	require.NoError(t, err)
	vs := testModel(3)
	require.NoError(t, vs.LoadFrom(st, false))
	for name, got := range vs.StateDict() {
		bitsEqual(t, name, got, st.Tensors[name])
	}
	assert.Equal(t, float32(1), vs.StateDict()["bn.num_batches_tracked"].Item())
	require.Error(t, vs.LoadFrom(st, true), "the file has tensors the model lacks")
}
