package mnisteval

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSamplesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	imgs := make([][]float32, 3)
	for i := range imgs {
		imgs[i] = make([]float32, 784)
		for j := range imgs[i] {
			imgs[i][j] = float32((i*7+j)%256) / 255
		}
	}
	require.NoError(t, WriteSamples(dir, imgs))
	got, err := ReadSamples(dir)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i := range imgs {
		require.InDeltaSlice(t, imgs[i], got[i], 1.0/255)
	}
	_, err = ReadSamples(t.TempDir())
	require.ErrorContains(t, err, "no 28×28 PNG samples")
}
