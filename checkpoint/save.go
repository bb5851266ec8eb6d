package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"unsafe"

	"github.com/resnetgo/resnet/internal/atomicfile"
)

// SavePTH writes sd as a torch.save zip file (an OrderedDict of tensors,
// each in its own DType) that torch.load(path, weights_only=True) and
// Module.load_state_dict accept. The file is replaced atomically.
func SavePTH(path string, sd *StateDict) error {
	return SaveObject(path, sd)
}

// SaveObject writes an object tree (see Value; it may mix *Dict, maps,
// lists, scalars, *StateDict, *Tensor and *tensor.Tensor) as a torch.save
// zip file, replacing path atomically. PyTorch 1.13's weights_only loader
// rejects floats, bytes and sets in the tree; newer PyTorch and a plain
// torch.load read them.
func SaveObject(path string, obj Value) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WritePTH(w, obj) })
}

// SaveSafetensors writes sd as a safetensors file, replacing path
// atomically. sd.Metadata becomes the header's __metadata__.
func SaveSafetensors(path string, sd *StateDict) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteSafetensors(w, sd) })
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// WritePTH writes an object tree in the torch.save zip format to w: records
// archive/data.pkl, archive/data/<key> (raw little-endian, 64-byte aligned
// like PyTorch's writer, for mmap) and archive/version.
func WritePTH(w io.Writer, obj Value) error {
	p := newPickler()
	if err := p.dump(obj, 0); err != nil {
		return err
	}
	p.op(opStop)
	cw := &countWriter{w: w}
	zw := zip.NewWriter(cw)
	const root = "archive/"
	if err := writeRecord(zw, cw, root+"data.pkl", int64(p.buf.Len()), bytesEmitter(p.buf.Bytes())); err != nil {
		return err
	}
	for i, t := range p.tensors {
		n := int64(t.Numel()) * int64(t.DType.Size())
		if err := writeRecord(zw, cw, root+"data/"+strconv.Itoa(i), n, func(fn func([]byte) error) error {
			return tensorBytes(t, fn)
		}); err != nil {
			return err
		}
	}
	for _, r := range []struct{ name, body string }{{"version", "3\n"}, {"byteorder", "little"}} {
		if err := writeRecord(zw, cw, root+r.name, int64(len(r.body)), bytesEmitter([]byte(r.body))); err != nil {
			return err
		}
	}
	return zw.Close()
}

func bytesEmitter(b []byte) func(func([]byte) error) error {
	return func(fn func([]byte) error) error { return fn(b) }
}

// writeRecord stores one uncompressed zip entry whose data starts on a
// 64-byte boundary, padding the local header with an "FB" extra field as
// PyTorch's inline_container does. emit is called twice: for the CRC, then
// to write.
func writeRecord(zw *zip.Writer, cw *countWriter, name string, size int64, emit func(func([]byte) error) error) error {
	crc := crc32.NewIEEE()
	if err := emit(func(b []byte) error { crc.Write(b); return nil }); err != nil {
		return err
	}
	if err := zw.Flush(); err != nil {
		return err
	}
	const align = 64
	pad := int((align - (cw.n+30+int64(len(name))+4)%align) % align)
	extra := make([]byte, 4+pad)
	copy(extra, "FB")
	binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
	for i := 4; i < len(extra); i++ {
		extra[i] = 'Z'
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Store, Extra: extra, CRC32: crc.Sum32(),
		CompressedSize64: uint64(size), UncompressedSize64: uint64(size),
	})
	if err != nil {
		return err
	}
	return emit(func(b []byte) error { _, err := w.Write(b); return err })
}

// tensorBytes passes t's data, encoded little-endian in t.DType, to fn in
// chunks.
func tensorBytes(t *Tensor, fn func([]byte) error) error {
	if err := t.check(); err != nil {
		return fmt.Errorf("checkpoint: tensor %v: %w", t, err)
	}
	n := t.Numel()
	if n == 0 {
		return nil
	}
	if t.DType == Float32 && littleEndian {
		return fn(unsafe.Slice((*byte)(unsafe.Pointer(&t.F32[0])), 4*n))
	}
	es := t.DType.Size()
	const chunk = 1 << 16
	buf := make([]byte, es*min(n, chunk))
	le := binary.LittleEndian
	for at := 0; at < n; at += chunk {
		m := min(n-at, chunk)
		b := buf[:m*es]
		for i := 0; i < m; i++ {
			switch t.DType {
			case Float32:
				le.PutUint32(b[4*i:], math.Float32bits(t.F32[at+i]))
			case Float16:
				le.PutUint16(b[2*i:], floatToHalf(t.F32[at+i]))
			case BFloat16:
				le.PutUint16(b[2*i:], floatToBFloat16(t.F32[at+i]))
			case Float64:
				le.PutUint64(b[8*i:], math.Float64bits(float64(t.F32[at+i])))
			default:
				v := t.I64[at+i]
				if !fitsInt(t.DType, v) {
					return fmt.Errorf("checkpoint: tensor %v: value %d does not fit %s", t, v, t.DType)
				}
				switch es {
				case 8:
					le.PutUint64(b[8*i:], uint64(v))
				case 4:
					le.PutUint32(b[4*i:], uint32(v))
				case 2:
					le.PutUint16(b[2*i:], uint16(v))
				case 1:
					b[i] = byte(v)
				}
			}
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func fitsInt(d DType, v int64) bool {
	switch d {
	case Int32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	case Int16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case Int8:
		return v >= math.MinInt8 && v <= math.MaxInt8
	case Uint8:
		return v >= 0 && v <= math.MaxUint8
	case Bool:
		return v == 0 || v == 1
	}
	return true
}

// WriteSafetensors writes sd in the safetensors format to w: the header
// lists tensors in sd.Keys order with data laid out in the same order, and
// is padded with spaces to a multiple of 8 bytes as the reference writer
// does.
func WriteSafetensors(w io.Writer, sd *StateDict) error {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(sd.Metadata) > 0 {
		keys := make([]string, 0, len(sd.Metadata))
		for k := range sd.Metadata {
			keys = append(keys, k)
		}
		sortStrings(keys)
		h.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			fmt.Fprintf(&h, "%s:%s", jsonString(k), jsonString(sd.Metadata[k]))
		}
		h.WriteString("}")
	}
	var off int64
	for i, k := range sd.Keys {
		t := sd.Tensors[k]
		if t == nil {
			return fmt.Errorf("checkpoint: state dict key %q has no tensor", k)
		}
		if err := t.check(); err != nil {
			return fmt.Errorf("checkpoint: tensor %q: %w", k, err)
		}
		if k == "__metadata__" {
			return fmt.Errorf("checkpoint: a tensor cannot be named __metadata__ in safetensors")
		}
		if i > 0 || len(sd.Metadata) > 0 {
			h.WriteByte(',')
		}
		n := int64(t.Numel()) * int64(t.DType.Size())
		fmt.Fprintf(&h, `%s:{"dtype":"%s","shape":[`, jsonString(k), stCode(t.DType))
		for j, d := range t.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			fmt.Fprint(&h, d)
		}
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, off+n)
		off += n
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(h.Len()))
	if _, err := w.Write(lb[:]); err != nil {
		return err
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return err
	}
	for _, k := range sd.Keys {
		if err := tensorBytes(sd.Tensors[k], func(b []byte) error { _, err := w.Write(b); return err }); err != nil {
			return err
		}
	}
	return nil
}
