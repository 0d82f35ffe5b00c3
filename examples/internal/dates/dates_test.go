package dates

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestExampleIsConsistent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		heldOut := i%2 == 0
		src, tgt, human, iso := Example(rng, heldOut)
		want, err := Encode(human)
		require.NoError(t, err)
		require.Equal(t, want, src)
		require.Equal(t, iso, DecodeISO(tgt))
		day, err := time.Parse("2006-01-02", iso)
		require.NoError(t, err)
		n := int(day.Sub(epoch).Hours() / 24)
		require.Equal(t, heldOut, n%10 == 0, "%s held out", iso)
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	for _, s := range []string{"", "26 Nov 2026!", "été", "\x00", string(make([]byte, MaxLen+1))} {
		_, err := Encode(s)
		require.Error(t, err, "%q", s)
	}
	ids, err := Encode("1/2/06")
	require.NoError(t, err)
	require.Len(t, ids, 6)
	require.Equal(t, "2026-11-2?", DecodeISO([]int{5, 3, 5, 9, 13, 4, 4, 13, 5, 0}))
}
