package transformer

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// The checkpoint metadata keys SaveGPTCheckpoint writes.
const (
	metaFormat    = "format"
	metaConfig    = "config"
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
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("transformer: SaveGPTCheckpoint: %w", err)
	}
	md := map[string]string{}
	for k, v := range meta {
		md[k] = v
	}
	md[metaFormat] = gptFormat
	md[metaConfig] = string(cfg)
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
	st, err := nn.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	if f := st.Metadata[metaFormat]; f != gptFormat {
		return nil, fmt.Errorf("transformer: %s: metadata format %q, want %q", path, f, gptFormat)
	}
	var cfg GPTConfig
	if err := json.Unmarshal([]byte(st.Metadata[metaConfig]), &cfg); err != nil {
		return nil, fmt.Errorf("transformer: %s: config metadata: %w", path, err)
	}
	tj := st.Metadata[metaTokenizer]
	if tj == "" {
		return nil, fmt.Errorf("transformer: %s: no tokenizer in the metadata", path)
	}
	tok, err := LoadCharTokenizer(bytes.NewReader([]byte(tj)))
	if err != nil {
		return nil, fmt.Errorf("transformer: %s: tokenizer metadata: %w", path, err)
	}
	weights := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if !strings.HasPrefix(k, "optim.") {
			weights[k] = v
		}
	}
	m, err := LoadGPT(weights, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("transformer: %s: tokenizer has %d tokens, model %d", path, tok.VocabSize(), m.Config.VocabSize)
	}
	return &TextModel{GPT: m, Tokenizer: tok, Meta: st.Metadata}, nil
}
