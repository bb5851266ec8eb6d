package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"unsafe"

	"github.com/resnetgo/resnet/tensor"
)

// storage is a PyTorch storage named by a persistent id: a run of numel
// elements of one dtype somewhere in the file.
type storage struct {
	key   string
	dtype DType
	numel int64
	// Where the bytes are, filled in by the container reader.
	r   io.ReaderAt
	off int64
	// Legacy storage views point into a root storage.
	root    *storage
	rootOff int64
}

// view is how a tensor sits in its storage (torch's set_ arguments).
type view struct {
	st     *storage
	offset int64
	shape  []int
	stride []int64
}

// rebuildTensor implements _rebuild_tensor_v2(storage, offset, size,
// stride, requires_grad, hooks[, metadata]) and _rebuild_tensor(storage,
// offset, size, stride). Validation against the storage size happens in
// materialize, once the storages are known.
func (u *unpickler) rebuildTensor(g Global, a Tuple) (any, error) {
	if len(a) < 4 {
		return nil, fmt.Errorf("%w: %s needs at least 4 arguments, got %d", ErrFormat, g, len(a))
	}
	st, ok := a[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("%w: %s of a %s, not a storage", ErrFormat, g, typeName(a[0]))
	}
	off, ok := asInt(a[1])
	if !ok || off < 0 {
		return nil, fmt.Errorf("%w: bad storage offset %v", ErrFormat, a[1])
	}
	shape, err := intTuple(a[2], "size")
	if err != nil {
		return nil, err
	}
	strides, err := intTuple(a[3], "stride")
	if err != nil {
		return nil, err
	}
	if len(shape) != len(strides) {
		return nil, fmt.Errorf("%w: size %v and stride %v differ in length", ErrFormat, shape, strides)
	}
	v := &view{st: st, offset: off, shape: make([]int, len(shape)), stride: strides}
	for i, d := range shape {
		if d > math.MaxInt32*1024 || d > math.MaxInt { // the second on 32-bit systems
			return nil, fmt.Errorf("%w: dimension %d", ErrTooLarge, d)
		}
		v.shape[i] = int(d)
	}
	if _, err := tensor.Numel(v.shape); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	// A legacy storage view: address the root storage directly.
	if st.root != nil {
		v.st, v.offset = st.root, st.rootOff+off
		if v.offset < off {
			return nil, fmt.Errorf("%w: storage offset overflows", ErrFormat)
		}
	}
	t := &Tensor{DType: st.dtype, Shape: v.shape, src: v}
	if len(a) >= 5 {
		if rg, ok := a[4].(bool); ok {
			t.RequiresGrad = rg
		}
	}
	u.tensors = append(u.tensors, t)
	return t, nil
}

func intTuple(v any, what string) ([]int64, error) {
	t, ok := v.(Tuple)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %s is a %s, not a tuple", ErrFormat, what, typeName(v))
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := asInt(x)
		if !ok || n < 0 {
			return nil, fmt.Errorf("%w: tensor %s %v has a bad entry", ErrFormat, what, t)
		}
		out[i] = n
	}
	return out, nil
}

// storageDType checks a persistent id's storage class.
func storageDType(v any) (DType, error) {
	g, ok := v.(Global)
	if !ok || g.Module != "torch" {
		return "", fmt.Errorf("%w: storage type is a %s", ErrFormat, typeName(v))
	}
	if dt, ok := storageTypes[g.Name]; ok {
		return dt, nil
	}
	return "", unsupported("", "storage type torch.%s", g.Name)
}

// materialize reads the data of the given tensors from their storages,
// storage by storage in file order. A tensor that is the only user of its
// storage and contiguous is read straight into its own slice; otherwise the
// used span of the storage is read once and each view copied out of it.
// budget bounds the total number of elements returned.
func materialize(tensors []*Tensor, keyOf map[*Tensor]string, budget int64) error {
	byStorage := make(map[*storage][]*Tensor)
	var order []*storage
	var total int64
	for _, t := range tensors {
		if t.src == nil {
			continue
		}
		v := t.src
		n := int64(t.Numel())
		total += n
		if total > budget {
			return formatErr(tensorName(keyOf, t), -1, ErrTooLarge,
				"tensors hold more than %d elements in all, more than this file can encode", budget)
		}
		if n > 0 {
			last, ok := lastIndex(v)
			if !ok || last >= v.st.numel {
				return formatErr(tensorName(keyOf, t), -1, nil,
					"storage %q has %d elements, view (offset %d, size %s, stride %v) needs %s",
					v.st.key, v.st.numel, v.offset, tensor.ShapeString(v.shape), v.stride, needs(last, ok))
			}
		}
		if _, ok := byStorage[v.st]; !ok {
			order = append(order, v.st)
		}
		byStorage[v.st] = append(byStorage[v.st], t)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].off < order[j].off })
	for _, st := range order {
		users := byStorage[st]
		if err := fillStorage(st, users); err != nil {
			return withKey(err, tensorName(keyOf, users[0]))
		}
	}
	return nil
}

func needs(last int64, ok bool) string {
	if !ok {
		return "more than 2^62"
	}
	return fmt.Sprint(last + 1)
}

func tensorName(keyOf map[*Tensor]string, t *Tensor) string {
	if k, ok := keyOf[t]; ok {
		return fmt.Sprintf("tensor %q", k)
	}
	return "tensor"
}

func withKey(err error, key string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.Key == "" {
		fe.Key = key
	}
	return err
}

// lastIndex returns the storage index of a view's last element, false on
// overflow.
func lastIndex(v *view) (int64, bool) {
	last := v.offset
	for i, d := range v.shape {
		if d == 0 {
			return v.offset, true
		}
		s := v.stride[i]
		if s != 0 && int64(d-1) > (1<<62)/s {
			return 0, false
		}
		last += int64(d-1) * s
		if last > 1<<62 {
			return 0, false
		}
	}
	return last, true
}

// contiguous reports whether a view is row-major without gaps.
func contiguous(v *view) bool {
	want := int64(1)
	for i := len(v.shape) - 1; i >= 0; i-- {
		if v.shape[i] == 1 {
			continue
		}
		if v.shape[i] == 0 {
			return true
		}
		if v.stride[i] != want {
			return false
		}
		want *= int64(v.shape[i])
	}
	return true
}

func alloc(t *Tensor, n int) {
	if t.DType.IsFloat() {
		t.F32 = make([]float32, n)
	} else {
		t.I64 = make([]int64, n)
	}
}

func fillStorage(st *storage, users []*Tensor) error {
	if len(users) == 1 && contiguous(users[0].src) {
		t := users[0]
		n := t.Numel()
		alloc(t, n)
		err := readElems(st, t.src.offset, t.F32, t.I64, n)
		t.src = nil
		return err
	}
	// Several views (or a strided one): read the span they use once.
	lo, hi := int64(math.MaxInt64), int64(-1)
	for _, t := range users {
		if t.Numel() == 0 {
			continue
		}
		last, _ := lastIndex(t.src)
		lo, hi = min(lo, t.src.offset), max(hi, last)
	}
	var bf []float32
	var bi []int64
	if hi >= 0 {
		n := int(hi - lo + 1)
		if st.dtype.IsFloat() {
			bf = make([]float32, n)
		} else {
			bi = make([]int64, n)
		}
		if err := readElems(st, lo, bf, bi, n); err != nil {
			return err
		}
	}
	given := false
	for _, t := range users {
		v := t.src
		t.src = nil
		n := t.Numel()
		if !given && n > 0 && contiguous(v) && v.offset == lo && int64(n) == hi-lo+1 {
			t.F32, t.I64, given = bf, bi, true
			continue
		}
		alloc(t, n)
		if n == 0 {
			continue
		}
		if bf != nil {
			gather(t.F32, bf, v, lo)
		} else {
			gather(t.I64, bi, v, lo)
		}
	}
	return nil
}

// gather copies a strided view out of src (which starts at storage index
// base) into dst in row-major order.
func gather[T float32 | int64](dst, src []T, v *view, base int64) {
	nd := len(v.shape)
	if nd == 0 {
		dst[0] = src[v.offset-base]
		return
	}
	idx := make([]int, nd)
	inner, is := v.shape[nd-1], v.stride[nd-1]
	for o := 0; o < len(dst); o += inner {
		p := v.offset - base
		for d := 0; d < nd-1; d++ {
			p += int64(idx[d]) * v.stride[d]
		}
		for i := 0; i < inner; i++ {
			dst[o+i] = src[p+int64(i)*is]
		}
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			if idx[d] < v.shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// readElems reads n elements starting at element index first of st into
// f32 (floating dtypes) or i64 (integer dtypes), converting as it goes.
func readElems(st *storage, first int64, f32 []float32, i64 []int64, n int) error {
	es := int64(st.dtype.Size())
	off := st.off + first*es
	if n == 0 {
		return nil
	}
	if st.dtype == Float32 && littleEndian {
		b := unsafe.Slice((*byte)(unsafe.Pointer(&f32[0])), n*4)
		return readFull(st, b, off)
	}
	const chunk = 1 << 16 // elements converted per read
	buf := make([]byte, int(es)*min(n, chunk))
	for done := 0; done < n; {
		m := min(n-done, chunk)
		b := buf[:m*int(es)]
		if err := readFull(st, b, off+int64(done)*es); err != nil {
			return err
		}
		convert(st.dtype, b, f32, i64, done, m)
		done += m
	}
	return nil
}

func readFull(st *storage, b []byte, off int64) error {
	got, err := st.r.ReadAt(b, off)
	if got == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return formatErr("", off+int64(got), err, "reading storage %q", st.key)
}

func convert(dt DType, b []byte, f32 []float32, i64 []int64, at, m int) {
	le := binary.LittleEndian
	switch dt {
	case Float32:
		for i := 0; i < m; i++ {
			f32[at+i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case Float16:
		for i := 0; i < m; i++ {
			f32[at+i] = halfToFloat(le.Uint16(b[2*i:]))
		}
	case BFloat16:
		for i := 0; i < m; i++ {
			f32[at+i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		}
	case Float64:
		for i := 0; i < m; i++ {
			f32[at+i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		}
	case Int64:
		for i := 0; i < m; i++ {
			i64[at+i] = int64(le.Uint64(b[8*i:]))
		}
	case Int32:
		for i := 0; i < m; i++ {
			i64[at+i] = int64(int32(le.Uint32(b[4*i:])))
		}
	case Int16:
		for i := 0; i < m; i++ {
			i64[at+i] = int64(int16(le.Uint16(b[2*i:])))
		}
	case Int8:
		for i := 0; i < m; i++ {
			i64[at+i] = int64(int8(b[i]))
		}
	case Uint8:
		for i := 0; i < m; i++ {
			i64[at+i] = int64(b[i])
		}
	case Bool:
		// Any byte but 0 is true, as PyTorch and numpy read a bool
		// tensor's bytes and convert it (to 1): stored as 1, so that the
		// tensor can be written again.
		for i := 0; i < m; i++ {
			i64[at+i] = int64(min(b[i], 1))
		}
	}
}

// halfToFloat converts IEEE 754 binary16 to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value is man * 2^-24.
		f := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

// floatToHalf converts float32 to binary16, rounding to nearest even.
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		man |= 0x800000
		shift := uint32(14 - e)
		h := man >> shift
		rem := man & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is correct (up to inf)
	}
	return sign | uint16(h)
}

// floatToBFloat16 rounds float32 to bfloat16 (nearest even), as torch does.
func floatToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // quiet NaN
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}
