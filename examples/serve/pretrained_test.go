package main

import (
	"context"
	"encoding/json"
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/stretchr/testify/require"
)

// With no -model flag the server loads every model embedded in examples/pretrained and
// each answers.
func TestDefaultModelsArePretrained(t *testing.T) {
	models, err := loaders.Load(context.Background(), defaultSpecs)
	require.NoError(t, err)
	srv, err := server.New(server.Config{Models: models, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Seed: 1})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	for _, tc := range []struct{ req, want string }{
		{`{"model":"dates","prompt":"Thursday, 26 November 2026"}`, "2026-11-26"},
		{`{"model":"dates","prompt":"the 3rd of March, 1999"}`, "1999-03-03"},
	} {
		resp, body, err := postJSON(t, context.Background(), ts.URL+"/v1/generate", tc.req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var r server.GenerateResponse
		require.NoError(t, json.Unmarshal(body, &r))
		require.Equal(t, tc.want, r.Text)
	}
	resp, body, err := postJSON(t, context.Background(), ts.URL+"/v1/generate", `{"model":"dates","prompt":"26 Nov ☃"}`)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))

	resp, body, err = postJSON(t, context.Background(), ts.URL+"/v1/generate", `{"model":"gpt","prompt":"ROMEO:","max_tokens":20,"seed":1}`)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var g server.GenerateResponse
	require.NoError(t, json.Unmarshal(body, &g))
	require.Len(t, []rune(g.Text), 20)

	for _, req := range []string{`{"model":"gan","n":2,"seed":1}`, `{"model":"vae","n":2,"seed":1}`, `{"model":"diffusion","n":1,"steps":5,"seed":1}`} {
		resp, body, err := postJSON(t, context.Background(), ts.URL+"/v1/images", req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", req, body)
		for _, img := range decodeImages(t, body) {
			require.Equal(t, image.Rect(0, 0, 28, 28), img.Bounds(), req)
		}
	}
}
