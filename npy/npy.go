// Package npy reads and writes NumPy .npy files (format versions 1.0, 2.0
// and 3.0) as float32 tensors.
//
// Write produces little-endian float32 ('<f4') arrays in C order, the form
// numpy.load and torch.from_numpy use directly. Read accepts float16, 32
// and 64, signed and unsigned integers and bool, in either byte order and in
// C or Fortran order, converting to a row-major float32 *tensor.Tensor.
// Headers are parsed by a small literal parser (nothing is evaluated) and
// sizes are checked before allocating.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"github.com/resnetgo/resnet/internal/atomicfile"
	"github.com/resnetgo/resnet/tensor"
)

var (
	// ErrFormat marks a file that is not a well-formed .npy file.
	ErrFormat = errors.New("malformed npy file")
	// ErrUnsupported marks a valid file with a dtype this package does not
	// convert (complex, object, structured, strings).
	ErrUnsupported = errors.New("unsupported npy feature")
)

// FormatError describes a problem in a .npy file. Err is ErrFormat,
// ErrUnsupported, or an I/O error such as io.ErrUnexpectedEOF.
type FormatError struct {
	File string // base name, if known
	Msg  string
	Err  error
}

func (e *FormatError) Error() string {
	s := "npy: "
	if e.File != "" {
		s += e.File + ": "
	}
	s += e.Msg
	if e.Err != nil && e.Err != ErrFormat && e.Err != ErrUnsupported {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel or I/O error.
func (e *FormatError) Unwrap() error { return e.Err }

func errf(err error, format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...), Err: err}
}

var magic = []byte("\x93NUMPY")

// maxHeader bounds the header (numpy itself refuses more than 10000 bytes
// by default).
const maxHeader = 1 << 20

// header is the parsed dictionary of a .npy file.
type header struct {
	order   binary.ByteOrder
	kind    byte // 'f', 'i', 'u', 'b'
	size    int  // bytes per element
	fortran bool
	shape   []int
}

// Read reads one .npy array from r and returns it as a float32 tensor.
func Read(r io.Reader) (*tensor.Tensor, error) { return read(r, -1) }

// ReadFile reads a .npy file.
func ReadFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64 = -1
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	t, err := read(bufio.NewReaderSize(f, 1<<16), size)
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.File = filepath.Base(path)
	}
	return t, err
}

// read parses a .npy stream; size is the stream's total length, or -1 when
// unknown (then memory grows only as data actually arrives).
func read(r io.Reader, size int64) (*tensor.Tensor, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, errf(eof(err), "reading magic")
	}
	if !bytes.Equal(pre[:6], magic) {
		return nil, errf(ErrFormat, "bad magic %q: not a .npy file", pre[:6])
	}
	major := pre[6]
	var hlen int
	var hoff int64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, errf(eof(err), "reading header length")
		}
		hlen, hoff = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errf(eof(err), "reading header length")
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxHeader {
			return nil, errf(ErrFormat, "header length %d exceeds %d", n, maxHeader)
		}
		hlen, hoff = int(n), 12
	default:
		return nil, errf(ErrUnsupported, "format version %d.%d", major, pre[7])
	}
	if size >= 0 && int64(hlen) > size-hoff {
		return nil, errf(io.ErrUnexpectedEOF, "header of %d bytes runs past the end of the file", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, errf(eof(err), "reading header")
	}
	if major < 3 {
		for _, c := range hb {
			if c >= 0x80 {
				return nil, errf(ErrFormat, "non-ASCII byte in a version %d header", major)
			}
		}
	}
	h, err := parseHeader(string(hb))
	if err != nil {
		return nil, err
	}
	n, err := tensor.Numel(h.shape)
	if err != nil {
		return nil, errf(ErrFormat, "shape %v: %v", h.shape, err)
	}
	if int64(n) > math.MaxInt64/int64(h.size) {
		return nil, errf(ErrFormat, "shape %v is too large", h.shape)
	}
	nbytes := int64(n) * int64(h.size)
	if size >= 0 && nbytes > size-hoff-int64(hlen) {
		return nil, errf(io.ErrUnexpectedEOF, "shape %s of %d-byte elements needs %d data bytes, the file has %d",
			tensor.ShapeString(h.shape), h.size, nbytes, size-hoff-int64(hlen))
	}
	data, err := readData(r, h, n, size >= 0)
	if err != nil {
		return nil, err
	}
	if h.fortran && len(h.shape) > 1 {
		data = fromFortran(data, h.shape)
	}
	return tensor.FromData(data, h.shape...)
}

func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readData reads n elements, converting to float32. With a known size the
// result is allocated once; otherwise it grows with the data read.
func readData(r io.Reader, h *header, n int, sized bool) ([]float32, error) {
	const chunk = 1 << 16
	var out []float32
	if sized {
		out = make([]float32, 0, n)
	}
	if h.kind == 'f' && h.size == 4 && h.order == binary.LittleEndian && littleEndian && sized {
		out = out[:n]
		if n > 0 {
			b := unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*n)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, errf(eof(err), "reading %d elements", n)
			}
		}
		return out, nil
	}
	buf := make([]byte, h.size*min(n, chunk))
	for done := 0; done < n; {
		m := min(n-done, chunk)
		b := buf[:m*h.size]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, errf(eof(err), "reading %d elements (got %d)", n, done)
		}
		for i := 0; i < m; i++ {
			out = append(out, decode(h, b[i*h.size:]))
		}
		done += m
	}
	return out, nil
}

func decode(h *header, b []byte) float32 {
	o := h.order
	switch h.kind {
	case 'f':
		switch h.size {
		case 2:
			return halfToFloat(o.Uint16(b))
		case 4:
			return math.Float32frombits(o.Uint32(b))
		case 8:
			return float32(math.Float64frombits(o.Uint64(b)))
		}
	case 'i':
		switch h.size {
		case 1:
			return float32(int8(b[0]))
		case 2:
			return float32(int16(o.Uint16(b)))
		case 4:
			return float32(int32(o.Uint32(b)))
		case 8:
			return float32(int64(o.Uint64(b)))
		}
	case 'u':
		switch h.size {
		case 1:
			return float32(b[0])
		case 2:
			return float32(o.Uint16(b))
		case 4:
			return float32(o.Uint32(b))
		case 8:
			return float32(o.Uint64(b))
		}
	case 'b':
		if b[0] != 0 {
			return 1
		}
		return 0
	}
	return 0
}

// fromFortran reorders column-major data of the given shape to row-major.
func fromFortran(src []float32, shape []int) []float32 {
	dst := make([]float32, len(src))
	nd := len(shape)
	stride := make([]int, nd) // column-major strides
	acc := 1
	for i := 0; i < nd; i++ {
		stride[i] = acc
		acc *= shape[i]
	}
	idx := make([]int, nd)
	for o := range dst {
		p := 0
		for d := 0; d < nd; d++ {
			p += idx[d] * stride[d]
		}
		dst[o] = src[p]
		for d := nd - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return dst
}

// parseHeader parses the header dictionary, a Python literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseHeader(s string) (*header, error) {
	p := &lit{s: strings.TrimRight(s, " \n\x00")}
	v, err := p.value(0)
	if err != nil {
		return nil, errf(ErrFormat, "header %q: %v", clip(s), err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, errf(ErrFormat, "header %q: trailing text", clip(s))
	}
	d, ok := v.(map[string]any)
	if !ok {
		return nil, errf(ErrFormat, "header %q is not a dict", clip(s))
	}
	descr, ok1 := d["descr"].(string)
	fortran, ok2 := d["fortran_order"].(bool)
	shape, ok3 := d["shape"].([]any)
	if !ok1 || !ok2 || !ok3 {
		if _, ok := d["descr"].([]any); ok {
			return nil, errf(ErrUnsupported, "structured dtype %v", d["descr"])
		}
		return nil, errf(ErrFormat, "header %q lacks descr, fortran_order or shape", clip(s))
	}
	h := &header{fortran: fortran}
	for _, x := range shape {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, errf(ErrFormat, "bad shape %v", shape)
		}
		if n > math.MaxInt { // 32-bit systems
			return nil, errf(ErrUnsupported, "shape %v: dimension %d exceeds this system's int", shape, n)
		}
		h.shape = append(h.shape, int(n))
	}
	if h.shape == nil {
		h.shape = []int{}
	}
	if len(descr) < 3 {
		return nil, errf(ErrUnsupported, "dtype %q", descr)
	}
	switch descr[0] {
	case '<', '|':
		h.order = binary.LittleEndian
	case '>':
		h.order = binary.BigEndian
	default:
		return nil, errf(ErrUnsupported, "dtype %q", descr)
	}
	h.kind = descr[1]
	size, err := strconv.Atoi(descr[2:])
	if err != nil {
		return nil, errf(ErrUnsupported, "dtype %q", descr)
	}
	h.size = size
	ok = false
	switch h.kind {
	case 'f':
		ok = size == 2 || size == 4 || size == 8
	case 'i', 'u':
		ok = size == 1 || size == 2 || size == 4 || size == 8
	case 'b':
		ok = size == 1
	}
	if !ok {
		return nil, errf(ErrUnsupported, "dtype %q (want float, int, uint or bool)", descr)
	}
	return h, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// lit parses the Python literals a .npy header uses: dicts, tuples, lists,
// quoted strings, ints, True, False and None.
type lit struct {
	s string
	i int
}

func (p *lit) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *lit) value(depth int) (any, error) {
	if depth > 16 {
		return nil, errors.New("nested too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		d := map[string]any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return d, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, errors.New("dict key is not a string")
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, errors.New("missing ':'")
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, dup := d[ks]; dup {
				return nil, fmt.Errorf("duplicate key %q", ks)
			}
			d[ks] = v
			if err := p.sep('}'); err != nil {
				return nil, err
			}
		}
	case c == '(' || c == '[':
		end := byte(')')
		if c == '[' {
			end = ']'
		}
		p.i++
		items := []any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == end {
				p.i++
				return items, nil
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
			if err := p.sep(end); err != nil {
				return nil, err
			}
		}
	case c == '\'' || c == '"':
		j := strings.IndexByte(p.s[p.i+1:], c)
		if j < 0 {
			return nil, errors.New("unterminated string")
		}
		v := p.s[p.i+1 : p.i+1+j]
		p.i += j + 2
		return v, nil
	case c == '-' || (c >= '0' && c <= '9'):
		j := p.i + 1
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		tok := p.s[p.i:j]
		p.i = j
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
			p.i++
		}
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil || n > 1<<48 || n < -(1<<48) {
			return nil, fmt.Errorf("bad integer %q", tok)
		}
		return n, nil
	default:
		for _, w := range []struct {
			s string
			v any
		}{{"True", true}, {"False", false}, {"None", nil}} {
			if strings.HasPrefix(p.s[p.i:], w.s) {
				p.i += len(w.s)
				return w.v, nil
			}
		}
	}
	return nil, fmt.Errorf("unexpected %q", p.s[p.i])
}

// sep consumes a ',' or sees the closing bracket.
func (p *lit) sep(end byte) error {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == end {
		return nil
	}
	return fmt.Errorf("expected ',' or %q", end)
}

var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// halfToFloat converts IEEE 754 binary16 to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0:
		f := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

// Write writes t as a version 1.0 .npy file ('<f4', C order), or 2.0 if
// the header does not fit 1.0's 16-bit length. The header is padded so the
// data starts on a 64-byte boundary, as numpy does.
func Write(w io.Writer, t *tensor.Tensor) error {
	n, err := tensor.Numel(t.Shape)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if n != len(t.Data) {
		return fmt.Errorf("npy: shape %s needs %d elements, tensor has %d", tensor.ShapeString(t.Shape), n, len(t.Data))
	}
	var shape string
	switch len(t.Shape) {
	case 0:
		shape = "()"
	case 1:
		shape = fmt.Sprintf("(%d,)", t.Shape[0])
	default:
		parts := make([]string, len(t.Shape))
		for i, d := range t.Shape {
			parts[i] = strconv.Itoa(d)
		}
		shape = "(" + strings.Join(parts, ", ") + ")"
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape)
	var pre []byte
	pre = append(pre, magic...)
	lenBytes := 2
	if len(dict)+1+10 > 65535 {
		lenBytes = 4
	}
	total := len(magic) + 2 + lenBytes + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	if lenBytes == 2 {
		pre = append(pre, 1, 0)
		pre = binary.LittleEndian.AppendUint16(pre, uint16(hlen))
	} else {
		pre = append(pre, 2, 0)
		pre = binary.LittleEndian.AppendUint32(pre, uint32(hlen))
	}
	pre = append(pre, dict...)
	pre = append(pre, bytes.Repeat([]byte{' '}, pad)...)
	pre = append(pre, '\n')
	if _, err := w.Write(pre); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if littleEndian {
		_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(&t.Data[0])), 4*n))
		return err
	}
	buf := make([]byte, 4*min(n, 1<<14))
	for at := 0; at < n; at += len(buf) / 4 {
		m := min(n-at, len(buf)/4)
		for i := 0; i < m; i++ {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(t.Data[at+i]))
		}
		if _, err := w.Write(buf[:4*m]); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes t to path atomically: to a temporary file in the same
// directory, synced, then renamed over path.
func WriteFile(path string, t *tensor.Tensor) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, t) })
}
