package riscv

import (
	"math/rand/v2"
	"syscall"
	"testing"
)

// TestRandomWordsNeverPanic executes random instruction words on random
// register state, with addresses inside and outside the window: every
// outcome must be an Exit, never a panic.
func TestRandomWordsNeverPanic(t *testing.T) {
	w := newWindow(t)
	r := rand.New(rand.NewPCG(99, 1))
	c := NewCPU()
	n := 200000
	if testing.Short() {
		n = 20000
	}
	kinds := map[ExitKind]int{}
	for i := range n {
		word := randomStep(w, c, r, i)
		e := c.Run(&w.m, 2)
		kinds[e.Kind]++
		if e.Kind == ExitLoadFault || e.Kind == ExitStoreFault {
			if e.Addr <= testWindowSize-8 && !e.Host {
				t.Fatalf("%#x: fault inside the window without a host fault: %+v", word, e)
			}
		}
	}
	t.Logf("exits: %v", kinds)
}

// TestRandomWordsEmulatedNeverPanic is TestRandomWordsNeverPanic on a
// window whose pages the host protects more strictly than the guest:
// host faults are emulated (as a memory manager would ask), with some
// pages forbidden to the guest too. Every outcome must be an Exit.
func TestRandomWordsEmulatedNeverPanic(t *testing.T) {
	w := newSlowWindow(t)
	w.m.SlowBlock = 0x4000
	r := rand.New(rand.NewPCG(5, 3))
	for p := uint64(0x10000); p < testWindowSize; p += 0x10000 {
		w.hostProtect(t, p, syscall.PROT_NONE)
		w.hostProtect(t, p+0x4000, syscall.PROT_READ)
		w.deny[p+0x8000] = true
		w.hostProtect(t, p+0x8000, syscall.PROT_NONE)
	}
	c := NewCPU()
	n := 50000
	if testing.Short() {
		n = 5000
	}
	kinds := map[ExitKind]int{}
	for i := range n {
		randomStep(w.testWindow, c, r, i)
		e := c.Run(&w.m, 2)
		if e.Host {
			if next, done := c.Emulate(&w.m, e); !done {
				e = next
			}
		}
		kinds[e.Kind]++
	}
	t.Logf("exits: %v", kinds)
}

// randomStep puts a random instruction word (every other one a 32-bit
// encoding) followed by ebreak at w.code, fills c's registers with
// addresses inside the window, random values and small numbers, and
// points c at the word, which it returns.
func randomStep(w *testWindow, c *CPU, r *rand.Rand, i int) uint32 {
	word := r.Uint32()
	if i%2 == 0 {
		word |= 3
	}
	w.put32(w.code, word)
	w.put32(w.code+4, ebreak())
	for j := range c.X {
		switch r.IntN(3) {
		case 0:
			c.X[j] = uint64(r.IntN(testWindowSize))
		case 1:
			c.X[j] = r.Uint64()
		default:
			c.X[j] = uint64(r.IntN(64))
		}
		c.F[j] = r.Uint64()
	}
	c.FCSR = uint32(r.IntN(256))
	c.PC = w.code
	return word
}
