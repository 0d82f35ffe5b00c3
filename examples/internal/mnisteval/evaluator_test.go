package mnisteval

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

var (
	loadOnce  sync.Once
	testEval  *Evaluator
	testData  *mnist.Data
	dataErr   error
	testImage [][]float32
	trainImgs [][]float32
)

// setup loads the evaluator and MNIST once for all tests; it skips the test if MNIST
// cannot be found or downloaded.
func setup(t *testing.T) (*Evaluator, *mnist.Data) {
	t.Helper()
	loadOnce.Do(func() {
		testEval, dataErr = Load()
		if dataErr != nil {
			return
		}
		testData, dataErr = mnist.Load("")
		if dataErr == nil {
			testImage = split(testData.Test.Images)
			trainImgs = split(testData.Train.Images[:10000*784])
		}
	})
	if testEval == nil {
		require.NoError(t, dataErr)
	}
	if testData == nil {
		t.Skipf("MNIST not available: %v", dataErr)
	}
	return testEval, testData
}

func split(flat []float32) [][]float32 {
	out := make([][]float32, len(flat)/784)
	for i := range out {
		out[i] = flat[i*784 : (i+1)*784 : (i+1)*784]
	}
	return out
}

func TestLoad(t *testing.T) {
	ev, err := Load()
	require.NoError(t, err)
	require.Len(t, ev.TestStats().Mean, FeatureDim)
	f, err := files.Open(ClassifierFile)
	require.NoError(t, err)
	fi, err := f.Stat()
	require.NoError(t, err)
	assert.Less(t, fi.Size(), int64(500_000), "embedded classifier size")
}

// TestAccuracy: the embedded classifier gets ≥ 99% of the MNIST test set right, and
// the predicted-digit shares are within one percentage point of the true label shares.
func TestAccuracy(t *testing.T) {
	ev, data := setup(t)
	labels, probs, feats := ev.analyze("test", testImage)
	require.Len(t, labels, 10000)
	correct := 0
	var truth [10]float64
	for i, l := range labels {
		truth[data.Test.Labels[i]] += 1.0 / 10000
		if l == int(data.Test.Labels[i]) {
			correct++
		}
		var sum float32
		for _, p := range probs[i] {
			sum += p
		}
		require.InDelta(t, 1, sum, 1e-5)
		require.Equal(t, argmax(probs[i]), l)
	}
	acc := float64(correct) / 10000
	t.Logf("test accuracy %.2f%%", 100*acc)
	assert.GreaterOrEqual(t, acc, 0.99)

	rep := ev.report(labels, probs, feats)
	t.Log(rep)
	assert.Equal(t, 10000, rep.N)
	for k := range 10 {
		assert.InDelta(t, truth[k], rep.Coverage[k], 0.01, "digit %d", k)
	}
	assert.InDelta(t, math.Log(10), rep.Entropy, 0.01)
	assert.Greater(t, rep.Confidence, 0.97)
	// The embedded statistics are these very features (rounded to float32).
	assert.Less(t, rep.Frechet, 1e-3)
}

// TestFrechetScale: real training images score near 0 (3.8 for the embedded
// classifier), images of two digits only far away (750), uniform noise further (1700).
func TestFrechetScale(t *testing.T) {
	ev, _ := setup(t)
	labels, probs, feats := ev.analyze("test", trainImgs)
	real := ev.report(labels, probs, feats)
	t.Log("train[:10000]: ", real)
	assert.Less(t, real.Frechet, 6.0)

	rng := rand.New(rand.NewPCG(5, 6))
	noise := make([][]float32, 2000)
	for i := range noise {
		noise[i] = make([]float32, 784)
		for j := range noise[i] {
			noise[i][j] = rng.Float32()
		}
	}
	rn := ev.Evaluate(noise)
	t.Log("uniform noise: ", rn)
	assert.Greater(t, rn.Frechet, 200*real.Frechet)

	// Fewer distinct digits: the training images of 0s and 1s only.
	var l01 []int
	var p01, f01 [][]float32
	for i := range trainImgs {
		if l := testData.Train.Labels[i]; l <= 1 {
			l01, p01, f01 = append(l01, labels[i]), append(p01, probs[i]), append(f01, feats[i])
		}
	}
	r01 := ev.report(l01, p01, f01)
	t.Log("0s and 1s: ", r01)
	assert.Greater(t, r01.Frechet, 100*real.Frechet)
	assert.Greater(t, r01.Coverage[0]+r01.Coverage[1], 0.99)
	assert.Less(t, r01.Entropy, 0.8) // ln 2 ≈ 0.69
}

func TestConcurrentUse(t *testing.T) {
	ev, _ := setup(t)
	images := testImage[:200]
	want := ev.Features(images)
	var wg sync.WaitGroup
	got := make([][][]float32, 4)
	for g := range got {
		wg.Go(func() { got[g] = ev.Features(images) })
	}
	wg.Wait()
	for _, g := range got {
		require.Equal(t, want, g)
	}
}

func TestEvaluateEdgeCases(t *testing.T) {
	ev, err := Load()
	require.NoError(t, err)
	empty := ev.Evaluate(nil)
	assert.Zero(t, empty.N)
	assert.True(t, math.IsNaN(empty.Frechet))

	black := make([]float32, 784)
	one := ev.Evaluate([][]float32{black})
	assert.Equal(t, 1, one.N)
	assert.True(t, math.IsNaN(one.Frechet))
	assert.Zero(t, one.Entropy)

	for name, f := range map[string]func(){
		"Classify": func() { ev.Classify([][]float32{black, make([]float32, 783)}) },
		"Features": func() { ev.Features([][]float32{make([]float32, 785)}) },
		"Evaluate": func() { ev.Evaluate([][]float32{nil}) },
	} {
		assert.PanicsWithError(t, "tensor: mnisteval."+name+": image "+map[string]string{"Classify": "1 has 783", "Features": "0 has 785", "Evaluate": "0 has 0"}[name]+" values; want 784 (28×28)", f, name)
	}
}

func TestReportString(t *testing.T) {
	r := &Report{N: 64, Coverage: [10]float64{0.098, 0.112, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.081, 0.109},
		Confidence: 0.97449, Frechet: 1.2345, Entropy: 2.2991}
	want := "n 64 | coverage 0:9.8% 1:11.2% 2:10.0% 3:10.0% 4:10.0% 5:10.0% 6:10.0% 7:10.0% 8:8.1% 9:10.9%" +
		" | min 8.1% max 11.2% | entropy 2.299 | confidence 0.974 | Fréchet 1.23"
	assert.Equal(t, want, r.String())
	assert.NotContains(t, r.String(), "\n")
	assert.True(t, strings.HasSuffix((&Report{Frechet: math.NaN()}).String(), "Fréchet NaN"))
}

func TestNewErrors(t *testing.T) {
	ev, err := Load()
	require.NoError(t, err)
	_, err = New(nil, ev.TestStats())
	require.ErrorContains(t, err, "classifier weights")
	w, err := weightsForTest()
	require.NoError(t, err)
	_, err = New(w, Gaussian{Mean: []float64{0}})
	require.ErrorContains(t, err, "not 128-dimensional")
}

func weightsForTest() (map[string]*tensor.Tensor, error) {
	st, err := nn.LoadFS(files, ClassifierFile)
	if err != nil {
		return nil, err
	}
	return st.Tensors, nil
}
