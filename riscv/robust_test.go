package riscv

import (
	"math/rand/v2"
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
