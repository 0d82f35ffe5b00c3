package main

import (
	"context"
	"fmt"

	"github.com/genblocks/genblocks/examples/serve/demo"
	"github.com/genblocks/genblocks/examples/serve/server"
)

// loaders maps each -model kind to its loader. The family kinds are stubs until the
// families land on main; the integrator replaces each stub with an adapter:
//
//   - text:      transformer checkpoint + tokenizer -> server.TextModel. A model
//     without a KV cache can be wrapped in server.Autoregressive (Encode, Decode,
//     Logits, ContextLen, EOS); one with a KV cache implements Generate itself, checking
//     ctx once per token.
//   - gan, vae:  generator/decoder checkpoint -> server.ImageModel; draw z from
//     rand.New(rand.NewPCG(p.Seed, …)), run under autograd.NoGrad, check ctx per image
//     (or per batch), convert (N,1,28,28) with server.GrayImages(data, n, 28, 28, lo, hi).
//     Set Model.Classes for a conditional model.
//   - diffusion: U-Net checkpoint -> server.ImageModel; check ctx at every step; set
//     Model.DefaultSteps (and Model.Guidance for classifier-free guidance).
//
// Options after '?' in the flag (name=kind:path?key=value) reach the loader as
// spec.Options, for settings the checkpoint does not carry.
var loaders = server.Loaders{
	"demo-text":  demo.LoadCharMLP,
	"demo-image": demo.LoadBlobs,
	"text":       loadText,
	"gan":        notWired("gan"),
	"vae":        notWired("vae"),
	"diffusion":  notWired("diffusion"),
}

// notWired is the stub loader of a family that is not connected yet.
func notWired(family string) server.Loader {
	return func(ctx context.Context, spec server.Spec) (*server.Model, error) {
		return nil, fmt.Errorf("%w: package %s (checkpoint %s)", server.ErrNotWired, family, spec.Path)
	}
}
