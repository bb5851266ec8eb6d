package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// tensorPickle returns data.pkl for {"w": tensor} whose storage "0" claims
// numel elements and whose view is (offset, shape, stride).
func tensorPickle(dtype string, numel, offset int64, shape, stride []int64) []byte {
	p := newPickler()
	p.emptyOrderedDict()
	p.op(opMark)
	p.str("layer1.0.conv1.weight")
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op(opMark, opMark)
	p.str("storage")
	p.global("torch", dtype)
	p.str("0")
	p.str("cpu")
	p.int(numel)
	p.op(opTuple, opBinPersID)
	p.int(offset)
	sh, st := Tuple{}, Tuple{}
	for i := range shape {
		sh = append(sh, shape[i])
		st = append(st, stride[i])
	}
	p.tuple(sh, 0)
	p.tuple(st, 0)
	p.op(opNewFalse)
	p.emptyOrderedDict()
	p.op(opTuple, opReduce, opSetItems, opStop)
	return p.buf.Bytes()
}

func makeZip(t *testing.T, pkl []byte, records map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add("archive/data.pkl", pkl)
	for k, v := range records {
		add("archive/data/"+k, v)
	}
	add("archive/version", []byte("3\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func loadBytes(b []byte) error {
	_, err := LoadFrom(bytes.NewReader(b), int64(len(b)), "resnet50.pth")
	return err
}

func TestHostileZip(t *testing.T) {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	cases := []struct {
		name    string
		file    []byte
		want    error
		message string
	}{
		{"view past storage", makeZip(t, tensorPickle("FloatStorage", 4096, 1, []int64{4096}, []int64{1}), map[string][]byte{"0": f32(4096)}),
			ErrFormat, `checkpoint: resnet50.pth: tensor "layer1.0.conv1.weight": storage "0" has 4096 elements, view (offset 1, size [4096], stride [1]) needs 4097`},
		{"strided view past storage", makeZip(t, tensorPickle("FloatStorage", 10, 0, []int64{3, 4}, []int64{4, 1}), map[string][]byte{"0": f32(10)}),
			ErrFormat, "needs 12"},
		{"huge storage claim", makeZip(t, tensorPickle("FloatStorage", 1e15, 0, []int64{4}, []int64{1}), map[string][]byte{"0": f32(4)}),
			ErrFormat, `storage "0" of 1000000000000000 float32 elements needs 4000000000000000 bytes, the record has 16`},
		{"absurd shape", makeZip(t, tensorPickle("FloatStorage", 4, 0, []int64{1 << 40, 1 << 40}, []int64{0, 0}), map[string][]byte{"0": f32(4)}),
			ErrTooLarge, ""},
		{"broadcast bomb", makeZip(t, tensorPickle("FloatStorage", 1, 0, []int64{1 << 28}, []int64{0}), map[string][]byte{"0": f32(1)}),
			ErrTooLarge, "more than"},
		{"absurd offset", makeZip(t, tensorPickle("FloatStorage", 4, 1<<62, []int64{4}, []int64{1}), map[string][]byte{"0": f32(4)}),
			ErrFormat, "needs"},
		{"missing record", makeZip(t, tensorPickle("FloatStorage", 4, 0, []int64{4}, []int64{1}), nil),
			ErrFormat, `no record archive/data/0`},
		{"forbidden storage class", makeZip(t, tensorPickle("ComplexFloatStorage", 4, 0, []int64{4}, []int64{1}), map[string][]byte{"0": f32(8)}),
			ErrUnsupported, "ComplexFloatStorage"},
		{"not a storage class", makeZip(t, bytes.Replace(tensorPickle("FloatStorage", 4, 0, []int64{4}, []int64{1}), []byte("torch\nFloatStorage"), []byte("os\nsystem"), 1), map[string][]byte{"0": f32(4)}),
			ErrForbiddenGlobal, `"os.system"`},
		{"no data.pkl", func() []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			zw.Create("x.txt")
			zw.Close()
			return b.Bytes()
		}(), ErrFormat, "no <root>/data.pkl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := loadBytes(c.file)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("got %v\nwant %v containing %q", err, c.want, c.message)
			}
		})
	}
	// The happy version of the same file loads.
	if err := loadBytes(makeZip(t, tensorPickle("FloatStorage", 4, 0, []int64{2, 2}, []int64{2, 1}), map[string][]byte{"0": f32(4)})); err != nil {
		t.Fatal(err)
	}
}

// A zip whose central directory points a record past the end of the file.
func TestZipEntryPastEnd(t *testing.T) {
	b, err := os.ReadFile("testdata/tiny_zip.pth")
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []uint32{uint32(len(b)) - 10, 0x7fffffff, 0xfffffff0} {
		c := append([]byte(nil), b...)
		i := bytes.Index(c, []byte("PK\x01\x02"))
		j := bytes.Index(c[i+1:], []byte("PK\x01\x02")) + i + 1 // second entry: data/0
		binary.LittleEndian.PutUint32(c[j+42:], off)
		err := loadBytes(c)
		if err == nil {
			t.Fatalf("offset %d: no error", off)
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("offset %d: %T %v", off, err, err)
		}
	}
	// A record whose size claims more than the file holds.
	c := append([]byte(nil), b...)
	i := bytes.Index(c, []byte("PK\x01\x02"))
	j := bytes.Index(c[i+1:], []byte("PK\x01\x02")) + i + 1
	binary.LittleEndian.PutUint32(c[j+20:], 0xfffffff0)
	binary.LittleEndian.PutUint32(c[j+24:], 0xfffffff0)
	if err := loadBytes(c); err == nil {
		t.Fatal("huge record: no error")
	}
}

func TestHostileLegacy(t *testing.T) {
	b, err := os.ReadFile("testdata/tiny_legacy.pth")
	if err != nil {
		t.Fatal(err)
	}
	// The first storage's element count, just after the key list, claims 1e15.
	sd, _ := Load("testdata/tiny_legacy.pth")
	first := sd.Tensors["conv1.weight"].Numel()
	var cnt [8]byte
	binary.LittleEndian.PutUint64(cnt[:], uint64(first))
	k := bytes.Index(b, cnt[:])
	if k < 0 {
		t.Fatal("storage count not found")
	}
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(c[k:], 1e15)
	if err := loadBytes(c); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "persistent id says") {
		t.Fatalf("got %v", err)
	}
	// Bad magic.
	c = append([]byte(nil), b...)
	c[5] ^= 0xff
	if err := loadBytes(c); err == nil {
		t.Fatal("bad magic: no error")
	}
}

func TestHostileSafetensors(t *testing.T) {
	mk := func(header string, data int) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, uint64(len(header)))
		b.WriteString(header)
		b.Write(make([]byte, data))
		return b.Bytes()
	}
	cases := []struct {
		name string
		file []byte
		want error
	}{
		{"header length huge", append(binary.LittleEndian.AppendUint64(nil, 1<<40), '{', '}'), ErrTooLarge},
		{"header past end", append(binary.LittleEndian.AppendUint64(nil, 1000), '{', '}'), io.ErrUnexpectedEOF},
		{"huge shape", mk(`{"w":{"dtype":"F32","shape":[1000000000000000],"data_offsets":[0,16]}}`, 16), ErrFormat},
		{"shape overflow", mk(`{"w":{"dtype":"F32","shape":[1099511627776,1099511627776,1099511627776],"data_offsets":[0,16]}}`, 16), ErrTooLarge},
		{"offsets past end", mk(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8), io.ErrUnexpectedEOF},
		{"overlap", mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), ErrFormat},
		{"hole", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), ErrFormat},
		{"bad dtype", mk(`{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, 8), ErrUnsupported},
		{"not json", mk(`{"a":`, 0), ErrFormat},
		{"duplicate", mk(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := loadBytes(c.file); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// A bool tensor's bytes other than 0 and 1 read as true (1), as
// torch.frombuffer(..., dtype=torch.bool).to(torch.uint8) and numpy read
// them, so the state dict can be written again (FuzzSafetensors found one
// that was loaded as 48 and then refused by WriteSafetensors).
func TestBoolBytes(t *testing.T) {
	header := `{"b":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]}}`
	var f bytes.Buffer
	binary.Write(&f, binary.LittleEndian, uint64(len(header)))
	f.WriteString(header)
	f.Write([]byte{0x30, 0, 1, 0xff})
	sd, err := LoadFrom(bytes.NewReader(f.Bytes()), int64(f.Len()), "bool.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.Tensors["b"].I64; !slices.Equal(got, []int64{1, 0, 1, 1}) {
		t.Fatalf("bool values %v, want [1 0 1 1]", got)
	}
	var out bytes.Buffer
	if err := WriteSafetensors(&out, sd); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out.Bytes(), []byte{1, 0, 1, 1}) {
		t.Fatalf("rewritten data % x", out.Bytes()[out.Len()-4:])
	}
}

// A big-endian archive (byteorder record) is refused, not misread.
func TestBigEndianZip(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range map[string][]byte{
		"archive/data.pkl":  tensorPickle("FloatStorage", 1, 0, []int64{1}, []int64{1}),
		"archive/data/0":    make([]byte, 4),
		"archive/byteorder": []byte("big"),
	} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		w.Write(data)
	}
	zw.Close()
	if err := loadBytes(b.Bytes()); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `byte order "big"`) {
		t.Fatalf("got %v", err)
	}
}
