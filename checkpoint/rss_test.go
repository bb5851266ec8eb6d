package checkpoint

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeLegacy writes tensors in the legacy torch.save format (what the WSL
// weights use), streaming each tensor's data from fill so that writing a
// large file needs little memory. It mirrors torch.serialization._legacy_save.
func writeLegacy(w io.Writer, keys []string, shapes [][]int, dtypes []DType, fill func(i int, buf []float32)) error {
	p := newPickler()
	p.bigInt(legacyMagic)
	p.op(opStop)
	p.op(opProto, 2)
	p.int(legacyProtocol)
	p.op(opStop)
	p.op(opProto, 2)
	info := NewDict(false)
	info.Set("protocol_version", int64(legacyProtocol))
	info.Set("little_endian", true)
	sizes := NewDict(false)
	sizes.Set("short", int64(2))
	sizes.Set("int", int64(4))
	sizes.Set("long", int64(8))
	info.Set("type_sizes", sizes)
	if err := p.dump(info, 0); err != nil {
		return err
	}
	p.op(opStop)
	// The object: OrderedDict of _rebuild_tensor_v2 with 6-tuple storage ids.
	p.op(opProto, 2)
	p.emptyOrderedDict()
	p.op(opMark)
	numels := make([]int, len(keys))
	for i, k := range keys {
		n := 1
		for _, d := range shapes[i] {
			n *= d
		}
		numels[i] = n
		p.str(k)
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.op(opMark, opMark)
		p.str("storage")
		p.global("torch", storageClass[dtypes[i]])
		p.str(strconv.Itoa(i))
		p.str("cuda:0")
		p.int(int64(n))
		p.op(opNone, opTuple, opBinPersID)
		p.int(0)
		sh, st := Tuple{}, Tuple{}
		acc := int64(1)
		for j := len(shapes[i]) - 1; j >= 0; j-- {
			st = append(Tuple{acc}, st...)
			acc *= int64(shapes[i][j])
		}
		for _, d := range shapes[i] {
			sh = append(sh, int64(d))
		}
		p.tuple(sh, 0)
		p.tuple(st, 0)
		p.op(opNewFalse)
		p.emptyOrderedDict()
		p.op(opTuple, opReduce)
	}
	p.op(opSetItems, opStop)
	// Storage keys, sorted as strings, as torch does.
	skeys := make([]string, len(keys))
	for i := range keys {
		skeys[i] = strconv.Itoa(i)
	}
	sortStrings(skeys)
	p.op(opProto, 2)
	if err := p.dump(anySlice(skeys), 0); err != nil {
		return err
	}
	p.op(opStop)
	if _, err := w.Write(p.buf.Bytes()); err != nil {
		return err
	}
	buf := make([]float32, 1<<16)
	for _, sk := range skeys {
		i, _ := strconv.Atoi(sk)
		var cnt [8]byte
		binary.LittleEndian.PutUint64(cnt[:], uint64(numels[i]))
		w.Write(cnt[:])
		for at := 0; at < numels[i]; at += len(buf) {
			m := min(len(buf), numels[i]-at)
			fill(i, buf[:m])
			t := &Tensor{DType: dtypes[i], Shape: []int{m}, F32: buf[:m]}
			if !dtypes[i].IsFloat() {
				t.F32, t.I64 = nil, make([]int64, m)
			}
			if err := tensorBytes(t, func(b []byte) error { _, err := w.Write(b); return err }); err != nil {
				return err
			}
		}
	}
	return nil
}

// The test helper's legacy files load like PyTorch's.
func TestWriteLegacy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.pth")
	f, _ := os.Create(path)
	err := writeLegacy(f, []string{"a", "b", "n"}, [][]int{{2, 3}, {4}, {}}, []DType{Float32, Float16, Int64},
		func(i int, buf []float32) {
			for j := range buf {
				buf[j] = float32(i*10 + j)
			}
		})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sd.Keys, sd.Tensors["a"].F32, sd.Tensors["b"].F32, sd.Tensors["n"].I64) != "[a b n] [0 1 2 3 4 5] [10 11 12 13] [0]" {
		t.Fatalf("got %v %v %v %v", sd.Keys, sd.Tensors["a"].F32, sd.Tensors["b"].F32, sd.Tensors["n"].I64)
	}
}

// TestPeakRSS loads a ~350 MB legacy checkpoint shaped like the WSL
// ResNeXt-101 32x8d file in a fresh process and checks its peak resident
// memory (VmHWM) against the file size. It writes the file to
// $CHECKPOINT_RSS_DIR (default: a temp dir) and runs only when
// CHECKPOINT_RSS=1:
//
//	CHECKPOINT_RSS=1 go test -count=1 -run TestPeakRSS -v ./checkpoint/
func TestPeakRSS(t *testing.T) {
	if path := os.Getenv("CHECKPOINT_RSS_CHILD"); path != "" {
		sd, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("RSS-RESULT tensors=%d vmhwm_kb=%d\n", sd.Len(), vmHWM(t))
		return
	}
	if os.Getenv("CHECKPOINT_RSS") != "1" {
		t.Skip("set CHECKPOINT_RSS=1 to write and load a 350 MB file")
	}
	dir := os.Getenv("CHECKPOINT_RSS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "wsl_like_legacy.pth")
	if _, err := os.Stat(path); err != nil {
		// 88M parameters as 4 MiB conv weights plus BN vectors and counters.
		var keys []string
		var shapes [][]int
		var dtypes []DType
		for i := 0; i < 84; i++ {
			keys = append(keys, fmt.Sprintf("layer%d.conv.weight", i))
			shapes = append(shapes, []int{1024, 256, 2, 2})
			dtypes = append(dtypes, Float32)
			for _, s := range []string{"weight", "bias", "running_mean", "running_var"} {
				keys = append(keys, fmt.Sprintf("layer%d.bn.%s", i, s))
				shapes = append(shapes, []int{1024})
				dtypes = append(dtypes, Float32)
			}
			keys = append(keys, fmt.Sprintf("layer%d.bn.num_batches_tracked", i))
			shapes = append(shapes, []int{})
			dtypes = append(dtypes, Int64)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		err = writeLegacy(bw, keys, shapes, dtypes, func(i int, buf []float32) {
			for j := range buf {
				buf[j] = float32((i*31+j)%997) * 1e-3
			}
		})
		if err == nil {
			err = bw.Flush()
		}
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The same tensors in the zip and safetensors formats.
	paths := []string{path, filepath.Join(dir, "wsl_like.pth"), filepath.Join(dir, "wsl_like.safetensors")}
	if _, err := os.Stat(paths[2]); err != nil {
		sd, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := SavePTH(paths[1], sd); err != nil {
			t.Fatal(err)
		}
		if err := SaveSafetensors(paths[2], sd); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSS$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CHECKPOINT_RSS_CHILD="+p)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var tensors, kb int64
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "RSS-RESULT") {
				fmt.Sscanf(line, "RSS-RESULT tensors=%d vmhwm_kb=%d", &tensors, &kb)
			}
		}
		ratio := float64(kb*1024) / float64(fi.Size())
		t.Logf("%s: %.1f MB, %d tensors, peak RSS %.1f MB = %.3f × file size",
			filepath.Base(p), float64(fi.Size())/1e6, tensors, float64(kb*1024)/1e6, ratio)
		if ratio > 1.3 {
			t.Errorf("%s: peak RSS %.3f × file size, want ≤ 1.3", filepath.Base(p), ratio)
		}
	}
}

func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	t.Skip("no VmHWM")
	return 0
}
