// Package pretrained embeds small models trained by genblocks' own examples, so that
// generating something needs no training and no download:
//
//	Text       a character-level GPT trained on Tiny Shakespeare by examples/gpt
//	Dates      the encoder–decoder of examples/seq2seq, which writes dates in ISO 8601
//	GAN        the DCGAN generator of examples/gan (MNIST digits)
//	VAE        the MLP VAE of examples/vae (its decoder samples MNIST digits)
//	Diffusion  the U-Net of examples/diffusion with its sampler settings
//
// The checkpoints are float16 safetensors files (about 5.4 MB in all) under models/,
// embedded with go:embed and opened with the families' one-call loaders
// (transformer.LoadTextModelFS, gan.LoadGeneratorFS, vae.LoadModelFS,
// diffusion.LoadPipelineFS). FS exposes them for other loaders. The models are decoded
// anew on every call, so each caller gets its own copy; the returned samplers are safe
// for concurrent use, except Translator, which is not.
//
// Images come back as tensors (N,1,28,28): GAN and diffusion samples in [-1,1], VAE
// means in [0,1]. Images turns either into 784-value slices in [0,1], the form the
// examples' plotting and evaluation helpers take.
//
// The files are rebuilt from the examples' checkpoints with the command in
// examples/pretrained/export; models/README.md says which run made each and what it
// measured.
//
// Errors: a loader returns an error only if the embedded file is damaged, which the
// package's tests rule out.
package pretrained
