package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
)

// The metadata keys under which a model checkpoint records what it holds: a format
// name, the format's version and the model's configuration as JSON. A one-call loader
// (transformer.LoadTextModel, gan.LoadGenerator, vae.LoadModel,
// diffusion.LoadPipeline) rebuilds the model from them.
const (
	MetaFormat  = "format"
	MetaVersion = "format_version"
	MetaConfig  = "config"
)

// maxConfigJSON bounds the config a checkpoint may carry.
const maxConfigJSON = 1 << 20

// ConfigMetadata returns a copy of extra with cfg as JSON under MetaConfig, format
// under MetaFormat and version under MetaVersion, for SaveFile. It fails if cfg does
// not marshal.
func ConfigMetadata(format string, version int, cfg any, extra map[string]string) (map[string]string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("nn: %s config: %w", format, err)
	}
	md := maps.Clone(extra)
	if md == nil {
		md = map[string]string{}
	}
	md[MetaFormat] = format
	md[MetaVersion] = strconv.Itoa(version)
	md[MetaConfig] = string(b)
	return md, nil
}

// ReadConfig decodes the JSON config of checkpoint metadata md into cfg after checking
// that md names format and a version no newer than version (a missing version counts
// as 1). Unknown JSON fields, trailing data and a config over 1 MiB are errors, so a
// config written by a newer or different model is refused rather than half-read.
func ReadConfig(md map[string]string, format string, version int, cfg any) error {
	if f := md[MetaFormat]; f != format {
		return fmt.Errorf("metadata format %q, want %q", f, format)
	}
	v := 1
	if s, ok := md[MetaVersion]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("metadata %s %q is not a version number", MetaVersion, s)
		}
		v = n
	}
	if v > version {
		return fmt.Errorf("%s version %d; this build reads up to version %d", format, v, version)
	}
	raw, ok := md[MetaConfig]
	if !ok {
		return fmt.Errorf("no %q entry in the metadata", MetaConfig)
	}
	if len(raw) > maxConfigJSON {
		return fmt.Errorf("config of %d bytes; at most %d", len(raw), maxConfigJSON)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config metadata: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("config metadata: data after the JSON value")
	}
	return nil
}

// NumValues returns the number of values the tensors of st hold. Loaders compare it with
// the size a config implies before building a model, so that a small file with a
// hostile config cannot make them allocate without bound.
func NumValues(st *Safetensors) int {
	n := 0
	for _, t := range st.Tensors {
		n += t.Numel()
	}
	return n
}
