package demo

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

//go:embed corpus.txt
var corpus string

// CharMLPConfig configures a CharMLP and its training. Zero fields take the defaults.
type CharMLPConfig struct {
	Context int     // characters of context; default 8
	Embed   int     // embedding size per character; default 16
	Hidden  int     // hidden units; default 192
	Steps   int     // Adam steps at start-up; default 1500
	Batch   int     // windows per step; default 64
	LR      float64 // Adam learning rate; default 5e-3
	Seed    uint64  // seed of initialisation and batches; default 1
}

func (c CharMLPConfig) withDefaults() CharMLPConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Context, 8)
	def(&c.Embed, 16)
	def(&c.Hidden, 192)
	def(&c.Steps, 1500)
	def(&c.Batch, 64)
	if c.LR <= 0 {
		c.LR = 5e-3
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

// CharMLP is a character-level MLP language model (Bengio et al. 2003), a demo. It is
// safe for concurrent use once trained: inference builds no graph and shares nothing
// mutable.
type CharMLP struct {
	*server.Autoregressive
	cfg      CharMLPConfig
	alphabet []rune       // id -> rune
	ids      map[rune]int // rune -> id
	emb      *nn.Embedding
	net      nn.Sequential
	Loss     float64       // mean training loss over the last 100 steps (nats/char)
	Took     time.Duration // training time
}

// NewCharMLP trains a CharMLP on text. It returns an error if text has fewer than
// Context+1 characters or ctx is done before training ends.
func NewCharMLP(ctx context.Context, text string, cfg CharMLPConfig) (*CharMLP, error) {
	cfg = cfg.withDefaults()
	runes := []rune(text)
	if len(runes) <= cfg.Context {
		return nil, fmt.Errorf("demo: corpus of %d characters is shorter than the context %d", len(runes), cfg.Context)
	}
	m := &CharMLP{cfg: cfg, ids: map[rune]int{}}
	for _, r := range runes {
		if _, ok := m.ids[r]; !ok {
			m.ids[r] = 0
			m.alphabet = append(m.alphabet, r)
		}
	}
	slices.Sort(m.alphabet)
	for i, r := range m.alphabet {
		m.ids[r] = i
	}
	vocab := len(m.alphabet)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc4a2))
	vs := nn.NewVarStore(rng)
	vb := vs.Root()
	m.emb = nn.NewEmbedding(vb.Push("emb"), vocab+1, cfg.Embed, nil) // id vocab pads short contexts
	m.net = nn.Sequential{
		nn.NewLinear(vb.Push("fc1"), cfg.Context*cfg.Embed, cfg.Hidden, nn.LinearConfig{}), nn.Tanh{},
		nn.NewLinear(vb.Push("fc2"), cfg.Hidden, vocab, nn.LinearConfig{}),
	}
	m.Autoregressive = &server.Autoregressive{
		Encode: m.encode, Decode: m.decode, Logits: m.logits, ContextLen: cfg.Context, EOS: -1,
	}
	if err := m.train(ctx, runes, vs, rng); err != nil {
		return nil, err
	}
	return m, nil
}

// Vocab returns the number of characters the model knows.
func (m *CharMLP) Vocab() int { return len(m.alphabet) }

func (m *CharMLP) train(ctx context.Context, runes []rune, vs *nn.VarStore, rng *rand.Rand) error {
	cfg := m.cfg
	data := make([]int, len(runes))
	for i, r := range runes {
		data[i] = m.ids[r]
	}
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: cfg.LR})
	start := time.Now()
	x := make([]float32, cfg.Batch*cfg.Context)
	y := make([]float32, cfg.Batch)
	var recent []float64
	for step := range cfg.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		for b := range cfg.Batch {
			end := 1 + rng.IntN(len(data)-1) // predict data[end] from up to Context ids before it
			for j := range cfg.Context {
				pos := end - cfg.Context + j
				x[b*cfg.Context+j] = float32(len(m.alphabet)) // pad
				if pos >= 0 {
					x[b*cfg.Context+j] = float32(data[pos])
				}
			}
			y[b] = float32(data[end])
		}
		opt.ZeroGrad()
		logits := m.forward(autograd.Const(tensor.FromSlice(x, cfg.Batch, cfg.Context)))
		loss := nn.CrossEntropyLoss(logits, tensor.FromSlice(y, cfg.Batch), nn.CrossEntropyConfig{})
		loss.Backward()
		opt.Step()
		if step >= cfg.Steps-100 {
			recent = append(recent, float64(loss.Item()))
		}
	}
	var sum float64
	for _, l := range recent {
		sum += l
	}
	m.Loss, m.Took = sum/float64(len(recent)), time.Since(start)
	return nil
}

// forward maps ids (B,Context) to logits (B,Vocab).
func (m *CharMLP) forward(ids *autograd.Var) *autograd.Var {
	e := m.emb.Forward(ids)                                 // (B,Context) -> (B,Context,Embed)
	h := autograd.Reshape(e, -1, m.cfg.Context*m.cfg.Embed) // -> (B,Context·Embed)
	return m.net.Forward(h)                                 // -> (B,Vocab)
}

func (m *CharMLP) logits(ctx context.Context, ids []int) ([]float32, error) {
	x := make([]float32, m.cfg.Context)
	for j := range x {
		x[j] = float32(len(m.alphabet))
	}
	for j, id := range ids[max(0, len(ids)-m.cfg.Context):] {
		x[m.cfg.Context-min(len(ids), m.cfg.Context)+j] = float32(id)
	}
	return m.forward(autograd.NoGrad(tensor.FromSlice(x, 1, m.cfg.Context))).Value().Data(), nil
}

func (m *CharMLP) encode(text string) ([]int, error) {
	ids := make([]int, 0, len(text))
	for _, r := range text {
		id, ok := m.ids[r]
		if !ok {
			return nil, fmt.Errorf("character %q is not in the demo model's alphabet (%s)", r, strconv.Quote(string(m.alphabet)))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (m *CharMLP) decode(ids []int) string {
	rs := make([]rune, len(ids))
	for i, id := range ids {
		rs[i] = m.alphabet[id]
	}
	return string(rs)
}

// LoadCharMLP is the server.Loader of kind "demo-text". spec.Path names a UTF-8 text
// file to train on (empty: the embedded Shakespeare); options steps, hidden, context and
// seed override CharMLPConfig.
func LoadCharMLP(ctx context.Context, spec server.Spec) (*server.Model, error) {
	text := corpus
	if spec.Path != "" {
		b, err := os.ReadFile(spec.Path)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}
	var cfg CharMLPConfig
	for key, dst := range map[string]*int{"steps": &cfg.Steps, "hidden": &cfg.Hidden, "context": &cfg.Context} {
		if v := spec.Options.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				return nil, fmt.Errorf("option %s=%q: want an integer in [1, 1e6]", key, v)
			}
			*dst = n
		}
	}
	if v := spec.Options.Get("seed"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("option seed=%q: %w", v, err)
		}
		cfg.Seed = n
	}
	m, err := NewCharMLP(ctx, text, cfg)
	if err != nil {
		return nil, err
	}
	c := m.cfg
	return &server.Model{
		Text: m, Demo: true,
		Description: fmt.Sprintf("DEMO: character-level MLP (context %d, hidden %d, %d chars), trained %d steps in %.1fs at start-up on %d characters; loss %.2f nats/char. Not a transformer.",
			c.Context, c.Hidden, m.Vocab(), c.Steps, m.Took.Seconds(), len([]rune(text)), m.Loss),
	}, nil
}
