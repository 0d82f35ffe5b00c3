// Package vae provides variational autoencoders: the model, its training losses, the
// importance-weighted log-likelihood estimate and tools for exploring the latent space.
//
// # Overview
//
// A Model pairs an encoder and a decoder, any nn.Modules, with a diagonal-Gaussian
// posterior q(z|x), a standard normal prior and a Likelihood p(x|z) — Bernoulli on
// logits for binary or grey-level images, or Gaussian with a fixed or learned
// variance. NewMLP and NewConv build the usual encoder/decoder pairs for images;
// setting Classes makes a conditional VAE that feeds the one-hot label to both.
//
//	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
//	m := vae.NewMLP(vs.Root(), vae.MLPConfig{})            // 784-400-20, Bernoulli
//	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{})
//	for step, batch := range batches {
//		l := m.Loss(autograd.Const(batch), nil, rng, vae.LossConfig{Step: step})
//		opt.ZeroGrad()
//		l.Total.Backward()
//		opt.Step()
//	}
//
// Loss returns the negative ELBO with the KL term in closed form, weighted for a
// β-VAE, ramped up by a KL warm-up and floored per dimension by free bits (see
// LossConfig), along with each term and the KL of every latent dimension, which shows
// unused dimensions (posterior collapse). IWAE gives the importance-weighted bound
// with k samples, the test log-likelihood papers report. Sample, Reconstruct,
// EncodeMean, DecodeMean, Interpolate with Lerp or Slerp, and Traverse2D run the model
// without a graph for pictures.
//
// Randomness — the reparameterisation noise, prior samples — comes only from the
// *rand.Rand passed in.
//
// # Checkpoints and serving
//
// Config records which VAE NewMLP or NewConv built; SaveModel writes the weights with
// the Config as JSON in the safetensors metadata, and LoadModel, LoadModelFS (an
// embedded file) and ModelFrom (parsed bytes) rebuild it in one call as a Sampler,
// safe for concurrent use: each Sample call draws from its own *rand.Rand and checks
// its context between batches.
//
// # Shapes
//
// x is (B,…): (B,D) for NewMLP, (B,C,H,W) for NewConv. The encoder maps x (joined with
// the one-hot label for a conditional model, see Model.Condition) to (B,2·Latent), μ
// then log σ²; the decoder maps z (B,Latent), or (B,Latent+Classes), to the
// likelihood's parameters with x's shape. Labels are (B) class indices stored as
// float32. Loss terms are averaged over the batch and in nats per example; IWAE
// returns one bound per example, (B).
//
// # Parameter names
//
// NewMLP and NewConv name parameters like the PyTorch modules of
// testdata/gen_vae.py — "encoder.body.0.weight", "encoder.mu.weight",
// "encoder.logvar.bias", "decoder.2.weight" — so PyTorch state dicts load directly.
//
// # Errors
//
// Programmer mistakes — an input or label shape that does not fit the model, an
// encoder that does not produce (B,2·Latent), a negative β, k < 1 — panic with a
// *tensor.Error naming the function and the shapes.
package vae
