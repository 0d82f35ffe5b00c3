// Command export writes the embedded checkpoints of package pretrained from checkpoints
// written by the examples: it keeps the weights and the metadata, drops optimizer state
// (tensors named "optim.…"), stores float32 weights as float16, and checks that the
// result loads.
//
//	go run ./examples/pretrained/export \
//	    -gpt out/gpt/ckpt.safetensors -seq2seq out/seq2seq/ckpt.safetensors \
//	    -gan out/gan/generator.safetensors -vae out/vae/model.safetensors \
//	    -diffusion out/diffusion/pipeline.safetensors
//
// Flags left empty leave that model's file as it is.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/transformer"
	"github.com/genblocks/genblocks/vae"
)

func main() {
	out := flag.String("out", "examples/pretrained", "directory holding models/")
	srcs := map[string]*string{
		pretrained.TextFile:      flag.String("gpt", "", "checkpoint of examples/gpt"),
		pretrained.DatesFile:     flag.String("seq2seq", "", "checkpoint of examples/seq2seq"),
		pretrained.GANFile:       flag.String("gan", "", "generator checkpoint of examples/gan (gan.SaveGenerator)"),
		pretrained.VAEFile:       flag.String("vae", "", "model checkpoint of examples/vae (vae.SaveModel)"),
		pretrained.DiffusionFile: flag.String("diffusion", "", "pipeline checkpoint of examples/diffusion (diffusion.SavePipeline)"),
	}
	flag.Parse()
	for name, src := range srcs {
		if *src == "" {
			continue
		}
		n, err := export(*src, filepath.Join(*out, name), name)
		if err != nil {
			log.Fatalf("export %s: %v", *src, err)
		}
		fmt.Printf("%s -> %s (%d bytes)\n", *src, name, n)
	}
}

// export converts one checkpoint and returns the size of the file written.
func export(src, dst, name string) (int, error) {
	st, err := nn.LoadFile(src)
	if err != nil {
		return 0, err
	}
	keep := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if !strings.HasPrefix(k, "optim.") {
			keep[k] = v
		}
	}
	var buf bytes.Buffer
	if err := nn.WriteSafetensorsDtype(&buf, keep, st.Metadata, "F16"); err != nil {
		return 0, err
	}
	if err := check(name, buf.Bytes()); err != nil {
		return 0, fmt.Errorf("the float16 copy does not load: %w", err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return 0, err
	}
	return buf.Len(), os.Rename(tmp, dst)
}

// check loads b with the loader of the embedded file name.
func check(name string, b []byte) error {
	fsys := fstest.MapFS{name: &fstest.MapFile{Data: b}}
	var err error
	switch name {
	case pretrained.TextFile:
		_, err = transformer.LoadTextModelFS(fsys, name)
	case pretrained.GANFile:
		_, err = gan.LoadGeneratorFS(fsys, name)
	case pretrained.VAEFile:
		_, err = vae.LoadModelFS(fsys, name)
	case pretrained.DiffusionFile:
		_, err = diffusion.LoadPipelineFS(fsys, name)
	case pretrained.DatesFile:
		_, err = nn.LoadCheckpoint(fsys, name, "pretrained", pretrained.TranslatorFrom)
	}
	return err
}
