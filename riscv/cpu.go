package riscv

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
	"unsafe"
)

// Memory describes the guest address space as the CPU sees it: one
// contiguous host window where guest address a lives at host address
// Base+a, for a < Size. The memory manager owns the window; the CPU only
// reads and writes it.
type Memory struct {
	Base uintptr // host address of guest address 0
	Size uint64  // guest addresses are < Size

	// CanExec reports whether the guest page containing addr is
	// executable, and the extent [lo,hi) of guest memory for which that
	// answer holds, so the CPU can cache it until Invalidate. It must be
	// safe to call from any goroutine. A nil CanExec makes all of
	// [0,Size) executable (tests, simple embedders).
	CanExec func(addr uint64) (ok bool, lo, hi uint64)

	// Slow makes the accesses that the guest may make but the host MMU
	// refuses (see CPU.Emulate). Nil: every host fault is a guest fault.
	Slow SlowMemory
	// SlowBlock is the size (a power of two) of the aligned blocks the
	// host protects as one, its page size. Once an access of a kind
	// (load or store) had to be emulated in a block, the CPU makes that
	// kind's further accesses there in software at once, without a host
	// fault, until Invalidate. Zero means 4096.
	SlowBlock uint64
}

// SlowMemory makes guest memory accesses in software, for the pages where
// the host's protection is stricter than the guest's (an execute-only
// page, or a host page shared by guest pages of different protections).
// Each method reports false if the guest may not make the access; the CPU
// then reports a fault. It must be safe for concurrent use by the CPUs
// sharing a Memory.
type SlowMemory interface {
	// Load reads len(b) bytes of guest memory at a.
	Load(a uint64, b []byte) bool
	// Store writes b to guest memory at a.
	Store(a uint64, b []byte) bool
	// Update reads len(b) bytes at a into b, calls update, and writes b
	// back if update returns true, atomically with respect to every
	// other access to those bytes (AMOs and SC).
	Update(a uint64, b []byte, update func(b []byte) bool) bool
	// Fetch reads instruction bytes at a. keep reports whether the CPU
	// may keep a copy of them until Invalidate tells it that the range
	// changed; it must be false if the bytes can change without an
	// Invalidate (a shared mapping another process may write).
	Fetch(a uint64, b []byte) (keep, ok bool)
}

// Reservation is the LR/SC reservation set of one hart.
type Reservation struct {
	Valid bool
	Size  uint8  // 4 or 8
	Addr  uint64 // guest address of the reserved word
	Value uint64 // value LR loaded (zero-extended); SC compares against it
}

// State is the architectural state of one hart: plain data that the Linux
// layer copies into and out of a signal frame (or a new thread).
type State struct {
	X    [32]uint64 // integer registers; X[0] reads as zero
	F    [32]uint64 // FP registers; single values are NaN-boxed
	PC   uint64
	FCSR uint32 // fflags in bits 4:0, frm in bits 7:5
	Res  Reservation
}

// FP exception flags (fflags bits).
const (
	FlagNX = 1 << 0 // inexact
	FlagUF = 1 << 1 // underflow
	FlagOF = 1 << 2 // overflow
	FlagDZ = 1 << 3 // divide by zero
	FlagNV = 1 << 4 // invalid operation
)

// ExitKind says why Run returned.
type ExitKind uint8

const (
	// ExitStepLimit: maxSteps instructions retired. PC is the next one.
	ExitStepLimit ExitKind = iota
	// ExitEcall: PC points at the ecall; the handler advances it by 4.
	ExitEcall
	// ExitEbreak: PC points at the ebreak (Len tells 2 or 4 bytes).
	ExitEbreak
	// ExitIllegal: Inst holds the instruction bits.
	ExitIllegal
	// ExitFetchFault: instruction fetch at Addr is not allowed
	// (unmapped, not executable, or outside the window).
	ExitFetchFault
	// ExitLoadFault: a load (or LR) at Addr faulted.
	ExitLoadFault
	// ExitStoreFault: a store, SC or AMO at Addr faulted.
	ExitStoreFault
	// ExitMisaligned: an LR/SC/AMO address (Addr) is not naturally
	// aligned, or PC is odd; Access says which.
	ExitMisaligned
	// ExitInterrupted: Interrupt was called; PC is the next instruction.
	ExitInterrupted
)

var exitNames = [...]string{"step limit", "ecall", "ebreak", "illegal instruction",
	"fetch fault", "load fault", "store fault", "misaligned", "interrupted"}

func (k ExitKind) String() string {
	if int(k) < len(exitNames) {
		return exitNames[k]
	}
	return fmt.Sprintf("ExitKind(%d)", k)
}

// Access is the kind of memory access that faulted.
type Access uint8

const (
	AccessRead Access = iota
	AccessWrite
	AccessFetch
)

// Exit describes why Run stopped. The CPU state is the architectural state
// before the instruction at PC (except for ExitStepLimit and
// ExitInterrupted, where that instruction has not started either).
type Exit struct {
	Kind   ExitKind
	PC     uint64 // guest PC of the instruction concerned
	Addr   uint64 // faulting guest address (faults, misaligned)
	Access Access // faults and misaligned
	// Host is set when the fault is inside the window and the memory
	// manager's to classify: the host MMU refused the access, or a slow
	// access (Emulate) failed there.
	Host bool
	Inst uint32 // raw instruction bits, when fetched
	Len  uint8  // instruction length, when fetched
}

func (e Exit) String() string {
	switch e.Kind {
	case ExitFetchFault, ExitLoadFault, ExitStoreFault, ExitMisaligned:
		return fmt.Sprintf("%v at pc=%#x addr=%#x", e.Kind, e.PC, e.Addr)
	}
	return fmt.Sprintf("%v at pc=%#x inst=%#x", e.Kind, e.PC, e.Inst)
}

// CPU is one hart. Its State is exported; the rest is private caches.
// A CPU is used by one goroutine at a time, except Invalidate and
// Interrupt, which any goroutine may call.
type CPU struct {
	State

	// Instret counts retired instructions (read by the cycle and
	// instret CSRs).
	Instret uint64
	// Time returns the value of the time CSR. Nil means a 10 MHz clock
	// counting from the CPU's creation (as QEMU's virt board).
	Time func() uint64

	// Per-Run copies of the Memory, for the hot path.
	mem  *Memory
	base unsafe.Pointer
	size uint64

	// [execLo, execHi) is known executable. Reset when attention has
	// attnInvalidate set.
	execLo, execHi uint64
	// [fastLo, fastHi) is the part of [execLo, execHi) around the last
	// fetch that the run loop reads directly: no code copy lies in it.
	// With no copies it is the executable range.
	fastLo, fastHi uint64

	// copies holds the code the host cannot read (codecopy.go).
	copies codeCopies

	// slow[acc] are the slow blocks for accesses of kind acc
	// (AccessRead, AccessWrite): the last two blocks where such an access
	// was emulated, where it is made in software at once rather than
	// after a host fault (emulate.go). Dropped on Invalidate.
	slow [2]slowBlocks
	// emuWord is set while Emulate executes an instruction: at hands it
	// out instead of the window (every access is then "slow"). It points
	// into emuBuf, the emulated access.
	emuWord unsafe.Pointer
	emuBuf  emulation

	// attention is set by other goroutines: attnInvalidate by
	// Invalidate, attnInterrupt by Interrupt.
	attention atomic.Uint32

	// stage is stageFetch while the run loop fetches, so that a host
	// fault can be attributed to the fetch; otherwise cur is the icache
	// index of the instruction being executed.
	stage uint8
	cur   uint32

	// icache holds decoded instructions, direct-mapped by PC; an entry
	// is used only if its instruction word equals the one fetched.
	icache *[icacheSize]icacheEntry

	// exitAddr and exitAccess detail a fault or misaligned exit;
	// exitSize is the size of a data access that at did not make.
	exitAddr   uint64
	exitAccess Access
	exitSize   uint64

	start time.Time
}

const (
	attnInvalidate = 1 << 0
	attnInterrupt  = 1 << 1
	attnCopies     = 1 << 2 // only code copies are to be dropped
)

const icacheSize = 1 << 12

type icacheEntry struct {
	pc uint64
	in Inst
}

const (
	stageExec  = 0
	stageFetch = 1
)

// NewCPU returns a CPU with zeroed state.
func NewCPU() *CPU {
	return &CPU{start: time.Now(), icache: new([icacheSize]icacheEntry)}
}

// Invalidate tells the CPU that the mappings of guest range [lo,hi) changed
// (unmapped, remapped, lost EXEC, or code there was modified), so cached
// executability and copied code for it must be dropped. Safe to call from
// any goroutine; takes effect before the CPU's next instruction fetch.
// (The CPU caches a single executable range, so any call drops it whole;
// decoded instructions need no invalidation, as each is checked against
// the word fetched. Code copies are dropped where they overlap [lo,hi).)
func (c *CPU) Invalidate(lo, hi uint64) {
	c.copies.noteInvalid(lo, hi)
	c.attention.Or(attnInvalidate)
}

// CodeWritten tells the CPU that guest memory [lo,hi) was written where the
// host MMU does not see it (a slow store, or a copy into a page the host may
// not write): copies of code it holds there (made by Emulate for a fetch)
// are dropped before its next instruction fetch. It costs an atomic load
// when the CPU holds no copy there. Safe from any goroutine.
func (c *CPU) CodeWritten(lo, hi uint64) {
	if c.copies.noteInvalid(lo, hi) {
		c.attention.Or(attnCopies)
	}
}

// Interrupt makes Run return ExitInterrupted at the next instruction
// boundary (for signal delivery or thread exit). Safe from any goroutine.
// The request stays pending until Run sees it.
func (c *CPU) Interrupt() {
	c.attention.Or(attnInterrupt)
}

// Run executes guest code from c.PC until an exit, or until maxSteps
// instructions have retired (0 means no limit). Host faults on guest memory
// are turned into ExitFetchFault, ExitLoadFault or ExitStoreFault.
func (c *CPU) Run(mem *Memory, maxSteps uint64) (exit Exit) {
	c.bind(mem)
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			exit = c.hostFault(f.Addr(), r)
		}
	}()
	return c.run(maxSteps)
}

// bind makes mem the Memory the CPU runs on.
func (c *CPU) bind(mem *Memory) {
	if c.mem != mem {
		c.mem = mem
		c.dropExecCache()
		c.copies.dropAll()
	}
	// Memory.Base is a host address outside the Go heap; reinterpret the
	// field rather than converting a uintptr expression.
	c.base = *(*unsafe.Pointer)(unsafe.Pointer(&mem.Base))
	c.size = mem.Size
	if c.icache == nil {
		c.icache = new([icacheSize]icacheEntry)
	}
}

// dropExecCache forgets the cached executable and direct-fetch ranges,
// and the slow blocks.
func (c *CPU) dropExecCache() {
	c.execLo, c.execHi = 0, 0
	c.fastLo, c.fastHi = 0, 0
	c.slow = [2]slowBlocks{}
}

// takeInvalidations acts on Invalidate calls made since the last time:
// the executable range is looked up again and the code copies overlapping
// the ranges are dropped.
func (c *CPU) takeInvalidations() {
	c.attention.And(^uint32(attnInvalidate | attnCopies))
	c.dropExecCache()
	c.copies.applyInvalid()
}

// hostFault turns a recovered host fault into the guest exit. A fault
// outside the window is a bug in gemu and panics again.
func (c *CPU) hostFault(hostAddr uintptr, r any) Exit {
	off := uint64(hostAddr - c.mem.Base)
	if hostAddr < c.mem.Base || off >= c.size {
		panic(r)
	}
	e := Exit{PC: c.PC, Addr: off, Host: true}
	if c.stage == stageFetch {
		e.Kind, e.Access = ExitFetchFault, AccessFetch
		return e
	}
	in := &c.icache[c.cur].in
	e.Inst, e.Len = in.Raw, in.Len
	if isStoreOp(in.Op) {
		e.Kind, e.Access = ExitStoreFault, AccessWrite
	} else {
		e.Kind, e.Access = ExitLoadFault, AccessRead
	}
	return e
}

func isStoreOp(op Op) bool {
	switch op {
	case SB, SH, SW, SD, FSW, FSD:
		return true
	}
	return op >= SC_W && op <= AMOMAXU_D && op != LR_D
}

// fetchSlow checks that [pc, pc+n) is executable, refreshing the cached
// range, and reports the first guest address that is not.
func (c *CPU) fetchSlow(pc uint64, n uint64) (ok bool, bad uint64) {
	if c.attention.Load()&(attnInvalidate|attnCopies) != 0 {
		c.takeInvalidations()
	}
	for a := pc; a < pc+n; {
		if a >= c.execLo && a < c.execHi {
			a = c.execHi
			continue
		}
		if a >= c.size {
			return false, a
		}
		lo, hi := uint64(0), c.size
		if c.mem.CanExec != nil {
			var x bool
			x, lo, hi = c.mem.CanExec(a)
			if !x {
				return false, a
			}
			if hi > c.size {
				hi = c.size
			}
			if lo > a || hi <= a { // a confused answer: trust only a's page
				lo, hi = a, a+1
			}
		}
		c.execLo, c.execHi = lo, hi
		c.fastLo, c.fastHi = 0, 0
		a = hi
	}
	return true, 0
}

// fetch reads the instruction at pc when the run loop's direct read does
// not apply: pc is outside the direct range, or in code the CPU holds a
// copy of. It returns the exit to take if the fetch is not allowed.
func (c *CPU) fetch(pc uint64) (uint32, *Exit) {
	if pc&1 != 0 {
		return 0, &Exit{Kind: ExitMisaligned, PC: pc, Addr: pc, Access: AccessFetch}
	}
	lo, ok := c.fetchHalf(pc)
	if !ok {
		return 0, &Exit{Kind: ExitFetchFault, PC: pc, Addr: c.exitAddr, Access: AccessFetch}
	}
	if lo&3 != 3 {
		return uint32(lo), nil
	}
	hi, ok := c.fetchHalf(pc + 2)
	if !ok {
		return 0, &Exit{Kind: ExitFetchFault, PC: pc, Addr: c.exitAddr, Access: AccessFetch}
	}
	return uint32(lo) | uint32(hi)<<16, nil
}

// fetchHalf reads the 16-bit parcel of code at a (even): from a code copy
// if the CPU holds one there, otherwise from the window, where a host
// fault panics and Run reports it as a fetch fault. ok is false, with
// c.exitAddr set, if a is not executable.
func (c *CPU) fetchHalf(a uint64) (v uint16, ok bool) {
	if a < c.execLo || a+2 > c.execHi {
		if ok, bad := c.fetchSlow(a, 2); !ok {
			c.exitAddr = bad
			return 0, false
		}
	}
	if c.copies.count() > 0 {
		if ch := c.copies.find(a); ch != nil {
			return c.copies.read16(c.mem.Slow, ch, a, &c.exitAddr)
		}
	}
	if a < c.fastLo || a+2 > c.fastHi {
		c.fastLo, c.fastHi = c.copies.around(a, c.execLo, c.execHi)
	}
	return *(*uint16)(unsafe.Add(c.base, a)), true
}

func (c *CPU) timeCSR() uint64 {
	if c.Time != nil {
		return c.Time()
	}
	return uint64(time.Since(c.start) / 100)
}
