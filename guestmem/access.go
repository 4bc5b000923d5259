package guestmem

import (
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// Lookup returns the mapping containing a.
func (s *Space) Lookup(a Addr) (Mapping, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.vmas.find(a)
	if v == nil {
		return Mapping{}, false
	}
	return s.snapshot(v), true
}

// Mappings returns every mapping in address order.
func (s *Space) Mappings() []Mapping {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Mapping, 0, s.vmas.count)
	for v := s.vmas.first; v != nil; v = v.next {
		out = append(out, s.snapshot(v))
	}
	return out
}

func (s *Space) snapshot(v *vma) Mapping {
	m := Mapping{
		Range:      v.rng(),
		Prot:       v.prot,
		Shared:     v.shared,
		Anonymous:  v.file == nil || v.file.anonShared,
		Name:       s.nameOf(v),
		Locked:     v.flags&vmLocked != 0,
		GrowsDown:  v.flags&vmGrowsDown != 0,
		DontFork:   v.flags&vmDontFork != 0,
		WipeOnFork: v.flags&vmWipeOnFork != 0,
		DontDump:   v.flags&vmDontDump != 0,
	}
	if v.file != nil {
		m.Path, m.Offset, m.Dev, m.Inode = v.file.path, v.off, v.file.dev, v.file.ino
	}
	return m
}

// Translate returns the host address of guest range [a, a+n), or false if
// any of it lies outside the window. It checks bounds only.
func (s *Space) Translate(a Addr, n uint64) (uintptr, bool) {
	if uint64(a) > s.size || n > s.size-uint64(a) {
		return 0, false
	}
	return s.base + uintptr(a), true
}

// allows reports whether guest protection prot permits acc. Write implies
// read (riscv64 Linux maps PROT_WRITE pages readable); execute does not:
// an execute-only page faults on a load, on riscv64 as on an x86_64 kernel
// with protection keys.
func allows(prot int, acc Access) bool {
	if acc&AccessRead != 0 && prot&(ProtRead|ProtWrite) == 0 {
		return false
	}
	if acc&AccessWrite != 0 && prot&ProtWrite == 0 {
		return false
	}
	if acc&AccessExec != 0 && prot&ProtExec == 0 {
		return false
	}
	return true
}

// CheckAccess reports EFAULT unless every byte of [a, a+n) is mapped with
// the given access, as Linux's checks on a syscall buffer would.
func (s *Space) CheckAccess(a Addr, n uint64, acc Access) unix.Errno {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkAccessLocked(a, n, acc)
}

func (s *Space) checkAccessLocked(a Addr, n uint64, acc Access) unix.Errno {
	if s.accessiblePrefixLocked(a, n, acc) < n {
		return unix.EFAULT
	}
	return 0
}

// accessiblePrefixLocked returns how many bytes from a on (up to n) are
// mapped with the given access.
func (s *Space) accessiblePrefixLocked(a Addr, n uint64, acc Access) uint64 {
	if uint64(a) >= s.size {
		return 0
	}
	n = min(n, s.size-uint64(a))
	end := a + Addr(n)
	for p := a; p < end; {
		v := s.vmas.find(p)
		if v == nil || !allows(v.prot, acc) {
			return uint64(p - a)
		}
		p = v.end
	}
	return n
}

// Slice returns guest memory [a, a+n) as a byte slice after CheckAccess, for
// host syscalls on guest buffers. A concurrent unmap can still make later
// accesses fault; use CopyIn/CopyOut where that matters.
func (s *Space) Slice(a Addr, n uint64, acc Access) ([]byte, unix.Errno) {
	if e := s.CheckAccess(a, n, acc); e != 0 {
		return nil, e
	}
	if n == 0 {
		return nil, 0
	}
	if acc&AccessWrite != 0 {
		s.unprotectCode(Range{a, a + Addr(n)})
	}
	return hostBytes(s.base+uintptr(a), n), 0
}

// CopyIn copies guest memory at a into dst. It never crashes: a bad guest
// pointer gives EFAULT. Like Linux's copies from user memory, it copies
// the readable part before the bad address (touching those pages) and then
// fails.
func (s *Space) CopyIn(dst []byte, a Addr) unix.Errno {
	_, e := s.CopyInPrefix(dst, a)
	return e
}

// CopyInPrefix is CopyIn that also reports how many bytes were copied (all
// of them when the errno is 0).
func (s *Space) CopyInPrefix(dst []byte, a Addr) (int, unix.Errno) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.accessiblePrefixLocked(a, uint64(len(dst)), AccessRead)
	if n > 0 {
		if e := s.safeCopy(dst[:n], hostBytes(s.base+uintptr(a), n), a); e != 0 {
			// G < H: the host page may forbid what the guest page allows.
			if !s.small() {
				return 0, e
			}
			if e := s.slowSmallLocked(a, dst[:n], false, false); e != 0 {
				return 0, e
			}
		}
	}
	if n < uint64(len(dst)) {
		return int(n), unix.EFAULT
	}
	return int(n), 0
}

// CopyOut copies src to guest memory at a, with the guest's write
// permission checked. It never crashes: a bad guest pointer gives EFAULT.
// Like Linux's copies to user memory, it writes the writable part before
// the bad address and then fails.
func (s *Space) CopyOut(a Addr, src []byte) unix.Errno {
	_, e := s.CopyOutPrefix(a, src)
	return e
}

// CopyOutPrefix is CopyOut that also reports how many bytes were written.
func (s *Space) CopyOutPrefix(a Addr, src []byte) (int, unix.Errno) {
	if len(src) == 0 {
		return 0, 0
	}
	s.mu.RLock()
	n := s.accessiblePrefixLocked(a, uint64(len(src)), AccessWrite)
	s.mu.RUnlock()
	if n > 0 {
		s.unprotectCode(Range{a, a + Addr(n)})
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n = s.accessiblePrefixLocked(a, n, AccessWrite)
	if n > 0 {
		if e := s.safeCopy(hostBytes(s.base+uintptr(a), n), src[:n], a); e != 0 {
			if !s.small() {
				return 0, e
			}
			if e := s.slowSmallLocked(a, src[:n], true, false); e != 0 {
				return 0, e
			}
		}
	}
	if n < uint64(len(src)) {
		return int(n), unix.EFAULT
	}
	return int(n), 0
}

// safeCopy copies between guest memory at guest address a and a Go buffer,
// with host faults turned into EFAULT (a file page past end of file raises
// SIGBUS on the host). It goes a host page at a time in address order, as
// Linux's user copies do, so a fault leaves the pages after it untouched.
func (s *Space) safeCopy(dst, src []byte, a Addr) (err unix.Errno) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			err = unix.EFAULT
		}
	}()
	for off := uint64(0); off < uint64(len(dst)); {
		n := min(uint64(len(dst))-off, s.realHostPage-(uint64(a)+off)%s.realHostPage)
		copy(dst[off:off+n], src[off:off+n])
		off += n
	}
	return 0
}
