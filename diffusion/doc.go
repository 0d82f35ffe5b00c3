// Package diffusion provides denoising diffusion models: noise schedules and the
// closed-form forward process, the ε/x₀/v training objectives, a noise-prediction
// U-Net, samplers from ancestral DDPM to DPM-Solver++, classifier-free guidance, and
// denoising, super-resolution and inpainting built on the reverse chain.
//
// # Overview
//
//   - Schedule holds a discrete schedule of T steps (LinearBetas of Ho et al. 2020,
//     CosineBetas of Nichol & Dhariwal 2021, SigmoidBetas, or any β sequence through
//     NewSchedule) with ᾱ and the posterior coefficients precomputed in float64.
//     QSample draws x_t from q(x_t|x_0) in closed form; PosteriorMeanVariance gives
//     q(x_{t-1}|x_t,x_0).
//   - Denoiser is the network interface: Forward(x, t, class). UNet implements it
//     (GroupNorm, SiLU, sinusoidal nn.TimestepEmbedding, self-attention at chosen
//     resolutions, optional class embedding with a null label, extra conditioning
//     input channels); any module with the same method can stand in.
//   - Model ties a Denoiser to its Schedule and Prediction (PredictEpsilon, PredictX0,
//     PredictV). Model.Loss is the training objective, with optional SNR or Min-SNR
//     weighting, uniform or importance (ImportanceSampler) timesteps and label
//     dropout for classifier-free guidance. Model.Predict evaluates the network and
//     returns (x̂₀, ε̂), guided if asked.
//   - Sampler runs a reverse chain: DDPM (σ² = β or β̃, any step count), DDIM (any
//     step count and η; Invert runs it backwards) and DPMSolver (DPM-Solver++ 2M,
//     usable at 10–20 steps). SampleConfig carries labels, the guidance scale,
//     conditioning channels, clipping, the start timestep, inpainting masks, a
//     progress callback; a context.Context cancels between steps.
//   - Denoise, SuperResolve and Inpaint are the applications.
//
// Pipeline is a trained model ready to serve: SavePipeline writes the U-Net (with its
// EMA weights) and a PipelineConfig (network, schedule, parameterisation, sampling
// defaults) as JSON in the safetensors metadata; LoadPipeline, LoadPipelineFS (an
// embedded file) and PipelineFrom (parsed bytes) read it back in one call.
// Pipeline.Generate is safe for concurrent use and checks its context at every step.
//
// For sampling with averaged weights, keep an optim.EMA of the network's parameters and
// Apply it around sampling.
//
// # Shapes
//
// Images are (B,C,H,W) tensors with values in [-1,1]. Timesteps are ints 0…T-1 in the
// schedule API and a float tensor (B) (see Timesteps) at the Denoiser; -1 stands for
// clean data. Class labels are (B) tensors of integer values. Conditioning channels
// are (B,Cc,H,W), appended after the image's C channels.
//
// # Errors
//
// Shape mismatches, timesteps out of range and invalid schedules are programming
// mistakes and panic with a message naming the function and the shapes. Sampling
// returns an error only when its context is cancelled; name parsers
// (NewNamedSchedule, ParsePrediction, ParseSampler) return errors for unknown names.
package diffusion
