package transformer

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// TextModel is a GPT with its tokenizer: what a service needs to turn a prompt into
// text. It is safe for concurrent use (see GPT).
type TextModel struct {
	GPT       *GPT
	Tokenizer Tokenizer
	Meta      map[string]string // the checkpoint's metadata
}

// The checkpoint metadata SaveGPTCheckpoint writes besides nn.ConfigMetadata's keys.
const (
	metaTokenizer = "tokenizer"
	gptFormat     = "genblocks-gpt"
)

// SaveGPTCheckpoint writes m's weights to path as safetensors, atomically, with its
// GPTConfig and tokenizer (a *CharTokenizer) as JSON in the metadata, so that
// LoadTextModel can rebuild both in one call. Extra tensors (an optimizer's state
// under a prefix, say) and metadata entries are stored beside them.
func SaveGPTCheckpoint(path string, m *GPT, tok *CharTokenizer, extra map[string]*tensor.Tensor, meta map[string]string) error {
	all := m.Store.StateDict()
	for k, v := range extra {
		if _, dup := all[k]; dup {
			return fmt.Errorf("transformer: SaveGPTCheckpoint: extra tensor %q clashes with a weight", k)
		}
		all[k] = v
	}
	md, err := nn.ConfigMetadata(gptFormat, 1, m.Config, meta)
	if err != nil {
		return fmt.Errorf("transformer: SaveGPTCheckpoint: %w", err)
	}
	if tok != nil {
		tj, err := json.Marshal(tok)
		if err != nil {
			return fmt.Errorf("transformer: SaveGPTCheckpoint: %w", err)
		}
		md[metaTokenizer] = string(tj)
	}
	return nn.SaveFile(path, all, md)
}

// LoadTextModel loads a text generator in one call from either a safetensors file
// written by SaveGPTCheckpoint (weights, config and character tokenizer inside) or a
// HuggingFace GPT-2 directory (model.safetensors, vocab.json and merges.txt, optional
// config.json). Tensors whose names start with "optim." are ignored. Errors name the
// file at fault.
func LoadTextModel(path string) (*TextModel, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	if fi.IsDir() {
		m, err := LoadGPT2Model(path)
		if err != nil {
			return nil, err
		}
		tok, err := LoadGPT2Dir(path)
		if err != nil {
			return nil, fmt.Errorf("transformer: %w", err)
		}
		if tok.VocabSize() != m.Config.VocabSize {
			return nil, fmt.Errorf("transformer: %s: tokenizer has %d tokens, model %d", path, tok.VocabSize(), m.Config.VocabSize)
		}
		return &TextModel{GPT: m, Tokenizer: tok}, nil
	}
	return nn.LoadCheckpoint(nil, path, "transformer", TextModelFrom)
}

// LoadTextModelFS loads a checkpoint written by SaveGPTCheckpoint from file name of
// fsys, for example one embedded with go:embed. Errors name the file.
func LoadTextModelFS(fsys fs.FS, name string) (*TextModel, error) {
	return nn.LoadCheckpoint(fsys, name, "transformer", TextModelFrom)
}

// TextModelFrom builds a text model from a parsed checkpoint written by
// SaveGPTCheckpoint, for example nn.ParseSafetensors of bytes held in memory. Tensors
// whose names start with "optim." are ignored; any other key that does not fit the
// config is reported in a *nn.StateDictError.
func TextModelFrom(st *nn.Safetensors) (*TextModel, error) {
	cfg, tok, err := parseTextMeta(st.Metadata)
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	weights := map[string]*tensor.Tensor{}
	have := 0
	for k, v := range st.Tensors {
		if !strings.HasPrefix(k, "optim.") {
			weights[k] = v
			have += v.Numel()
		}
	}
	if need := cfg.minParams(); need > float64(have) {
		return nil, fmt.Errorf("transformer: the config needs at least %.0f weights, the file holds %d", need, have)
	}
	m, err := LoadGPT(weights, cfg)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("transformer: tokenizer has %d tokens, model %d", tok.VocabSize(), m.Config.VocabSize)
	}
	return &TextModel{GPT: m, Tokenizer: tok, Meta: st.Metadata}, nil
}

// Limits on a GPT config read from a checkpoint.
const (
	maxVocab  = 1 << 22
	maxWidth  = 1 << 16 // Dim, BlockSize
	maxLayers = 1024
)

// parseTextMeta reads and validates the GPTConfig and the character tokenizer of the
// metadata SaveGPTCheckpoint writes.
func parseTextMeta(md map[string]string) (GPTConfig, *CharTokenizer, error) {
	var cfg GPTConfig
	if err := nn.ReadConfig(md, gptFormat, 1, &cfg); err != nil {
		return cfg, nil, err
	}
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	if !in(cfg.VocabSize, 1, maxVocab) || !in(cfg.BlockSize, 0, maxWidth) || !in(cfg.Layers, 0, maxLayers) ||
		!in(cfg.Heads, 0, maxWidth) || !in(cfg.Dim, 0, maxWidth) || !(cfg.Dropout >= 0 && cfg.Dropout < 1) ||
		!(cfg.Eps >= 0 && cfg.Eps < 1) || !(cfg.InitStd >= 0) || !in(int(cfg.Positions), int(DefaultPositions), int(RotaryPositions)) {
		return cfg, nil, fmt.Errorf("config out of range: %+v", cfg)
	}
	tj := md[metaTokenizer]
	if tj == "" {
		return cfg, nil, fmt.Errorf("no tokenizer in the metadata")
	}
	tok, err := LoadCharTokenizer(strings.NewReader(tj))
	if err != nil {
		return cfg, nil, fmt.Errorf("tokenizer metadata: %w", err)
	}
	return cfg, tok, nil
}

// minParams returns a lower bound of the parameter count of a validated config: the
// token embedding and the attention projections, in float64 so that hostile sizes
// cannot overflow it. Every other weight is within a constant factor of these.
func (c GPTConfig) minParams() float64 {
	d, l := float64(cmp.Or(c.Dim, 768)), float64(cmp.Or(c.Layers, 12))
	return float64(c.VocabSize)*d + 4*l*d*d
}
