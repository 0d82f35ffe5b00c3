// Package gan provides generative adversarial networks: the adversarial losses and
// gradient penalties, a trainer for the alternating updates with stability checks, a
// mode-collapse monitor, DCGAN generators and discriminators (unconditional and
// class-conditional), and an SRGAN-style super-resolution generator with bicubic
// interpolation.
//
// # Overview
//
// A generator and a discriminator are any nn.Modules, each built in its own
// nn.VarStore; modules that also implement Conditional take class labels. A Trainer
// runs DSteps discriminator updates per generator update with separate Adam optimizers
// and learning rates (TTUR), and optionally adds a WGAN-GP or R1 penalty, one-sided
// label smoothing, annealed instance noise and an EMA of the generator's weights:
//
//	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
//	g := gan.NewGenerator(gs.Root(), gan.DCGANConfig{})
//	d := gan.NewDiscriminator(ds.Root(), gan.DCGANConfig{})
//	tr := gan.NewTrainer(g, gs, d, ds, gan.TrainerConfig{Loss: gan.Hinge}, rng)
//	tr.OnStep(func(s gan.Stats) { log.Println(s) })
//	for range steps {
//		if _, err := tr.Step(nextBatch); err != nil {
//			return err // *DivergenceError: the last good state has been restored
//		}
//	}
//	images := tr.Generate(tensor.Randn(rng, 64, 100), nil)
//
// The losses are also usable on their own: DiscriminatorLoss and GeneratorLoss for the
// minimax, non-saturating, least-squares, hinge and Wasserstein objectives, and
// GradientPenalty and R1Penalty, which differentiate the discriminator with respect
// to its input with autograd.Grad(…, createGraph=true) so that the penalty's own
// gradient (a gradient of a gradient) reaches the discriminator's parameters.
//
// # Checkpoints and serving
//
// SaveGenerator writes a generator alone (with its EMA weights, if any) and its
// DCGANConfig as JSON in the safetensors metadata; LoadGenerator, LoadGeneratorFS (an
// embedded file) and GeneratorFrom (parsed bytes) read it back in one call as a
// Sampler, which is safe for concurrent use: each Sample call draws from its own
// *rand.Rand and checks its context between batches.
//
// # Stability and mode collapse
//
// Step checks every loss and gradient norm before applying an update; a NaN, an
// infinity or a value beyond TrainerConfig.MaxLoss or MaxGradNorm skips the update,
// restores the last good state (kept in memory every SnapshotEvery steps) and returns
// a *DivergenceError saying what blew up. Spectral normalisation is a flag of the
// discriminator (DCGANConfig.SpectralNorm, from package nn). A Monitor classifies
// generated samples with any classifier and reports class coverage, the normalised
// entropy of the class histogram and a diversity score (mean pairwise feature
// distance), warning when coverage drops.
//
// # Shapes
//
// Images are NCHW with values in [-1,1] (the generators end in tanh); latents are
// (B,ZDim); labels are (B) class indices stored as float32. Discriminators return
// logits (B,1). Losses accept scores of any shape and average over them.
//
// # Errors
//
// Programmer mistakes (an unknown loss, an unsupported image size, missing labels for a
// conditional model, mismatched shapes) panic with a *tensor.Error naming the function
// and shapes. Divergence during training is an error value, *DivergenceError, as are
// checkpoints that do not match (Trainer.LoadStateDict) and unknown loss names
// (ParseLoss).
package gan
