package guestmem

// This is the only file that calls the host's mmap family. Every call takes
// a guest range and translates it to the window; ranges are H-aligned.

import (
	"golang.org/x/sys/unix"
)

// hostProt is the host protection for guest protection p. Guest code is
// interpreted, never executed by the host, so EXEC is dropped: a guest page
// that is execute-only is PROT_NONE on the host, so that a guest load from
// it faults as on riscv64 Linux, and the CPU fetches its instructions
// through FetchSlow. Write implies read, as on every host.
func hostProt(p int) int {
	h := 0
	if p&(ProtRead|ProtWrite) != 0 {
		h |= unix.PROT_READ
	}
	if p&ProtWrite != 0 {
		h |= unix.PROT_WRITE
	}
	return h
}

// codeProt is the host protection of a writable guest page whose code the
// CPU caches: readable as before, not writable.
func codeProt(p int) int { return hostProt(p) &^ unix.PROT_WRITE }

func (s *Space) hostAddr(a Addr) uintptr { return s.base + uintptr(a) }

func errnoOf(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// With G < H (s.small()), the window calls below act on the host pages
// wholly inside their range only, and leave the host pages at its edges to
// settleLocked (mixed.go), noting what the call meant for the guest pages
// there. The raw* functions make the host call as it is; their ranges must
// be H-aligned.

// hostMmap is mmap(2) on the host at a fixed window address.
func (s *Space) hostMmap(r Range, prot, flags, fd int, off uint64) unix.Errno {
	if s.small() {
		return s.smallMmap(r, prot, flags, fd, off)
	}
	return s.rawMmap(r, prot, flags, fd, off)
}

func (s *Space) rawMmap(r Range, prot, flags, fd int, off uint64) unix.Errno {
	_, _, e := unix.Syscall6(unix.SYS_MMAP, s.hostAddr(r.Start), uintptr(r.Len()),
		uintptr(prot), uintptr(flags|unix.MAP_FIXED), uintptr(fd), uintptr(off))
	if e == 0 {
		s.dropSlotsLocked(r)
	}
	return e
}

// rawMapSlot maps slot off of the slots' memory file fd at host page r
// (slots.go).
func (s *Space) rawMapSlot(r Range, prot, fd int, off uint64) unix.Errno {
	_, _, e := unix.Syscall6(unix.SYS_MMAP, s.hostAddr(r.Start), uintptr(r.Len()),
		uintptr(prot), uintptr(unix.MAP_SHARED|unix.MAP_FIXED), uintptr(fd), uintptr(off))
	return e
}

// hostReserve returns r to the window's PROT_NONE reservation. It replaces
// whatever was there in one host call, so no other mapping of the process
// can land in the window meanwhile.
func (s *Space) hostReserve(r Range) unix.Errno {
	if s.small() {
		s.noteEdgesLocked(r, srcKeep)
		r = s.interior(r)
		if r.empty() {
			return 0
		}
	}
	return s.rawReserve(r)
}

func (s *Space) rawReserve(r Range) unix.Errno {
	return s.rawMmap(r, unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE, -1, 0)
}

// hostMapAnon maps private anonymous memory over r.
func (s *Space) hostMapAnon(r Range, prot, extra int) unix.Errno {
	return s.hostMmap(r, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|extra, -1, 0)
}

// hostProtect is mprotect(2) on the window.
func (s *Space) hostProtect(r Range, prot int) unix.Errno {
	if s.small() {
		return s.smallProtect(r, prot)
	}
	return s.rawProtect(r, prot)
}

func (s *Space) rawProtect(r Range, prot int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MPROTECT, s.hostAddr(r.Start), uintptr(r.Len()), uintptr(prot))
	return e
}

// hostMremap is mremap(2) with host addresses.
func hostMremap(old uintptr, oldLen, newLen uint64, flags int, newAddr uintptr) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_MREMAP, old, uintptr(oldLen), uintptr(newLen), uintptr(flags), newAddr, 0)
	return r, e
}

// hostMunmapOutside unmaps a host range outside the window (a trial
// mapping made before moving it in).
func hostMunmapOutside(a uintptr, n uint64) {
	unix.Syscall(unix.SYS_MUNMAP, a, uintptr(n), 0)
}

// hostMmapAnywhere maps outside the window at an address the host chooses.
func hostMmapAnywhere(length uint64, prot, flags, fd int, off uint64) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_MMAP, 0, uintptr(length), uintptr(prot), uintptr(flags), uintptr(fd), uintptr(off))
	return r, e
}

// hostMadvise is madvise(2) on the window.
func (s *Space) hostMadvise(r Range, advice int) unix.Errno {
	if s.small() {
		return s.smallMadvise(r, advice)
	}
	return s.rawMadvise(r, advice)
}

func (s *Space) rawMadvise(r Range, advice int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, s.hostAddr(r.Start), uintptr(r.Len()), uintptr(advice))
	return e
}

// hostMsync is msync(2) on the window.
func (s *Space) hostMsync(r Range, flags int) unix.Errno {
	if s.small() {
		// Syncing the neighbours in the same host pages is harmless.
		r = s.hostSpan(r)
	}
	_, _, e := unix.Syscall(unix.SYS_MSYNC, s.hostAddr(r.Start), uintptr(r.Len()), uintptr(flags))
	return e
}

// hostMincore is mincore(2) on the window; vec has one byte per real host
// page.
func (s *Space) hostMincore(r Range, vec []byte) unix.Errno {
	return s.hostMincoreRaw(r, vec)
}

// hostMincoreRaw is mincore(2) on r, aligned to the real host page only:
// a query, it changes nothing on the host.
func (s *Space) hostMincoreRaw(r Range, vec []byte) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MINCORE, s.hostAddr(r.Start), uintptr(r.Len()), uintptrOf(vec))
	return e
}

// hostMlock is mlock2(2) on the window.
func (s *Space) hostMlock(r Range, flags int) unix.Errno {
	if s.small() {
		return s.smallMlock(r, flags)
	}
	return s.rawMlock(r, flags)
}

func (s *Space) rawMlock(r Range, flags int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MLOCK2, s.hostAddr(r.Start), uintptr(r.Len()), uintptr(flags))
	return e
}

// hostLockLike locks the host pages of r if v is locked, faulting them in
// unless v locks on fault only. Errors are the populate failures Linux
// ignores here (mmap, mremap growth).
func (s *Space) hostLockLike(v *vma, r Range) {
	if v.flags&vmLocked == 0 {
		return
	}
	flags := 0
	if v.flags&vmLockOnFault != 0 {
		flags = unix.MLOCK_ONFAULT
	}
	s.hostMlock(r, flags)
}

// hostMunlock is munlock(2) on the window.
func (s *Space) hostMunlock(r Range) unix.Errno {
	if s.small() {
		s.noteEdgesLocked(r, srcKeep)
		if r = s.interior(r); r.empty() {
			return 0
		}
		s.unslotRangeLocked(r)
	}
	return s.rawMunlock(r)
}

func (s *Space) rawMunlock(r Range) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MUNLOCK, s.hostAddr(r.Start), uintptr(r.Len()), 0)
	return e
}
