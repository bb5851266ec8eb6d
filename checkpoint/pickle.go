package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds the nesting of unpickled containers (Python's own
// recursion limit is 1000, so real files stay far below it).
const maxDepth = 1000

// maxTextLine bounds one protocol-0 text argument (an int, float or
// string written as text).
const maxTextLine = 1 << 20

// Unpickle decodes a pickle (protocols 0 to 5) that holds plain data
// (no persistent ids, hence no tensors) and returns its Value tree. Only the
// allowlisted globals described in the package documentation resolve;
// anything else, such as os.system, fails with ErrForbiddenGlobal.
func Unpickle(data []byte) (Value, error) {
	u := newUnpickler(newCursor(bytes.NewReader(data), 0, int64(len(data))), nil)
	v, err := u.load()
	if err != nil {
		return nil, err
	}
	if len(u.tensors) > 0 {
		return nil, formatErr("", -1, nil, "pickle holds tensors without storages")
	}
	return v, nil
}

// pyList and pySet are the mutable containers used while unpickling;
// resolve turns them into []any and Set.
type pyList struct{ items []any }
type pySet struct{ items []any }

// mark is the stack position of a MARK opcode.
type unpickler struct {
	c       *cursor
	stack   []any
	marks   []int
	memo    map[uint64]any
	persist func(pid any) (any, error)
	tensors []*Tensor // in the order the pickle builds them
	done    map[any]any
	// hashWork counts dict-key hashing (see setItems).
	hashWork int64
}

func newUnpickler(c *cursor, persist func(any) (any, error)) *unpickler {
	return &unpickler{c: c, memo: make(map[uint64]any), persist: persist}
}

// Pickle opcodes (Lib/pickle.py).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opProto          = 0x80
	opNewObj         = 0x81
	opExt1           = 0x82
	opExt2           = 0x83
	opExt4           = 0x84
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opEmptySet       = 0x8f
	opAddItems       = 0x90
	opFrozenSet      = 0x91
	opNewObjEx       = 0x92
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadOnlyBuffer = 0x98
)

// errAt wraps a problem at the current opcode as a FormatError.
func (u *unpickler) errAt(off int64, err error, format string, args ...any) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		if fe.Offset < 0 {
			fe.Offset = off
		}
		return err
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		return err
	}
	msg := fmt.Sprintf("pickle: "+format, args...)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrForbiddenGlobal) {
		return &FormatError{Offset: off, Msg: msg, Err: err}
	}
	// A plain error from the VM: keep its text, classify it as ErrFormat.
	if detail := strings.TrimPrefix(err.Error(), ErrFormat.Error()); detail != "" {
		msg += ": " + strings.TrimPrefix(detail, ": ")
	}
	return &FormatError{Offset: off, Msg: msg, Err: ErrFormat}
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	n := len(u.stack)
	if n == 0 || (len(u.marks) > 0 && u.marks[len(u.marks)-1] == n) {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[n-1]
	u.stack = u.stack[:n-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	n := len(u.stack)
	if n == 0 || (len(u.marks) > 0 && u.marks[len(u.marks)-1] == n) {
		return nil, errors.New("stack underflow")
	}
	return u.stack[n-1], nil
}

// popMark returns the items pushed since the last MARK (a fresh slice).
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errors.New("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	clear(u.stack[m:])
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) u32() (uint32, error) {
	b, err := u.c.next(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// length reads a size field of width bytes and checks it against the rest
// of the input, so nothing is allocated for a size the input cannot hold.
func (u *unpickler) length(width int) (int, error) {
	b, err := u.c.next(width)
	if err != nil {
		return 0, err
	}
	var n uint64
	switch width {
	case 1:
		n = uint64(b[0])
	case 4:
		n = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		n = binary.LittleEndian.Uint64(b)
	}
	if n > uint64(u.c.remaining()) {
		return 0, io.ErrUnexpectedEOF
	}
	return int(n), nil
}

func (u *unpickler) text() ([]byte, error) { return u.c.line(maxTextLine) }

// load runs the pickle VM until STOP and returns the resolved top value.
func (u *unpickler) load() (any, error) {
	for {
		off := u.c.pos()
		op, err := u.c.byte()
		if err != nil {
			return nil, u.errAt(off, err, "reading opcode")
		}
		stop, err := u.step(op)
		if err != nil {
			return nil, u.errAt(off, err, "opcode %s", opName(op))
		}
		if stop {
			v, err := u.pop()
			if err != nil {
				return nil, u.errAt(off, err, "STOP")
			}
			if len(u.stack) != 0 || len(u.marks) != 0 {
				// Python tolerates this; we do too, but the stack is dropped.
				u.stack, u.marks = nil, nil
			}
			u.done = make(map[any]any)
			v, err = u.resolve(v, 0)
			if err != nil {
				return nil, u.errAt(off, err, "STOP")
			}
			return v, nil
		}
	}
}

func opName(op byte) string {
	if op >= 0x20 && op < 0x7f {
		return fmt.Sprintf("%q", rune(op))
	}
	return fmt.Sprintf("0x%02x", op)
}

func (u *unpickler) step(op byte) (stop bool, err error) {
	c := u.c
	switch op {
	case opProto:
		p, err := c.byte()
		if err != nil {
			return false, err
		}
		if p > 5 {
			return false, unsupported("", "pickle protocol %d", p)
		}
	case opFrame:
		if _, err := u.length(8); err != nil {
			return false, err
		}
	case opStop:
		return true, nil
	case opMark:
		u.marks = append(u.marks, len(u.stack))
	case opPop:
		if len(u.marks) > 0 && u.marks[len(u.marks)-1] == len(u.stack) {
			_, err = u.popMark()
			return false, err
		}
		_, err = u.pop()
		return false, err
	case opPopMark:
		_, err = u.popMark()
		return false, err
	case opDup:
		v, err := u.top()
		if err != nil {
			return false, err
		}
		u.push(v)

	// Scalars.
	case opNone:
		u.push(nil)
	case opNewTrue:
		u.push(true)
	case opNewFalse:
		u.push(false)
	case opBinInt:
		v, err := u.u32()
		if err != nil {
			return false, err
		}
		u.push(int64(int32(v)))
	case opBinInt1:
		b, err := c.byte()
		if err != nil {
			return false, err
		}
		u.push(int64(b))
	case opBinInt2:
		b, err := c.next(2)
		if err != nil {
			return false, err
		}
		u.push(int64(binary.LittleEndian.Uint16(b)))
	case opLong1, opLong4:
		w := 1
		if op == opLong4 {
			w = 4
		}
		n, err := u.length(w)
		if err != nil {
			return false, err
		}
		b, err := c.next(n)
		if err != nil {
			return false, err
		}
		u.push(decodeLong(b))
	case opInt:
		b, err := u.text()
		if err != nil {
			return false, err
		}
		switch string(b) {
		case "00":
			u.push(false)
		case "01":
			u.push(true)
		default:
			v, err := parseInt(string(b))
			if err != nil {
				return false, err
			}
			u.push(v)
		}
	case opLong:
		b, err := u.text()
		if err != nil {
			return false, err
		}
		v, err := parseInt(string(bytes.TrimSuffix(b, []byte("L"))))
		if err != nil {
			return false, err
		}
		u.push(v)
	case opFloat:
		b, err := u.text()
		if err != nil {
			return false, err
		}
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return false, err
		}
		u.push(f)
	case opBinFloat:
		b, err := c.next(8)
		if err != nil {
			return false, err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	// Strings and bytes.
	case opShortBinString, opBinString, opBinUnicode, opShortBinUni, opBinUnicode8,
		opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
		w := 4
		switch op {
		case opShortBinString, opShortBinUni, opShortBinBytes:
			w = 1
		case opBinUnicode8, opBinBytes8, opByteArray8:
			w = 8
		}
		n, err := u.length(w)
		if err != nil {
			return false, err
		}
		b, err := c.next(n)
		if err != nil {
			return false, err
		}
		switch op {
		case opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
			u.push(append([]byte{}, b...))
		default:
			// torch.load decodes Python 2 str as UTF-8; so do we.
			u.push(string(b))
		}
	case opString:
		b, err := u.text()
		if err != nil {
			return false, err
		}
		s, err := unquoteString(b)
		if err != nil {
			return false, err
		}
		u.push(s)
	case opUnicode:
		b, err := u.text()
		if err != nil {
			return false, err
		}
		s, err := rawUnicodeEscape(b)
		if err != nil {
			return false, err
		}
		u.push(s)

	// Containers.
	case opEmptyList:
		u.push(&pyList{})
	case opEmptyDict:
		u.push(&Dict{})
	case opEmptyTuple:
		u.push(Tuple{})
	case opEmptySet:
		u.push(&pySet{})
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		items := make(Tuple, n)
		for i := n - 1; i >= 0; i-- {
			if items[i], err = u.pop(); err != nil {
				return false, err
			}
		}
		u.push(items)
	case opTuple:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(Tuple(items))
	case opList:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(&pyList{items: items})
	case opFrozenSet:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(&pySet{items: items})
	case opDict:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		d := &Dict{}
		if err := u.setItems(d, items); err != nil {
			return false, err
		}
		u.push(d)
	case opAppend:
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.appendTo([]any{v})
	case opAppends:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.appendTo(items)
	case opAddItems:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		t, err := u.top()
		if err != nil {
			return false, err
		}
		s, ok := t.(*pySet)
		if !ok {
			return false, fmt.Errorf("ADDITEMS to a %s", typeName(t))
		}
		s.items = append(s.items, items...)
	case opSetItem:
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		k, err := u.pop()
		if err != nil {
			return false, err
		}
		return false, u.setItemsTop([]any{k, v})
	case opSetItems:
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		return false, u.setItemsTop(items)

	// Memo.
	case opBinPut, opLongBinPut, opPut:
		idx, err := u.memoIndex(op == opBinPut, op == opLongBinPut)
		if err != nil {
			return false, err
		}
		v, err := u.top()
		if err != nil {
			return false, err
		}
		u.memo[idx] = v
	case opMemoize:
		v, err := u.top()
		if err != nil {
			return false, err
		}
		u.memo[uint64(len(u.memo))] = v
	case opBinGet, opLongBinGet, opGet:
		idx, err := u.memoIndex(op == opBinGet, op == opLongBinGet)
		if err != nil {
			return false, err
		}
		v, ok := u.memo[idx]
		if !ok {
			return false, fmt.Errorf("memo key %d not defined", idx)
		}
		u.push(v)

	// Globals and calls: the allowlist lives in lookupGlobal and call.
	case opGlobal, opInst:
		mod, err := u.text()
		if err != nil {
			return false, err
		}
		m := string(mod)
		name, err := u.text()
		if err != nil {
			return false, err
		}
		g, err := lookupGlobal(m, string(name))
		if err != nil {
			return false, err
		}
		if op == opInst {
			return false, unsupported("", "pickle INST of %s", Global{m, string(name)})
		}
		u.push(g)
	case opStackGlobal:
		name, err := u.pop()
		if err != nil {
			return false, err
		}
		mod, err := u.pop()
		if err != nil {
			return false, err
		}
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return false, errors.New("STACK_GLOBAL needs two strings")
		}
		g, err := lookupGlobal(ms, ns)
		if err != nil {
			return false, err
		}
		u.push(g)
	case opReduce:
		args, err := u.pop()
		if err != nil {
			return false, err
		}
		fn, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := u.call(fn, args)
		if err != nil {
			return false, err
		}
		u.push(v)
	case opNewObj, opNewObjEx:
		if op == opNewObjEx {
			kw, err := u.pop()
			if err != nil {
				return false, err
			}
			if d, ok := kw.(*Dict); !ok || d.Len() != 0 {
				return false, unsupported("", "NEWOBJ_EX with keyword arguments")
			}
		}
		args, err := u.pop()
		if err != nil {
			return false, err
		}
		cls, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := u.newObj(cls, args)
		if err != nil {
			return false, err
		}
		u.push(v)
	case opBuild:
		state, err := u.pop()
		if err != nil {
			return false, err
		}
		inst, err := u.top()
		if err != nil {
			return false, err
		}
		return false, u.build(inst, state)
	case opObj:
		return false, unsupported("", "pickle OBJ opcode (class instantiation)")
	case opPersID, opBinPersID:
		var pid any
		if op == opPersID {
			b, err := u.text()
			if err != nil {
				return false, err
			}
			pid = string(b)
		} else if pid, err = u.pop(); err != nil {
			return false, err
		}
		if u.persist == nil {
			return false, fmt.Errorf("%w: persistent id outside a checkpoint", ErrFormat)
		}
		v, err := u.persist(pid)
		if err != nil {
			return false, err
		}
		u.push(v)
	case opExt1, opExt2, opExt4:
		return false, unsupported("", "pickle extension registry (EXT opcodes)")
	case opNextBuffer, opReadOnlyBuffer:
		return false, unsupported("", "pickle out-of-band buffers")
	default:
		return false, fmt.Errorf("%w: unknown opcode", ErrFormat)
	}
	return false, nil
}

func (u *unpickler) appendTo(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return fmt.Errorf("%w: APPEND to a %s", ErrFormat, typeName(t))
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) setItemsTop(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	d, ok := t.(*Dict)
	if !ok {
		return fmt.Errorf("%w: SETITEM on a %s", ErrFormat, typeName(t))
	}
	return u.setItems(d, items)
}

func (u *unpickler) setItems(d *Dict, items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("%w: odd number of dict items", ErrFormat)
	}
	for i := 0; i < len(items); i += 2 {
		w, err := d.set(items[i], items[i+1])
		if err != nil {
			return err
		}
		// Keys reused through the memo are hashed again each time; bound
		// that work by the input size so a small file cannot take hours.
		u.hashWork += int64(w) + 1
		if u.hashWork > 8*u.c.end+1<<20 {
			return fmt.Errorf("%w: dict keys need too much hashing for a %d-byte pickle", ErrTooLarge, u.c.end)
		}
	}
	return nil
}

// decodeLong decodes pickle's little-endian two's-complement integers.
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		if b[len(b)-1]&0x80 != 0 && len(b) < 8 {
			v |= ^uint64(0) << (8 * len(b)) // sign-extend
		}
		return int64(v)
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}

func parseInt(s string) (any, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if len(s) > 4096 {
		return nil, fmt.Errorf("%w: text integer of %d digits", ErrTooLarge, len(s))
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("%w: bad integer %q", ErrFormat, s)
	}
	return n, nil
}

// unquoteString decodes protocol 0's STRING argument: a Python repr with
// single or double quotes.
func unquoteString(b []byte) (string, error) {
	if len(b) < 2 || b[0] != b[len(b)-1] || (b[0] != '\'' && b[0] != '"') {
		return "", fmt.Errorf("%w: STRING argument not quoted", ErrFormat)
	}
	b = b[1 : len(b)-1]
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch e := b[i]; e {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'x':
			if i+2 >= len(b) {
				return "", fmt.Errorf("%w: bad \\x escape", ErrFormat)
			}
			v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8)
			if err != nil {
				return "", fmt.Errorf("%w: bad \\x escape", ErrFormat)
			}
			out = append(out, byte(v))
			i += 2
		default:
			if e >= '0' && e <= '7' {
				v, j := 0, i
				for ; j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7'; j++ {
					v = v*8 + int(b[j]-'0')
				}
				out = append(out, byte(v))
				i = j - 1
			} else {
				out = append(out, e) // \\ \' \"
			}
		}
	}
	return string(out), nil
}

// rawUnicodeEscape decodes Python's raw-unicode-escape (protocol 0
// UNICODE): \uXXXX and \UXXXXXXXX escapes, every other byte is Latin-1.
func rawUnicodeEscape(b []byte) (string, error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) && (b[i+1] == 'u' || b[i+1] == 'U') {
			n := 4
			if b[i+1] == 'U' {
				n = 8
			}
			if i+2+n > len(b) {
				return "", fmt.Errorf("%w: truncated \\u escape", ErrFormat)
			}
			v, err := strconv.ParseUint(string(b[i+2:i+2+n]), 16, 32)
			if err != nil || v > utf8.MaxRune {
				return "", fmt.Errorf("%w: bad \\u escape", ErrFormat)
			}
			out = utf8.AppendRune(out, rune(v))
			i += 1 + n
			continue
		}
		out = utf8.AppendRune(out, rune(b[i]))
	}
	return string(out), nil
}

// resolve replaces the mutable pyList/pySet containers by []any and Set,
// rejecting cycles and nesting deeper than maxDepth. Shared sub-trees stay
// shared, so the work is linear in the number of containers.
func (u *unpickler) resolve(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: containers nested more than %d deep", ErrTooLarge, maxDepth)
	}
	var key any
	switch x := v.(type) {
	case *pyList, *pySet, *Dict:
		key = x
	case Tuple:
		if len(x) == 0 {
			return Tuple{}, nil
		}
		key = tupleKey{unsafe.SliceData(x), len(x)}
	default:
		return v, nil
	}
	if r, ok := u.done[key]; ok {
		if r == inProgress {
			return nil, fmt.Errorf("%w: recursive container", ErrFormat)
		}
		return r, nil
	}
	u.done[key] = inProgress
	var out any
	var err error
	switch x := v.(type) {
	case *pyList:
		l := make([]any, len(x.items))
		for i, it := range x.items {
			if l[i], err = u.resolve(it, depth+1); err != nil {
				return nil, err
			}
		}
		out = l
	case *pySet:
		s := make(Set, len(x.items))
		for i, it := range x.items {
			if s[i], err = u.resolve(it, depth+1); err != nil {
				return nil, err
			}
		}
		out = s
	case Tuple:
		t := make(Tuple, len(x))
		for i, it := range x {
			if t[i], err = u.resolve(it, depth+1); err != nil {
				return nil, err
			}
		}
		out = t
	case *Dict:
		for i, it := range x.vals {
			if x.vals[i], err = u.resolve(it, depth+1); err != nil {
				return nil, err
			}
		}
		if x.Attrs != nil {
			if _, err = u.resolve(x.Attrs, depth+1); err != nil {
				return nil, err
			}
		}
		out = x
	}
	u.done[key] = out
	return out, nil
}

type tupleKey struct {
	p *any
	n int
}

type sentinel struct{}

var inProgress = &sentinel{}

// memoIndex reads the memo index of a PUT/GET opcode: one byte (BINPUT,
// BINGET), a uint32 (LONG_BINPUT, LONG_BINGET) or a decimal text line
// (PUT, GET).
func (u *unpickler) memoIndex(short, long bool) (uint64, error) {
	switch {
	case short:
		b, err := u.c.byte()
		return uint64(b), err
	case long:
		v, err := u.u32()
		return uint64(v), err
	}
	b, err := u.text()
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(b), 10, 63)
}
