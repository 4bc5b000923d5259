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
	if n == 0 {
		return 0
	}
	if uint64(a) >= s.size || n > s.size-uint64(a) {
		return unix.EFAULT
	}
	end := a + Addr(n)
	for a < end {
		v := s.vmas.find(a)
		if v == nil || !allows(v.prot, acc) {
			return unix.EFAULT
		}
		a = v.end
	}
	return 0
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
// pointer gives EFAULT.
func (s *Space) CopyIn(dst []byte, a Addr) unix.Errno {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.checkAccessLocked(a, uint64(len(dst)), AccessRead); e != 0 {
		return e
	}
	if len(dst) == 0 {
		return 0
	}
	return safeCopy(dst, hostBytes(s.base+uintptr(a), uint64(len(dst))))
}

// CopyOut copies src to guest memory at a, with the guest's write
// permission checked. It never crashes: a bad guest pointer gives EFAULT.
func (s *Space) CopyOut(a Addr, src []byte) unix.Errno {
	r := Range{a, a + Addr(len(src))}
	if e := s.CheckAccess(a, uint64(len(src)), AccessWrite); e != 0 {
		return e
	}
	if len(src) == 0 {
		return 0
	}
	s.unprotectCode(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.checkAccessLocked(a, uint64(len(src)), AccessWrite); e != 0 {
		return e
	}
	return safeCopy(hostBytes(s.base+uintptr(a), uint64(len(src))), src)
}

// safeCopy copies with host faults turned into EFAULT (a file page past end
// of file raises SIGBUS on the host).
func safeCopy(dst, src []byte) (err unix.Errno) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			err = unix.EFAULT
		}
	}()
	copy(dst, src)
	return 0
}
