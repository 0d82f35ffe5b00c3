package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/genblocks/genblocks/examples/serve/server"
)

// echo is a TextModel that repeats the prompt's words, one token each.
type echo struct{}

func (echo) Generate(ctx context.Context, prompt string, p server.TextParams, emit func(string) error) (server.Usage, error) {
	words := strings.Fields(prompt)
	for i := range min(p.MaxTokens, len(words)) {
		if err := ctx.Err(); err != nil {
			return server.Usage{}, err
		}
		if err := emit(words[i] + " "); err != nil {
			return server.Usage{}, err
		}
	}
	return server.Usage{PromptTokens: len(words)}, nil
}

func ExampleServer() {
	s, err := server.New(server.Config{
		Models: []*server.Model{{Name: "echo", Kind: "text", Text: echo{}}},
		Limits: server.Limits{MaxTokens: 8, Workers: 2},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, body := range []string{
		`{"prompt":"to be or not to be","max_tokens":4,"seed":1}`,
		`{"prompt":"x","max_tokens":9}`,
	} {
		resp, err := http.Post(ts.URL+"/v1/generate", "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Drop the request id, which varies from run to run.
		out := string(b)
		if i := strings.Index(out, `"request_id"`); i >= 0 {
			out = out[:i] + "…"
		}
		fmt.Print(resp.StatusCode, " ", strings.Replace(out, `"id":"`+resp.Header.Get("X-Request-Id")+`",`, "", 1))
	}
	// Output:
	// 200 {"model":"echo","text":"to be or not ","seed":1,"usage":{"prompt_tokens":6,"completion_tokens":4,"finish_reason":"length"}}
	// 400 {"error":{"code":400,"message":"must be in [1, 8], got 9","field":"max_tokens",…
}

func ExampleParseSpec() {
	spec, err := server.ParseSpec("digits=diffusion:ckpt/ddpm.safetensors?steps=50")
	fmt.Println(spec.Name, spec.Kind, spec.Path, spec.Options.Get("steps"), err)
	// Output: digits diffusion ckpt/ddpm.safetensors 50 <nil>
}
