package riscv

import (
	"syscall"
	"testing"
	"unsafe"
)

// testWindow is a host mapping standing in for the memory manager's
// window.
type testWindow struct {
	mem  []byte
	m    Memory
	code uint64 // where load puts code
}

const testWindowSize = 1 << 20

func newWindow(t testing.TB) *testWindow {
	t.Helper()
	b, err := syscall.Mmap(-1, 0, testWindowSize, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	w := &testWindow{mem: b, code: 0x1000}
	w.m = Memory{Base: uintptr(unsafe.Pointer(&b[0])), Size: testWindowSize}
	return w
}

func (w *testWindow) put32(a uint64, v uint32) {
	*(*uint32)(unsafe.Pointer(&w.mem[a])) = v
}
func (w *testWindow) put64(a uint64, v uint64) {
	*(*uint64)(unsafe.Pointer(&w.mem[a])) = v
}
func (w *testWindow) get64(a uint64) uint64 {
	return *(*uint64)(unsafe.Pointer(&w.mem[a]))
}
func (w *testWindow) get32(a uint64) uint32 {
	return *(*uint32)(unsafe.Pointer(&w.mem[a]))
}

// load writes 32-bit instruction words at w.code, followed by an ebreak,
// and returns a CPU whose PC points at them.
func (w *testWindow) load(words ...uint32) *CPU {
	a := w.code
	for _, x := range words {
		w.put32(a, x)
		a += 4
	}
	w.put32(a, ebreak())
	c := NewCPU()
	c.PC = w.code
	return c
}

// runToBreak runs c until it stops, and fails unless it stopped at an
// ebreak.
func runToBreak(t testing.TB, c *CPU, w *testWindow) {
	t.Helper()
	e := c.Run(&w.m, 1e6)
	if e.Kind != ExitEbreak {
		t.Fatalf("run stopped with %v, want ebreak", e)
	}
}
