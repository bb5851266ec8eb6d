package onnx

import (
	"encoding/binary"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// message is a protobuf message being encoded: its fields in order, as
// bytes, except float32 payloads (the weights), which are kept by
// reference and converted to little-endian bytes only as they are
// written, so that a model's weights are never copied whole.
type message struct {
	parts []part
	size  int
}

// part is a run of encoded bytes, or of float32 values to write as raw
// little-endian bytes.
type part struct {
	b []byte
	f []float32
}

// raw appends encoded bytes.
func (m *message) raw(b []byte) {
	if n := len(m.parts); n > 0 && m.parts[n-1].f == nil {
		m.parts[n-1].b = append(m.parts[n-1].b, b...)
	} else {
		m.parts = append(m.parts, part{b: append([]byte(nil), b...)})
	}
	m.size += len(b)
}

func (m *message) varint(num protowire.Number, v uint64) {
	m.raw(protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v))
}

func (m *message) int64(num protowire.Number, v int64) { m.varint(num, uint64(v)) }

func (m *message) bytes(num protowire.Number, b []byte) {
	m.raw(protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), b))
}

func (m *message) string(num protowire.Number, s string) {
	m.raw(protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s))
}

func (m *message) float(num protowire.Number, f float32) {
	m.raw(protowire.AppendFixed32(protowire.AppendTag(nil, num, protowire.Fixed32Type), math.Float32bits(f)))
}

// int64s appends a packed repeated int64 field.
func (m *message) int64s(num protowire.Number, vs []int64) {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	m.bytes(num, b)
}

// floats appends a bytes field holding vs as little-endian float32
// values (TensorProto.raw_data), by reference.
func (m *message) floats(num protowire.Number, vs []float32) {
	m.raw(protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), uint64(4*len(vs))))
	if len(vs) > 0 {
		m.parts = append(m.parts, part{f: vs})
		m.size += 4 * len(vs)
	}
}

// embed appends sub as field num.
func (m *message) embed(num protowire.Number, sub *message) {
	m.raw(protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), uint64(sub.size)))
	for _, p := range sub.parts {
		if p.f != nil {
			m.parts = append(m.parts, p)
			m.size += 4 * len(p.f)
		} else {
			m.raw(p.b)
		}
	}
}

// write writes the encoded message.
func (m *message) write(w io.Writer) error {
	buf := make([]byte, 0, 1<<16)
	for _, p := range m.parts {
		if p.f == nil {
			if _, err := w.Write(p.b); err != nil {
				return err
			}
			continue
		}
		if err := writeFloats(w, p.f, buf); err != nil {
			return err
		}
	}
	return nil
}

// writeFloats writes vs as little-endian float32 values, through buf.
func writeFloats(w io.Writer, vs []float32, buf []byte) error {
	for len(vs) > 0 {
		n := min(len(vs), cap(buf)/4)
		b := buf[:4*n]
		for i, v := range vs[:n] {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		vs = vs[n:]
	}
	return nil
}
