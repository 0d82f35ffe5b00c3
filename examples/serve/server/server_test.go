package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEndpoints(t *testing.T) {
	_, ts, _ := newTest(t, Limits{}, testModels(nil, nil))

	t.Run("healthz", func(t *testing.T) {
		resp, err := ts.Client().Get(ts.URL + "/healthz")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
	})
	t.Run("models", func(t *testing.T) {
		resp, err := ts.Client().Get(ts.URL + "/v1/models")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		var out struct {
			Models []ModelInfo `json:"models"`
			Limits LimitsInfo  `json:"limits"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		require.Len(t, out.Models, 3)
		assert.Equal(t, ModelInfo{Name: "diff", Kind: "diffusion", Type: "image", Width: 4, Height: 4, Classes: 10, DefaultSteps: 3, Guidance: true}, out.Models[2])
		assert.Equal(t, "text", out.Models[0].Type)
		assert.Equal(t, 512, out.Limits.MaxTokens)
	})
	t.Run("generate", func(t *testing.T) {
		resp, body := post(t, ts, "/v1/generate", `{"prompt":"a b c","max_tokens":3,"seed":42}`, "X-Request-Id", "my-id.1")
		require.Equal(t, 200, resp.StatusCode, string(body))
		var out GenerateResponse
		require.NoError(t, json.Unmarshal(body, &out))
		assert.Equal(t, GenerateResponse{ID: "my-id.1", Model: "txt", Text: "t0 t1 t2 ", Seed: 42,
			Usage: Usage{PromptTokens: 3, CompletionTokens: 3, FinishReason: "length"}}, out)
		assert.Equal(t, "my-id.1", resp.Header.Get("X-Request-Id"))
	})
	t.Run("generate stop", func(t *testing.T) {
		resp, body := post(t, ts, "/v1/generate", `{"model":"txt","max_tokens":10,"stop":["2 t","zz"]}`)
		require.Equal(t, 200, resp.StatusCode, string(body))
		var out GenerateResponse
		require.NoError(t, json.Unmarshal(body, &out))
		assert.Equal(t, "t0 t1 t", out.Text)
		assert.Equal(t, "stop", out.Usage.FinishReason)
		assert.Equal(t, 4, out.Usage.CompletionTokens) // "t3 " completes "2 t"
	})
	t.Run("images json", func(t *testing.T) {
		resp, body := post(t, ts, "/v1/images", `{"model":"diff","n":3,"seed":9,"class":2,"steps":2,"guidance":1.5}`)
		require.Equal(t, 200, resp.StatusCode, string(body))
		var out ImageResponse
		require.NoError(t, json.Unmarshal(body, &out))
		require.Len(t, out.Images, 3)
		assert.Equal(t, uint64(9), out.Seed)
		for i, im := range out.Images {
			raw, err := base64.StdEncoding.DecodeString(im.PNG)
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Equal(t, 4, img.Bounds().Dx())
			r, _, _, _ := img.At(0, 0).RGBA()
			assert.Equal(t, uint32(i), r>>8)
			r, _, _, _ = img.At(1, 1).RGBA()
			assert.Equal(t, uint32(9), r>>8)
		}
	})
	t.Run("images png", func(t *testing.T) {
		resp, body := post(t, ts, "/v1/images", `{"model":"gan","seed":200}`, "Accept", "image/png")
		require.Equal(t, 200, resp.StatusCode, string(body))
		assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		assert.Equal(t, "200", resp.Header.Get("X-Seed"))
		img, err := png.Decode(bytes.NewReader(body))
		require.NoError(t, err)
		r, _, _, _ := img.At(2, 2).RGBA()
		assert.Equal(t, uint32(200), r>>8)
	})
	t.Run("metrics", func(t *testing.T) {
		resp, err := ts.Client().Get(ts.URL + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		text := string(b)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain; version=0.0.4")
		for _, want := range []string{
			`genblocks_http_requests_total{path="/v1/generate",code="200"} 2`,
			`genblocks_http_requests_total{path="/v1/images",code="200"} 2`,
			`genblocks_tokens_generated_total{model="txt"} 7`,
			`genblocks_images_generated_total{model="diff"} 3`,
			`genblocks_images_generated_total{model="gan"} 1`,
			`genblocks_http_request_duration_seconds_count{path="/v1/generate"} 2`,
			`genblocks_http_request_duration_seconds_bucket{path="/healthz",le="+Inf"} 1`,
			"# TYPE genblocks_http_request_duration_seconds histogram",
			"go_memstats_heap_alloc_bytes ",
			"process_resident_memory_bytes ",
		} {
			assert.Contains(t, text, want)
		}
	})
}

func TestClientErrors(t *testing.T) {
	_, ts, _ := newTest(t, Limits{MaxBodyBytes: 512, MaxTokens: 100, MaxImages: 4, MaxSteps: 50}, testModels(nil, nil))
	tests := []struct {
		name, path, body, accept string
		status                   int
		field                    string
	}{
		{"max_tokens zero", "/v1/generate", `{"max_tokens":0}`, "", 400, "max_tokens"},
		{"max_tokens above limit", "/v1/generate", `{"max_tokens":101}`, "", 400, "max_tokens"},
		{"max_tokens float", "/v1/generate", `{"max_tokens":1.5}`, "", 400, "max_tokens"},
		{"temperature negative", "/v1/generate", `{"temperature":-1}`, "", 400, "temperature"},
		{"temperature huge", "/v1/generate", `{"temperature":1e300}`, "", 400, "temperature"},
		{"top_k negative", "/v1/generate", `{"top_k":-1}`, "", 400, "top_k"},
		{"top_p zero", "/v1/generate", `{"top_p":0}`, "", 400, "top_p"},
		{"top_p above one", "/v1/generate", `{"top_p":1.01}`, "", 400, "top_p"},
		{"seed negative", "/v1/generate", `{"seed":-1}`, "", 400, "seed"},
		{"seed string", "/v1/generate", `{"seed":"1"}`, "", 400, "seed"},
		{"stop too many", "/v1/generate", `{"stop":["a","b","c","d","e"]}`, "", 400, "stop"},
		{"stop empty", "/v1/generate", `{"stop":[""]}`, "", 400, "stop"},
		{"stop not array", "/v1/generate", `{"stop":"x"}`, "", 400, "stop"},
		{"prompt number", "/v1/generate", `{"prompt":1}`, "", 400, "prompt"},
		{"stream string", "/v1/generate", `{"stream":"yes"}`, "", 400, "stream"},
		{"unknown field", "/v1/generate", `{"prompt":"x","max_token":3}`, "", 400, "max_token"},
		{"invalid json", "/v1/generate", `{"prompt":`, "", 400, ""},
		{"trailing data", "/v1/generate", `{"prompt":"x"} {}`, "", 400, ""},
		{"empty body", "/v1/generate", ``, "", 400, ""},
		{"array body", "/v1/generate", `[1]`, "", 400, ""},
		{"unknown text model", "/v1/generate", `{"model":"nope"}`, "", 404, "model"},
		{"image model as text", "/v1/generate", `{"model":"gan"}`, "", 404, "model"},
		{"body too large", "/v1/generate", `{"prompt":"` + strings.Repeat("x", 600) + `"}`, "", 413, ""},
		{"n zero", "/v1/images", `{"model":"gan","n":0}`, "", 400, "n"},
		{"n above limit", "/v1/images", `{"model":"gan","n":5}`, "", 400, "n"},
		{"n with png", "/v1/images", `{"model":"gan","n":2}`, "image/png", 400, "n"},
		{"class negative", "/v1/images", `{"model":"diff","class":-1}`, "", 400, "class"},
		{"class too big", "/v1/images", `{"model":"diff","class":10}`, "", 400, "class"},
		{"class unconditional", "/v1/images", `{"model":"gan","class":1}`, "", 400, "class"},
		{"steps zero", "/v1/images", `{"model":"diff","steps":0}`, "", 400, "steps"},
		{"steps above limit", "/v1/images", `{"model":"diff","steps":51}`, "", 400, "steps"},
		{"steps for gan", "/v1/images", `{"model":"gan","steps":5}`, "", 400, "steps"},
		{"guidance negative", "/v1/images", `{"model":"diff","guidance":-0.5}`, "", 400, "guidance"},
		{"guidance for gan", "/v1/images", `{"model":"gan","guidance":2}`, "", 400, "guidance"},
		{"image model required", "/v1/images", `{}`, "", 400, "model"},
		{"unknown image model", "/v1/images", `{"model":"nope"}`, "", 404, "model"},
		{"image body too large", "/v1/images", strings.Repeat(" ", 600) + `{}`, "", 413, ""},
		{"unknown path", "/v2/generate", `{}`, "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, ts, tc.path, tc.body, "Accept", tc.accept)
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var e errorBody
			require.NoError(t, json.Unmarshal(body, &e), string(body))
			assert.Equal(t, tc.status, e.Error.Code)
			assert.Equal(t, tc.field, e.Error.Field, e.Error.Message)
			assert.NotEmpty(t, e.Error.Message)
			assert.Equal(t, resp.Header.Get("X-Request-Id"), e.Error.RequestID)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	_, ts, _ := newTest(t, Limits{}, testModels(nil, nil))
	for path, method := range routes {
		other := http.MethodPost
		if method == http.MethodPost {
			other = http.MethodGet
		}
		req, _ := http.NewRequest(other, ts.URL+path, nil)
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 405, resp.StatusCode, path)
		assert.Equal(t, method, resp.Header.Get("Allow"), path)
	}
}

func TestPoolFull429(t *testing.T) {
	text := &fakeText{Started: make(chan struct{}), Release: make(chan struct{})}
	_, ts, _ := newTest(t, Limits{Workers: 1, Queue: -1, RetryAfter: 3 * time.Second}, testModels(text, nil))
	done := make(chan int)
	go func() {
		resp, err := ts.Client().Post(ts.URL+"/v1/generate", "application/json", strings.NewReader(`{"max_tokens":1}`))
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-text.Started // the only worker is busy
	resp, body := post(t, ts, "/v1/generate", `{"max_tokens":1}`)
	assert.Equal(t, 429, resp.StatusCode, string(body))
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	resp, _ = post(t, ts, "/v1/images", `{"model":"gan"}`)
	assert.Equal(t, 429, resp.StatusCode)
	close(text.Release)
	assert.Equal(t, 200, <-done)
	resp, _ = post(t, ts, "/v1/generate", `{"max_tokens":1}`)
	assert.Equal(t, 200, resp.StatusCode, "the slot is free again")
}

func TestQueueWaitsForWorker(t *testing.T) {
	text := &fakeText{Delay: 20 * time.Millisecond}
	_, ts, _ := newTest(t, Limits{Workers: 2, Queue: 30}, testModels(text, nil))
	var wg sync.WaitGroup
	codes := make([]int, 32)
	for i := range codes {
		wg.Go(func() {
			resp, err := ts.Client().Post(ts.URL+"/v1/generate", "application/json", strings.NewReader(`{"max_tokens":2}`))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	for _, c := range codes {
		assert.Equal(t, 200, c)
	}
}

func TestModelPanic500(t *testing.T) {
	for _, tc := range []struct{ name, path, body string }{
		{"text", "/v1/generate", `{"max_tokens":5}`},
		{"image", "/v1/images", `{"model":"gan"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ts, logs := newTest(t, Limits{}, testModels(&fakeText{PanicAt: 2}, &fakeImage{Panic: true}))
			resp, body := post(t, ts, tc.path, tc.body, "X-Request-Id", "panic-"+tc.name)
			require.Equal(t, 500, resp.StatusCode, string(body))
			var e errorBody
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Equal(t, "panic-"+tc.name, e.Error.RequestID)
			assert.NotContains(t, e.Error.Message, "exploded", "panic details stay in the log")
			assert.Contains(t, logs.String(), `"msg":"panic in model","id":"panic-`+tc.name)
			assert.Contains(t, logs.String(), "goroutine") // the stack
			// The server still works.
			resp, err := ts.Client().Get(ts.URL + "/healthz")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
		})
	}
}

func TestHandlerPanic500(t *testing.T) {
	s, ts, logs := newTest(t, Limits{}, testModels(nil, nil))
	s.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic(errors.New("handler bug")) })
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/boom", nil)
	req.Header.Set("X-Request-Id", "h-1")
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 500, resp.StatusCode)
	assert.Contains(t, logs.String(), `"msg":"panic in handler","id":"h-1"`)
	assert.Contains(t, logs.String(), `"msg":"request","id":"h-1","method":"GET","path":"/boom","status":500`)
}

// within asserts that the model saw its context done within 100 ms of ref.
func within100ms(t *testing.T, text *fakeText, ref func(deadline time.Time) time.Time) {
	t.Helper()
	var seen, dl time.Time
	require.Eventually(t, func() bool {
		var ok bool
		seen, dl, ok = text.observed()
		return ok
	}, 2*time.Second, time.Millisecond, "the model never saw its context done")
	lag := seen.Sub(ref(dl))
	t.Logf("model observed cancellation %v after it happened", lag)
	assert.Less(t, lag, 100*time.Millisecond)
	assert.GreaterOrEqual(t, lag, time.Duration(0))
}

func TestTimeout504(t *testing.T) {
	for _, stream := range []bool{false, true} {
		text := &fakeText{Delay: time.Millisecond, Forever: true}
		_, ts, logs := newTest(t, Limits{Timeout: 80 * time.Millisecond}, testModels(text, nil))
		body := `{"max_tokens":5}`
		if stream {
			body = `{"max_tokens":5,"stream":true}`
		}
		start := time.Now()
		resp, b := post(t, ts, "/v1/generate", body)
		took := time.Since(start)
		if stream { // the stream has begun: the error comes as an event
			require.Equal(t, 200, resp.StatusCode)
			assert.Contains(t, string(b), "event: error\ndata: {\"error\":{\"code\":504,")
			assert.Contains(t, logs.String(), `"status":504`)
		} else {
			require.Equal(t, 504, resp.StatusCode, string(b))
		}
		assert.Less(t, took, 80*time.Millisecond+time.Second)
		within100ms(t, text, func(deadline time.Time) time.Time { return deadline })
	}
	// An image model in its step loop, too.
	_, ts, _ := newTest(t, Limits{Timeout: 50 * time.Millisecond}, testModels(nil, &fakeImage{StepDelay: 10 * time.Millisecond}))
	resp, _ := post(t, ts, "/v1/images", `{"model":"diff","steps":1000}`)
	assert.Equal(t, 504, resp.StatusCode)
}

func TestClientDisconnectCancelsModel(t *testing.T) {
	for _, stream := range []bool{false, true} {
		text := &fakeText{Delay: time.Millisecond, Forever: true, Started: make(chan struct{})}
		_, ts, logs := newTest(t, Limits{}, testModels(text, nil))
		ctx, cancel := context.WithCancel(context.Background())
		body := `{"max_tokens":5}`
		if stream {
			body = `{"max_tokens":5,"stream":true}`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/generate", strings.NewReader(body))
		errc := make(chan error, 1)
		go func() {
			resp, err := ts.Client().Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			errc <- err
		}()
		<-text.Started
		time.Sleep(20 * time.Millisecond)
		cancelled := time.Now()
		cancel()
		require.Error(t, <-errc)
		within100ms(t, text, func(time.Time) time.Time { return cancelled })
		require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"status":499`) }, time.Second, time.Millisecond)
	}
}

// sseEvent is one parsed server-sent event.
type sseEvent struct{ name, data string }

func readSSE(t *testing.T, r io.Reader) []sseEvent {
	t.Helper()
	var events []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			require.NotEmpty(t, cur.name)
			events = append(events, cur)
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			require.Empty(t, cur.data, "one data line per event")
			cur.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	require.NoError(t, sc.Err())
	require.Equal(t, sseEvent{}, cur, "stream ends after a blank line")
	return events
}

func TestSSEStream(t *testing.T) {
	_, ts, _ := newTest(t, Limits{}, testModels(&fakeText{Delay: time.Millisecond}, nil))
	resp, err := ts.Client().Post(ts.URL+"/v1/generate", "application/json",
		strings.NewReader(`{"prompt":"hi","max_tokens":6,"seed":5,"stream":true,"stop":["3 t4"]}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	events := readSSE(t, resp.Body)
	var text strings.Builder
	for _, ev := range events[:len(events)-1] {
		require.Equal(t, "token", ev.name)
		var tok struct{ Text string }
		require.NoError(t, json.Unmarshal([]byte(ev.data), &tok))
		require.NotEmpty(t, tok.Text)
		text.WriteString(tok.Text)
	}
	assert.Equal(t, "t0 t1 t2 t", text.String(), "text up to the stop sequence, which is never sent")
	last := events[len(events)-1]
	require.Equal(t, "done", last.name)
	var done GenerateResponse
	require.NoError(t, json.Unmarshal([]byte(last.data), &done))
	assert.Equal(t, Usage{PromptTokens: 1, CompletionTokens: 5, FinishReason: "stop"}, done.Usage)
	assert.Equal(t, uint64(5), done.Seed)
}

func TestStopScanner(t *testing.T) {
	tests := []struct {
		stops  []string
		tokens []string
		want   []string // output of each push, then of flush
		stop   bool
	}{
		{nil, []string{"ab", "c"}, []string{"ab", "c", ""}, false},
		{[]string{"END"}, []string{"abE", "N", "x"}, []string{"ab", "", "ENx", ""}, false},
		{[]string{"END"}, []string{"abE", "N", "Dzz"}, []string{"ab", "", ""}, true},
		{[]string{"b", "abc"}, []string{"xab"}, []string{"xa"}, true},
		{[]string{"\n\n"}, []string{"line\n", "\n"}, []string{"line", ""}, true},
		{[]string{"aa"}, []string{"a", "b", "a"}, []string{"", "ab", "", "a"}, false},
		{[]string{"é!"}, []string{"caf\xc3", "\xa9", "?"}, []string{"caf", "", "é?", ""}, false},
	}
	for _, tc := range tests {
		s := stopScanner{stops: tc.stops}
		var got []string
		stopped := false
		for _, tok := range tc.tokens {
			out, st := s.push(tok)
			got = append(got, out)
			if st {
				stopped = true
				break
			}
		}
		if !stopped {
			got = append(got, s.flush())
		}
		assert.Equal(t, tc.want, got, "%q %q", tc.stops, tc.tokens)
		assert.Equal(t, tc.stop, stopped)
	}
}

func TestGracefulShutdownDrains(t *testing.T) {
	text := &fakeText{Delay: 30 * time.Millisecond, Started: make(chan struct{})}
	s, err := New(Config{Models: testModels(text, nil), Logger: discardLogger()})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, 5*time.Second) }()
	url := "http://" + ln.Addr().String()

	type result struct {
		code int
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Post(url+"/v1/generate", "application/json", strings.NewReader(`{"max_tokens":10}`))
		if err != nil {
			got <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-text.Started
	stop() // SIGTERM
	require.Eventually(t, func() bool { return s.draining.Load() }, time.Second, time.Millisecond)
	r := <-got
	require.NoError(t, r.err)
	assert.Equal(t, 200, r.code, "the in-flight request finishes")
	assert.Contains(t, r.body, "t9 ")
	require.NoError(t, <-served)
	_, err = http.Get(url + "/healthz")
	assert.Error(t, err, "no new connections after shutdown")
}

func TestShutdownDeadlineCancelsModels(t *testing.T) {
	text := &fakeText{Delay: time.Millisecond, Forever: true, Started: make(chan struct{})}
	s, err := New(Config{Models: testModels(text, nil), Logger: discardLogger()})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, 100*time.Millisecond) }()
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/generate", "application/json", strings.NewReader(`{}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-text.Started
	stopped := time.Now()
	stop()
	err = <-served
	require.Error(t, err)
	assert.Contains(t, err.Error(), "drain deadline")
	within100ms(t, text, func(time.Time) time.Time { return stopped.Add(100 * time.Millisecond) })
}

func TestConcurrentMixedLoad(t *testing.T) {
	_, ts, _ := newTest(t, Limits{Workers: 4, Queue: 64}, testModels(&fakeText{}, &fakeImage{}))
	var wg sync.WaitGroup
	for i := range 48 {
		wg.Go(func() {
			path, body := "/v1/generate", `{"max_tokens":4,"stream":true}`
			switch i % 3 {
			case 1:
				path, body = "/v1/images", `{"model":"diff","n":2}`
			case 2:
				path, body = "/v1/generate", `{"max_tokens":3,"stop":["t1"]}`
			}
			resp, err := ts.Client().Post(ts.URL+path, "application/json", strings.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
		})
	}
	wg.Wait()
}
