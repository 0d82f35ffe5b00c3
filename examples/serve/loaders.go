package main

import (
	"io/fs"
	"strings"

	"github.com/genblocks/genblocks/examples/pretrained"
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
//   - dates:     examples/seq2seq's checkpoint -> a text model whose prompt is a date
//     and whose output is that date in ISO 8601 (one request at a time).
//
// A path "pretrained:NAME" names a checkpoint embedded in examples/pretrained.
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
	"dates":      loadDates,
}

// defaultSpecs are the models served when no -model flag is given: the checkpoints
// embedded in examples/pretrained.
var defaultSpecs = []server.Spec{
	{Name: "gpt", Kind: "text", Path: "pretrained:gpt-shakespeare"},
	{Name: "dates", Kind: "dates", Path: "pretrained:seq2seq-dates"},
	{Name: "gan", Kind: "gan", Path: "pretrained:dcgan-mnist"},
	{Name: "vae", Kind: "vae", Path: "pretrained:vae-mnist"},
	{Name: "diffusion", Kind: "diffusion", Path: "pretrained:diffusion-mnist"},
}

// open loads spec's checkpoint with load, or, for a path "pretrained:NAME", the
// checkpoint models/NAME.safetensors embedded in examples/pretrained with loadFS.
func open[T any](spec server.Spec, load func(string) (T, error), loadFS func(fs.FS, string) (T, error)) (T, error) {
	if name, ok := strings.CutPrefix(spec.Path, "pretrained:"); ok {
		return loadFS(pretrained.FS(), "models/"+name+".safetensors")
	}
	return load(spec.Path)
}
