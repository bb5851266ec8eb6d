package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// The tests read the exported files back with the small decoder below
// (protowire, field by field, as onnx.proto numbers them) and run the
// graph with this repository's layers (run), so that what the file says
// — which tensor feeds which node, with which attributes and weights —
// is checked against the model it came from. ONNX Runtime reads the same
// files in TestLiveORT (.ci/onnx.sh).

type decodedModel struct {
	metadata  map[string]string
	irVersion int64
	opsets    map[string]int64
	producer  string
	graph     decodedGraph
}

type decodedGraph struct {
	name    string
	nodes   []decodedNode
	inits   map[string]*decodedTensor
	order   []string // initializer names in file order
	inputs  []decodedValue
	outputs []decodedValue
}

type decodedNode struct {
	op, name       string
	inputs, output []string
	attrs          map[string]decodedAttr
}

type decodedAttr struct {
	kind int64
	i    int64
	f    float32
	ints []int64
}

type decodedTensor struct {
	dims     []int64
	dataType int64
	raw      []byte
	external map[string]string
	location int64
}

type decodedValue struct {
	name     string
	elemType int64
	dims     []any // int64 or string
}

// fields calls fn for each field of the encoded message b.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("field %d: wire type %d", num, typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// int64sOf decodes a repeated int64 field's packed payload.
func int64sOf(v []byte) ([]int64, error) {
	var out []int64
	for len(v) > 0 {
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, int64(x))
		v = v[n:]
	}
	return out, nil
}

func decodeModel(b []byte) (*decodedModel, error) {
	m := &decodedModel{opsets: map[string]int64{}, metadata: map[string]string{}}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			m.irVersion = int64(x)
		case 2:
			m.producer = string(v)
		case 14:
			k, val, err := decodeEntry(v)
			if err != nil {
				return err
			}
			m.metadata[k] = val
		case 8:
			var domain string
			var version int64
			if err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				switch num {
				case 1:
					domain = string(v)
				case 2:
					version = int64(x)
				}
				return nil
			}); err != nil {
				return err
			}
			m.opsets[domain] = version
		case 7:
			g, err := decodeGraph(v)
			if err != nil {
				return err
			}
			m.graph = *g
		}
		return nil
	})
	return m, err
}

func decodeGraph(b []byte) (*decodedGraph, error) {
	g := &decodedGraph{inits: map[string]*decodedTensor{}}
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n, err := decodeNode(v)
			if err != nil {
				return err
			}
			g.nodes = append(g.nodes, *n)
		case 2:
			g.name = string(v)
		case 5:
			name, t, err := decodeTensor(v)
			if err != nil {
				return err
			}
			if g.inits[name] != nil {
				return fmt.Errorf("initializer %q twice", name)
			}
			g.inits[name] = t
			g.order = append(g.order, name)
		case 11, 12:
			val, err := decodeValue(v)
			if err != nil {
				return err
			}
			if num == 11 {
				g.inputs = append(g.inputs, *val)
			} else {
				g.outputs = append(g.outputs, *val)
			}
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (*decodedNode, error) {
	n := &decodedNode{attrs: map[string]decodedAttr{}}
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.output = append(n.output, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.op = string(v)
		case 5:
			var name string
			var a decodedAttr
			if err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				var err error
				switch num {
				case 1:
					name = string(v)
				case 2:
					a.f = math.Float32frombits(uint32(x))
				case 3:
					a.i = int64(x)
				case 8:
					a.ints, err = int64sOf(v)
				case 20:
					a.kind = int64(x)
				}
				return err
			}); err != nil {
				return err
			}
			n.attrs[name] = a
		}
		return nil
	})
	return n, err
}

func decodeTensor(b []byte) (string, *decodedTensor, error) {
	t := &decodedTensor{}
	var name string
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			t.dims, err = int64sOf(v)
		case 2:
			t.dataType = int64(x)
		case 8:
			name = string(v)
		case 9:
			t.raw = v
		case 13:
			var k, val string
			k, val, err = decodeEntry(v)
			if t.external == nil {
				t.external = map[string]string{}
			}
			t.external[k] = val
		case 14:
			t.location = int64(x)
		}
		return err
	})
	return name, t, err
}

// decodeEntry decodes a StringStringEntryProto.
func decodeEntry(b []byte) (k, v string, err error) {
	err = fields(b, func(num protowire.Number, _ protowire.Type, b []byte, _ uint64) error {
		switch num {
		case 1:
			k = string(b)
		case 2:
			v = string(b)
		}
		return nil
	})
	return k, v, err
}

func decodeValue(b []byte) (*decodedValue, error) {
	val := &decodedValue{}
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			val.name = string(v)
		case 2: // TypeProto
			return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != 1 { // tensor_type
					return fmt.Errorf("value %s: type field %d, want a tensor", val.name, num)
				}
				return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
					switch num {
					case 1:
						val.elemType = int64(x)
					case 2: // shape
						return fields(v, func(_ protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
							return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
								switch num {
								case 1:
									val.dims = append(val.dims, int64(x))
								case 2:
									val.dims = append(val.dims, string(v))
								}
								return nil
							})
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return val, err
}

// floats returns a float32 initializer's values, from the file beside
// the model (dir) when its data is external.
func (t *decodedTensor) floats(dir string) ([]float32, error) {
	if t.dataType != dataTypeFloat {
		return nil, fmt.Errorf("data type %d, want float", t.dataType)
	}
	raw := t.raw
	if t.location == 1 {
		f, err := os.Open(filepath.Join(dir, t.external["location"]))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		off, err1 := strconv.ParseInt(t.external["offset"], 10, 64)
		n, err2 := strconv.Atoi(t.external["length"])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("external data %v", t.external)
		}
		raw = make([]byte, n)
		if _, err := f.ReadAt(raw, off); err != nil {
			return nil, err
		}
	}
	if len(raw)%4 != 0 {
		return nil, fmt.Errorf("%d bytes of float32", len(raw))
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

func (t *decodedTensor) int64s() ([]int64, error) {
	if t.dataType != dataTypeInt64 || len(t.raw)%8 != 0 {
		return nil, fmt.Errorf("data type %d with %d bytes, want int64", t.dataType, len(t.raw))
	}
	out := make([]int64, len(t.raw)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
	}
	return out, nil
}

// run evaluates the decoded graph on x with this repository's layers
// (nn), node by node, and returns its output.
func (g *decodedGraph) run(dir string, x *tensor.Tensor) (*tensor.Tensor, error) {
	vals := map[string]*tensor.Tensor{g.inputs[0].name: x}
	weight := func(name string) (*tensor.Tensor, error) {
		t := g.inits[name]
		if t == nil {
			return nil, fmt.Errorf("no initializer %q", name)
		}
		d, err := t.floats(dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		shape := make([]int, len(t.dims))
		for i, v := range t.dims {
			shape[i] = int(v)
		}
		return tensor.FromData(d, shape...)
	}
	for _, n := range g.nodes {
		var in *tensor.Tensor
		if len(n.inputs) > 0 {
			in = vals[n.inputs[0]]
			if in == nil {
				return nil, fmt.Errorf("node %s: input %q not computed yet", n.name, n.inputs[0])
			}
		}
		var y *tensor.Tensor
		switch n.op {
		case "Conv":
			w, err := weight(n.inputs[1])
			if err != nil {
				return nil, err
			}
			k, s, p, d, grp := n.attrs["kernel_shape"].ints, n.attrs["strides"].ints, n.attrs["pads"].ints, n.attrs["dilations"].ints, n.attrs["group"].i
			if len(k) != 2 || k[0] != k[1] || len(s) != 2 || s[0] != s[1] || len(p) != 4 || p[0] != p[1] || p[0] != p[2] || p[0] != p[3] || len(d) != 2 || d[0] != 1 || d[1] != 1 {
				return nil, fmt.Errorf("node %s: attributes %v", n.name, n.attrs)
			}
			if w.Shape[2] != int(k[0]) {
				return nil, fmt.Errorf("node %s: kernel_shape %v, weight %v", n.name, k, w.Shape)
			}
			c := nn.NewConv2d(w.Shape[1]*int(grp), w.Shape[0], int(k[0]), nn.ConvOptions{Stride: int(s[0]), Padding: int(p[0]), Groups: int(grp), Bias: len(n.inputs) > 2})
			copy(c.Weight.Value.Data, w.Data)
			if len(n.inputs) > 2 {
				b, err := weight(n.inputs[2])
				if err != nil {
					return nil, err
				}
				copy(c.Bias.Value.Data, b.Data)
			}
			y = c.Forward(in)
		case "BatchNormalization":
			bn := nn.NewBatchNorm2d(in.Shape[1])
			for i, dst := range []*tensor.Tensor{bn.Weight.Value, bn.Bias.Value, bn.RunningMean, bn.RunningVar} {
				t, err := weight(n.inputs[1+i])
				if err != nil {
					return nil, err
				}
				if len(t.Data) != len(dst.Data) {
					return nil, fmt.Errorf("node %s: %s has %d values for %d channels", n.name, n.inputs[1+i], len(t.Data), len(dst.Data))
				}
				copy(dst.Data, t.Data)
			}
			bn.Eps = float64(n.attrs["epsilon"].f)
			y = bn.Forward(in)
		case "Relu":
			y = in.Clone()
			for i, v := range y.Data {
				y.Data[i] = max(v, 0)
			}
		case "Add":
			b := vals[n.inputs[1]]
			if b == nil || !tensor.SameShape(in.Shape, b.Shape) {
				return nil, fmt.Errorf("node %s: adds %v", n.name, n.inputs)
			}
			y = in.Clone()
			for i, v := range b.Data {
				y.Data[i] += v
			}
		case "MaxPool":
			k, s, p := n.attrs["kernel_shape"].ints, n.attrs["strides"].ints, n.attrs["pads"].ints
			y = nn.NewMaxPool2d(int(k[0]), int(s[0]), int(p[0])).Forward(in)
		case "GlobalAveragePool":
			y = nn.AdaptiveAvgPool2d{H: 1, W: 1}.Forward(in)
		case "Flatten":
			var err error
			if y, err = in.Reshape(in.Shape[0], in.Len()/in.Shape[0]); err != nil {
				return nil, err
			}
		case "Gemm":
			if n.attrs["transB"].i != 1 {
				return nil, fmt.Errorf("node %s: transB %d", n.name, n.attrs["transB"].i)
			}
			w, err := weight(n.inputs[1])
			if err != nil {
				return nil, err
			}
			b, err := weight(n.inputs[2])
			if err != nil {
				return nil, err
			}
			l := nn.NewLinear(w.Shape[1], w.Shape[0])
			copy(l.Weight.Value.Data, w.Data)
			copy(l.Bias.Value.Data, b.Data)
			y = l.Forward(in)
		case "Slice":
			var a [4][]int64
			for i := range a {
				t := g.inits[n.inputs[1+i]]
				if t == nil {
					return nil, fmt.Errorf("node %s: no %s", n.name, n.inputs[1+i])
				}
				var err error
				if a[i], err = t.int64s(); err != nil {
					return nil, err
				}
			}
			y = slice2(in, a[0], a[1], a[2], a[3])
			if y == nil {
				return nil, fmt.Errorf("node %s: slice %v", n.name, a)
			}
		case "Pad":
			t := g.inits[n.inputs[1]]
			if t == nil {
				return nil, fmt.Errorf("node %s: no pads", n.name)
			}
			pads, err := t.int64s()
			if err != nil {
				return nil, err
			}
			y = pad4(in, pads)
		default:
			return nil, fmt.Errorf("node %s: op %s", n.name, n.op)
		}
		vals[n.output[0]] = y
	}
	out := vals[g.outputs[0].name]
	if out == nil {
		return nil, fmt.Errorf("output %q not computed", g.outputs[0].name)
	}
	return out, nil
}

// slice2 is ONNX Slice on axes 2 and 3 of an NCHW tensor with positive
// steps (nil for anything else).
func slice2(x *tensor.Tensor, starts, ends, axes, steps []int64) *tensor.Tensor {
	if len(axes) != 2 || axes[0] != 2 || axes[1] != 3 || len(starts) != 2 || len(ends) != 2 || len(steps) != 2 || steps[0] < 1 || steps[1] < 1 {
		return nil
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	r0, r1 := int(starts[0]), int(min(ends[0], int64(h)))
	c0, c1 := int(starts[1]), int(min(ends[1], int64(w)))
	sh, sw := int(steps[0]), int(steps[1])
	oh, ow := (r1-r0+sh-1)/sh, (c1-c0+sw-1)/sw
	y := tensor.New(n, c, oh, ow)
	for p := 0; p < n*c; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				y.Data[(p*oh+i)*ow+j] = x.Data[(p*h+r0+i*sh)*w+c0+j*sw]
			}
		}
	}
	return y
}

// pad4 is ONNX Pad (constant zero) of an NCHW tensor, pads as ONNX
// orders them: the four starts, then the four ends.
func pad4(x *tensor.Tensor, pads []int64) *tensor.Tensor {
	var shape, lo [4]int
	for i := range shape {
		lo[i] = int(pads[i])
		shape[i] = x.Shape[i] + int(pads[i]+pads[4+i])
	}
	y := tensor.New(shape[:]...)
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	for a := 0; a < n; a++ {
		for b := 0; b < c; b++ {
			for i := 0; i < h; i++ {
				src := x.Data[((a*c+b)*h+i)*w:][:w]
				copy(y.Data[(((a+lo[0])*shape[1]+b+lo[1])*shape[2]+i+lo[2])*shape[3]+lo[3]:], src)
			}
		}
	}
	return y
}
