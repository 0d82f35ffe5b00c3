// Command vae trains a variational autoencoder on MNIST, samples from it and evaluates
// it.
//
//	go run ./examples/vae                          # train the MLP VAE (784-400-20), 10 epochs
//	go run ./examples/vae train -minutes 2         # train for exactly 2 minutes
//	go run ./examples/vae train -arch conv         # convolutional encoder and decoder
//	go run ./examples/vae train -latent 2          # 2-d latent: also draws the manifold
//	go run ./examples/vae train -cond              # conditional VAE (digit label in)
//	go run ./examples/vae sample -ckpt out/vae/vae.safetensors -n 100
//	go run ./examples/vae eval -ckpt out/vae/vae.safetensors
//
// Training writes pictures (reconstructions, prior samples, an interpolation, the
// manifold for a 2-d latent, per-dimension KL, the loss curve) and a checkpoint to
// -out, and ends with an evaluation: the test negative ELBO, the importance-weighted
// (IWAE) estimate of the test log-likelihood, both in nats, and the digit coverage of
// prior samples. See README.md.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	cmd, args := "train", os.Args[1:]
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "train":
		err = trainCmd(args)
	case "sample":
		err = sampleCmd(args)
	case "eval":
		err = evalCmd(args)
	default:
		err = fmt.Errorf("unknown command %q (want train, sample or eval)", cmd)
	}
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "vae:", err)
		os.Exit(1)
	}
}
