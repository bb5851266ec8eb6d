package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/resnetgo/resnet/tensor"
)

// safetensors dtype codes (https://github.com/huggingface/safetensors).
var stDTypes = map[string]DType{
	"F32": Float32, "F16": Float16, "BF16": BFloat16, "F64": Float64,
	"I64": Int64, "I32": Int32, "I16": Int16, "I8": Int8, "U8": Uint8, "BOOL": Bool,
}

func stCode(d DType) string {
	for k, v := range stDTypes {
		if v == d {
			return k
		}
	}
	return ""
}

// maxSafetensorsHeader is the header limit of the reference implementation.
const maxSafetensorsHeader = 100 << 20

type stEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// readSafetensors parses a safetensors file: u64 header length, JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {…}}, then data.
func readSafetensors(r io.ReaderAt, size int64) (*parsed, error) {
	var lb [8]byte
	if n, err := r.ReadAt(lb[:], 0); n < 8 {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr("", 0, err, "safetensors: reading header length")
	}
	hl := binary.LittleEndian.Uint64(lb[:])
	if hl > maxSafetensorsHeader {
		return nil, formatErr("", 0, ErrTooLarge, "safetensors: header length %d exceeds %d", hl, maxSafetensorsHeader)
	}
	if int64(hl) > size-8 {
		return nil, formatErr("", 0, io.ErrUnexpectedEOF, "safetensors: header of %d bytes runs past the end of the file (%d bytes)", hl, size)
	}
	hdr := make([]byte, hl)
	if n, err := r.ReadAt(hdr, 8); n < len(hdr) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr("", 8, err, "safetensors: reading header")
	}
	dataStart := 8 + int64(hl)
	dataLen := size - dataStart

	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, formatErr("", 8, ErrFormat, "safetensors: header is not a JSON object")
	}
	root := &Dict{Ordered: true}
	p := &parsed{root: root, size: size}
	type span struct {
		name       string
		begin, end uint64
	}
	var spans []span
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, formatErr("", 8, ErrFormat, "safetensors: bad header JSON: %v", err)
		}
		name, _ := tok.(string)
		if _, dup := root.Get(name); dup || (name == "__metadata__" && p.metadata != nil) {
			return nil, formatErr(fmt.Sprintf("tensor %q", name), 8, nil, "safetensors: duplicate header entry")
		}
		if name == "__metadata__" {
			if err := dec.Decode(&p.metadata); err != nil {
				return nil, formatErr("", 8, ErrFormat, "safetensors: __metadata__ is not a string map: %v", err)
			}
			if p.metadata == nil {
				p.metadata = map[string]string{}
			}
			continue
		}
		key := fmt.Sprintf("tensor %q", name)
		var e stEntry
		if err := dec.Decode(&e); err != nil {
			return nil, formatErr(key, 8, ErrFormat, "safetensors: bad header entry: %v", err)
		}
		dt, ok := stDTypes[e.DType]
		if !ok {
			return nil, &UnsupportedError{Key: key, Msg: fmt.Sprintf("safetensors dtype %q", e.DType), Err: ErrUnsupported}
		}
		if len(e.DataOffsets) != 2 || e.DataOffsets[0] > e.DataOffsets[1] || e.DataOffsets[1] > uint64(dataLen) {
			var err error // an end past the data means the file was cut short
			if len(e.DataOffsets) == 2 && e.DataOffsets[0] <= e.DataOffsets[1] {
				err = io.ErrUnexpectedEOF
			}
			return nil, formatErr(key, 8, err, "safetensors: data_offsets %v outside the %d data bytes", e.DataOffsets, dataLen)
		}
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > 1<<40 {
				return nil, formatErr(key, 8, nil, "safetensors: bad shape %v", e.Shape)
			}
			if d > math.MaxInt { // 32-bit systems
				return nil, formatErr(key, 8, ErrTooLarge, "safetensors: shape %v: dimension %d exceeds this system's int", e.Shape, d)
			}
			shape[i] = int(d)
		}
		n, err := tensor.Numel(shape)
		if err != nil {
			return nil, formatErr(key, 8, ErrTooLarge, "safetensors: shape %v: %v", e.Shape, err)
		}
		nb := e.DataOffsets[1] - e.DataOffsets[0]
		if uint64(n) > nb || uint64(n)*uint64(dt.Size()) != nb {
			return nil, formatErr(key, 8, nil, "safetensors: shape %s of %s needs %s bytes, data_offsets give %d",
				tensor.ShapeString(shape), dt, mulString(int64(n), int64(dt.Size())), nb)
		}
		st := &storage{key: name, dtype: dt, numel: int64(n), r: r, off: dataStart + int64(e.DataOffsets[0])}
		strides := make([]int64, len(shape))
		acc := int64(1)
		for i := len(shape) - 1; i >= 0; i-- {
			strides[i] = acc
			acc *= int64(max(shape[i], 1))
		}
		t := &Tensor{DType: dt, Shape: shape, src: &view{st: st, shape: shape, stride: strides}}
		p.tensors = append(p.tensors, t)
		root.Set(name, t)
		spans = append(spans, span{name, e.DataOffsets[0], e.DataOffsets[1]})
	}
	if _, err := dec.Token(); err != nil {
		return nil, formatErr("", 8, ErrFormat, "safetensors: bad header JSON: %v", err)
	}
	// The spec requires the data to be covered exactly, without overlaps.
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	var at uint64
	for _, s := range spans {
		if s.begin != at {
			return nil, formatErr(fmt.Sprintf("tensor %q", s.name), 8, nil, "safetensors: data starts at %d, expected %d (overlap or hole)", s.begin, at)
		}
		at = s.end
	}
	if at != uint64(dataLen) {
		return nil, formatErr("", dataStart+int64(at), nil, "safetensors: %d data bytes after the last tensor", uint64(dataLen)-at)
	}
	return p, nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func sortStrings(s []string) { sort.Strings(s) }
