// Package nn provides neural-network layers, losses, initialisers and checkpoints on top
// of package autograd.
//
// # Overview
//
// A model is built from a VarStore, which owns its parameters. Layer constructors take a
// *VarBuilder and create their parameters under the builder's dotted prefix, so that the
// names are PyTorch state_dict keys and a checkpoint saved by PyTorch loads directly:
//
//	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
//	vb := vs.Root()
//	fc1 := nn.NewLinear(vb.Push("fc1"), 784, 128, nn.LinearConfig{})
//
// Layers implement Module (Forward on one *autograd.Var). The VarStore's training flag
// switches dropout and batch normalisation between training and evaluation behaviour.
//
// Checkpoints are safetensors files (SaveFile writes atomically; LoadFile, LoadFS and
// ParseSafetensors read with sizes checked before allocating). A family's one-call
// loader keeps its model's config as JSON in the metadata (ConfigMetadata, ReadConfig)
// and refuses a config that implies more weights than the file holds (NumValues).
// CheckFinite guards a training loop: it names the first NaN or infinite parameter,
// gradient or buffer.
//
// # Shapes
//
// Shapes follow PyTorch: Linear acts on the last axis (…,in) -> (…,out), images are NCHW,
// and weights use PyTorch's layouts (Linear (out,in), Conv2d (out,in/groups,kh,kw),
// ConvTranspose2d (in,out/groups,kh,kw)).
//
// # Errors
//
// Programmer mistakes (a wrong input shape, a name used twice) panic with a
// *tensor.Error naming the op and shapes. Anything read from outside (checkpoints)
// returns an error.
//
// # Tutorials
//
// Two tutorials in the repository's docs directory build on this package, each with its
// code compiled and tested under examples/tutorial:
//
//   - docs/custom-op.md (https://github.com/genblocks/genblocks/blob/main/docs/custom-op.md):
//     a layer with its own backward rule (PReLU as an autograd.Function), gradient
//     checks, training.
//   - docs/custom-family.md (https://github.com/genblocks/genblocks/blob/main/docs/custom-family.md):
//     a new model family from the blocks, a RealNVP normalising flow trained by maximum
//     likelihood and sampled.
package nn
