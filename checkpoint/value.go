package checkpoint

import (
	"fmt"
	"math/big"
	"strings"
)

// Value is one node of an unpickled object tree. Its dynamic type is one of:
//
//	nil                 Python None
//	bool, int64, float64, string
//	*big.Int            an int that does not fit in int64
//	[]byte              bytes, bytearray
//	[]any               list
//	Tuple               tuple (and torch.Size)
//	Set                 set, frozenset
//	*Dict               dict, collections.OrderedDict
//	*Tensor             torch.Tensor, nn.Parameter
//	DType               a torch dtype such as torch.float16
//	Global              another allowlisted global used as a value
//
// Trees returned by LoadObject are acyclic and at most maxDepth deep. The
// writers accept the same types plus int, []string, []int, []float64,
// map[string]any (written with sorted keys), *StateDict and
// *tensor.Tensor.
type Value = any

// Tuple is a Python tuple.
type Tuple []any

// Set is a Python set or frozenset, in pickle order.
type Set []any

// Global names an allowlisted Python global (module and name) that appears
// in an object tree as a value rather than being called.
type Global struct{ Module, Name string }

func (g Global) String() string { return g.Module + "." + g.Name }

// Dict is a Python dict that keeps insertion order. Keys are hashable
// values: strings, ints, floats, bools, None, or tuples of those.
type Dict struct {
	// Ordered marks a collections.OrderedDict (what state_dict() returns).
	Ordered bool
	// Attrs holds instance attributes restored by pickle's BUILD, such as
	// the _metadata PyTorch attaches to a state dict; usually nil.
	Attrs *Dict

	keys  []any
	vals  []any
	index map[any]int
}

// NewDict returns an empty Dict; ordered selects collections.OrderedDict.
func NewDict(ordered bool) *Dict { return &Dict{Ordered: ordered} }

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Keys returns the keys in insertion order. The slice must not be modified.
func (d *Dict) Keys() []any { return d.keys }

// Get returns the value stored under key.
func (d *Dict) Get(key any) (any, bool) {
	k, err := hashKey(key, new(int))
	if err != nil || d.index == nil {
		return nil, false
	}
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// At returns the i-th key and value in insertion order.
func (d *Dict) At(i int) (key, value any) { return d.keys[i], d.vals[i] }

// Set stores value under key, keeping the position of an existing key. It
// fails only for an unhashable key (a list, dict or tensor).
func (d *Dict) Set(key, value any) error {
	_, err := d.set(key, value)
	return err
}

// set is Set that also reports the work spent hashing the key, so the
// unpickler can bound it against the input size.
func (d *Dict) set(key, value any) (work int, err error) {
	k, err := hashKey(key, &work)
	if err != nil {
		return work, err
	}
	if d.index == nil {
		d.index = make(map[any]int)
	}
	if i, ok := d.index[k]; ok {
		d.vals[i] = value
		return work, nil
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, value)
	return work, nil
}

// maxKeyItems bounds the items in one tuple key, counted through nested
// tuples (shared sub-tuples would otherwise make the work exponential).
const maxKeyItems = 4096

// hashKey maps a Python key to a comparable Go value. Tuples become a
// string encoding of their items; work counts the items visited.
func hashKey(k any, work *int) (any, error) {
	*work++
	if *work > maxKeyItems {
		return nil, fmt.Errorf("%w: dict key tuple with more than %d items", ErrTooLarge, maxKeyItems)
	}
	switch x := k.(type) {
	case string:
		*work += len(x) / 16
		return x, nil
	case nil, bool, int64, float64, DType, Global:
		return x, nil
	case int:
		return int64(x), nil
	case *big.Int:
		return "\x00big:" + x.String(), nil
	case []byte:
		*work += len(x) / 16
		return "\x00bytes:" + string(x), nil
	case Tuple:
		var b strings.Builder
		b.WriteString("\x00tuple(")
		for _, it := range x {
			hk, err := hashKey(it, work)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "%T:%v,", hk, hk)
		}
		b.WriteString(")")
		return b.String(), nil
	}
	return nil, fmt.Errorf("%w: unhashable dict key of type %s", ErrFormat, typeName(k))
}

// typeName names a Value's Python type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int, int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case []any, *pyList:
		return "list"
	case Tuple:
		return "tuple"
	case Set, *pySet:
		return "set"
	case *Dict:
		return "dict"
	case *Tensor:
		return "Tensor"
	case *storage:
		return "Storage"
	case DType:
		return "dtype"
	case Global:
		return "global " + v.(Global).String()
	}
	return fmt.Sprintf("%T", v)
}
