package server

import (
	"context"
	"fmt"
	"image"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// TextModel is a loaded text generator. Implementations must be safe for concurrent
// use: the server calls Generate from many goroutines at once.
//
// Generate continues prompt with at most p.MaxTokens tokens, calling emit with the text
// of each token as it is produced (a token may be empty or a partial character; the
// server joins them). It must check ctx at least once per token and return ctx.Err()
// promptly when ctx is done (timeout or client gone), and it must stop and return emit's
// error when emit fails. Stop sequences (p.Stop) are applied by the server, which ends
// generation through emit; a model may ignore them. A model reports bad parameters it
// alone can judge (a prompt longer than its context, say) with a *FieldError, which the
// server turns into 400.
type TextModel interface {
	Generate(ctx context.Context, prompt string, p TextParams, emit func(token string) error) (Usage, error)
}

// ImageModel is a loaded image sampler (GAN, VAE, diffusion). Implementations must be
// safe for concurrent use and must check ctx at least once per sampling step (or per
// image for one-shot samplers), returning ctx.Err() when it is done.
//
// Sample returns exactly p.N images. The same p (including Seed) gives the same images.
type ImageModel interface {
	Sample(ctx context.Context, p ImageParams) ([]image.Image, error)
}

// TextParams are the sampling parameters of a text request, already validated against
// the server's limits.
type TextParams struct {
	MaxTokens   int      // ≥ 1
	Temperature float64  // 0 means greedy (argmax)
	TopK        int      // 0 means no top-k cut
	TopP        float64  // in (0,1]; 1 means no nucleus cut
	Seed        uint64   // seed of the sampler's random stream
	Stop        []string // stop sequences, applied by the server
}

// ImageParams are the parameters of an image request, already validated against the
// server's limits and the model's Info.
type ImageParams struct {
	N        int     // number of images, ≥ 1
	Seed     uint64  // seed of the sampler's random stream
	Class    int     // class label when HasClass, else 0
	HasClass bool    // whether a class was asked for (only for conditional models)
	Steps    int     // sampling steps (diffusion); 0 for models that take none
	Guidance float64 // classifier-free guidance scale; 0 when not asked for
}

// Usage reports what a generation consumed and why it ended.
type Usage struct {
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	FinishReason     string `json:"finish_reason"` // "length", "stop" (stop sequence) or "eos"
}

// Model is a loaded model with what the server needs to know about it. Exactly one of
// Text and Image is set.
type Model struct {
	Name        string // unique name, as used in requests
	Kind        string // loader kind: "text", "gan", "vae", "diffusion", "demo-text", …
	Description string // one line for /v1/models
	Demo        bool   // a toy model shipped with the server, not a trained family model
	Text        TextModel
	Image       ImageModel
	// Image models only.
	Width, Height int  // size of the images
	Classes       int  // number of class labels for conditional sampling; 0: unconditional
	DefaultSteps  int  // steps used when a request gives none; 0: the model takes no steps
	Guidance      bool // whether the model accepts a guidance scale
}

// Spec is a parsed -model flag: name=kind:path[?key=value&…].
type Spec struct {
	Name    string
	Kind    string
	Path    string     // may be empty (demo models)
	Options url.Values // from the optional ?query part
}

// String returns the flag form of s.
func (s Spec) String() string {
	out := s.Name + "=" + s.Kind + ":" + s.Path
	if len(s.Options) > 0 {
		out += "?" + s.Options.Encode()
	}
	return out
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseSpec parses name=kind:path[?key=value&…]. Names are 1–64 characters of letters,
// digits, '.', '_' and '-'.
func ParseSpec(s string) (Spec, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok {
		return Spec{}, fmt.Errorf("model spec %q: want name=kind:path", s)
	}
	kind, path, ok := strings.Cut(rest, ":")
	if !ok || kind == "" {
		return Spec{}, fmt.Errorf("model spec %q: want name=kind:path", s)
	}
	if !nameRE.MatchString(name) {
		return Spec{}, fmt.Errorf("model spec %q: bad name %q (letters, digits, '.', '_', '-'; at most 64)", s, name)
	}
	spec := Spec{Name: name, Kind: kind, Path: path}
	if p, q, ok := strings.Cut(path, "?"); ok {
		opts, err := url.ParseQuery(q)
		if err != nil {
			return Spec{}, fmt.Errorf("model spec %q: options: %w", s, err)
		}
		spec.Path, spec.Options = p, opts
	}
	return spec, nil
}

// Loader loads the model a Spec describes. The returned Model's Name and Kind are set
// by Loaders.Load.
type Loader func(ctx context.Context, spec Spec) (*Model, error)

// Loaders maps a model kind to its loader.
type Loaders map[string]Loader

// Load loads every spec, checking that names are unique and that each loader returns a
// usable model.
func (l Loaders) Load(ctx context.Context, specs []Spec) ([]*Model, error) {
	var models []*Model
	seen := map[string]bool{}
	for _, spec := range specs {
		if seen[spec.Name] {
			return nil, fmt.Errorf("model %q given twice", spec.Name)
		}
		seen[spec.Name] = true
		load, ok := l[spec.Kind]
		if !ok {
			return nil, fmt.Errorf("model %s: unknown kind %q (known: %s)", spec.Name, spec.Kind, strings.Join(l.Kinds(), ", "))
		}
		m, err := load(ctx, spec)
		if err != nil {
			return nil, fmt.Errorf("model %s (%s): %w", spec.Name, spec.Kind, err)
		}
		if (m.Text == nil) == (m.Image == nil) {
			return nil, fmt.Errorf("model %s (%s): loader must set exactly one of Text and Image", spec.Name, spec.Kind)
		}
		m.Name, m.Kind = spec.Name, spec.Kind
		models = append(models, m)
	}
	return models, nil
}

// Kinds returns the known kinds, sorted.
func (l Loaders) Kinds() []string {
	kinds := make([]string, 0, len(l))
	for k := range l {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}
