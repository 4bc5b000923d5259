package riscv

import (
	"syscall"
	"testing"
	"time"
)

func TestAMOs(t *testing.T) {
	const a = 0x8000
	cases := []struct {
		name      string
		f5, width uint32
		mem, src  uint64
		wantRd    uint64
		wantMem   uint64
	}{
		{"amoswap.w", 0x01, 2, 0x80000000, 7, 0xffffffff80000000, 7},
		{"amoadd.w wraps", 0x00, 2, 0xffffffff, 1, maxU64, 0},
		{"amoxor.w", 0x04, 2, 0xff, 0x0f, 0xff, 0xf0},
		{"amoand.w", 0x0c, 2, 0xff, 0x0f, 0xff, 0x0f},
		{"amoor.w", 0x08, 2, 0xf0, 0x0f, 0xf0, 0xff},
		{"amomin.w signed", 0x10, 2, 0xffffffff, 1, maxU64, 0xffffffff},
		{"amomax.w signed", 0x14, 2, 0xffffffff, 1, maxU64, 1},
		{"amominu.w", 0x18, 2, 0xffffffff, 1, maxU64, 1},
		{"amomaxu.w", 0x1c, 2, 0xffffffff, 1, maxU64, 0xffffffff},
		{"amoswap.d", 0x01, 3, minI64, 7, minI64, 7},
		{"amoadd.d", 0x00, 3, maxU64, 2, maxU64, 1},
		{"amoxor.d", 0x04, 3, 3, 5, 3, 6},
		{"amoand.d", 0x0c, 3, 3, 5, 3, 1},
		{"amoor.d", 0x08, 3, 3, 5, 3, 7},
		{"amomin.d", 0x10, 3, minI64, 0, minI64, minI64},
		{"amomax.d", 0x14, 3, minI64, 0, minI64, 0},
		{"amominu.d", 0x18, 3, minI64, 0, minI64, 0},
		{"amomaxu.d", 0x1c, 3, minI64, 0, minI64, minI64},
	}
	w := newWindow(t)
	for _, tc := range cases {
		w.put64(a, 0x5555555555555555)
		if tc.width == 2 {
			w.put32(a, uint32(tc.mem))
		} else {
			w.put64(a, tc.mem)
		}
		c := w.load(amo(tc.f5, tc.width, tRd, tRs1, tRs2) | 3<<25) // aq|rl
		c.X[tRs1], c.X[tRs2] = a, tc.src
		runToBreak(t, c, w)
		got := w.get64(a)
		if tc.width == 2 {
			if got>>32 != 0x55555555 {
				t.Errorf("%s: wrote beyond the word: %#x", tc.name, got)
			}
			got &= 0xffffffff
		}
		if c.X[tRd] != tc.wantRd || got != tc.wantMem {
			t.Errorf("%s: rd=%#x mem=%#x, want rd=%#x mem=%#x", tc.name, c.X[tRd], got, tc.wantRd, tc.wantMem)
		}
	}
}

func TestLRSC(t *testing.T) {
	const a = 0x8000
	lrW := amo(0x02, 2, tRd, tRs1, 0)
	scW := amo(0x03, 2, 8, tRs1, tRs2)
	lrD := amo(0x02, 3, tRd, tRs1, 0)
	scD := amo(0x03, 3, 8, tRs1, tRs2)
	w := newWindow(t)

	t.Run("success", func(t *testing.T) {
		w.put64(a, 0x80000000)
		c := w.load(lrW, scW)
		c.X[tRs1], c.X[tRs2] = a, 42
		runToBreak(t, c, w)
		if c.X[tRd] != 0xffffffff80000000 || c.X[8] != 0 || w.get32(a) != 42 {
			t.Fatalf("lr=%#x sc=%d mem=%d", c.X[tRd], c.X[8], w.get32(a))
		}
		if c.Res.Valid {
			t.Fatal("reservation survives SC")
		}
	})
	t.Run("sc without lr fails", func(t *testing.T) {
		w.put64(a, 1)
		c := w.load(scD)
		c.X[tRs1], c.X[tRs2] = a, 42
		runToBreak(t, c, w)
		if c.X[8] != 1 || w.get64(a) != 1 {
			t.Fatalf("sc=%d mem=%d", c.X[8], w.get64(a))
		}
	})
	t.Run("second sc fails", func(t *testing.T) {
		w.put64(a, 1)
		c := w.load(lrD, scD, scD)
		c.X[tRs1], c.X[tRs2] = a, 42
		// The second SC stores 42 over 42 if it wrongly succeeds; use a
		// distinct register to see its result.
		w.put32(w.code+8, amo(0x03, 3, 9, tRs1, 0))
		runToBreak(t, c, w)
		if c.X[8] != 0 || c.X[9] != 1 || w.get64(a) != 42 {
			t.Fatalf("sc1=%d sc2=%d mem=%d", c.X[8], c.X[9], w.get64(a))
		}
	})
	t.Run("sc to another address fails", func(t *testing.T) {
		w.put64(a, 1)
		w.put64(a+8, 2)
		c := w.load(lrD, addi(tRs1, tRs1, 8), scD)
		c.X[tRs1], c.X[tRs2] = a, 42
		runToBreak(t, c, w)
		if c.X[8] != 1 || w.get64(a+8) != 2 {
			t.Fatalf("sc=%d mem=%d", c.X[8], w.get64(a+8))
		}
	})
	t.Run("sc.w after lr.d fails", func(t *testing.T) {
		w.put64(a, 1)
		c := w.load(lrD, scW)
		c.X[tRs1], c.X[tRs2] = a, 42
		runToBreak(t, c, w)
		if c.X[8] != 1 || w.get64(a) != 1 {
			t.Fatalf("sc=%d mem=%d", c.X[8], w.get64(a))
		}
	})
	t.Run("store by another hart breaks the reservation", func(t *testing.T) {
		w.put64(a, 1)
		c := w.load(lrD, scD)
		c.X[tRs1], c.X[tRs2] = a, 42
		if e := c.Run(&w.m, 1); e.Kind != ExitStepLimit {
			t.Fatal(e)
		}
		w.put64(a, 7) // another hart's store
		runToBreak(t, c, w)
		if c.X[8] != 1 || w.get64(a) != 7 {
			t.Fatalf("sc=%d mem=%d", c.X[8], w.get64(a))
		}
	})
	t.Run("misaligned", func(t *testing.T) {
		for _, inst := range []uint32{lrW, scW, lrD, scD, amo(0, 3, tRd, tRs1, tRs2)} {
			c := w.load(inst)
			c.X[tRs1] = a + 4 + 2*uint64(inst>>12&1)
			c.X[tRs1] = a + 2
			e := c.Run(&w.m, 10)
			if e.Kind != ExitMisaligned || e.Addr != a+2 || e.PC != w.code {
				t.Errorf("%#x: exit %+v", inst, e)
			}
		}
	})
}

func TestExits(t *testing.T) {
	w := newWindow(t)
	t.Run("ecall", func(t *testing.T) {
		c := w.load(addi(17, 0, 93), ecall())
		e := c.Run(&w.m, 0)
		if e.Kind != ExitEcall || e.PC != w.code+4 || c.PC != w.code+4 || c.X[17] != 93 {
			t.Fatalf("%+v pc=%#x", e, c.PC)
		}
		c.PC += 4
		if e := c.Run(&w.m, 0); e.Kind != ExitEbreak {
			t.Fatalf("after ecall: %v", e)
		}
	})
	t.Run("illegal leaves state", func(t *testing.T) {
		c := w.load(addi(tRd, 0, 1), 0xffffffff)
		e := c.Run(&w.m, 0)
		if e.Kind != ExitIllegal || e.PC != w.code+4 || e.Inst != 0xffffffff || c.PC != w.code+4 || c.X[tRd] != 1 {
			t.Fatalf("%+v", e)
		}
		if c.Instret != 1 {
			t.Fatalf("instret %d, want 1", c.Instret)
		}
	})
	t.Run("c.unimp is illegal", func(t *testing.T) {
		c := w.load(0)
		if e := c.Run(&w.m, 0); e.Kind != ExitIllegal || e.Len != 2 {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("step limit", func(t *testing.T) {
		c := w.load(addi(5, 5, 1), addi(5, 5, 1), addi(5, 5, 1))
		e := c.Run(&w.m, 2)
		if e.Kind != ExitStepLimit || c.PC != w.code+8 || c.X[5] != 2 {
			t.Fatalf("%+v x5=%d", e, c.X[5])
		}
	})
	t.Run("load outside window", func(t *testing.T) {
		c := w.load(encI(0, tRs1, 3, tRd, 0x03))
		c.X[tRs1] = testWindowSize - 4
		c.X[tRd] = 99
		e := c.Run(&w.m, 0)
		if e.Kind != ExitLoadFault || e.Addr != testWindowSize-4 || e.PC != w.code || e.Host || c.X[tRd] != 99 {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("store outside window", func(t *testing.T) {
		c := w.load(encS(0, tRs2, tRs1, 0, 0x23))
		c.X[tRs1] = 1 << 63
		e := c.Run(&w.m, 0)
		if e.Kind != ExitStoreFault || e.Addr != 1<<63 || e.Access != AccessWrite {
			t.Fatalf("%+v", e)
		}
	})
}

func TestHostFaults(t *testing.T) {
	w := newWindow(t)
	const noneP, roP = 0x20000, 0x21000
	if err := syscall.Mprotect(w.mem[noneP:noneP+4096], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(w.mem[roP:roP+4096], syscall.PROT_READ); err != nil {
		t.Fatal(err)
	}
	t.Run("load", func(t *testing.T) {
		c := w.load(addi(6, 0, 1), encI(8, tRs1, 3, tRd, 0x03))
		c.X[tRs1] = noneP
		c.X[tRd] = 99
		e := c.Run(&w.m, 0)
		if e.Kind != ExitLoadFault || !e.Host || e.Addr != noneP+8 || e.PC != w.code+4 || c.PC != w.code+4 || c.X[tRd] != 99 || c.X[6] != 1 {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("store to read-only", func(t *testing.T) {
		c := w.load(encS(16, tRs2, tRs1, 3, 0x23))
		c.X[tRs1] = roP
		e := c.Run(&w.m, 0)
		if e.Kind != ExitStoreFault || !e.Host || e.Addr != roP+16 || e.Access != AccessWrite {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("amo to read-only", func(t *testing.T) {
		c := w.load(amo(0x14, 3, tRd, tRs1, tRs2))
		c.X[tRs1] = roP + 8
		e := c.Run(&w.m, 0)
		if e.Kind != ExitStoreFault || e.Addr != roP+8 {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("fetch from PROT_NONE", func(t *testing.T) {
		c := NewCPU()
		c.PC = noneP + 4
		e := c.Run(&w.m, 0)
		if e.Kind != ExitFetchFault || e.Addr != noneP+4 || e.PC != noneP+4 || e.Access != AccessFetch {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("fetch without guest exec", func(t *testing.T) {
		// The page at 0x30000 is host-readable but not guest-executable.
		w.put32(0x30000, addi(5, 0, 1))
		m := w.m
		m.CanExec = func(a uint64) (bool, uint64, uint64) {
			if a>>12 == 0x30 {
				return false, 0x30000, 0x31000
			}
			return true, a &^ 0xfff, a&^0xfff + 0x1000
		}
		c := NewCPU()
		c.PC = 0x30000
		e := c.Run(&m, 0)
		if e.Kind != ExitFetchFault || e.Addr != 0x30000 || e.Host || c.X[5] != 0 {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("32-bit instruction straddling into a non-exec page", func(t *testing.T) {
		w.mem[0x31ffc], w.mem[0x31ffd] = 0x85, 0x42 // c.li x5, 1
		w.mem[0x31ffe], w.mem[0x31fff] = 0x13, 0x00 // first half of a 32-bit addi
		m := w.m
		m.CanExec = func(a uint64) (bool, uint64, uint64) {
			return a < 0x32000, 0, 0x32000
		}
		c := NewCPU()
		c.PC = 0x31ffc
		e := c.Run(&m, 0)
		if e.Kind != ExitFetchFault || e.Addr != 0x32000 || e.PC != 0x31ffe || c.X[5] != 1 {
			t.Fatalf("%+v x5=%d", e, c.X[5])
		}
	})
	t.Run("invalidate drops the exec cache", func(t *testing.T) {
		w.put32(0x40000, encJ(0, 0)) // j . (loop forever)
		exec := true
		m := w.m
		m.CanExec = func(a uint64) (bool, uint64, uint64) { return exec, 0, testWindowSize }
		c := NewCPU()
		c.PC = 0x40000
		if e := c.Run(&m, 100); e.Kind != ExitStepLimit {
			t.Fatal(e)
		}
		exec = false
		if e := c.Run(&m, 100); e.Kind != ExitStepLimit {
			t.Fatalf("cached range should still allow the fetch: %v", e)
		}
		c.Invalidate(0x40000, 0x41000)
		if e := c.Run(&m, 100); e.Kind != ExitFetchFault || e.Addr != 0x40000 {
			t.Fatalf("after Invalidate: %v", e)
		}
	})
}

func TestInterrupt(t *testing.T) {
	w := newWindow(t)
	c := w.load(encJ(0, 0)) // j .
	done := make(chan Exit)
	go func() { done <- c.Run(&w.m, 0) }()
	time.Sleep(10 * time.Millisecond)
	c.Interrupt()
	select {
	case e := <-done:
		if e.Kind != ExitInterrupted || e.PC != w.code {
			t.Fatalf("%+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Interrupt did not stop Run")
	}
}

func TestCSRs(t *testing.T) {
	w := newWindow(t)
	t.Run("fcsr fields", func(t *testing.T) {
		c := w.load(
			csrInst(5, tRd, CSRFrm, 3),     // csrrwi x7, frm, 3
			csrInst(6, 0, CSRFflags, 0x11), // csrrsi x0, fflags, NV|NX
			csrInst(2, 10, CSRFcsr, 0),     // csrrs a0, fcsr, x0
			csrInst(7, 11, CSRFflags, 1),   // csrrci a1, fflags, NX
			csrInst(2, 12, CSRFflags, 0),   // csrr a2, fflags
			csrInst(1, 13, CSRFcsr, tRs1),  // csrrw a3, fcsr, x5 (x5 = 0x1ff)
		)
		c.X[tRs1] = 0x1ff
		runToBreak(t, c, w)
		if c.X[tRd] != 0 || c.X[10] != 3<<5|0x11 || c.X[11] != 0x11 || c.X[12] != 0x10 || c.X[13] != 3<<5|0x10 || c.FCSR != 0xff {
			t.Fatalf("x7=%#x a0=%#x a1=%#x a2=%#x a3=%#x fcsr=%#x", c.X[tRd], c.X[10], c.X[11], c.X[12], c.X[13], c.FCSR)
		}
	})
	t.Run("counters", func(t *testing.T) {
		c := w.load(addi(0, 0, 0), addi(0, 0, 0), csrInst(2, 10, CSRInstret, 0), csrInst(2, 11, CSRCycle, 0),
			csrInst(2, 12, CSRTime, 0))
		c.Time = func() uint64 { return 12345 }
		runToBreak(t, c, w)
		if c.X[10] != 2 || c.X[11] != 3 || c.X[12] != 12345 {
			t.Fatalf("instret=%d cycle=%d time=%d", c.X[10], c.X[11], c.X[12])
		}
	})
	for _, tc := range []struct {
		name string
		inst uint32
	}{
		{"write cycle", csrInst(1, 0, CSRCycle, 0)},
		{"set instret bits", csrInst(6, 0, CSRInstret, 1)},
		{"unknown csr", csrInst(2, 10, 0x300, 0)},
		{"fadd.d with dynamic rm and frm=5", opFP(0x01, 7, 1, 2, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := w.load(tc.inst)
			c.FCSR = 5 << 5
			c.X[10] = 77
			if e := c.Run(&w.m, 0); e.Kind != ExitIllegal || c.X[10] != 77 {
				t.Fatalf("%+v", e)
			}
		})
	}
}
