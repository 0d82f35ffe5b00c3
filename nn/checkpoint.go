package nn

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/genblocks/genblocks/tensor"
)

// SaveFile writes tensors and metadata to path as a safetensors file of F32 tensors
// (see WriteSafetensors). The write is atomic: the data goes to a temporary file in
// the same directory, which is synced and then renamed over path, so a crash or an
// error at any point leaves the previous file at path intact.
func SaveFile(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return SaveFileDtype(path, tensors, metadata, "F32")
}

// SaveFileDtype is SaveFile storing the tensors as dtype ("F32", "F16" or "BF16").
func SaveFileDtype(path string, tensors map[string]*tensor.Tensor, metadata map[string]string, dtype string) error {
	err := writeFileAtomic(path, func(w io.Writer) error {
		return WriteSafetensorsDtype(w, tensors, metadata, dtype)
	})
	if err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic calls write on a temporary file next to path and, if every step
// succeeds, syncs it and renames it to path. On failure it removes the temporary file.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable. Not every platform can sync a directory, and
	// the file is complete either way, so a failure here is not reported.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadFile reads the safetensors file at path (see ParseSafetensors). The file's size
// is checked against its header before tensor memory is allocated. Errors name path.
func LoadFile(path string) (*Safetensors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	defer f.Close()
	st, err := readSized(f)
	if err != nil {
		return nil, fmt.Errorf("nn: load %s: %w", path, err)
	}
	return st, nil
}

// LoadFS reads the safetensors file name from fsys, for example a checkpoint embedded
// with embed.FS. Errors name the file.
func LoadFS(fsys fs.FS, name string) (*Safetensors, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	defer f.Close()
	st, err := readSized(f)
	if err != nil {
		return nil, fmt.Errorf("nn: load %s: %w", name, err)
	}
	return st, nil
}

// readSized reads a safetensors file whose size Stat reports.
func readSized(f fs.File) (*Safetensors, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return ReadSafetensors(f)
	}
	return readSafetensors(bufio.NewReaderSize(f, int(min(info.Size(), 1<<20))), info.Size())
}

// Save writes every parameter and buffer of the store to path as an F32 safetensors
// file under its state_dict name, atomically (see SaveFile). PyTorch loads it with
// safetensors.torch.load_file and load_state_dict.
func (vs *VarStore) Save(path string, metadata map[string]string) error {
	return SaveFile(path, vs.StateDict(), metadata)
}

// Load reads the safetensors file at path into the store's parameters and buffers,
// strictly: if any key is missing, unexpected or of the wrong shape, the returned error
// wraps a *StateDictError listing all of them and nothing is changed.
func (vs *VarStore) Load(path string) error {
	st, err := LoadFile(path)
	if err != nil {
		return err
	}
	if err := vs.LoadFrom(st, true); err != nil {
		return fmt.Errorf("nn: load %s: %w", path, err)
	}
	return nil
}

// LoadFrom copies the tensors of st into the store's parameters and buffers, as
// LoadStateDict does: with strict, any missing or unexpected key is an error; a shape
// mismatch always is. Values stored in other dtypes were converted to float32 when st
// was read.
func (vs *VarStore) LoadFrom(st *Safetensors, strict bool) error {
	if st == nil {
		return errors.New("nn: LoadFrom: nil *Safetensors")
	}
	return vs.LoadStateDict(st.Tensors, strict)
}

// LoadCheckpoint reads the safetensors file name — from fsys, or from the file system
// when fsys is nil — and builds a model from it with from: the common body of the
// families' one-call loaders (gan.LoadGenerator, vae.LoadModel, …). Errors start with
// pkg and name the file.
func LoadCheckpoint[T any](fsys fs.FS, name, pkg string, from func(*Safetensors) (T, error)) (T, error) {
	var st *Safetensors
	var err error
	if fsys == nil {
		st, err = LoadFile(name)
	} else {
		st, err = LoadFS(fsys, name)
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", pkg, err)
	}
	m, err := from(st)
	if err != nil {
		return m, fmt.Errorf("%w (%s)", err, name)
	}
	return m, nil
}
