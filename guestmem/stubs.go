package guestmem

// This file lists the public API while it is being implemented. Each method
// moves to its own file as it lands.

import (
	"io"

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

// Space is a guest address space: one reserved host window and the set of
// guest mappings inside it.
type Space struct{}

// New reserves the host window and returns an empty address space.
func New(cfg Config) (*Space, error) { return nil, unix.ENOSYS }

// Close releases the host window. The Space must not be used afterwards.
func (s *Space) Close() error { return nil }

// GuestPageSize returns G.
func (s *Space) GuestPageSize() uint64 { return 0 }

// HostPageSize returns H.
func (s *Space) HostPageSize() uint64 { return 0 }

// Base returns the host address of guest address 0.
func (s *Space) Base() uintptr { return 0 }

// Size returns the size of the window: guest addresses are below Size.
func (s *Space) Size() uint64 { return 0 }

// Mmap implements mmap(2). fd is a host file descriptor (ignored for
// anonymous mappings); offset is in bytes.
func (s *Space) Mmap(addr Addr, length uint64, prot, flags int, fd int, offset int64) (Addr, unix.Errno) {
	return 0, unix.ENOSYS
}

// Munmap implements munmap(2).
func (s *Space) Munmap(addr Addr, length uint64) unix.Errno { return unix.ENOSYS }

// Mprotect implements mprotect(2).
func (s *Space) Mprotect(addr Addr, length uint64, prot int) unix.Errno { return unix.ENOSYS }

// Mremap implements mremap(2).
func (s *Space) Mremap(oldAddr Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, unix.Errno) {
	return 0, unix.ENOSYS
}

// Msync implements msync(2).
func (s *Space) Msync(addr Addr, length uint64, flags int) unix.Errno { return unix.ENOSYS }

// Madvise implements madvise(2).
func (s *Space) Madvise(addr Addr, length uint64, advice int) unix.Errno { return unix.ENOSYS }

// Mincore implements mincore(2): vec receives one byte per guest page
// (bit 0 set when resident) and must hold at least that many bytes.
func (s *Space) Mincore(addr Addr, length uint64, vec []byte) unix.Errno { return unix.ENOSYS }

// Mlock implements mlock2(2) (mlock is flags == 0).
func (s *Space) Mlock(addr Addr, length uint64, flags int) unix.Errno { return unix.ENOSYS }

// Munlock implements munlock(2).
func (s *Space) Munlock(addr Addr, length uint64) unix.Errno { return unix.ENOSYS }

// Mlockall implements mlockall(2).
func (s *Space) Mlockall(flags int) unix.Errno { return unix.ENOSYS }

// Munlockall implements munlockall(2).
func (s *Space) Munlockall() unix.Errno { return unix.ENOSYS }

// SetBrkBase sets the initial program break (the loader calls it with the
// end of the highest loaded segment). It must be called before Brk.
func (s *Space) SetBrkBase(base Addr) {}

// Brk implements brk(2): it returns the new break, or the current one when
// the request cannot be met (brk(0) returns the current break).
func (s *Space) Brk(addr Addr) Addr { return 0 }

// SetName names the mappings in r ("[stack]", "[heap]", "[vdso]").
func (s *Space) SetName(r Range, name string) unix.Errno { return unix.ENOSYS }

// Lookup returns the mapping containing a.
func (s *Space) Lookup(a Addr) (Mapping, bool) { return Mapping{}, false }

// Mappings returns every mapping in address order.
func (s *Space) Mappings() []Mapping { return nil }

// Translate returns the host address of guest range [a, a+n), or false if
// any of it lies outside the window. It checks bounds only.
func (s *Space) Translate(a Addr, n uint64) (uintptr, bool) { return 0, false }

// CheckAccess reports EFAULT unless every byte of [a, a+n) is mapped with
// the given access, as Linux's checks on a syscall buffer would.
func (s *Space) CheckAccess(a Addr, n uint64, acc Access) unix.Errno { return unix.ENOSYS }

// Slice returns guest memory [a, a+n) as a byte slice after CheckAccess, for
// host syscalls on guest buffers. A concurrent unmap can still make later
// accesses fault; use CopyIn/CopyOut where that matters.
func (s *Space) Slice(a Addr, n uint64, acc Access) ([]byte, unix.Errno) { return nil, unix.ENOSYS }

// CopyIn copies guest memory at a into dst. It never crashes: a bad guest
// pointer gives EFAULT.
func (s *Space) CopyIn(dst []byte, a Addr) unix.Errno { return unix.ENOSYS }

// CopyOut copies src to guest memory at a, with the guest's write
// permission checked. It never crashes: a bad guest pointer gives EFAULT.
func (s *Space) CopyOut(a Addr, src []byte) unix.Errno { return unix.ENOSYS }

// ClassifyFault maps a host fault address to the guest fault it means. ok
// is false when hostAddr is outside the window.
func (s *Space) ClassifyFault(hostAddr uintptr, acc Access) (f Fault, ok bool) { return Fault{}, false }

// OnInvalidate registers fn, called with a guest range (with no lock held)
// whenever mappings there change: map, unmap, remap, or a protection change
// that drops EXEC. The CPU uses it to drop cached decoded code.
func (s *Space) OnInvalidate(fn func(Range)) {}

// ProtectCode write-protects, on the host only, the guest pages in r that
// hold code the CPU has cached, so that a guest store there faults and
// ResolveCodeWrite can drop the cached code. The guest still sees the pages
// writable.
func (s *Space) ProtectCode(r Range) {}

// ResolveCodeWrite handles a host write fault at hostAddr: if it hit a page
// protected by ProtectCode that the guest may write, it restores host write
// access, fires the invalidation callback for that page and returns true
// (retry the store). Otherwise it returns false.
func (s *Space) ResolveCodeWrite(hostAddr uintptr) bool { return false }

// WriteProcMaps writes the guest's /proc/self/maps.
func (s *Space) WriteProcMaps(w io.Writer) error { return nil }

// CheckInvariants verifies the bookkeeping's own invariants and that it
// agrees with the host's /proc/self/maps for the window. Tests call it after
// every operation.
func (s *Space) CheckInvariants() error { return nil }
