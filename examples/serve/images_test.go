package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/vae"
)

// Tiny randomly initialised family models, saved the way the examples save them.

func saveTinyGAN(t testing.TB, dir string) string {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 1)))
	g := gan.NewGenerator(vs.Root(), gan.DCGANConfig{Width: 4, ZDim: 8, Classes: 3, EmbedDim: 4})
	path := filepath.Join(dir, "gan-generator.safetensors")
	require.NoError(t, gan.SaveGenerator(path, g, vs, nil, nil))
	return path
}

func saveTinyVAE(t testing.TB, dir string) string {
	cfg := vae.Config{Conv: &vae.ConvConfig{Size: 8, Filters: []int{2, 3}, Latent: 2}}
	vs := nn.NewVarStore(rand.New(rand.NewPCG(2, 2)))
	_, err := cfg.Build(vs.Root())
	require.NoError(t, err)
	path := filepath.Join(dir, "vae-model.safetensors")
	require.NoError(t, vae.SaveModel(path, vs, cfg, nil))
	return path
}

// saveTinyDiffusion saves a conditional U-Net on 8×8 images with T = 1000 timesteps
// and a default of 4 DDIM steps.
func saveTinyDiffusion(t testing.TB, dir string) string {
	cfg := diffusion.PipelineConfig{
		UNet:  diffusion.UNetConfig{CondChannels: 1, Base: 4, Mults: []int{1, 2}, AttnRes: []int{4}, ImageSize: 8, Groups: 2, NumClasses: 3},
		Steps: 4, Guidance: 2, Clip: true,
	}
	vs := nn.NewVarStore(rand.New(rand.NewPCG(3, 3)))
	diffusion.NewUNet(vs.Root(), cfg.UNet)
	path := filepath.Join(dir, "model-pipeline.safetensors")
	require.NoError(t, diffusion.SavePipeline(path, vs, nil, cfg, nil))
	return path
}

// familyServer loads the three tiny image models through the loader table and serves
// them with httptest.
func familyServer(t *testing.T, wrap func(*server.Model)) *httptest.Server {
	dir := t.TempDir()
	var specs []server.Spec
	for _, s := range []string{"digits-gan=gan:" + saveTinyGAN(t, dir), "faces-vae=vae:" + saveTinyVAE(t, dir),
		"ddim=diffusion:" + saveTinyDiffusion(t, dir) + "?sampler=ddim"} {
		spec, err := server.ParseSpec(s)
		require.NoError(t, err)
		specs = append(specs, spec)
	}
	models, err := loaders.Load(context.Background(), specs)
	require.NoError(t, err)
	if wrap != nil {
		for _, m := range models {
			wrap(m)
		}
	}
	srv, err := server.New(server.Config{Models: models, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Seed: 1})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func postJSON(t *testing.T, ctx context.Context, url, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func decodeImages(t *testing.T, body []byte) []image.Image {
	var out server.ImageResponse
	require.NoError(t, json.Unmarshal(body, &out))
	var imgs []image.Image
	for _, im := range out.Images {
		raw, err := base64.StdEncoding.DecodeString(im.PNG)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(raw))
		require.NoError(t, err)
		imgs = append(imgs, img)
	}
	return imgs
}

func TestFamilyImageModelsOverHTTP(t *testing.T) {
	ts := familyServer(t, nil)
	resp, _, err := postJSON(t, context.Background(), ts.URL+"/v1/models", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	r, err := http.Get(ts.URL + "/v1/models")
	require.NoError(t, err)
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var list struct{ Models []server.ModelInfo }
	require.NoError(t, json.Unmarshal(body, &list), string(body))
	info := map[string]server.ModelInfo{}
	for _, m := range list.Models {
		info[m.Name] = m
	}
	assert.Equal(t, 3, info["digits-gan"].Classes)
	assert.Equal(t, 0, info["faces-vae"].Classes)
	assert.Equal(t, 4, info["ddim"].DefaultSteps)
	assert.True(t, info["ddim"].Guidance)

	for _, tc := range []struct{ model, req string }{
		{"digits-gan", `{"model":"digits-gan","n":3,"seed":5,"class":2}`},
		{"digits-gan", `{"model":"digits-gan","n":4,"seed":5}`},
		{"faces-vae", `{"model":"faces-vae","n":2,"seed":6}`},
		{"ddim", `{"model":"ddim","n":2,"seed":7,"class":1,"steps":3,"guidance":1.5}`},
		{"ddim", `{"model":"ddim","n":1,"seed":7}`},
	} {
		resp, body, err := postJSON(t, context.Background(), ts.URL+"/v1/images", tc.req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tc.req, body)
		imgs := decodeImages(t, body)
		want := map[string]int{"digits-gan": 28, "faces-vae": 8, "ddim": 8}[tc.model]
		for _, img := range imgs {
			assert.Equal(t, image.Rect(0, 0, want, want), img.Bounds(), tc.req)
		}
		_, again, err := postJSON(t, context.Background(), ts.URL+"/v1/images", tc.req)
		require.NoError(t, err)
		var a, b server.ImageResponse
		require.NoError(t, json.Unmarshal(body, &a))
		require.NoError(t, json.Unmarshal(again, &b))
		assert.Equal(t, a.Images, b.Images, "the same seed gives the same images")
	}
	// A model-specific limit and request fields the model does not take are 400s.
	for _, tc := range []struct{ req, field string }{
		{`{"model":"ddim","steps":1001}`, "steps"},
		{`{"model":"faces-vae","class":0}`, "class"},
		{`{"model":"digits-gan","steps":3}`, "steps"},
		{`{"model":"digits-gan","class":3}`, "class"},
	} {
		resp, body, err := postJSON(t, context.Background(), ts.URL+"/v1/images", tc.req)
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", tc.req, body)
		assert.Contains(t, string(body), `"field":"`+tc.field+`"`)
	}
}

// sampleRecorder wraps an image model and records when each Sample call returns.
type sampleRecorder struct {
	server.ImageModel
	mu   sync.Mutex
	done []time.Time
	errs []error
}

func (r *sampleRecorder) Sample(ctx context.Context, p server.ImageParams) ([]image.Image, error) {
	imgs, err := r.ImageModel.Sample(ctx, p)
	r.mu.Lock()
	r.done, r.errs = append(r.done, time.Now()), append(r.errs, err)
	r.mu.Unlock()
	return imgs, err
}

// TestDiffusionStopsWithin100msOfDisconnect starts a 1000-step DDPM chain over HTTP,
// disconnects, and checks that the sampling loop returns within 100 ms.
func TestDiffusionStopsWithin100msOfDisconnect(t *testing.T) {
	rec := map[string]*sampleRecorder{}
	ts := familyServer(t, func(m *server.Model) {
		r := &sampleRecorder{ImageModel: m.Image}
		rec[m.Name], m.Image = r, r
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := postJSON(t, ctx, ts.URL+"/v1/images", `{"model":"ddim","n":2,"steps":1000,"class":0}`)
	require.ErrorIs(t, err, context.Canceled)
	cancelled := start.Add(50 * time.Millisecond)
	r := rec["ddim"]
	require.Eventually(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.done) == 1 }, 2*time.Second, time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	require.ErrorIs(t, r.errs[0], context.Canceled)
	took := r.done[0].Sub(cancelled)
	t.Logf("sampling loop returned %v after the disconnect", took)
	assert.Less(t, took, 100*time.Millisecond)
}
