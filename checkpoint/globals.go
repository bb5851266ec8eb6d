package checkpoint

import (
	"fmt"
	"math/big"
)

// storageTypes maps torch's typed storage classes to element types.
var storageTypes = map[string]DType{
	"FloatStorage":    Float32,
	"HalfStorage":     Float16,
	"BFloat16Storage": BFloat16,
	"DoubleStorage":   Float64,
	"LongStorage":     Int64,
	"IntStorage":      Int32,
	"ShortStorage":    Int16,
	"CharStorage":     Int8,
	"ByteStorage":     Uint8,
	"BoolStorage":     Bool,
}

// knownUnsupportedStorage are storages torch allows that we cannot convert.
var knownUnsupportedStorage = map[string]bool{
	"ComplexFloatStorage": true, "ComplexDoubleStorage": true, "QInt8Storage": true,
	"QUInt8Storage": true, "QInt32Storage": true, "QUInt4x2Storage": true, "QUInt2x4Storage": true,
	"UntypedStorage": true,
}

var torchDTypes = map[string]DType{
	"float32": Float32, "float": Float32, "float16": Float16, "half": Float16,
	"bfloat16": BFloat16, "float64": Float64, "double": Float64, "int64": Int64, "long": Int64,
	"int32": Int32, "int": Int32, "int16": Int16, "short": Int16, "int8": Int8, "uint8": Uint8, "bool": Bool,
}

// Allowlisted callables and classes, by "module.name".
const (
	gOrderedDict       = "collections.OrderedDict"
	gRebuildTensorV2   = "torch._utils._rebuild_tensor_v2"
	gRebuildTensor     = "torch._utils._rebuild_tensor"
	gRebuildParam      = "torch._utils._rebuild_parameter"
	gRebuildParamState = "torch._utils._rebuild_parameter_with_state"
	gRebuildFromTypeV2 = "torch._utils._rebuild_from_type_v2"
	gParameter         = "torch.nn.parameter.Parameter"
	gTensor            = "torch.Tensor"
	gSize              = "torch.Size"
	gSet               = "builtins.set"
	gFrozenSet         = "builtins.frozenset"
	gCodecsEncode      = "_codecs.encode"
	gByteArray         = "builtins.bytearray"
	gDict              = "builtins.dict"
	gList              = "builtins.list"
	gTuple             = "builtins.tuple"
)

var allowedCallables = map[string]bool{
	gOrderedDict: true, gRebuildTensorV2: true, gRebuildTensor: true, gRebuildParam: true,
	gRebuildParamState: true, gRebuildFromTypeV2: true, gParameter: true, gTensor: true, gSize: true,
	gSet: true, gFrozenSet: true, gCodecsEncode: true, gByteArray: true, gDict: true, gList: true, gTuple: true,
}

// lookupGlobal resolves GLOBAL/STACK_GLOBAL against the allowlist. It never
// imports or runs anything: an allowed name becomes a Global (or a DType)
// that call and newObj interpret.
func lookupGlobal(module, name string) (any, error) {
	if module == "__builtin__" { // Python 2 pickles
		module = "builtins"
	}
	full := module + "." + name
	switch {
	case allowedCallables[full]:
		return Global{module, name}, nil
	case module == "torch" && storageTypes[name] != "":
		return Global{module, name}, nil
	case module == "torch" && knownUnsupportedStorage[name]:
		return Global{module, name}, nil
	case module == "torch" && torchDTypes[name] != "":
		return torchDTypes[name], nil
	case module == "torch._utils" && len(name) > 9 && name[:9] == "_rebuild_":
		return nil, &UnsupportedError{Msg: fmt.Sprintf("tensor kind %s (sparse, quantized or meta tensors are not supported)", full), Err: ErrUnsupported}
	}
	return nil, &FormatError{Offset: -1, Msg: fmt.Sprintf("pickle names global %q, which is not allowed (it could run code)", full), Err: ErrForbiddenGlobal}
}

// call applies REDUCE: fn(*args) for the allowlisted callables.
func (u *unpickler) call(fn, args any) (any, error) {
	g, ok := fn.(Global)
	if !ok {
		return nil, fmt.Errorf("%w: REDUCE on a %s", ErrFormat, typeName(fn))
	}
	a, ok := args.(Tuple)
	if !ok {
		return nil, fmt.Errorf("%w: REDUCE arguments are a %s, not a tuple", ErrFormat, typeName(args))
	}
	switch g.String() {
	case gOrderedDict, gDict:
		d := &Dict{Ordered: g.String() == gOrderedDict}
		if len(a) == 0 {
			return d, nil
		}
		if len(a) != 1 {
			return nil, fmt.Errorf("%w: %s takes one argument", ErrFormat, g)
		}
		var pairs []any
		switch x := a[0].(type) {
		case *pyList:
			pairs = x.items
		case Tuple:
			pairs = x
		case *Dict:
			items := make([]any, 0, 2*len(x.keys))
			for i := range x.keys {
				items = append(items, x.keys[i], x.vals[i])
			}
			return d, u.setItems(d, items)
		default:
			return nil, fmt.Errorf("%w: %s of a %s", ErrFormat, g, typeName(a[0]))
		}
		for _, p := range pairs {
			var kv []any
			switch x := p.(type) {
			case Tuple:
				kv = x
			case *pyList:
				kv = x.items
			}
			if len(kv) != 2 {
				return nil, fmt.Errorf("%w: %s item is not a pair", ErrFormat, g)
			}
			if err := u.setItems(d, kv); err != nil {
				return nil, err
			}
		}
		return d, nil
	case gRebuildTensorV2, gRebuildTensor:
		return u.rebuildTensor(g, a)
	case gRebuildParam, gRebuildParamState:
		if len(a) < 2 {
			return nil, fmt.Errorf("%w: %s needs (data, requires_grad, ...)", ErrFormat, g)
		}
		t, ok := a[0].(*Tensor)
		rg, ok2 := a[1].(bool)
		if !ok || !ok2 {
			return nil, fmt.Errorf("%w: %s of (%s, %s)", ErrFormat, g, typeName(a[0]), typeName(a[1]))
		}
		t.RequiresGrad = rg
		return t, nil
	case gRebuildFromTypeV2:
		// _rebuild_from_type_v2(func, type, args, state): a tensor (sub)class
		// rebuilt by func(*args); only plain Tensor and Parameter are allowed.
		if len(a) != 4 {
			return nil, fmt.Errorf("%w: %s takes 4 arguments", ErrFormat, g)
		}
		if cls, ok := a[1].(Global); !ok || (cls.String() != gTensor && cls.String() != gParameter) {
			return nil, unsupported("", "%s of type %s", g, typeName(a[1]))
		}
		return u.call(a[0], a[2])
	case gParameter:
		return u.newObj(g, args)
	case gSize, gTuple:
		if len(a) == 0 {
			return Tuple{}, nil
		}
		switch x := a[0].(type) {
		case Tuple:
			return x, nil
		case *pyList:
			return Tuple(append([]any(nil), x.items...)), nil
		}
		return nil, fmt.Errorf("%w: %s of a %s", ErrFormat, g, typeName(a[0]))
	case gList:
		if len(a) == 0 {
			return &pyList{}, nil
		}
		switch x := a[0].(type) {
		case Tuple:
			return &pyList{items: append([]any(nil), x...)}, nil
		case *pyList:
			return &pyList{items: append([]any(nil), x.items...)}, nil
		}
		return nil, fmt.Errorf("%w: %s of a %s", ErrFormat, g, typeName(a[0]))
	case gSet, gFrozenSet:
		if len(a) == 0 {
			return &pySet{}, nil
		}
		switch x := a[0].(type) {
		case *pyList:
			return &pySet{items: append([]any(nil), x.items...)}, nil
		case Tuple:
			return &pySet{items: append([]any(nil), x...)}, nil
		}
		return nil, fmt.Errorf("%w: %s of a %s", ErrFormat, g, typeName(a[0]))
	case gCodecsEncode:
		// Protocol 2 writes bytes as _codecs.encode(str, "latin1").
		if len(a) != 2 {
			return nil, fmt.Errorf("%w: %s takes 2 arguments", ErrFormat, g)
		}
		s, ok := a[0].(string)
		enc, ok2 := a[1].(string)
		if !ok || !ok2 || (enc != "latin1" && enc != "latin-1") {
			return nil, unsupported("", "%s with encoding %v", g, a[1])
		}
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return nil, fmt.Errorf("%w: latin1 string holds U+%04X", ErrFormat, r)
			}
			b = append(b, byte(r))
		}
		return b, nil
	case gByteArray:
		if len(a) == 0 {
			return []byte{}, nil
		}
		if b, ok := a[0].([]byte); ok {
			return b, nil
		}
		return nil, unsupported("", "%s of a %s", g, typeName(a[0]))
	}
	return nil, fmt.Errorf("%w: %s cannot be called", ErrFormat, g)
}

// newObj applies NEWOBJ: cls.__new__(cls, *args).
func (u *unpickler) newObj(cls, args any) (any, error) {
	g, ok := cls.(Global)
	a, ok2 := args.(Tuple)
	if !ok || !ok2 {
		return nil, fmt.Errorf("%w: NEWOBJ of %s with %s", ErrFormat, typeName(cls), typeName(args))
	}
	switch g.String() {
	case gParameter:
		if len(a) == 0 || len(a) > 2 {
			return nil, fmt.Errorf("%w: Parameter takes (data[, requires_grad])", ErrFormat)
		}
		t, ok := a[0].(*Tensor)
		if !ok {
			return nil, fmt.Errorf("%w: Parameter of a %s", ErrFormat, typeName(a[0]))
		}
		t.RequiresGrad = true
		if len(a) == 2 {
			rg, ok := a[1].(bool)
			if !ok {
				return nil, fmt.Errorf("%w: Parameter requires_grad is a %s", ErrFormat, typeName(a[1]))
			}
			t.RequiresGrad = rg
		}
		return t, nil
	case gOrderedDict, gDict:
		return &Dict{Ordered: g.String() == gOrderedDict}, nil
	case gSet, gFrozenSet:
		return &pySet{}, nil
	case gList:
		return &pyList{}, nil
	}
	return nil, unsupported("", "NEWOBJ of %s", g)
}

// build applies BUILD: state restores instance attributes. Only dicts
// (OrderedDict._metadata) and tensors (whose attributes we drop) take it.
func (u *unpickler) build(inst, state any) error {
	switch x := inst.(type) {
	case *Dict:
		sd, ok := state.(*Dict)
		if !ok {
			if state == nil {
				return nil
			}
			return fmt.Errorf("%w: BUILD of a dict with a %s", ErrFormat, typeName(state))
		}
		if x.Attrs == nil {
			x.Attrs = &Dict{}
		}
		items := make([]any, 0, 2*len(sd.keys))
		for i := range sd.keys {
			items = append(items, sd.keys[i], sd.vals[i])
		}
		return u.setItems(x.Attrs, items)
	case *Tensor:
		switch state.(type) {
		case nil, *Dict, Tuple:
			return nil
		}
		return fmt.Errorf("%w: BUILD of a tensor with a %s", ErrFormat, typeName(state))
	}
	return fmt.Errorf("%w: BUILD of a %s", ErrFormat, typeName(inst))
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		return 0, false
	}
	return 0, false
}
