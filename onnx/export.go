// Package onnx exports a network of package models to ONNX, the format
// that ONNX Runtime, TensorRT, OpenVINO and most serving stacks read: the
// graph a PyTorch export of the same torchvision module would describe
// (Conv, BatchNormalization, Relu, MaxPool, Add, GlobalAveragePool,
// Flatten, Gemm; Slice and Pad for the CIFAR nets' option-A shortcut),
// opset 13, the weights as initializers under PyTorch's state_dict names
// (conv1.weight, layer1.0.bn1.running_mean, fc.bias, …), unfolded, so
// that the file holds exactly the model's parameters.
//
// The input is "input", float32 (N, C, H, W), the output "logits",
// float32 (N, classes): the raw scores, before any softmax. By default N,
// H and W are symbolic (any batch, any image size the network accepts);
// Options fixes them.
//
// ONNX models are protocol buffers, which cannot exceed 2 GiB: ExportFile
// stores the weights of larger models (resnext101_32x32d_wsl and
// resnext101_32x48d_wsl) in a file beside the model, PATH.data, as
// ONNX's external data, which the runtimes load from the model's
// directory.
package onnx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/resnetgo/resnet/internal/atomicfile"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// Opset is the ONNX operator set version of the exported graphs.
const Opset = 13

// irVersion is the ONNX IR version written (IR 7: opsets up to 13).
const irVersion = 7

// maxProto is the largest model file protocol buffers allow (2 GiB − 1).
const maxProto = math.MaxInt32

// Options adjust an export.
type Options struct {
	// Batch fixes the input's batch size; 0 leaves it symbolic ("batch").
	Batch int
	// Height and Width fix the input's image size; 0 leaves them symbolic
	// ("height", "width").
	Height, Width int
	// ExternalData makes ExportFile store the weights in PATH.data even
	// when the model would fit in one file (it always does past 2 GiB).
	ExternalData bool
	// Metadata is written as the model's metadata_props (sorted by key):
	// what a consumer needs beside the graph, such as the class names and
	// the preprocessing (`resnet export` writes "labels" and "transform"
	// as JSON when it knows them).
	Metadata map[string]string

	limit int // the largest model file (0: maxProto); tests lower it
}

// maxSize is the largest model file o allows.
func (o Options) maxSize() int {
	if o.limit > 0 {
		return o.limit
	}
	return maxProto
}

// Export writes m to w as an ONNX model holding its weights (m's own,
// as read or trained: a model whose storage engine.Compile used InPlace
// no longer holds them, and neither does a classify.Classifier's on the
// engine; load it with classify.Options.Reference to export it). It fails
// for a model whose file would exceed protocol buffers' 2 GiB (use
// ExportFile, which stores the weights beside it).
func Export(ctx context.Context, w io.Writer, m *models.ResNet, o Options) error {
	model, err := build(m, o, nil)
	if err != nil {
		return err
	}
	if model.size > o.maxSize() {
		return fmt.Errorf("onnx: %s: %d bytes, more than an ONNX file holds (2 GiB); ExportFile stores the weights beside it", m.Config.Name, model.size)
	}
	return model.writeTo(ctx, w)
}

// ExportFile writes m to the file path as an ONNX model, with its weights
// in path + ".data" (ONNX external data, relative to the model's
// directory) when o.ExternalData is set or the model would exceed 2 GiB.
// Each file is written to a temporary name in its directory and renamed
// once complete, so that an error or a cancelled ctx leaves no partial
// file behind.
func ExportFile(ctx context.Context, path string, m *models.ResNet, o Options) error {
	external := o.ExternalData
	if !external {
		model, err := build(m, o, nil)
		if err != nil {
			return err
		}
		if model.size <= o.maxSize() {
			return save(path, model, ctx)
		}
	}
	dataPath := path + ".data"
	ext := &externalData{location: filepath.Base(dataPath)}
	model, err := build(m, o, ext)
	if err != nil {
		return err
	}
	if model.size > o.maxSize() {
		return fmt.Errorf("onnx: %s: the graph alone is %d bytes, more than an ONNX file holds", m.Config.Name, model.size)
	}
	if err := save(dataPath, &ext.data, ctx); err != nil {
		return err
	}
	if err := save(path, model, ctx); err != nil {
		os.Remove(dataPath)
		return err
	}
	return nil
}

// save writes m to path through a temporary file (atomicfile).
func save(path string, m *message, ctx context.Context) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return m.writeTo(ctx, w) }); err != nil {
		return fmt.Errorf("onnx: writing %s: %w", path, err)
	}
	return nil
}

// externalData collects the weights stored beside the model: data is
// the file's content, each tensor at an offset aligned to 4096 bytes (as
// ONNX advises, so that runtimes may map it).
type externalData struct {
	location string
	data     message
}

// add appends vs to the file and returns its offset.
func (e *externalData) add(vs []float32) int {
	if pad := (4096 - e.data.size%4096) % 4096; pad > 0 {
		e.data.raw(make([]byte, pad))
	}
	off := e.data.size
	e.data.parts = append(e.data.parts, part{f: vs})
	e.data.size += 4 * len(vs)
	return off
}

// writeTo writes the encoded model, checking ctx between its parts.
func (m *message) writeTo(ctx context.Context, w io.Writer) error {
	return m.write(&ctxWriter{ctx: ctx, w: w})
}

// ctxWriter fails its writes once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}

// graph builds a GraphProto: nodes and initializers as they come.
type graph struct {
	g     message
	ext   *externalData // nil: the weights go in the graph
	names map[string]bool
}

// Field numbers of onnx.proto's messages used here.
const (
	modelIRVersion, modelProducerName, modelDocString, modelGraph, modelOpsetImport, modelMetadataProps = 1, 2, 6, 7, 8, 14
	opsetVersion                                                                                        = 2
	graphNode, graphName, graphInitializer, graphInput, graphOutput                                     = 1, 2, 5, 11, 12
	nodeInput, nodeOutput, nodeName, nodeOpType, nodeAttribute                                          = 1, 2, 3, 4, 5
	attrName, attrF, attrI, attrInts, attrType                                                          = 1, 2, 3, 8, 20
	attrTypeFloat, attrTypeInt, attrTypeInts                                                            = 1, 2, 7
	tensorDims, tensorDataType, tensorName, tensorRawData, tensorExternalData, tensorDataLocation       = 1, 2, 8, 9, 13, 14
	dataTypeFloat, dataTypeInt64                                                                        = 1, 7
	entryKey, entryValue                                                                                = 1, 2
	valueName, valueType                                                                                = 1, 2
	typeTensor, tensorElemType, tensorShape, shapeDim, dimValue, dimParam                               = 1, 1, 2, 1, 1, 2
)

// attribute is one AttributeProto.
type attribute struct {
	name string
	ints []int64
	i    int64
	f    float32
	kind int // attrTypeInts, attrTypeInt or attrTypeFloat
}

func ints(name string, vs ...int) attribute {
	a := attribute{name: name, kind: attrTypeInts}
	for _, v := range vs {
		a.ints = append(a.ints, int64(v))
	}
	return a
}

func intAttr(name string, v int) attribute {
	return attribute{name: name, i: int64(v), kind: attrTypeInt}
}

func floatAttr(name string, v float32) attribute {
	return attribute{name: name, f: v, kind: attrTypeFloat}
}

// claim reserves name for one value of the graph (a node's output or an
// initializer).
func (g *graph) claim(name string) error {
	if g.names[name] {
		return fmt.Errorf("onnx: two values named %q", name)
	}
	g.names[name] = true
	return nil
}

// node adds a node of type op named name, whose output is name too, and
// returns that name.
func (g *graph) node(op, name string, inputs []string, attrs ...attribute) (string, error) {
	if err := g.claim(name); err != nil {
		return "", err
	}
	var n message
	for _, in := range inputs {
		n.string(nodeInput, in)
	}
	n.string(nodeOutput, name)
	n.string(nodeName, name)
	n.string(nodeOpType, op)
	for _, a := range attrs {
		var am message
		am.string(attrName, a.name)
		switch a.kind {
		case attrTypeInts:
			am.int64s(attrInts, a.ints)
		case attrTypeInt:
			am.int64(attrI, a.i)
		case attrTypeFloat:
			am.float(attrF, a.f)
		}
		am.int64(attrType, int64(a.kind))
		n.embed(nodeAttribute, &am)
	}
	g.g.embed(graphNode, &n)
	return name, nil
}

// weight adds the float32 initializer name (dims shape, values vs) and
// returns its name.
func (g *graph) weight(name string, t *tensor.Tensor) (string, error) {
	if t == nil {
		return "", fmt.Errorf("onnx: %s is missing", name)
	}
	if err := g.claim(name); err != nil {
		return "", err
	}
	var tm message
	dims := make([]int64, len(t.Shape))
	n := 1
	for i, d := range t.Shape {
		dims[i] = int64(d)
		n *= d
	}
	if n != len(t.Data) {
		return "", fmt.Errorf("onnx: %s: shape %v holds %d values, not %d", name, t.Shape, n, len(t.Data))
	}
	tm.int64s(tensorDims, dims)
	tm.int64(tensorDataType, dataTypeFloat)
	tm.string(tensorName, name)
	if g.ext == nil {
		tm.floats(tensorRawData, t.Data)
	} else {
		off := g.ext.add(t.Data)
		for _, kv := range [][2]string{{"location", g.ext.location}, {"offset", strconv.Itoa(off)}, {"length", strconv.Itoa(4 * len(t.Data))}} {
			var e message
			e.string(entryKey, kv[0])
			e.string(entryValue, kv[1])
			tm.embed(tensorExternalData, &e)
		}
		tm.int64(tensorDataLocation, 1) // EXTERNAL
	}
	g.g.embed(graphInitializer, &tm)
	return name, nil
}

// int64s adds the int64 initializer name (a vector) and returns its name.
func (g *graph) int64s(name string, vs ...int64) (string, error) {
	if err := g.claim(name); err != nil {
		return "", err
	}
	var tm message
	tm.int64s(tensorDims, []int64{int64(len(vs))})
	tm.int64(tensorDataType, dataTypeInt64)
	tm.string(tensorName, name)
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	tm.bytes(tensorRawData, b)
	g.g.embed(graphInitializer, &tm)
	return name, nil
}

// value adds a graph input or output (field num): float32 of the given
// dims, each a size (int) or a symbolic name (string).
func (g *graph) value(num protowire.Number, name string, dims ...any) {
	var shape message
	for _, d := range dims {
		var dm message
		switch d := d.(type) {
		case int:
			dm.int64(dimValue, int64(d))
		case string:
			dm.string(dimParam, d)
		}
		shape.embed(shapeDim, &dm)
	}
	var tt message
	tt.int64(tensorElemType, dataTypeFloat)
	tt.embed(tensorShape, &shape)
	var ty message
	ty.embed(typeTensor, &tt)
	var v message
	v.string(valueName, name)
	v.embed(valueType, &ty)
	g.g.embed(num, &v)
}

// build encodes m's ModelProto (with its weights in ext when not nil).
func build(m *models.ResNet, o Options, ext *externalData) (*message, error) {
	if m == nil || m.Conv1 == nil || m.BN1 == nil || m.FC == nil || m.FC.Weight == nil {
		return nil, errors.New("onnx: the model holds no layers (a classify.Classifier compiled for the engine keeps only its plan: load it with Options.Reference)")
	}
	c := m.Config
	if o.Batch < 0 || o.Height < 0 || o.Width < 0 {
		return nil, fmt.Errorf("onnx: negative input size %+v", o)
	}
	g := &graph{ext: ext, names: map[string]bool{"input": true}}
	g.g.string(graphName, c.Name)
	var batch, h, w any = "batch", "height", "width"
	if o.Batch > 0 {
		batch = o.Batch
	}
	if o.Height > 0 {
		h = o.Height
	}
	if o.Width > 0 {
		w = o.Width
	}
	g.value(graphInput, "input", batch, c.InChannels, h, w)
	x, err := g.convBN("", m.Conv1, "conv1", m.BN1, "bn1", "input")
	if err != nil {
		return nil, err
	}
	if m.MaxPool != nil {
		p := m.MaxPool
		if x, err = g.node("MaxPool", "maxpool", []string{x}, ints("kernel_shape", p.KH, p.KW),
			ints("strides", p.StrideH, p.StrideW), ints("pads", p.PadH, p.PadW, p.PadH, p.PadW)); err != nil {
			return nil, err
		}
	}
	for s, stage := range m.Stages {
		for i, b := range stage {
			if x, err = g.block(fmt.Sprintf("layer%d.%d.", s+1, i), b, x); err != nil {
				return nil, err
			}
		}
	}
	if x, err = g.node("GlobalAveragePool", "avgpool", []string{x}); err != nil {
		return nil, err
	}
	if x, err = g.node("Flatten", "flatten", []string{x}, intAttr("axis", 1)); err != nil {
		return nil, err
	}
	fw, err := g.weight("fc.weight", paramValue(m.FC.Weight))
	if err != nil {
		return nil, err
	}
	fb, err := g.weight("fc.bias", paramValue(m.FC.Bias))
	if err != nil {
		return nil, err
	}
	if _, err := g.node("Gemm", "logits", []string{x, fw, fb}, intAttr("transB", 1)); err != nil {
		return nil, err
	}
	g.value(graphOutput, "logits", batch, m.FC.Weight.Value.Shape[0])

	model := &message{}
	model.int64(modelIRVersion, irVersion)
	model.string(modelProducerName, "github.com/resnetgo/resnet")
	model.string(modelDocString, fmt.Sprintf("%s (%s blocks, shortcut %s), exported by github.com/resnetgo/resnet/onnx; input: float32 (N, %d, H, W), normalised as the network was trained; output: logits (N, %d)",
		c.Name, c.Block, c.Shortcut, c.InChannels, m.FC.Weight.Value.Shape[0]))
	var opset message
	opset.int64(opsetVersion, Opset)
	model.embed(modelOpsetImport, &opset)
	model.embed(modelGraph, &g.g)
	for _, k := range slices.Sorted(maps.Keys(o.Metadata)) {
		var e message
		e.string(entryKey, k)
		e.string(entryValue, o.Metadata[k])
		model.embed(modelMetadataProps, &e)
	}
	return model, nil
}

// convBN adds a convolution and its batch norm (and the ReLU the batch
// norm fuses, bn.ReLU or relu) on x, the tensors named prefix+cname and
// prefix+bname as in the state_dict, and returns the last output.
func (g *graph) convBN(prefix string, conv *nn.Conv2d, cname string, bn *nn.BatchNorm2d, bname, x string) (string, error) {
	y, err := g.conv(prefix+cname, conv, x)
	if err != nil {
		return "", err
	}
	return g.bn(prefix+bname, bn, y, bn.ReLU)
}

// conv adds a Conv node named name on x.
func (g *graph) conv(name string, c *nn.Conv2d, x string) (string, error) {
	if c == nil {
		return "", fmt.Errorf("onnx: %s is missing", name)
	}
	wn, err := g.weight(name+".weight", paramValue(c.Weight))
	if err != nil {
		return "", err
	}
	in := []string{x, wn}
	if c.Bias != nil {
		bn, err := g.weight(name+".bias", paramValue(c.Bias))
		if err != nil {
			return "", err
		}
		in = append(in, bn)
	}
	p := c.ConvParams
	dh, dw := max(p.DilH, 1), max(p.DilW, 1)
	return g.node("Conv", name, in, ints("kernel_shape", p.KH, p.KW), ints("strides", p.StrideH, p.StrideW),
		ints("pads", p.PadH, p.PadW, p.PadH, p.PadW), ints("dilations", dh, dw), intAttr("group", max(p.Groups, 1)))
}

// bn adds a BatchNormalization node named name on x (inference: the
// running statistics), then a Relu when relu.
func (g *graph) bn(name string, b *nn.BatchNorm2d, x string, relu bool) (string, error) {
	if b == nil {
		return "", fmt.Errorf("onnx: %s is missing", name)
	}
	in := []string{x}
	for _, t := range []struct {
		suffix string
		v      *tensor.Tensor
	}{{".weight", paramValue(b.Weight)}, {".bias", paramValue(b.Bias)}, {".running_mean", b.RunningMean}, {".running_var", b.RunningVar}} {
		n, err := g.weight(name+t.suffix, t.v)
		if err != nil {
			return "", err
		}
		in = append(in, n)
	}
	y, err := g.node("BatchNormalization", name, in, floatAttr("epsilon", float32(b.Eps)))
	if err != nil || !relu {
		return y, err
	}
	return g.node("Relu", name+".relu", []string{y})
}

// block adds one residual unit on x, its tensors under prefix
// (layer1.0.), and returns its output.
func (g *graph) block(prefix string, b *models.Block, x string) (string, error) {
	if b == nil || b.BN1 == nil || b.Conv2 == nil || (b.Conv3 == nil) != (b.BN3 == nil) {
		return "", fmt.Errorf("onnx: %s: an incomplete block", strings.TrimSuffix(prefix, "."))
	}
	y, err := g.convBN(prefix, b.Conv1, "conv1", b.BN1, "bn1", x)
	if err != nil {
		return "", err
	}
	last, lastName := b.BN2, "bn2"
	if b.Conv3 != nil {
		if y, err = g.convBN(prefix, b.Conv2, "conv2", b.BN2, "bn2", y); err != nil {
			return "", err
		}
		if y, err = g.conv(prefix+"conv3", b.Conv3, y); err != nil {
			return "", err
		}
		last, lastName = b.BN3, "bn3"
	} else if y, err = g.conv(prefix+"conv2", b.Conv2, y); err != nil {
		return "", err
	}
	if b.Shortcut == models.NoShortcut {
		// A plain network's unit: its last batch norm and ReLU, nothing added.
		return g.bn(prefix+lastName, last, y, true)
	}
	if y, err = g.bn(prefix+lastName, last, y, false); err != nil {
		return "", err
	}
	identity := x
	switch {
	case b.Downsample != nil:
		if identity, err = g.conv(prefix+"downsample.0", b.Downsample.Conv, x); err != nil {
			return "", err
		}
		if identity, err = g.bn(prefix+"downsample.1", b.Downsample.BN, identity, false); err != nil {
			return "", err
		}
	case b.Shortcut == models.ShortcutA && b.ChangesShape():
		// x[:, :, ::2, ::2], zero-padded by (out − in)/2 channels on each
		// side (models' option-A shortcut).
		out := b.Conv2.OutC
		if b.Conv3 != nil {
			out = b.Conv3.OutC
		}
		in := b.Conv1.InC
		if out < in || (out-in)%2 != 0 {
			return "", fmt.Errorf("onnx: %s: option-A shortcut from %d to %d channels", prefix, in, out)
		}
		names := [4]string{}
		for i, v := range [][]int64{{0, 0}, {math.MaxInt64, math.MaxInt64}, {2, 3}, {2, 2}} {
			if names[i], err = g.int64s(fmt.Sprintf("%sshortcut.slice.%d", prefix, i), v...); err != nil {
				return "", err
			}
		}
		if identity, err = g.node("Slice", prefix+"shortcut.subsample", append([]string{x}, names[:]...)); err != nil {
			return "", err
		}
		p := int64((out - in) / 2)
		pads, err := g.int64s(prefix+"shortcut.pads", 0, p, 0, 0, 0, p, 0, 0)
		if err != nil {
			return "", err
		}
		if identity, err = g.node("Pad", prefix+"shortcut.pad", []string{identity, pads}); err != nil {
			return "", err
		}
	}
	if y, err = g.node("Add", prefix+"add", []string{y, identity}); err != nil {
		return "", err
	}
	return g.node("Relu", prefix+"relu", []string{y})
}

// paramValue is p's tensor (nil for a nil parameter).
func paramValue(p *nn.Parameter) *tensor.Tensor {
	if p == nil {
		return nil
	}
	return p.Value
}
