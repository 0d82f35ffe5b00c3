package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/vae"
)

// evalFlags are the evaluation settings shared by train and eval.
type evalFlags struct {
	iwaeK, iwaeN, samples int
}

func (e *evalFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&e.iwaeK, "iwae-k", 100, "importance samples per test image for the IWAE log-likelihood estimate")
	fs.IntVar(&e.iwaeN, "iwae-n", 1000, "test images for the IWAE estimate (0: all 10,000)")
	fs.IntVar(&e.samples, "samples", 10000, "prior samples for the digit coverage check (0: skip)")
}

func evalCmd(args []string) error {
	var e evalFlags
	fs := flag.NewFlagSet("vae eval", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "out/vae/vae.safetensors", "checkpoint to evaluate")
	data := fs.String("data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "also write the pictures to this directory")
	e.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := mnist.Load(*data)
	if err != nil {
		return err
	}
	n, step, err := loadCheckpoint(*ckpt, rand.New(rand.NewPCG(*seed, 1)), nil)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s VAE, latent %d, cond %v, step %d\n", *ckpt, n.Spec.Arch, n.Latent, n.Spec.Cond, step)
	rep, err := evaluate(n, d.Test, e, *seed)
	if err != nil {
		return err
	}
	fmt.Print(rep)
	if *out != "" {
		if err := writePictures(*out, n, d.Test, rep, rand.New(rand.NewPCG(*seed, 11))); err != nil {
			return err
		}
		fmt.Printf("pictures in %s\n", *out)
	}
	return nil
}

// report is the evaluation of a model on the test set.
type report struct {
	NegELBO, Recon, KL float64   // nats per image, one posterior sample each
	KLPerDim           []float64 // nats per latent dimension
	IWAE               float64   // -log p(x) estimate in nats
	SubNegELBO         float64   // -ELBO on the images of the IWAE estimate
	K, N               int       // importance samples and test images of the IWAE estimate
	Quality            string    // digit coverage report of prior samples, or why there is none
	Took               time.Duration
}

// activeUnits counts the latent dimensions whose KL exceeds 0.01 nats.
func (r *report) activeUnits() int {
	a := 0
	for _, v := range r.KLPerDim {
		if v > 0.01 {
			a++
		}
	}
	return a
}

func (r *report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "test -ELBO %.2f nats (reconstruction %.2f + KL %.2f); active latent dimensions %d of %d\n",
		r.NegELBO, r.Recon, r.KL, r.activeUnits(), len(r.KLPerDim))
	if r.K > 0 {
		fmt.Fprintf(&b, "test -log p(x) ≈ %.2f nats (IWAE, k=%d, first %d test images; their -ELBO is %.2f)\n",
			r.IWAE, r.K, r.N, r.SubNegELBO)
	}
	if r.Quality != "" {
		fmt.Fprintf(&b, "prior samples: %s\n", r.Quality)
	}
	fmt.Fprintf(&b, "evaluation took %s\n", r.Took.Round(time.Millisecond))
	return b.String()
}

// testNegELBO returns the mean negative ELBO over set, one posterior sample per image.
func testNegELBO(n *net, set *mnist.Set, rng *rand.Rand) float64 {
	r := lossTerms(n, set, rng)
	return r.NegELBO
}

// lossTerms averages the loss terms over set.
func lossTerms(n *net, set *mnist.Set, rng *rand.Rand) *report {
	r := &report{KLPerDim: make([]float64, n.Latent)}
	for _, idx := range set.Batches(nil, 500, false) {
		x, y := set.Batch(idx)
		l := n.Loss(noGrad(n.input(x)), n.labels(y), rng, vae.LossConfig{})
		w := float64(len(idx))
		r.NegELBO += w * l.NegELBO
		r.Recon += w * float64(l.Recon.Item())
		r.KL += w * float64(l.KL.Item())
		for j, v := range l.KLPerDim.Data() {
			r.KLPerDim[j] += w * float64(v)
		}
	}
	m := float64(set.Len())
	r.NegELBO /= m
	r.Recon /= m
	r.KL /= m
	for j := range r.KLPerDim {
		r.KLPerDim[j] /= m
	}
	return r
}

// iwae returns the mean IWAE estimate of -log p(x) over set with k samples.
func iwae(n *net, set *mnist.Set, k int, rng *rand.Rand) float64 {
	per := max(1, 4096/k) // images per decoder batch of about 4096 rows
	var sum float64
	for _, idx := range set.Batches(nil, per, false) {
		x, y := set.Batch(idx)
		b := n.IWAE(noGrad(n.input(x)), n.labels(y), k, rng)
		for _, v := range b.Value().Data() {
			sum -= float64(v)
		}
	}
	return sum / float64(set.Len())
}

// evaluate computes the test report.
func evaluate(n *net, test *mnist.Set, e evalFlags, seed uint64) (*report, error) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(seed, 7))
	r := lossTerms(n, test, rng)
	if e.iwaeK > 0 {
		sub := test.Subset(e.iwaeN)
		r.K, r.N = e.iwaeK, sub.Len()
		r.IWAE = iwae(n, sub, e.iwaeK, rng)
		r.SubNegELBO = lossTerms(n, sub, rng).NegELBO
	}
	if e.samples > 0 {
		imgs := priorSamples(n, e.samples, rng)
		q, err := quality(imgs)
		if err != nil {
			r.Quality = "no coverage check: " + err.Error()
		} else {
			r.Quality = q
		}
	}
	r.Took = time.Since(start)
	return r, nil
}

// priorSamples decodes count prior samples (labels cycling 0–9 for a conditional model)
// and returns them as flat 784-value images.
func priorSamples(n *net, count int, rng *rand.Rand) [][]float32 {
	var out [][]float32
	for start := 0; start < count; start += 500 {
		b := min(500, count-start)
		var labels *tensor.Tensor
		if n.Spec.Cond {
			labels = tensor.New(b)
			for i := range b {
				labels.Data()[i] = float32((start + i) % 10)
			}
		}
		out = append(out, images(n.Sample(b, labels, rng))...)
	}
	return out
}

// sampleCmd writes individual sample PNGs and a grid.
func sampleCmd(args []string) error {
	fs := flag.NewFlagSet("vae sample", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "out/vae/vae.safetensors", "checkpoint to sample from")
	count := fs.Int("n", 100, "number of samples")
	out := fs.String("out", "out/vae/samples", "output directory")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *count < 1 {
		return fmt.Errorf("-n %d must be positive", *count)
	}
	rng := rand.New(rand.NewPCG(*seed, 3))
	var imgs [][]float32
	n, _, err := loadCheckpoint(*ckpt, rng, nil)
	switch {
	case errors.Is(err, iofs.ErrNotExist) && !flagSet(fs, "ckpt"):
		fmt.Printf("no checkpoint at %s: sampling the VAE embedded in examples/pretrained\n", *ckpt)
		v, err := pretrained.VAE()
		if err != nil {
			return err
		}
		x, err := v.Sample(context.Background(), *count, nil, rng) // (n,1,28,28) in [0,1]
		if err != nil {
			return err
		}
		imgs = pretrained.Images(x, 0, 1)
	case err != nil:
		return err
	default:
		imgs = priorSamples(n, *count, rng)
	}
	if err := mnisteval.WriteSamples(*out, imgs); err != nil {
		return err
	}
	fmt.Printf("wrote %d samples and grid.png to %s\n", len(imgs), *out)
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fl *flag.FlagSet, name string) bool {
	set := false
	fl.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
