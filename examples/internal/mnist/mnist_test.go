package mnist

import (
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

func writeIDX(t *testing.T, path string, magic uint32, dims []uint32, body []byte, gz bool) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	var w interface{ Write([]byte) (int, error) } = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	hdr := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, d)
	}
	_, err = w.Write(append(hdr, body...))
	require.NoError(t, err)
	if zw != nil {
		require.NoError(t, zw.Close())
	}
}

func fakeDir(t *testing.T, n int, gz bool) string {
	dir := t.TempDir()
	ext := ""
	if gz {
		ext = ".gz"
	}
	for _, p := range []string{"train", "t10k"} {
		img := make([]byte, n*784)
		for i := range img {
			img[i] = byte(i % 256)
		}
		lab := make([]byte, n)
		for i := range lab {
			lab[i] = byte(i % 10)
		}
		writeIDX(t, filepath.Join(dir, p+"-images-idx3-ubyte"+ext), 0x803, []uint32{uint32(n), 28, 28}, img, gz)
		writeIDX(t, filepath.Join(dir, p+"-labels-idx1-ubyte"+ext), 0x801, []uint32{uint32(n)}, lab, gz)
	}
	return dir
}

func TestLoadPlainAndGzip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		d, err := Load(fakeDir(t, 5, gz))
		require.NoError(t, err)
		require.Equal(t, 5, d.Train.Len())
		require.InDelta(t, 1.0/255, d.Train.Images[1], 1e-7)
		x, y := d.Test.Batch([]int{3, 1})
		require.Equal(t, []int{2, 784}, x.Shape())
		require.Equal(t, []float32{3, 1}, y.Data())
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := fakeDir(t, 3, false)
	require.NoError(t, os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte")))
	_, err := Load(dir)
	require.ErrorContains(t, err, "t10k-labels-idx1-ubyte")

	dir = fakeDir(t, 3, false)
	p := filepath.Join(dir, "train-images-idx3-ubyte")
	b, _ := os.ReadFile(p)
	require.NoError(t, os.WriteFile(p, b[:len(b)-10], 0o644))
	_, err = Load(dir)
	require.ErrorContains(t, err, "train-images-idx3-ubyte")
	require.ErrorContains(t, err, "truncated")

	dir = fakeDir(t, 3, false)
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), 0x999, []uint32{3}, []byte{1, 2, 3}, false)
	_, err = Load(dir)
	require.ErrorContains(t, err, "magic")
}

func TestAccuracy(t *testing.T) {
	d, err := Load(fakeDir(t, 4, false))
	require.NoError(t, err)
	// Labels are 0,1,2,3: a classifier that always says 1 is right once in four.
	always1 := func(x *tensor.Tensor) *tensor.Tensor {
		out := tensor.New(x.Size(0), 10)
		for i := 0; i < x.Size(0); i++ {
			out.Set(1, i, 1)
		}
		return out
	}
	require.InDelta(t, 0.25, d.Test.Accuracy(always1), 1e-9)
}
