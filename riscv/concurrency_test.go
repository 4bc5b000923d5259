package riscv

import (
	"sync"
	"testing"
)

// TestConcurrentAtomics runs several CPUs, one per goroutine, on the same
// window. Each increments three counters iters times: one with amoadd.d,
// one with an lr.w/sc.w retry loop, and a plain one (ld/addi/sd) under a
// spinlock taken with amoswap.w.aq and released with amoswap.w.rl. All
// three must end exactly at harts*iters.
func TestConcurrentAtomics(t *testing.T) {
	const (
		harts    = 4
		amoCtr   = 0x8000
		lrscCtr  = 0x8040
		lockWord = 0x8080
		plainCtr = 0x80c0
	)
	iters := uint64(20000)
	if testing.Short() {
		iters = 2000
	}
	w := newWindow(t)
	prog := []uint32{
		amo(0x00, 3, 0, 10, 13),          // 0:  amoadd.d x0, x13, (x10)
		amo(0x02, 2, 14, 11, 0),          // 4:  lr.w x14, (x11)
		addi(14, 14, 1),                  // 8:  addi x14, x14, 1
		amo(0x03, 2, 15, 11, 14),         // 12: sc.w x15, x14, (x11)
		encB(-12, 0, 15, 1),              // 16: bnez x15, 4
		amo(0x01, 2, 16, 17, 13) | 1<<26, // 20: amoswap.w.aq x16, x13, (x17)
		encB(-4, 0, 16, 1),               // 24: bnez x16, 20
		encI(0, 19, 3, 18, 0x03),         // 28: ld x18, 0(x19)
		addi(18, 18, 1),                  // 32: addi x18, x18, 1
		encS(0, 18, 19, 3, 0x23),         // 36: sd x18, 0(x19)
		amo(0x01, 2, 0, 17, 0) | 1<<25,   // 40: amoswap.w.rl x0, x0, (x17)
		addi(12, 12, -1),                 // 44: addi x12, x12, -1
		encB(-48, 0, 12, 1),              // 48: bnez x12, 0
	}
	c0 := w.load(prog...)
	var wg sync.WaitGroup
	errs := make(chan string, harts)
	for range harts {
		c := NewCPU()
		c.PC = c0.PC
		c.X[10], c.X[11], c.X[12], c.X[13] = amoCtr, lrscCtr, iters, 1
		c.X[17], c.X[19] = lockWord, plainCtr
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e := c.Run(&w.m, 0); e.Kind != ExitEbreak {
				errs <- e.String()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	want := harts * iters
	if got := w.get64(amoCtr); got != want {
		t.Errorf("amoadd counter %d, want %d", got, want)
	}
	if got := uint64(w.get32(lrscCtr)); got != want {
		t.Errorf("lr/sc counter %d, want %d", got, want)
	}
	if got := w.get64(plainCtr); got != want {
		t.Errorf("lock-protected counter %d, want %d", got, want)
	}
}
