package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The same plain object pickled by Python with protocols 0 to 5 decodes to
// the same tree.
func TestUnpicklePlainProtocols(t *testing.T) {
	big70 := new(big.Int).Lsh(big.NewInt(1), 70)
	for p := 0; p <= 5; p++ {
		t.Run(fmt.Sprint("protocol", p), func(t *testing.T) {
			b, err := os.ReadFile(fmt.Sprintf("testdata/plain_p%d.pkl", p))
			if err != nil {
				t.Fatal(err)
			}
			v, err := Unpickle(b)
			if err != nil {
				t.Fatal(err)
			}
			d, ok := v.(*Dict)
			if !ok {
				t.Fatalf("got %T", v)
			}
			get := func(k string) any {
				v, ok := d.Get(k)
				if !ok {
					t.Fatalf("missing %q", k)
				}
				return v
			}
			for k, want := range map[string]any{
				"int": int64(3), "neg": int64(-70000), "float": 0.25, "str": "héllo", "bytes": []byte{0, 1},
				"none": nil, "t": true, "f": false, "list": []any{int64(1), []any{int64(2), int64(3)}, Tuple{}},
				"tuple": Tuple{int64(1), "a"}, "set": Set{int64(1)}, "frozen": Set{int64(2)},
			} {
				if got := get(k); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			if got := get("big"); got.(*big.Int).Cmp(big70) != 0 {
				t.Errorf("big = %v", got)
			}
			od := get("od").(*Dict)
			if !od.Ordered || od.Len() != 2 || !reflect.DeepEqual(od.Keys(), []any{"x", "y"}) {
				t.Errorf("od = %#v", od)
			}
		})
	}
}

// Pickles that try to run code fail with ErrForbiddenGlobal naming the
// global, for GLOBAL and STACK_GLOBAL, inside a file or alone.
func TestForbiddenGlobals(t *testing.T) {
	cases := map[string]string{
		"evil_os_system.pkl":     `"posix.system"`,
		"evil_eval.pkl":          `"posix.system"`,
		"evil_builtins_eval.pkl": `"builtins.eval"`,
	}
	for file, name := range cases {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Unpickle(b)
		if !errors.Is(err, ErrForbiddenGlobal) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", file, err)
		}
	}
	// Hand-written: os.system via GLOBAL, and a builtins.getattr lookup.
	for _, src := range []string{"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", "\x80\x04\x8c\x08builtins\x8c\x07getattr\x93."} {
		_, err := Unpickle([]byte(src))
		if !errors.Is(err, ErrForbiddenGlobal) {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// Malformed pickles give errors, never panics; truncation is
// io.ErrUnexpectedEOF.
func TestUnpickleErrors(t *testing.T) {
	deep := strings.Repeat("]", 5000) + strings.Repeat("a", 4999) + "."
	cycle := "\x80\x02]q\x00h\x00a."
	cases := []struct {
		name, src string
		want      error
	}{
		{"empty", "", io.ErrUnexpectedEOF},
		{"no stop", "\x80\x02K\x01", io.ErrUnexpectedEOF},
		{"underflow", "\x80\x02a.", ErrFormat},
		{"bad memo", "\x80\x02h\x05.", ErrFormat},
		{"huge string", "\x80\x02X\xff\xff\xff\x7fabc.", io.ErrUnexpectedEOF},
		{"huge bytes8", "\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xffabc.", io.ErrUnexpectedEOF},
		{"huge long4", "\x80\x02\x8b\xff\xff\xff\x7f.", io.ErrUnexpectedEOF},
		{"setitem on list", "\x80\x02]K\x01K\x02s.", ErrFormat},
		{"unhashable key", "\x80\x02}]K\x01s.", ErrFormat},
		{"deep nesting", deep, ErrTooLarge},
		{"cycle", cycle, ErrFormat},
		{"proto 6", "\x80\x06N.", ErrUnsupported},
		{"persid without file", "\x80\x02K\x01Q.", ErrFormat},
		{"exponential dict key", "\x80\x02}K\x01" + strings.Repeat("2\x86", 60) + "K\x02s.", ErrTooLarge},
		{"unknown opcode", "\x80\x02\xff.", ErrFormat},
		{"reduce non-callable", "\x80\x02K\x01)R.", ErrFormat},
		{"ext", "\x80\x02\x82\x01.", ErrUnsupported},
		{"storage type called", "\x80\x02ctorch\nFloatStorage\n)R.", ErrFormat},
		{"tensor without storage", "\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x00)))tR.", ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Unpickle([]byte(c.src))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			var fe *FormatError
			var ue *UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Fatalf("%T is not a FormatError or UnsupportedError", err)
			}
		})
	}
}

// Every prefix of every fixture fails cleanly (and Load never panics).
func TestTruncated(t *testing.T) {
	files, _ := os.ReadDir("testdata")
	for _, f := range files {
		name := f.Name()
		if f.IsDir() || strings.HasSuffix(name, ".json") { // testdata/fuzz: the fuzz targets' regressions
			continue
		}
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			r := bytes.NewReader(b[:n])
			var err error
			if strings.HasSuffix(name, ".pkl") {
				_, err = Unpickle(b[:n])
			} else {
				_, err = LoadObjectFrom(r, int64(n), name)
			}
			if err == nil {
				t.Errorf("%s truncated to %d bytes: no error", name, n)
				continue
			}
			var fe *FormatError
			var ue *UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Errorf("%s truncated to %d bytes: untyped error %v", name, n, err)
			}
			// A cut inside the pickle or a storage is an unexpected EOF;
			// a zip cut before its directory is just not a zip.
			if strings.HasSuffix(name, ".pkl") || strings.Contains(name, "legacy") || strings.HasSuffix(name, ".safetensors") {
				if n >= 8 && !errors.Is(err, io.ErrUnexpectedEOF) && !(strings.HasPrefix(name, "evil") && errors.Is(err, ErrForbiddenGlobal)) {
					t.Errorf("%s truncated to %d bytes: %v", name, n, err)
				}
			}
		}
	}
}

// A tuple that shares its halves 60 levels deep decodes, re-encodes and
// decodes again in linear time, keeping the sharing.
func TestSharedSubtrees(t *testing.T) {
	dag := "\x80\x02K\x01" + strings.Repeat("2\x86", 60) + "."
	v, err := Unpickle([]byte(dag))
	if err != nil {
		t.Fatal(err)
	}
	b, err := pickleBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1000 {
		t.Fatalf("re-pickled to %d bytes", len(b))
	}
	b = append(b, opStop)
	w, err := Unpickle(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		w = w.(Tuple)[1]
	}
	if w != int64(1) {
		t.Fatalf("leaf %v", w)
	}
}

// A big key hashed again and again through the memo is cut off.
func TestKeyHashingBudget(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x80\x02}q\x00X\x00\x00\x10\x00")
	b.Write(bytes.Repeat([]byte("k"), 1<<20))
	b.WriteString("q\x010") // memoize the key, pop it
	for i := 0; i < 200000; i++ {
		b.WriteString("h\x01K\x01s")
	}
	b.WriteString(".")
	_, err := Unpickle(b.Bytes())
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}
