package kernels

import (
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// guardedInt32s returns a copy of s that ends where a page that cannot be
// read begins, so that a kernel reading past its end faults instead of
// passing.
func guardedInt32s(t *testing.T, s []int32) []int32 {
	page := os.Getpagesize()
	size := (4*len(s) + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, size+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	g := unsafe.Slice((*int32)(unsafe.Pointer(&mem[size-4*len(s)])), len(s))
	copy(g, s)
	return g
}
