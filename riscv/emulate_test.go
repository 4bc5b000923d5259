package riscv

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// slowWindow is a test window whose pages can be made inaccessible on the
// host while the "guest" may still access them: the test's SlowMemory
// reaches them through a second mapping of the same memory file (as
// guestmem reaches such pages behind the host MMU). Pages in deny are
// inaccessible to the guest too: the slow accesses refuse them.
type slowWindow struct {
	*testWindow
	alias []byte

	mu      sync.Mutex
	deny    map[uint64]bool // 4 KiB pages the guest may not access
	keep    bool            // Fetch's answer
	calls   map[string]int  // slow calls by kind
	hostRaw []byte          // the window's bytes as the host maps them
}

func newSlowWindow(t testing.TB) *slowWindow {
	t.Helper()
	fd, err := unix.MemfdCreate("gemu-riscv-test", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, testWindowSize); err != nil {
		t.Fatal(err)
	}
	rw := syscall.PROT_READ | syscall.PROT_WRITE
	win, err := syscall.Mmap(fd, 0, testWindowSize, rw, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	alias, err := syscall.Mmap(fd, 0, testWindowSize, rw, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(win); syscall.Munmap(alias) })
	w := &slowWindow{
		testWindow: &testWindow{mem: alias, code: 0x1000},
		alias:      alias, hostRaw: win,
		deny: map[uint64]bool{}, keep: true, calls: map[string]int{},
	}
	w.m = Memory{Base: uintptr(unsafe.Pointer(&win[0])), Size: testWindowSize, Slow: w}
	return w
}

// hostProtect sets the host protection of the 4 KiB page at a.
func (w *slowWindow) hostProtect(t testing.TB, a uint64, prot int) {
	t.Helper()
	if err := syscall.Mprotect(w.hostRaw[a:a+4096], prot); err != nil {
		t.Fatal(err)
	}
}

func (w *slowWindow) allowed(a, n uint64) bool {
	if a+n > testWindowSize || a+n < a {
		return false
	}
	for p := a &^ 4095; p < a+n; p += 4096 {
		if w.deny[p] {
			return false
		}
	}
	return true
}

func (w *slowWindow) Load(a uint64, b []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls["load"]++
	if !w.allowed(a, uint64(len(b))) {
		return false
	}
	copy(b, w.alias[a:])
	return true
}

func (w *slowWindow) Store(a uint64, b []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls["store"]++
	if !w.allowed(a, uint64(len(b))) {
		return false
	}
	copy(w.alias[a:], b)
	return true
}

func (w *slowWindow) Update(a uint64, b []byte, update func([]byte) bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls["update"]++
	if !w.allowed(a, uint64(len(b))) {
		return false
	}
	copy(b, w.alias[a:])
	if update(b) {
		copy(w.alias[a:], b)
	}
	return true
}

func (w *slowWindow) Fetch(a uint64, b []byte) (bool, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls["fetch"]++
	if !w.allowed(a, uint64(len(b))) {
		return false, false
	}
	copy(b, w.alias[a:])
	return w.keep, true
}

// runEmulating runs c to its ebreak as a memory manager would: a host
// fault on a page the guest may access is emulated, any other fault ends
// the run and is returned. It returns the number of emulations.
func runEmulating(t testing.TB, c *CPU, w *slowWindow) (int, Exit) {
	t.Helper()
	emulated := 0
	for steps := 0; steps < 1e6; steps++ {
		e := c.Run(&w.m, 1e6)
		switch e.Kind {
		case ExitEbreak:
			return emulated, e
		case ExitStepLimit:
		case ExitLoadFault, ExitStoreFault, ExitFetchFault:
			if !e.Host || !w.allowed(e.Addr, 1) {
				return emulated, e
			}
			next, done := c.Emulate(&w.m, e)
			if !done {
				return emulated, next
			}
			emulated++
		default:
			return emulated, e
		}
	}
	t.Fatal("no ebreak after a million exits")
	return 0, Exit{}
}

// Compressed encodings (RVC, quadrant 0), registers x8..x15 / f8..f15.
func cLW(rd, rs1 uint32, off uint32) uint32 {
	return 2<<13 | (off>>3&7)<<10 | (rs1-8)<<7 | (off>>2&1)<<6 | (off>>6&1)<<5 | (rd-8)<<2
}
func cSD(rs2, rs1 uint32, off uint32) uint32 {
	return 7<<13 | (off>>3&7)<<10 | (rs1-8)<<7 | (off>>6&3)<<5 | (rs2-8)<<2
}
func cFLD(rd, rs1 uint32, off uint32) uint32 {
	return 1<<13 | (off>>3&7)<<10 | (rs1-8)<<7 | (off>>6&3)<<5 | (rd-8)<<2
}

// memInst is an instruction with a data access, for the fast/emulated
// comparison: enc builds it from rd, rs1, rs2 and an offset.
type memInst struct {
	name   string
	size   uint64
	atomic bool
	comp   bool // compressed: registers x8..x15, offset a multiple of size
	enc    func(rd, rs1, rs2 uint32, off int32) uint32
}

func memInsts() []memInst {
	load := func(f3 uint32) func(rd, rs1, rs2 uint32, off int32) uint32 {
		return func(rd, rs1, rs2 uint32, off int32) uint32 { return encI(off, rs1, f3, rd, 0x03) }
	}
	store := func(f3 uint32) func(rd, rs1, rs2 uint32, off int32) uint32 {
		return func(rd, rs1, rs2 uint32, off int32) uint32 { return encS(off, rs2, rs1, f3, 0x23) }
	}
	am := func(f5, width uint32) func(rd, rs1, rs2 uint32, off int32) uint32 {
		return func(rd, rs1, rs2 uint32, off int32) uint32 {
			if f5 == 2 {
				rs2 = 0
			}
			return amo(f5, width, rd, rs1, rs2)
		}
	}
	out := []memInst{
		{"lb", 1, false, false, load(0)}, {"lh", 2, false, false, load(1)},
		{"lw", 4, false, false, load(2)}, {"ld", 8, false, false, load(3)},
		{"lbu", 1, false, false, load(4)}, {"lhu", 2, false, false, load(5)},
		{"lwu", 4, false, false, load(6)},
		{"sb", 1, false, false, store(0)}, {"sh", 2, false, false, store(1)},
		{"sw", 4, false, false, store(2)}, {"sd", 8, false, false, store(3)},
		{"flw", 4, false, false, func(rd, rs1, rs2 uint32, off int32) uint32 { return encI(off, rs1, 2, rd, 0x07) }},
		{"fld", 8, false, false, func(rd, rs1, rs2 uint32, off int32) uint32 { return encI(off, rs1, 3, rd, 0x07) }},
		{"fsw", 4, false, false, func(rd, rs1, rs2 uint32, off int32) uint32 { return encS(off, rs2, rs1, 2, 0x27) }},
		{"fsd", 8, false, false, func(rd, rs1, rs2 uint32, off int32) uint32 { return encS(off, rs2, rs1, 3, 0x27) }},
		{"c.lw", 4, false, true, func(rd, rs1, rs2 uint32, off int32) uint32 { return cLW(rd, rs1, uint32(off)) }},
		{"c.sd", 8, false, true, func(rd, rs1, rs2 uint32, off int32) uint32 { return cSD(rs2, rs1, uint32(off)) }},
		{"c.fld", 8, false, true, func(rd, rs1, rs2 uint32, off int32) uint32 { return cFLD(rd, rs1, uint32(off)) }},
	}
	for _, w := range []struct {
		suffix string
		width  uint32
		size   uint64
	}{{".w", 2, 4}, {".d", 3, 8}} {
		for _, a := range []struct {
			name string
			f5   uint32
		}{{"lr", 2}, {"sc", 3}, {"amoswap", 1}, {"amoadd", 0}, {"amoxor", 4}, {"amoand", 0xc},
			{"amoor", 8}, {"amomin", 0x10}, {"amomax", 0x14}, {"amominu", 0x18}, {"amomaxu", 0x1c}} {
			out = append(out, memInst{a.name + w.suffix, w.size, true, false, am(a.f5, w.width)})
		}
	}
	return out
}

// TestEmulateMatchesFastPath runs every load, store, FP load/store, LR, SC
// and AMO (and compressed forms) on random registers and memory twice:
// once on pages the host lets it access directly, once where the host
// refuses and Emulate completes it through the slow path. Registers, FP
// registers, fcsr, PC, the reservation, Instret and memory must come out
// the same. Addresses include misaligned ones across a page boundary, with
// either side emulated.
func TestEmulateMatchesFastPath(t *testing.T) {
	w := newSlowWindow(t)
	const (
		ref  = 0x11000 // boundary between two ordinary pages
		slow = 0x21000 // page [0x21000, 0x22000) is inaccessible on the host
	)
	w.hostProtect(t, slow, syscall.PROT_NONE)
	r := rand.New(rand.NewPCG(7, 11))
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for _, mi := range memInsts() {
		t.Run(mi.name, func(t *testing.T) {
			for i := range iters {
				checkEmulated(t, w, r, mi, i, ref, slow)
			}
		})
	}
}

func checkEmulated(t *testing.T, w *slowWindow, r *rand.Rand, mi memInst, iter int, ref, slow uint64) {
	// Registers: rs1 holds the address, rd and rs2 differ from it.
	var rd, rs1, rs2 uint32
	if mi.comp {
		rs1 = 8 + uint32(r.IntN(8))
		rd, rs2 = 8+uint32(r.IntN(8)), 8+uint32(r.IntN(8))
		for rd == rs1 {
			rd = 8 + uint32(r.IntN(8))
		}
		for rs2 == rs1 {
			rs2 = 8 + uint32(r.IntN(8))
		}
	} else {
		rs1 = 1 + uint32(r.IntN(31))
		rd, rs2 = uint32(r.IntN(32)), uint32(r.IntN(32))
		for rd == rs1 {
			rd = uint32(r.IntN(32))
		}
		for rs2 == rs1 {
			rs2 = uint32(r.IntN(32))
		}
	}
	// The access lies around a page boundary B: [B+d, B+d+size).
	var d int64
	var off int32
	switch {
	case mi.atomic:
		d = int64(r.IntN(64)-32) &^ int64(mi.size-1)
	case mi.comp:
		d = int64(r.IntN(64) - 32)
		off = int32(r.IntN(8)) * int32(mi.size)
	default:
		d = int64(r.IntN(24) - 12)
		off = int32(r.IntN(64) - 32)
	}
	// The emulated run's boundary: the slow page's start (the access
	// begins before it or inside it) or its end (the access begins
	// inside it and may run into the next page).
	sb := slow
	if r.IntN(2) == 0 {
		sb = slow + 4096
	}
	if d+int64(mi.size) <= 0 && sb == slow {
		sb = slow + 4096 // wholly before the slow page: move inside it
	}
	if d >= 0 && sb == slow+4096 {
		sb = slow // wholly after it
	}
	inst := mi.enc(rd, rs1, rs2, off)
	if mi.comp {
		inst &= 0xffff
	}

	var x [32]uint64
	var f [32]uint64
	for j := range x {
		x[j] = r.Uint64()
		if r.IntN(3) == 0 {
			x[j] = uint64(r.IntN(5)) - 2
		}
		f[j] = r.Uint64()
		if r.IntN(2) == 0 {
			f[j] = boxMask | f[j]&0xffffffff
		}
	}
	var mem [64]byte
	for j := range mem {
		mem[j] = byte(r.Uint32())
	}
	scHit := r.IntN(3) != 0
	resValid := r.IntN(4) != 0
	fcsr := uint32(r.IntN(256))

	type outcome struct {
		st      State
		instret uint64
		mem     [64]byte
		exit    Exit
		emu     int
	}
	run := func(b uint64) outcome {
		addr := uint64(int64(b) + d)
		copy(w.alias[b-32:], mem[:])
		c := NewCPU()
		c.X, c.F = x, f
		c.X[0] = 0
		c.X[rs1] = addr - uint64(int64(off))
		c.FCSR = fcsr
		if mi.name[:2] == "sc" {
			v := uint64(0)
			for k := range mi.size {
				v |= uint64(mem[32+d+int64(k)]) << (8 * k)
			}
			if !scHit {
				v ^= 1
			}
			c.Res = Reservation{Valid: resValid, Size: uint8(mi.size), Addr: addr, Value: v}
		}
		pc := w.code
		if mi.comp {
			*(*uint16)(unsafe.Pointer(&w.alias[pc])) = uint16(inst)
			*(*uint16)(unsafe.Pointer(&w.alias[pc+2])) = 0x0001 // c.nop
			w.put32(pc+4, ebreak())
		} else {
			w.put32(pc, inst)
			w.put32(pc+4, ebreak())
		}
		c.PC = pc
		n, e := runEmulating(t, c, w)
		var o outcome
		o.st, o.instret, o.exit, o.emu = c.State, c.Instret, e, n
		copy(o.mem[:], w.alias[b-32:])
		// Addresses differ between the two runs by b's difference.
		o.st.X[rs1] = 0
		if o.st.Res.Addr != 0 {
			o.st.Res.Addr -= b
		}
		return o
	}
	want := run(ref)
	got := run(sb)
	name := fmt.Sprintf("iter %d: %#x (rd=x%d rs1=x%d rs2=x%d off=%d) at boundary%+d", iter, inst, rd, rs1, rs2, off, d)
	if want.exit.Kind != ExitEbreak {
		t.Fatalf("%s: reference run: %v", name, want.exit)
	}
	if got.exit.Kind != ExitEbreak {
		t.Fatalf("%s: emulated run: %v", name, got.exit)
	}
	touchesSlow := uint64(int64(sb)+d) < slow+4096 && uint64(int64(sb)+d)+mi.size > slow
	scSkips := mi.name[:2] == "sc" && !resValid // fails without an access
	if touchesSlow && !scSkips && got.emu == 0 {
		t.Fatalf("%s: the emulated run made no emulation", name)
	}
	if want.st != got.st {
		t.Fatalf("%s: state differs:\nfast     %+v\nemulated %+v", name, want.st, got.st)
	}
	if want.instret != got.instret {
		t.Fatalf("%s: instret %d, emulated %d", name, want.instret, got.instret)
	}
	if !bytes.Equal(want.mem[:], got.mem[:]) {
		t.Fatalf("%s: memory differs:\nfast     %x\nemulated %x", name, want.mem, got.mem)
	}
}

// TestEmulateFaults checks the accesses the slow path refuses: the fault
// is reported at the first byte the guest may not access, and the
// instruction has no effect (a misaligned store across into a forbidden
// page writes nothing, as the host MMU would not).
func TestEmulateFaults(t *testing.T) {
	w := newSlowWindow(t)
	const (
		slow = 0x21000 // host-inaccessible, guest-accessible
		bad  = 0x22000 // inaccessible to both
	)
	w.hostProtect(t, slow, syscall.PROT_NONE)
	w.hostProtect(t, bad, syscall.PROT_NONE)
	w.deny[bad] = true
	for _, tc := range []struct {
		name     string
		inst     uint32
		addr     uint64
		wantKind ExitKind
		wantAddr uint64
	}{
		{"ld across into a forbidden page", encI(0, 5, 3, 7, 0x03), bad - 4, ExitLoadFault, bad},
		{"sd across into a forbidden page", encS(0, 6, 5, 3, 0x23), bad - 2, ExitStoreFault, bad},
		{"fsd across into a forbidden page", encS(0, 6, 5, 3, 0x27), bad - 6, ExitStoreFault, bad},
		{"lw inside a forbidden page", encI(0, 5, 2, 7, 0x03), bad + 8, ExitLoadFault, bad + 8},
		{"amoadd.w in a forbidden page", amo(0, 2, 7, 5, 6), bad + 8, ExitStoreFault, bad + 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 16 {
				w.alias[slow+4096-16+uint64(i)] = byte(i + 1)
			}
			before := append([]byte(nil), w.alias[slow+4096-16:slow+4096]...)
			c := w.load(tc.inst)
			c.X[5], c.X[6], c.X[7] = tc.addr, 0x1122334455667788, 77
			want := c.State
			_, e := runEmulating(t, c, w)
			if e.Kind != tc.wantKind || e.Addr != tc.wantAddr || e.PC != w.code {
				t.Fatalf("exit %v (host %v), want %v at addr %#x pc %#x", e, e.Host, tc.wantKind, tc.wantAddr, w.code)
			}
			if c.State != want {
				t.Errorf("state changed:\n%+v\nwant\n%+v", c.State, want)
			}
			if !bytes.Equal(w.alias[slow+4096-16:slow+4096], before) {
				t.Errorf("memory written: %x, was %x", w.alias[slow+4096-16:slow+4096], before)
			}
		})
	}
}

// loopProgram is a loop of n iterations adding 1..n into x10 (x11 counts
// down, x12 is the step), ending in an ebreak: 5 instructions a round.
func loopProgram() []uint32 {
	return []uint32{
		opR(0, 0)(10, 10, 11), // add x10, x10, x11
		addi(11, 11, -1),      // addi x11, x11, -1
		addi(12, 12, 1),       // addi x12, x12, 1
		opR(0, 0)(13, 13, 12), // add x13, x13, x12
		encB(-16, 0, 11, 1),   // bnez x11, start
		ebreak(),
	}
}

// TestEmulateFetchExecOnly runs code on a page the host cannot read (an
// execute-only page): the first fetch faults and Emulate copies the
// page's chunk; the loop then runs from the copy without another fault.
// After Invalidate, code changed there is fetched afresh.
func TestEmulateFetchExecOnly(t *testing.T) {
	w := newSlowWindow(t)
	const code = 0x30000
	for i, x := range loopProgram() {
		w.put32(code+uint64(4*i), x)
	}
	w.hostProtect(t, code, syscall.PROT_NONE)
	c := NewCPU()
	c.PC, c.X[11] = code, 1000
	n, e := runEmulating(t, c, w)
	if e.Kind != ExitEbreak {
		t.Fatalf("exit %v", e)
	}
	if c.X[10] != 1000*1001/2 {
		t.Fatalf("x10 = %d, want %d", c.X[10], 1000*1001/2)
	}
	if n != 1 || w.calls["fetch"] != 1 {
		t.Errorf("%d emulations and %d slow fetches for a loop of 5000 instructions, want 1 and 1", n, w.calls["fetch"])
	}
	// Change the loop's first instruction to a sub; the copy goes stale
	// until Invalidate, as cached code does after a mapping change.
	w.put32(code, opR(0x20, 0)(10, 10, 11)) // sub x10, x10, x11
	c.Invalidate(code, code+4096)
	c.PC, c.X[10], c.X[11] = code, 0, 10
	if _, e := runEmulating(t, c, w); e.Kind != ExitEbreak {
		t.Fatalf("exit %v", e)
	}
	if c.X[10] != ^uint64(54) { // -55
		t.Errorf("after Invalidate x10 = %d, want -55", int64(c.X[10]))
	}
	if w.calls["fetch"] != 2 {
		t.Errorf("%d slow fetches, want 2", w.calls["fetch"])
	}
}

// TestEmulateFetchAcrossChunks runs a 4-byte instruction that straddles a
// copied chunk and an ordinary page, in both orders, and one that
// straddles two copied chunks; and code the slow path says must not be
// kept (read through Fetch at every use).
func TestEmulateFetchAcrossChunks(t *testing.T) {
	for _, tc := range []struct {
		name       string
		copyPages  []uint64 // pages the host cannot read, of 0x40000 and 0x41000
		keep       bool
		wantFaults int
	}{
		{"copy then direct", []uint64{0x40000}, true, 1},
		{"direct then copy", []uint64{0x41000}, true, 1},
		{"copy then copy", []uint64{0x40000, 0x41000}, true, 2},
		{"not kept", []uint64{0x40000, 0x41000}, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSlowWindow(t)
			w.keep = tc.keep
			// 0x40ff6 c.addi x10, 1; 0x40ff8 addi x10, x10, 2;
			// 0x40ffc c.nop; 0x40ffe addi x10, x10, 4 (straddles the
			// pages); 0x41002 addi x10, x10, 8; 0x41006 ebreak.
			start := uint64(0x40ff6)
			*(*uint16)(unsafe.Pointer(&w.alias[start])) = 0x0505 // c.addi x10, 1
			w.put32(start+2, addi(10, 10, 2))
			*(*uint16)(unsafe.Pointer(&w.alias[start+6])) = 0x0001 // c.nop
			w.put32(start+8, addi(10, 10, 4))
			w.put32(start+12, addi(10, 10, 8))
			w.put32(start+16, ebreak())
			for _, p := range tc.copyPages {
				w.hostProtect(t, p, syscall.PROT_NONE)
			}
			c := NewCPU()
			c.PC = start
			n, e := runEmulating(t, c, w)
			if e.Kind != ExitEbreak || c.X[10] != 15 {
				t.Fatalf("exit %v, x10 = %d, want ebreak and 15", e, c.X[10])
			}
			if n != tc.wantFaults {
				t.Errorf("%d emulated fetches, want %d", n, tc.wantFaults)
			}
			if !tc.keep && w.calls["fetch"] < 8 {
				t.Errorf("%d slow fetches: code not kept must be read at each fetch", w.calls["fetch"])
			}
		})
	}
}

// TestEmulateConcurrentAtomics is TestConcurrentAtomics with the counters
// and the lock on a page the host cannot access: every AMO, LR, SC, load
// and store there is emulated, and the counters must still be exact.
func TestEmulateConcurrentAtomics(t *testing.T) {
	const (
		harts    = 4
		page     = 0x8000
		amoCtr   = page
		lrscCtr  = page + 0x40
		lockWord = page + 0x80
		plainCtr = page + 0xc0
	)
	iters := uint64(300)
	if testing.Short() {
		iters = 100
	}
	w := newSlowWindow(t)
	prog := []uint32{
		amo(0x00, 3, 0, 10, 13),          // amoadd.d x0, x13, (x10)
		amo(0x02, 2, 14, 11, 0),          // lr.w x14, (x11)
		addi(14, 14, 1),                  // addi x14, x14, 1
		amo(0x03, 2, 15, 11, 14),         // sc.w x15, x14, (x11)
		encB(-12, 0, 15, 1),              // bnez x15, lr
		amo(0x01, 2, 16, 17, 13) | 1<<26, // amoswap.w.aq x16, x13, (x17)
		encB(-4, 0, 16, 1),               // bnez x16, amoswap
		encI(0, 19, 3, 18, 0x03),         // ld x18, 0(x19)
		addi(18, 18, 1),                  // addi x18, x18, 1
		encS(0, 18, 19, 3, 0x23),         // sd x18, 0(x19)
		amo(0x01, 2, 0, 17, 0) | 1<<25,   // amoswap.w.rl x0, x0, (x17)
		addi(12, 12, -1),                 // addi x12, x12, -1
		encB(-48, 0, 12, 1),              // bnez x12, start
	}
	c0 := w.load(prog...)
	w.hostProtect(t, page, syscall.PROT_READ)
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
			if _, e := runEmulating(t, c, w); e.Kind != ExitEbreak {
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

// TestEmulateSlowBlocks checks the slow blocks: after one emulated store
// (and one load) in a block, the others there are made in software without
// a host fault, loads in a block where only stores were slow stay direct,
// a guest-forbidden page in the block still faults, and Invalidate drops
// the blocks.
func TestEmulateSlowBlocks(t *testing.T) {
	w := newSlowWindow(t)
	w.m.SlowBlock = 0x4000
	const (
		block = 0x20000 // [0x20000, 0x24000): host read-only
		other = 0x30000 // [0x30000, 0x34000): host inaccessible
	)
	for p := uint64(block); p < block+0x4000; p += 4096 {
		w.hostProtect(t, p, syscall.PROT_READ)
	}
	for p := uint64(other); p < other+0x4000; p += 4096 {
		w.hostProtect(t, p, syscall.PROT_NONE)
	}
	// x10 counts down; each round stores x10 at block+0x100 and at
	// block+0x2100 (another page of the block), loads both back into
	// x12/x13, and adds a load from the other block.
	prog := []uint32{
		encS(0x100, 10, 5, 3, 0x23), // sd x10, 0x100(x5)
		encS(0x100, 10, 6, 3, 0x23), // sd x10, 0x100(x6)
		encI(0x100, 5, 3, 12, 0x03), // ld x12, 0x100(x5)
		encI(0x100, 6, 3, 13, 0x03), // ld x13, 0x100(x6)
		encI(0x80, 7, 3, 14, 0x03),  // ld x14, 0x80(x7)
		opR(0, 0)(15, 15, 14),       // add x15, x15, x14
		opR(0, 0)(15, 15, 12),       // add x15, x15, x12
		addi(10, 10, -1),            // addi x10, x10, -1
		encB(-32, 0, 10, 1),         // bnez x10, start
	}
	w.put64(other+0x80, 1000)
	c := w.load(prog...)
	c.X[5], c.X[6], c.X[7], c.X[10] = block, block+0x2000, other, 100
	n, e := runEmulating(t, c, w)
	if e.Kind != ExitEbreak {
		t.Fatalf("exit %v", e)
	}
	if want := uint64(100*1000 + 100*101/2); c.X[15] != want || w.get64(block+0x2100) != 1 {
		t.Fatalf("x15 = %d (want %d), memory %d", c.X[15], want, w.get64(block+0x2100))
	}
	// One host fault for the stores and one for the loads of the other
	// block; the loads of the read-only block are direct.
	if n != 2 || w.calls["store"] != 200 || w.calls["load"] != 100 {
		t.Errorf("%d emulations after a host fault, %d slow stores, %d slow loads; want 2, 200, 100", n, w.calls["store"], w.calls["load"])
	}

	// A page of the block the guest may not write: the slow store fails
	// and the fault is reported there.
	w.deny[block+0x3000] = true
	c2 := w.load(encS(0, 10, 5, 3, 0x23)) // sd x10, 0(x5)
	c2.slow = c.slow
	c2.bind(&w.m)
	c2.X[5], c2.X[10] = block+0x3008, 7
	if _, e := runEmulating(t, c2, w); e.Kind != ExitStoreFault || e.Addr != block+0x3008 || !e.Host {
		t.Errorf("store to a forbidden page of the block: %v (host %v)", e, e.Host)
	}

	// Invalidate drops the blocks: the next store faults on the host.
	w.load(prog...)
	c.Invalidate(0, 1)
	c.PC, c.X[10] = w.code, 1
	n, e = runEmulating(t, c, w)
	if e.Kind != ExitEbreak || n != 2 {
		t.Errorf("after Invalidate: exit %v, %d emulations after a host fault; want ebreak and 2", e, n)
	}
}
