package checkpoint

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format is a checkpoint container format.
type Format int

const (
	FormatUnknown     Format = iota // none of the below
	FormatZip                       // torch.save, PyTorch ≥ 1.6
	FormatLegacy                    // torch.save before 1.6 (or _use_new_zipfile_serialization=False)
	FormatSafetensors               // safetensors
)

func (f Format) String() string {
	switch f {
	case FormatZip:
		return "torch zip"
	case FormatLegacy:
		return "torch legacy"
	case FormatSafetensors:
		return "safetensors"
	}
	return "unknown"
}

// DetectSize is how many leading bytes Detect needs.
const DetectSize = 32

// Detect identifies a checkpoint format from the first DetectSize bytes of
// a file (fewer are fine for short files).
func Detect(header []byte) Format {
	switch {
	case bytes.HasPrefix(header, []byte("PK\x03\x04")), bytes.HasPrefix(header, []byte("PK\x05\x06")):
		return FormatZip
	// The legacy format starts with a pickle of the magic number, whose
	// 10 little-endian bytes appear within the first few bytes.
	case bytes.Contains(header[:min(len(header), DetectSize)], []byte{0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}):
		return FormatLegacy
	case len(header) >= 9 && header[8] == '{':
		return FormatSafetensors
	}
	return FormatUnknown
}

func parse(r io.ReaderAt, size int64) (*parsed, error) {
	var hdr [DetectSize]byte
	n, _ := r.ReadAt(hdr[:min(int64(len(hdr)), max(size, 0))], 0)
	switch Detect(hdr[:n]) {
	case FormatZip:
		return readZip(r, size)
	case FormatLegacy:
		return readLegacy(r, size)
	case FormatSafetensors:
		return readSafetensors(r, size)
	}
	if n < 16 {
		return nil, formatErr("", 0, io.ErrUnexpectedEOF, "file of %d bytes is too short for a checkpoint", size)
	}
	return nil, formatErr("", 0, nil, "not a checkpoint (neither a torch.save zip or legacy file nor safetensors)")
}

// Load reads a state dict from a .pth/.pt (zip or legacy torch.save) or
// .safetensors file, detecting the format from its content. It unwraps
// {"state_dict": …}, {"model": …} and {"model_state_dict": …} wrappers,
// keeps the tensor entries in the file's order (other values are dropped)
// and strips a "module." prefix when every key has one. Only the state
// dict's tensors are read from the file.
func Load(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sd, err := LoadFrom(f, fi.Size(), filepath.Base(path))
	return sd, err
}

// LoadFrom is Load for a file already open (or in memory); name is used in
// error messages.
func LoadFrom(r io.ReaderAt, size int64, name string) (*StateDict, error) {
	p, err := parse(r, size)
	if err != nil {
		return nil, withFile(err, name)
	}
	sd, err := stateDictOf(p.root)
	if err != nil {
		return nil, withFile(err, name)
	}
	sd.Metadata = p.metadata
	keyOf := make(map[*Tensor]string, len(sd.Keys))
	list := make([]*Tensor, 0, len(sd.Keys))
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		if _, dup := keyOf[t]; !dup {
			keyOf[t] = k
			list = append(list, t)
		}
	}
	if err := materialize(list, keyOf, p.budget()); err != nil {
		return nil, withFile(err, name)
	}
	return sd, nil
}

// LoadObject reads a whole checkpoint as an object tree (see Value), with
// every tensor's data read: for files that hold more than a state dict,
// such as {"model": …, "optimizer": …, "epoch": 3}. A safetensors file
// becomes an ordered *Dict of its tensors.
func LoadObject(path string) (Value, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return LoadObjectFrom(f, fi.Size(), filepath.Base(path))
}

// LoadObjectFrom is LoadObject for a file already open (or in memory).
func LoadObjectFrom(r io.ReaderAt, size int64, name string) (Value, error) {
	p, err := parse(r, size)
	if err != nil {
		return nil, withFile(err, name)
	}
	if err := materialize(p.tensors, nil, p.budget()); err != nil {
		return nil, withFile(err, name)
	}
	return p.root, nil
}

var wrapperKeys = []string{"state_dict", "model", "model_state_dict"}

// stateDictOf finds the dict of tensors in a checkpoint's object tree.
func stateDictOf(root any) (*StateDict, error) {
	d, ok := root.(*Dict)
	if !ok {
		return nil, formatErr("", -1, nil, "checkpoint holds a %s, not a dict of tensors", typeName(root))
	}
	for depth := 0; ; depth++ {
		if hasTensor(d) {
			break
		}
		var inner *Dict
		for _, w := range wrapperKeys {
			if v, ok := d.Get(w); ok {
				if dd, ok := v.(*Dict); ok {
					inner = dd
					break
				}
			}
		}
		if inner == nil || depth == 4 {
			return nil, formatErr("", -1, nil, "no tensors found (top-level keys: %s)", keyList(d))
		}
		d = inner
	}
	sd := NewStateDict()
	for i := range d.keys {
		t, ok := d.vals[i].(*Tensor)
		if !ok {
			continue
		}
		k, ok := d.keys[i].(string)
		if !ok {
			return nil, formatErr("", -1, nil, "state dict key %v is a %s, not a str", d.keys[i], typeName(d.keys[i]))
		}
		sd.Add(k, t)
	}
	strip := len(sd.Keys) > 0
	for _, k := range sd.Keys {
		if !strings.HasPrefix(k, "module.") {
			strip = false
			break
		}
	}
	if strip {
		out := NewStateDict()
		for _, k := range sd.Keys {
			out.Add(strings.TrimPrefix(k, "module."), sd.Tensors[k])
		}
		sd = out
	}
	return sd, nil
}

func hasTensor(d *Dict) bool {
	for _, v := range d.vals {
		if _, ok := v.(*Tensor); ok {
			return true
		}
	}
	return false
}

func keyList(d *Dict) string {
	var parts []string
	for i, k := range d.keys {
		if i == 10 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%q", fmt.Sprint(k)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
