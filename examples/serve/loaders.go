package main

import (
	"github.com/genblocks/genblocks/examples/serve/demo"
	"github.com/genblocks/genblocks/examples/serve/server"
)

// loaders maps each -model kind to its loader. Each family kind reads the inference
// checkpoint its package's Save function writes (the examples write one beside their
// training checkpoint):
//
//   - text:      transformer.LoadTextModel (examples/gpt's checkpoint, or a HuggingFace
//     GPT-2 directory) -> gptText, KV caches per request, ctx checked per token.
//   - gan:       gan.LoadGenerator -> oneShot, ctx checked per batch of 16 images.
//   - vae:       vae.LoadModel -> oneShot (decoded means), ctx checked per batch of 32.
//   - diffusion: diffusion.LoadPipeline -> diffusionImages, ctx checked at every step;
//     Model.DefaultSteps and Model.Guidance come from the checkpoint's PipelineConfig.
//
// A conditional model asked for no class draws the classes in turn. Options after '?'
// in the flag (name=kind:path?key=value) reach the loader as spec.Options, for settings
// the checkpoint does not carry (diffusion: sampler=ddpm|ddim|dpm).
var loaders = server.Loaders{
	"demo-text":  demo.LoadCharMLP,
	"demo-image": demo.LoadBlobs,
	"text":       loadText,
	"gan":        loadGAN,
	"vae":        loadVAE,
	"diffusion":  loadDiffusion,
}
