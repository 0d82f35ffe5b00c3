package pretrained

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strconv"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/internal/dates"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/transformer"
	"github.com/genblocks/genblocks/vae"
)

//go:embed models
var files embed.FS

// The embedded checkpoints, as names in FS.
const (
	TextFile      = "models/gpt-shakespeare.safetensors"
	DatesFile     = "models/seq2seq-dates.safetensors"
	GANFile       = "models/dcgan-mnist.safetensors"
	VAEFile       = "models/vae-mnist.safetensors"
	DiffusionFile = "models/diffusion-mnist.safetensors"
)

// FS returns the embedded checkpoints.
func FS() fs.FS { return files }

// Text returns the character-level GPT trained on Tiny Shakespeare.
func Text() (*transformer.TextModel, error) { return transformer.LoadTextModelFS(files, TextFile) }

// GAN returns the DCGAN generator trained on MNIST; it samples (N,1,28,28) in [-1,1].
func GAN() (*gan.Sampler, error) { return gan.LoadGeneratorFS(files, GANFile) }

// VAE returns the MLP VAE trained on MNIST; it samples decoded means (N,1,28,28) in [0,1].
func VAE() (*vae.Sampler, error) { return vae.LoadModelFS(files, VAEFile) }

// Diffusion returns the diffusion U-Net trained on MNIST with its sampler settings; it
// generates (N,1,28,28) in [-1,1].
func Diffusion() (*diffusion.Pipeline, error) { return diffusion.LoadPipelineFS(files, DiffusionFile) }

// Translator writes dates given in any of the formats of examples/seq2seq ("Thursday,
// 26 November 2026", "11/26/26", "the 26th of November, 2026", …) in ISO 8601. It is
// not safe for concurrent use.
type Translator struct {
	Model *transformer.Seq2Seq
}

// Dates returns the date translator trained by examples/seq2seq.
func Dates() (*Translator, error) {
	return nn.LoadCheckpoint(files, DatesFile, "pretrained", TranslatorFrom)
}

// TranslatorFrom builds a Translator from a checkpoint written by examples/seq2seq (its
// metadata gives the width and the number of layers).
func TranslatorFrom(st *nn.Safetensors) (*Translator, error) {
	if f := st.Metadata["format"]; f != "genblocks-seq2seq" {
		return nil, fmt.Errorf("pretrained: metadata format %q, want genblocks-seq2seq", f)
	}
	dim, err1 := strconv.Atoi(st.Metadata["dim"])
	layers, err2 := strconv.Atoi(st.Metadata["layers"])
	if err1 != nil || err2 != nil || dim < 4 || dim > 1024 || dim%4 != 0 || layers < 1 || layers > 16 {
		return nil, fmt.Errorf("pretrained: bad seq2seq size dim=%q layers=%q", st.Metadata["dim"], st.Metadata["layers"])
	}
	vs := nn.NewVarStore(rand.New(rand.NewPCG(0, 0)))
	m := dates.NewModel(vs, dim, layers)
	if err := vs.LoadStateDict(st.Tensors, true); err != nil {
		return nil, fmt.Errorf("pretrained: seq2seq weights: %w", err)
	}
	vs.SetTraining(false)
	return &Translator{Model: m}, nil
}

// Translate writes one date in ISO 8601 (greedy decoding). It fails on a character
// outside the model's alphabet and on text longer than 48 characters.
func (t *Translator) Translate(ctx context.Context, human string) (string, error) {
	return dates.Translate(ctx, t.Model, human)
}

// Images turns a batch of single-channel images (N,1,H,W) with values in [lo,hi] into
// N slices of H·W values in [0,1], clamped. It panics if x is not 4-D with one channel.
func Images(x *tensor.Tensor, lo, hi float32) [][]float32 {
	s := x.Shape()
	if len(s) != 4 || s[1] != 1 {
		tensor.Panicf("pretrained.Images", "images %s; want (N,1,H,W)", tensor.ShapeString(s))
	}
	per := s[2] * s[3]
	out := make([][]float32, s[0])
	d := x.Data()
	for i := range out {
		img := make([]float32, per)
		for j, v := range d[i*per : (i+1)*per] {
			img[j] = min(max((v-lo)/(hi-lo), 0), 1)
		}
		out[i] = img
	}
	return out
}
