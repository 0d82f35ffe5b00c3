package gan

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/tensor"
)

// oneHot returns probabilities (N,k) with all mass on classes[i].
func oneHot(classes []int, k int) *tensor.Tensor {
	p := tensor.New(len(classes), k)
	for i, c := range classes {
		p.Set(1, i, c)
	}
	return p
}

func TestMonitorCoverageEntropyAndWarning(t *testing.T) {
	var classes []int
	m := NewMonitor(MonitorConfig{Classes: 4, Classify: func(x *tensor.Tensor) *tensor.Tensor { return oneHot(classes, 4) }})
	x := tensor.FromSlice([]float32{0, 0, 3, 4, 0, 0, 3, 4}, 8, 1)
	classes = []int{0, 1, 2, 3, 0, 1, 2, 3}
	c := m.Check(10, x)
	assert.Equal(t, 4, c.Covered)
	assert.InDelta(t, 1, c.Entropy, 1e-12)
	assert.Empty(t, c.Warning)
	// Mean pairwise distance of {0,0,3,4,0,0,3,4}: 16 of 28 pairs differ, by 3, 4 or 1.
	assert.InDelta(t, (8*3+8*4+4*1+0)/28.0*1, c.Diversity, 1e-6)
	classes = []int{0, 0, 0, 0, 0, 0, 1, 1}
	c = m.Check(20, x)
	assert.Equal(t, 2, c.Covered)
	assert.InDelta(t, -(0.75*math.Log(0.75)+0.25*math.Log(0.25))/math.Log(4), c.Entropy, 1e-12)
	assert.Contains(t, c.Warning, "coverage dropped from 4 to 2 classes (missing 2, 3)")
	assert.Len(t, m.History, 2)
	assert.Contains(t, c.String(), "coverage 2/4")
	require.Panics(t, func() { NewMonitor(MonitorConfig{Classes: 3}) })
}

func TestDiversityCollapsed(t *testing.T) {
	assert.Equal(t, 0.0, Diversity(tensor.Ones(5, 3)))
	require.Panics(t, func() { Diversity(tensor.Ones(1, 3)) })
}
