package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sort"
	"unsafe"

	"github.com/resnetgo/resnet/tensor"
)

// pickler writes protocol-2 pickles using only the opcodes that
// torch.load(weights_only=True) of PyTorch 1.13 accepts, except for floats
// (BINFLOAT), bytes and sets, which that version's restricted unpickler
// rejects and newer versions (and plain pickle) read.
type pickler struct {
	buf      bytes.Buffer
	tensors  []*Tensor       // storages in write order; key is the index
	memo     map[any]int     // tensors already written, by memo slot
	wrapped  map[any]*Tensor // *tensor.Tensor → its checkpoint Tensor
	nextMemo int
}

func newPickler() *pickler {
	p := &pickler{memo: make(map[any]int), wrapped: make(map[any]*Tensor)}
	p.buf.Write([]byte{opProto, 2})
	return p
}

func (p *pickler) op(b ...byte) { p.buf.Write(b) }

func (p *pickler) global(module, name string) {
	p.buf.WriteByte(opGlobal)
	p.buf.WriteString(module + "\n" + name + "\n")
}

func (p *pickler) put() int {
	i := p.nextMemo
	p.nextMemo++
	if i < 256 {
		p.op(opBinPut, byte(i))
	} else {
		p.op(opLongBinPut)
		binary.Write(&p.buf, binary.LittleEndian, uint32(i))
	}
	return i
}

func (p *pickler) get(i int) {
	if i < 256 {
		p.op(opBinGet, byte(i))
	} else {
		p.op(opLongBinGet)
		binary.Write(&p.buf, binary.LittleEndian, uint32(i))
	}
}

func (p *pickler) int(v int64) {
	switch {
	case v >= 0 && v < 256:
		p.op(opBinInt1, byte(v))
	case v >= 0 && v < 65536:
		p.op(opBinInt2, byte(v), byte(v>>8))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		p.op(opBinInt)
		binary.Write(&p.buf, binary.LittleEndian, int32(v))
	default:
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		n := 8
		// Trim redundant sign bytes, keeping the sign bit right.
		for n > 1 && ((b[n-1] == 0 && b[n-2]&0x80 == 0) || (b[n-1] == 0xff && b[n-2]&0x80 != 0)) {
			n--
		}
		p.op(opLong1, byte(n))
		p.buf.Write(b[:n])
	}
}

func (p *pickler) bigInt(v *big.Int) {
	if v.IsInt64() {
		p.int(v.Int64())
		return
	}
	// Two's complement, little-endian, with room for the sign bit.
	n := v.BitLen()/8 + 1
	m := new(big.Int).Set(v)
	if v.Sign() < 0 {
		m.Add(m, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	be := m.FillBytes(make([]byte, n))
	for i, j := 0, len(be)-1; i < j; i, j = i+1, j-1 {
		be[i], be[j] = be[j], be[i]
	}
	if n < 256 {
		p.op(opLong1, byte(n))
	} else {
		p.op(opLong4)
		binary.Write(&p.buf, binary.LittleEndian, uint32(n))
	}
	p.buf.Write(be)
}

func (p *pickler) str(s string) {
	p.op(opBinUnicode)
	binary.Write(&p.buf, binary.LittleEndian, uint32(len(s)))
	p.buf.WriteString(s)
}

// emptyOrderedDict writes collections.OrderedDict().
func (p *pickler) emptyOrderedDict() {
	p.global("collections", "OrderedDict")
	p.op(opEmptyTuple, opReduce)
}

func (p *pickler) dump(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("checkpoint: object nested more than %d deep (a cycle?)", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		p.op(opNone)
	case bool:
		if x {
			p.op(opNewTrue)
		} else {
			p.op(opNewFalse)
		}
	case int:
		p.int(int64(x))
	case int64:
		p.int(x)
	case int32:
		p.int(int64(x))
	case *big.Int:
		p.bigInt(x)
	case float64:
		p.op(opBinFloat)
		binary.Write(&p.buf, binary.BigEndian, math.Float64bits(x))
	case float32:
		return p.dump(float64(x), depth)
	case string:
		if uint64(len(x)) > math.MaxUint32 {
			return fmt.Errorf("checkpoint: string of %d bytes is too long", len(x))
		}
		p.str(x)
	case []byte:
		if len(x) < 256 {
			p.op(opShortBinBytes, byte(len(x)))
		} else {
			p.op(opBinBytes)
			binary.Write(&p.buf, binary.LittleEndian, uint32(len(x)))
		}
		p.buf.Write(x)
	case DType:
		p.global("torch", string(x))
	case Global:
		if _, err := lookupGlobal(x.Module, x.Name); err != nil {
			return err
		}
		p.global(x.Module, x.Name)
	case Tuple:
		if len(x) > 0 {
			return p.memoized(sliceKey{unsafe.SliceData(x), len(x), true}, func() error { return p.tuple(x, depth) })
		}
		return p.tuple(x, depth)
	case []any:
		if len(x) > 0 {
			return p.memoized(sliceKey{unsafe.SliceData(x), len(x), false}, func() error { return p.list(x, depth) })
		}
		return p.list(x, depth)
	case []string:
		return p.list(anySlice(x), depth)
	case []int:
		return p.list(anySlice(x), depth)
	case []int64:
		return p.list(anySlice(x), depth)
	case []float64:
		return p.list(anySlice(x), depth)
	case Set:
		p.op(opEmptySet, opMark)
		for _, it := range x {
			if err := p.dump(it, depth+1); err != nil {
				return err
			}
		}
		p.op(opAddItems)
	case *Dict:
		return p.memoized(x, func() error { return p.dict(x, depth) })
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ks, vs := make([]any, len(keys)), make([]any, len(keys))
		for i, k := range keys {
			ks[i], vs[i] = k, x[k]
		}
		p.op(opEmptyDict)
		return p.items(ks, vs, depth)
	case *StateDict:
		p.emptyOrderedDict()
		ks, vs := make([]any, len(x.Keys)), make([]any, len(x.Keys))
		for i, k := range x.Keys {
			t := x.Tensors[k]
			if t == nil {
				return fmt.Errorf("checkpoint: state dict key %q has no tensor", k)
			}
			ks[i], vs[i] = k, t
		}
		return p.items(ks, vs, depth)
	case *tensor.Tensor:
		t, ok := p.wrapped[x]
		if !ok {
			t = FromTensor(x)
			p.wrapped[x] = t
		}
		return p.tensor(t)
	case *Tensor:
		return p.tensor(x)
	default:
		return fmt.Errorf("checkpoint: cannot pickle a %T", v)
	}
	return nil
}

type sliceKey struct {
	p     *any
	n     int
	tuple bool
}

// memoized writes a container once; later occurrences become memo GETs,
// so shared sub-trees stay shared and writing stays linear in their size.
func (p *pickler) memoized(key any, write func() error) error {
	if i, ok := p.memo[key]; ok {
		p.get(i)
		return nil
	}
	if err := write(); err != nil {
		return err
	}
	p.memo[key] = p.put()
	return nil
}

func (p *pickler) dict(x *Dict, depth int) error {
	if x.Ordered {
		p.emptyOrderedDict()
	} else {
		p.op(opEmptyDict)
	}
	if err := p.items(x.keys, x.vals, depth); err != nil {
		return err
	}
	if x.Attrs != nil && x.Attrs.Len() > 0 {
		if err := p.dump(x.Attrs, depth+1); err != nil {
			return err
		}
		p.op(opBuild)
	}
	return nil
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (p *pickler) tuple(x Tuple, depth int) error {
	if len(x) == 0 {
		p.op(opEmptyTuple)
		return nil
	}
	if len(x) > 3 {
		p.op(opMark)
	}
	for _, it := range x {
		if err := p.dump(it, depth+1); err != nil {
			return err
		}
	}
	switch len(x) {
	case 1:
		p.op(opTuple1)
	case 2:
		p.op(opTuple2)
	case 3:
		p.op(opTuple3)
	default:
		p.op(opTuple)
	}
	return nil
}

// list writes a list as EMPTY_LIST then APPENDS batches, like Python.
func (p *pickler) list(x []any, depth int) error {
	p.op(opEmptyList)
	for i := 0; i < len(x); i += 1000 {
		p.op(opMark)
		for _, it := range x[i:min(i+1000, len(x))] {
			if err := p.dump(it, depth+1); err != nil {
				return err
			}
		}
		p.op(opAppends)
	}
	return nil
}

func (p *pickler) items(ks, vs []any, depth int) error {
	for i := 0; i < len(ks); i += 1000 {
		p.op(opMark)
		for j := i; j < min(i+1000, len(ks)); j++ {
			if err := p.dump(ks[j], depth+1); err != nil {
				return err
			}
			if err := p.dump(vs[j], depth+1); err != nil {
				return err
			}
		}
		p.op(opSetItems)
	}
	return nil
}

var storageClass = map[DType]string{}

func init() {
	for name, dt := range storageTypes {
		storageClass[dt] = name
	}
}

// tensor writes _rebuild_tensor_v2(storage, 0, size, stride, requires_grad,
// OrderedDict()) with the storage as persistent id ("storage",
// torch.FloatStorage, key, "cpu", numel), as torch.save does.
func (p *pickler) tensor(t *Tensor) error {
	if i, ok := p.memo[t]; ok {
		p.get(i)
		return nil
	}
	if err := t.check(); err != nil {
		return fmt.Errorf("checkpoint: tensor %v: %w", t, err)
	}
	key := len(p.tensors)
	p.tensors = append(p.tensors, t)
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op(opMark)
	p.op(opMark)
	p.str("storage")
	p.global("torch", storageClass[t.DType])
	p.str(fmt.Sprint(key))
	p.str("cpu")
	p.int(int64(t.Numel()))
	p.op(opTuple, opBinPersID)
	p.int(0)
	shape, stride := make(Tuple, len(t.Shape)), make(Tuple, len(t.Shape))
	acc := int64(1)
	for i := len(t.Shape) - 1; i >= 0; i-- {
		shape[i] = int64(t.Shape[i])
		stride[i] = acc
		acc *= int64(max(t.Shape[i], 1))
	}
	p.tuple(shape, 0)
	p.tuple(stride, 0)
	if t.RequiresGrad {
		p.op(opNewTrue)
	} else {
		p.op(opNewFalse)
	}
	p.emptyOrderedDict()
	p.op(opTuple, opReduce)
	p.memo[t] = p.put()
	return nil
}
