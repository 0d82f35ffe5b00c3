package main

import (
	"context"
	"testing"

	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoaderTable(t *testing.T) {
	assert.Equal(t, []string{"dates", "demo-image", "demo-text", "diffusion", "gan", "text", "vae"}, loaders.Kinds())
	spec, err := server.ParseSpec("m=text:ckpt.safetensors")
	require.NoError(t, err)
	_, err = loaders.Load(context.Background(), []server.Spec{spec})
	assert.ErrorContains(t, err, "ckpt.safetensors", "the text loader names the missing file")
	for _, kind := range []string{"gan", "vae", "diffusion"} {
		spec, err := server.ParseSpec("m=" + kind + ":ckpt.safetensors")
		require.NoError(t, err)
		_, err = loaders.Load(context.Background(), []server.Spec{spec})
		assert.ErrorContains(t, err, "ckpt.safetensors", "the %s loader names the missing file", kind)
	}
	// A checkpoint of another family is refused with its format named.
	dir := t.TempDir()
	spec, err = server.ParseSpec("m=vae:" + saveTinyGAN(t, dir))
	require.NoError(t, err)
	_, err = loaders.Load(context.Background(), []server.Spec{spec})
	assert.ErrorContains(t, err, `metadata format "genblocks-dcgan-generator", want "genblocks-vae-model"`)
	spec, err = server.ParseSpec("m=diffusion:" + saveTinyDiffusion(t, dir) + "?sampler=euler")
	require.NoError(t, err)
	_, err = loaders.Load(context.Background(), []server.Spec{spec})
	assert.ErrorContains(t, err, "unknown sampler")
	ms, err := loaders.Load(context.Background(), []server.Spec{{Name: "b", Kind: "demo-image"}})
	require.NoError(t, err)
	assert.True(t, ms[0].Demo)
}
