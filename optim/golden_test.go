package optim

import (
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
)

// The golden files are read with internal/golden.
type (
	goldenFile = golden.File
	goldenCase = golden.Case
)

func loadGolden(t testing.TB, path string) *goldenFile { return golden.Load(t, path) }
