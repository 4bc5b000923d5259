package guestmem

import (
	"fmt"
	"math/bits"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Config describes a guest address space. The zero value is a 64-bit guest
// with 4 KiB pages on the real host page size.
type Config struct {
	// GuestPageSize is G, the page size the guest sees (AT_PAGESZ): a power
	// of two from 4 KiB to 64 KiB. 0 means 4 KiB.
	GuestPageSize uint64
	// HostPageSize is H, the granularity of host operations: the real host
	// page size or a larger power of two (to exercise a larger-page host's
	// code paths). 0 means the real host page size.
	HostPageSize uint64
	// AddressBits is the size of the guest address space, 2^AddressBits
	// bytes. 0 means 38 (riscv64 Sv39 user space).
	AddressBits uint
	// StackTop is the top of the guest stack (the end of the guest's user
	// address space). 0 means 2^AddressBits.
	StackTop Addr
	// MmapBase is where top-down address choice starts. 0 means Linux's
	// default: StackTop minus the stack gap (stack rlimit plus guard gap,
	// clamped to at least 128 MiB).
	MmapBase Addr
	// MinAddr is the guest's mmap_min_addr: nothing is placed below it and
	// MAP_FIXED below it fails with EPERM. 0 means 65536.
	MinAddr Addr
	// MaxMapCount is the guest's vm.max_map_count. 0 means 65530.
	MaxMapCount int
	// Logf, if set, receives debug messages (why the host refused
	// something, which fallback was taken).
	Logf func(format string, args ...any)
}

const (
	defaultAddressBits = 38
	defaultMinAddr     = 65536
	defaultMaxMapCount = 65530
	defaultStackLimit  = 8 << 20
	minStackGap        = 128 << 20
	// guardGapPages is Linux's stack_guard_gap in pages.
	guardGapPages = 256
)

// Space is a guest address space: one reserved host window and the set of
// guest mappings inside it. It is safe for concurrent use.
type Space struct {
	// mu is the address space lock (Linux's mmap_lock): held for writing by
	// every operation that changes mappings, for reading by lookups and
	// access checks.
	mu sync.RWMutex

	// base and size locate the window: guest address a is host address
	// base+a for a < size. Immutable.
	base uintptr
	size uint64

	// guestPage (G), hostPage (H) and realHostPage (R). Immutable.
	guestPage, hostPage, realHostPage uint64

	// Layout. Immutable.
	stackTop, mmapBase, minAddr, legacyBase Addr
	maxMapCount                             int

	// vmas is the set of guest mappings. Guarded by mu.
	vmas vmaSet

	// files are the shared host descriptors of file backings, by identity
	// and access mode. Guarded by mu.
	files map[fileKey]*backing

	// brkStart is where the heap begins, brk the current break; brkSet is
	// false until SetBrkBase. Guarded by mu.
	brkStart, brk Addr
	brkSet        bool

	// lockFuture is the mlockall(MCL_FUTURE) state: flags given to new
	// mappings. Guarded by mu.
	lockFuture vmFlags

	// codePages holds the guest pages write-protected on the host because
	// the CPU caches code from them (ProtectCode). Guarded by mu.
	codePages map[Addr]struct{}

	// pending collects ranges to announce to the invalidation callbacks
	// once mu is released. Guarded by mu.
	pending []Range

	// invalidate are the registered callbacks. Guarded by cbMu.
	cbMu       sync.Mutex
	invalidate []func(Range)

	// memFD is /proc/self/mem, open for the slow accesses. Immutable.
	memFD int

	// pagemapFD is /proc/self/pagemap with G < H (-1 otherwise), to tell
	// a private file page still showing the file from one written since
	// (cowedLocked). Immutable.
	pagemapFD int

	// dirty holds, with G < H, the host pages that an operation in
	// progress left for settleLocked to rebuild, by host page address
	// (see mixed.go). Empty between operations. Guarded by mu.
	dirty map[Addr]*dirtyPage

	// whole holds, with G < H, ranges of host pages that the current
	// operation has already made exactly what the mapping set will say
	// (the inside of a move's target): they need no rebuild, and a record
	// made for them from the mappings they held before would describe a
	// host page that is no longer there. Guarded by mu; empty between
	// operations.
	whole []Range

	// refused counts the operations refused because no host mapping can
	// hold what they ask for (G < H only, see mixed.go). Guarded by mu.
	refused int

	// lockFailed is set, with G < H, once a lock in the current operation
	// failed to fault a page in: Linux faults in nothing after it in that
	// call (smallMlock). Cleared by unlock(). Guarded by mu.
	lockFailed bool

	// slots holds, with G < H, the mixed host pages of private memory
	// moved into a memory file for fast slow accesses (slots.go).
	// Guarded by mu.
	slots slotSet

	// probe makes operations that could be refused with G < H stop,
	// unchanged, where they would start changing anything (gateLocked).
	// Set by tests only. Guarded by mu.
	probe bool

	logf func(format string, args ...any)
}

// New reserves the host window and returns an empty address space.
func New(cfg Config) (*Space, error) {
	real := uint64(os.Getpagesize())
	g := cfg.GuestPageSize
	if g == 0 {
		g = 4096
	}
	if g < 4096 || g > 65536 || g&(g-1) != 0 {
		return nil, fmt.Errorf("guestmem: guest page size %d: not a power of two from 4 KiB to 64 KiB", g)
	}
	h := cfg.HostPageSize
	if h == 0 {
		h = real
	}
	if h < real || h&(h-1) != 0 {
		return nil, fmt.Errorf("guestmem: host page size %d: not a power of two at least %d", h, real)
	}
	bitsN := cfg.AddressBits
	if bitsN == 0 {
		bitsN = defaultAddressBits
	}
	if bitsN < 24 || bitsN > 47 {
		return nil, fmt.Errorf("guestmem: %d address bits: want 24 to 47", bitsN)
	}
	size := uint64(1) << bitsN
	s := &Space{
		size:         size,
		guestPage:    g,
		hostPage:     h,
		realHostPage: real,
		maxMapCount:  cfg.MaxMapCount,
		files:        make(map[fileKey]*backing),
		codePages:    make(map[Addr]struct{}),
		logf:         cfg.Logf,
	}
	if s.maxMapCount == 0 {
		s.maxMapCount = defaultMaxMapCount
	}
	s.vmas.guard = guardGapPages * g
	if g < h {
		s.vmas.hostPage = h
	}
	s.stackTop = cfg.StackTop
	if s.stackTop == 0 || uint64(s.stackTop) > size {
		s.stackTop = Addr(size)
	}
	s.minAddr = cfg.MinAddr
	if s.minAddr == 0 {
		s.minAddr = defaultMinAddr
	}
	s.minAddr = Addr(alignUp(uint64(s.minAddr), g))
	s.mmapBase = cfg.MmapBase
	if s.mmapBase == 0 {
		// Linux: gap = stack rlimit + guard gap, clamped to [128 MiB,
		// 5/6 of the space].
		gap := uint64(defaultStackLimit) + s.vmas.guard
		gap = max(gap, minStackGap)
		gap = min(gap, uint64(s.stackTop)/6*5)
		s.mmapBase = s.stackTop - Addr(gap)
	}
	s.mmapBase = Addr(alignDown(uint64(s.mmapBase), g))
	// Linux's bottom-up fallback starts at a third of the space.
	s.legacyBase = Addr(alignDown(uint64(s.stackTop)/3, g))

	p, _, e := unix.Syscall6(unix.SYS_MMAP, 0, uintptr(size), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE, ^uintptr(0), 0)
	if e != 0 {
		return nil, fmt.Errorf("guestmem: reserving a %d-bit window: %w", bitsN, e)
	}
	s.base = p
	fd, err := unix.Open("/proc/self/mem", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Syscall(unix.SYS_MUNMAP, p, uintptr(size), 0)
		return nil, fmt.Errorf("guestmem: opening /proc/self/mem: %w", err)
	}
	s.memFD = fd
	s.pagemapFD = -1
	s.slots.fd = -1
	if s.small() {
		fd, err := unix.Open("/proc/self/pagemap", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(s.memFD)
			unix.Syscall(unix.SYS_MUNMAP, p, uintptr(size), 0)
			return nil, fmt.Errorf("guestmem: opening /proc/self/pagemap: %w", err)
		}
		s.pagemapFD = fd
	}
	return s, nil
}

// Close releases the host window and every host resource the Space holds.
// The Space must not be used afterwards.
func (s *Space) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == 0 {
		return nil
	}
	for v := s.vmas.first; v != nil; v = v.next {
		s.unrefBacking(v.file)
	}
	s.vmas = vmaSet{}
	_, _, e := unix.Syscall(unix.SYS_MUNMAP, s.base, uintptr(s.size), 0)
	s.closeSlots()
	unix.Close(s.memFD)
	if s.pagemapFD >= 0 {
		unix.Close(s.pagemapFD)
	}
	s.base = 0
	return errnoOf(e)
}

// GuestPageSize returns G.
func (s *Space) GuestPageSize() uint64 { return s.guestPage }

// HostPageSize returns H.
func (s *Space) HostPageSize() uint64 { return s.hostPage }

// Base returns the host address of guest address 0.
func (s *Space) Base() uintptr { return s.base }

// Size returns the size of the window: guest addresses are below Size.
func (s *Space) Size() uint64 { return s.size }

// MmapBase returns where top-down address choice starts.
func (s *Space) MmapBase() Addr { return s.mmapBase }

// StackTop returns the top of the guest's user address space.
func (s *Space) StackTop() Addr { return s.stackTop }

// MapCount returns the number of guest mappings.
func (s *Space) MapCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vmas.count
}

// lock takes mu for writing; unlock releases it and then announces the
// ranges that changed meanwhile to the invalidation callbacks.
func (s *Space) lock() { s.mu.Lock() }

func (s *Space) unlock() {
	if len(s.dirty) > 0 {
		s.settleLocked()
	}
	s.whole = nil
	s.lockFailed = false
	inv := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(inv) == 0 {
		return
	}
	s.cbMu.Lock()
	cbs := s.invalidate
	s.cbMu.Unlock()
	for _, fn := range cbs {
		for _, r := range inv {
			fn(r)
		}
	}
}

// changedLocked records that mappings in r changed.
// Preconditions: s.mu is held for writing.
func (s *Space) changedLocked(r Range) {
	if r.empty() {
		return
	}
	if n := len(s.pending); n > 0 && s.pending[n-1].End == r.Start {
		s.pending[n-1].End = r.End
		return
	}
	s.pending = append(s.pending, r)
}

// OnInvalidate registers fn, called with a guest range (with no lock held)
// whenever mappings there change: map, unmap, remap, or a protection change
// that drops EXEC. The CPU uses it to drop cached decoded code.
func (s *Space) OnInvalidate(fn func(Range)) {
	s.cbMu.Lock()
	s.invalidate = append(s.invalidate, fn)
	s.cbMu.Unlock()
}

func (s *Space) debugf(format string, args ...any) {
	if s.logf != nil {
		s.logf(format, args...)
	}
}

// pageAligned reports whether a is a multiple of G.
func (s *Space) pageAligned(a uint64) bool { return a&(s.guestPage-1) == 0 }

// pageAlignLen rounds n up to G; ok is false on overflow (Linux's
// PAGE_ALIGN wrapping to 0).
func (s *Space) pageAlignLen(n uint64) (uint64, bool) {
	r := alignUp(n, s.guestPage)
	return r, r >= n && r != 0
}

// log2 of a power of two.
func log2(x uint64) uint { return uint(bits.TrailingZeros64(x)) }
