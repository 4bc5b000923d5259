package guestmem

import "fmt"

// Addr is a guest virtual address. Host addresses are uintptr and never
// share this type.
type Addr uint64

// Range is the guest address range [Start, End).
type Range struct {
	Start, End Addr
}

// Len returns the length of r in bytes.
func (r Range) Len() uint64 { return uint64(r.End - r.Start) }

// Contains reports whether a lies in r.
func (r Range) Contains(a Addr) bool { return r.Start <= a && a < r.End }

// Overlaps reports whether r and o share at least one byte.
func (r Range) Overlaps(o Range) bool { return r.Start < o.End && o.Start < r.End }

// Intersect returns the common part of r and o (empty if none).
func (r Range) Intersect(o Range) Range {
	s, e := max(r.Start, o.Start), min(r.End, o.End)
	if s >= e {
		return Range{}
	}
	return Range{s, e}
}

func (r Range) String() string { return fmt.Sprintf("[%#x, %#x)", uint64(r.Start), uint64(r.End)) }

// Access is a kind of memory access, as checked by CheckAccess.
type Access uint8

const (
	AccessRead  Access = 1
	AccessWrite Access = 2
	AccessExec  Access = 4
)

// Mapping is a snapshot of one guest mapping (VMA), as Lookup and Mappings
// return it.
type Mapping struct {
	Range
	// Prot is the guest protection: ProtRead|ProtWrite|ProtExec bits.
	Prot int
	// Shared is true for MAP_SHARED mappings (and SysV shm attachments).
	Shared bool
	// Anonymous is true when no file backs the mapping (shared anonymous
	// mappings are backed by an emulator-private memory file, but report
	// true here and "/dev/zero (deleted)" in /proc/self/maps, as Linux does).
	Anonymous bool
	// Path, Offset, Dev and Inode describe the backing file, if any. Offset
	// is the file offset of Start.
	Path   string
	Offset uint64
	Dev    uint64
	Inode  uint64
	// Name is the name shown for a special mapping: "[heap]", "[stack]",
	// "[vdso]", or "" for none.
	Name string
	// Locked is true after mlock or MAP_LOCKED; GrowsDown after
	// MAP_GROWSDOWN.
	Locked, GrowsDown bool
	// DontFork, WipeOnFork and DontDump reflect the madvise flags.
	DontFork, WipeOnFork, DontDump bool
}

// Fault is the guest view of a host fault on the window, as ClassifyFault
// reports it.
type Fault struct {
	// Addr is the guest address that faulted.
	Addr Addr
	// Signal is SIGSEGV or SIGBUS.
	Signal int
	// Code is the si_code: SegvMapErr or SegvAccErr for SIGSEGV, BusAdrErr
	// for SIGBUS.
	Code int
	// Emulate is set (with Signal 0) when the guest may make the access
	// but the host page does not allow it: an instruction fetch from an
	// execute-only page, or with G < H any access to a host page another
	// guest page in it makes more restrictive. The CPU makes the access
	// through FetchSlow, LoadSlow or StoreSlow instead.
	Emulate bool
}
