package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genblocks/genblocks/examples/serve/demo"
	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80/", "http://127.9.9.9"} {
		assert.NoError(t, checkLoopback(ok), ok)
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "http://example.com", "https://127.0.0.1", "http://0.0.0.0:80", "::"} {
		assert.Error(t, checkLoopback(bad), bad)
	}
}

func TestRunAgainstDemoServer(t *testing.T) {
	ctx := context.Background()
	text, err := demo.LoadCharMLP(ctx, server.Spec{Name: "chars", Kind: "demo-text", Options: map[string][]string{"steps": {"5"}}})
	require.NoError(t, err)
	text.Name = "chars"
	img, err := demo.LoadBlobs(ctx, server.Spec{})
	require.NoError(t, err)
	img.Name = "blobs"
	s, err := server.New(server.Config{Models: []*server.Model{text, img}, Logger: slog.New(slog.DiscardHandler),
		Limits: server.Limits{Workers: 2, Queue: -1}})
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	defer ts.Close()

	var out bytes.Buffer
	cfg := config{URL: ts.URL, Levels: []int{1, 8}, Requests: 16, Duration: 10 * time.Second,
		TextModel: "chars", ImageModel: "blobs", MaxTokens: 8, N: 2, Steps: 3, PID: os.Getpid()}
	require.NoError(t, run(ctx, cfg, &out))
	t.Log("\n" + out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6, "header, 2 endpoints × 2 levels, memory")
	for _, l := range lines[1:5] {
		f := strings.Fields(l)
		ok, _ := strconv.Atoi(f[2])
		busy, _ := strconv.Atoi(f[3])
		assert.Equal(t, "0", f[4], "no errors: %s", l)
		assert.Equal(t, 16, ok+busy, "every request answered 200 or 429: %s", l)
		if f[1] == "1" {
			assert.Equal(t, 16, ok, "all requests succeed at concurrency 1: %s", l)
		}
	}
	assert.Contains(t, lines[5], "peak RSS")
}

func TestSpawnServerFailsWhenTheServerExits(t *testing.T) {
	cfg := config{URL: "http://127.0.0.1:1"}
	_, err := spawnServer(context.Background(), &cfg, "/bin/false")
	assert.ErrorContains(t, err, "exited before it was ready")
	_, err = spawnServer(context.Background(), &config{URL: "http://10.0.0.1:80"}, "/bin/true")
	assert.ErrorContains(t, err, "loopback")
}
