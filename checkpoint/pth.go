package checkpoint

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// parsed is a checkpoint whose structure has been read but whose tensor
// data has not.
type parsed struct {
	root     any
	tensors  []*Tensor
	metadata map[string]string
	size     int64
}

// budget bounds the elements a file of this size may produce: every element
// needs at least a byte in the file, except for broadcast views (stride 0),
// which real checkpoints rarely contain.
func (p *parsed) budget() int64 { return 4*p.size + 1<<20 }

// readZip parses a torch.save zip archive (PyTorch ≥ 1.6).
func readZip(r io.ReaderAt, size int64) (*parsed, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr("", -1, err, "bad zip archive")
	}
	var pkl *zip.File
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[f.Name] = f
		if pkl == nil && strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			pkl = f
		}
	}
	if pkl == nil {
		return nil, formatErr("", -1, nil, "zip archive has no <root>/data.pkl: not a torch.save file")
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	if files[prefix+"constants.pkl"] != nil || files[prefix+"code/"] != nil {
		return nil, unsupported("", "TorchScript archive (torch.jit.save): save and load the model's state_dict instead")
	}
	if bo := files[prefix+"byteorder"]; bo != nil {
		b, err := readEntry(r, size, bo, 16)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return nil, unsupported(bo.Name, "byte order %q", s)
		}
	}
	data, err := readEntry(r, size, pkl, 1<<30)
	if err != nil {
		return nil, err
	}
	storages := make(map[string]*storage)
	persist := func(pid any) (any, error) {
		t, ok := pid.(Tuple)
		if !ok || len(t) != 5 || t[0] != "storage" {
			return nil, fmt.Errorf("%w: persistent id %v is not (\"storage\", type, key, location, numel)", ErrFormat, pidString(pid))
		}
		dt, err := storageDType(t[1])
		if err != nil {
			return nil, err
		}
		key, ok := t[2].(string)
		numel, ok2 := asInt(t[4])
		if !ok || !ok2 || numel < 0 {
			return nil, fmt.Errorf("%w: persistent id %v has a bad key or size", ErrFormat, pidString(pid))
		}
		if st, ok := storages[key]; ok {
			if st.dtype != dt || st.numel != numel {
				return nil, fmt.Errorf("%w: storage %q used as both %s[%d] and %s[%d]", ErrFormat, key, st.dtype, st.numel, dt, numel)
			}
			return st, nil
		}
		name := prefix + "data/" + key
		f := files[name]
		if f == nil {
			return nil, fmt.Errorf("%w: storage %q has no record %s", ErrFormat, key, name)
		}
		if f.Method != zip.Store {
			return nil, unsupported(name, "compressed storage record (method %d); torch.save stores them uncompressed", f.Method)
		}
		off, err := f.DataOffset()
		if err != nil {
			return nil, formatErr(name, -1, err, "bad local header")
		}
		es := int64(dt.Size())
		if off < 0 || f.CompressedSize64 > uint64(size) || off > size-int64(f.CompressedSize64) {
			return nil, formatErr(name, off, io.ErrUnexpectedEOF, "record of %d bytes runs past the end of the file (%d bytes)", f.CompressedSize64, size)
		}
		if numel > int64(f.CompressedSize64)/es {
			return nil, formatErr(name, off, nil, "storage %q of %d %s elements needs %s bytes, the record has %d", key, numel, dt, mulString(numel, es), f.CompressedSize64)
		}
		st := &storage{key: key, dtype: dt, numel: numel, r: r, off: off}
		storages[key] = st
		return st, nil
	}
	u := newUnpickler(newCursor(bytes.NewReader(data), 0, int64(len(data))), persist)
	root, err := u.load()
	if err != nil {
		return nil, withKey(err, pkl.Name)
	}
	return &parsed{root: root, tensors: u.tensors, size: size}, nil
}

func mulString(a, b int64) string {
	return new(big.Int).Mul(big.NewInt(a), big.NewInt(b)).String()
}

func pidString(pid any) string {
	s := fmt.Sprint(pid)
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}

// readEntry reads a small zip record whole, refusing more than limit bytes.
func readEntry(r io.ReaderAt, size int64, f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, formatErr(f.Name, -1, ErrTooLarge, "record claims %d bytes", f.UncompressedSize64)
	}
	if f.Method == zip.Store {
		off, err := f.DataOffset()
		if err != nil {
			return nil, formatErr(f.Name, -1, err, "bad local header")
		}
		if off < 0 || f.CompressedSize64 > uint64(size) || off > size-int64(f.CompressedSize64) {
			return nil, formatErr(f.Name, off, io.ErrUnexpectedEOF, "record runs past the end of the file")
		}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, formatErr(f.Name, -1, err, "opening record")
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr(f.Name, -1, err, "reading record")
	}
	if int64(len(b)) > limit {
		return nil, formatErr(f.Name, -1, ErrTooLarge, "record longer than %d bytes", limit)
	}
	return b, nil
}

// legacyMagic is torch.serialization.MAGIC_NUMBER.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

const legacyProtocol = 1001

// readLegacy parses the pre-1.6 torch.save format: five consecutive
// pickles (magic, protocol, sys info, the object, the storage keys) and
// then each storage as an int64 element count and raw data.
func readLegacy(r io.ReaderAt, size int64) (*parsed, error) {
	c := newCursor(r, 0, size)
	next := func(what string, persist func(any) (any, error)) (any, *unpickler, error) {
		u := newUnpickler(c, persist)
		v, err := u.load()
		if err != nil {
			return nil, nil, withKey(err, what)
		}
		return v, u, nil
	}
	magic, _, err := next("magic number", nil)
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, formatErr("", 0, nil, "bad magic number %v: not a torch.save file", magic)
	}
	proto, _, err := next("protocol version", nil)
	if err != nil {
		return nil, err
	}
	if proto != int64(legacyProtocol) {
		return nil, unsupported("", "legacy protocol version %v (want %d)", proto, legacyProtocol)
	}
	info, _, err := next("sys info", nil)
	if err != nil {
		return nil, err
	}
	if d, ok := info.(*Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le != true {
			return nil, unsupported("", "big-endian legacy checkpoint")
		}
	}
	storages := make(map[string]*storage)
	views := make(map[string]*storage)
	persist := func(pid any) (any, error) {
		t, ok := pid.(Tuple)
		if ok && len(t) > 0 && t[0] == "module" {
			return nil, unsupported("", "pickled nn.Module (torch.save(model)); save model.state_dict() instead")
		}
		if !ok || len(t) != 6 || t[0] != "storage" {
			return nil, fmt.Errorf("%w: persistent id %v is not (\"storage\", type, key, location, numel, view)", ErrFormat, pidString(pid))
		}
		dt, err := storageDType(t[1])
		if err != nil {
			return nil, err
		}
		key, ok := t[2].(string)
		numel, ok2 := asInt(t[4])
		if !ok || !ok2 || numel < 0 || numel > size/int64(dt.Size()) {
			return nil, fmt.Errorf("%w: persistent id %v has a bad key or size", ErrFormat, pidString(pid))
		}
		st, ok := storages[key]
		if ok && (st.dtype != dt || st.numel != numel) {
			return nil, fmt.Errorf("%w: storage %q used as both %s[%d] and %s[%d]", ErrFormat, key, st.dtype, st.numel, dt, numel)
		}
		if !ok {
			st = &storage{key: key, dtype: dt, numel: numel, r: r, off: -1}
			storages[key] = st
		}
		if t[5] == nil {
			return st, nil
		}
		vm, ok := t[5].(Tuple)
		if !ok || len(vm) != 3 {
			return nil, fmt.Errorf("%w: storage %q has bad view metadata %v", ErrFormat, key, pidString(t[5]))
		}
		vkey, ok := vm[0].(string)
		voff, ok2 := asInt(vm[1])
		vsize, ok3 := asInt(vm[2])
		if !ok || !ok2 || !ok3 || voff < 0 || vsize < 0 || voff > numel || vsize > numel-voff {
			return nil, fmt.Errorf("%w: storage view %v does not fit storage %q of %d elements", ErrFormat, pidString(vm), key, numel)
		}
		if v, ok := views[vkey]; ok {
			return v, nil
		}
		v := &storage{key: vkey, dtype: dt, numel: vsize, root: st, rootOff: voff}
		views[vkey] = v
		return v, nil
	}
	root, u, err := next("object", persist)
	if err != nil {
		return nil, err
	}
	keys, _, err := next("storage keys", nil)
	if err != nil {
		return nil, err
	}
	list, ok := keys.([]any)
	if !ok {
		return nil, formatErr("", c.pos(), nil, "storage key list is a %s", typeName(keys))
	}
	pos := c.pos()
	var hdr [8]byte
	for _, k := range list {
		key := fmt.Sprint(k)
		st := storages[key]
		if st == nil {
			return nil, formatErr("", pos, nil, "storage %q is listed but never used", key)
		}
		if st.off >= 0 {
			return nil, formatErr("", pos, nil, "storage %q is listed twice", key)
		}
		if n, err := r.ReadAt(hdr[:], pos); n < 8 {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, formatErr("", pos, err, "storage %q: reading its size", key)
		}
		count := int64(hdr[0]) | int64(hdr[1])<<8 | int64(hdr[2])<<16 | int64(hdr[3])<<24 |
			int64(hdr[4])<<32 | int64(hdr[5])<<40 | int64(hdr[6])<<48 | int64(hdr[7])<<56
		if count != st.numel {
			return nil, formatErr("", pos, nil, "storage %q holds %d elements, its persistent id says %d", key, count, st.numel)
		}
		st.off = pos + 8
		nbytes := count * int64(st.dtype.Size()) // count ≤ size/elemsize, no overflow
		if nbytes > size-st.off {
			return nil, formatErr("", st.off, io.ErrUnexpectedEOF, "storage %q of %d bytes runs past the end of the file (%d bytes)", key, nbytes, size)
		}
		pos = st.off + nbytes
	}
	for key, st := range storages {
		if st.off < 0 {
			return nil, formatErr("", pos, nil, "storage %q is used but not in the storage list", key)
		}
	}
	return &parsed{root: root, tensors: u.tensors, size: size}, nil
}
