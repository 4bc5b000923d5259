package guestmem

import "golang.org/x/sys/unix"

// ClassifyFault maps a host fault address to the guest fault it means, for
// an access of kind acc. ok is false when hostAddr is outside the window.
// A fault that the guest's protections allow (a page whose code the CPU
// caches, or a mapping that changed under a racing thread) has Signal 0:
// retry the access.
func (s *Space) ClassifyFault(hostAddr uintptr, acc Access) (f Fault, ok bool) {
	if hostAddr < s.base || uint64(hostAddr-s.base) >= s.size {
		return Fault{}, false
	}
	a := Addr(hostAddr - s.base)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.classifyLocked(a, acc), true
}

func (s *Space) classifyLocked(a Addr, acc Access) Fault {
	f := Fault{Addr: a}
	v := s.vmas.find(a)
	switch {
	case v == nil:
		f.Signal, f.Code = SIGSEGV, SegvMapErr
	case !allows(v.prot, acc):
		f.Signal, f.Code = SIGSEGV, SegvAccErr
	case v.file != nil && s.pastEOF(v, a):
		f.Signal, f.Code = SIGBUS, BusAdrErr
	}
	return f
}

// pastEOF reports whether guest address a in file mapping v lies in a guest
// page wholly past the end of the file.
func (s *Space) pastEOF(v *vma, a Addr) bool {
	if v.file.devZero || v.file.isShm {
		return false // no end: anonymous memory, or a whole segment
	}
	var st unix.Stat_t
	if unix.Fstat(v.file.fd, &st) != nil {
		return true
	}
	page := alignDown(uint64(a), s.guestPage)
	return v.off-v.file.offBias+(page-uint64(v.start)) >= uint64(st.Size)
}

// HandleFault is ClassifyFault plus what Linux's fault handler does before
// signalling: a store to a page whose code the CPU caches is let through
// (after the invalidation callback), and an access just below a grows-down
// mapping grows it. retry is true when the access should be retried.
func (s *Space) HandleFault(hostAddr uintptr, acc Access) (f Fault, retry bool) {
	if hostAddr < s.base || uint64(hostAddr-s.base) >= s.size {
		return Fault{Signal: SIGSEGV, Code: SegvMapErr}, false
	}
	a := Addr(hostAddr - s.base)
	if acc&AccessWrite != 0 && s.ResolveCodeWrite(hostAddr) {
		return Fault{}, true
	}
	s.lock()
	defer s.unlock()
	if s.growStackLocked(a) {
		return Fault{}, true
	}
	f = s.classifyLocked(a, acc)
	if f.Signal != 0 {
		return f, false
	}
	// The guest may make this access. If the host page allows it too, the
	// mapping changed under a racing thread: retry. If not, it must be
	// made in software.
	v := s.vmas.find(a)
	hp := hostProt(v.prot)
	if s.small() {
		hp = s.planLocked(Addr(alignDown(uint64(a), s.hostPage))).prot
	}
	need := unix.PROT_READ
	if acc&AccessWrite != 0 {
		need = unix.PROT_WRITE
	}
	if hp&need == need {
		return f, true
	}
	f.Emulate = true
	return f, false
}

// FetchSlow reads instruction bytes at a from a page the guest may execute
// but the host cannot read (execute-only): it goes through the process's
// own memory file, which reads any mapped page.
func (s *Space) FetchSlow(a Addr, buf []byte) unix.Errno {
	return s.slowAccess(a, buf, AccessExec)
}

// LoadSlow reads guest memory at a that the guest may read but the host
// page does not allow.
func (s *Space) LoadSlow(a Addr, buf []byte) unix.Errno {
	return s.slowAccess(a, buf, AccessRead)
}

// StoreSlow writes guest memory at a that the guest may write but the host
// page does not allow.
func (s *Space) StoreSlow(a Addr, buf []byte) unix.Errno {
	return s.slowAccess(a, buf, AccessWrite)
}

// UpdateSlow makes a read-modify-write guest access of len(buf) bytes at a
// (an atomic memory operation or a store-conditional) on memory the guest
// may write but the host page does not allow: it reads the bytes into buf,
// calls update, and writes buf back if update returns true. The whole runs
// under the Space's write lock, so it is atomic with respect to every
// other slow access; no direct host store can reach such a page, since
// its host page is not writable.
func (s *Space) UpdateSlow(a Addr, buf []byte, update func(buf []byte) bool) unix.Errno {
	if len(buf) == 0 {
		return 0
	}
	s.lock()
	defer s.unlock()
	if e := s.checkAccessLocked(a, uint64(len(buf)), AccessWrite); e != 0 {
		return e
	}
	if e := s.slowLocked(a, buf, false); e != 0 {
		return e
	}
	if !update(buf) {
		return 0
	}
	return s.slowLocked(a, buf, true)
}

// HostAllows reports whether the host pages under guest [a, a+n) let the
// host make access acc directly, so that a Slice of the range can be given
// to a host system call. Where the guest's protections allow the access,
// only G < H can make it false: a host page shared with a more restrictive
// guest page. Then copy through CopyIn/CopyOut (or LoadSlow/StoreSlow).
// Ask after Slice, which lifts the CPU's write protection of cached code.
func (s *Space) HostAllows(a Addr, n uint64, acc Access) bool {
	if !s.small() || n == 0 {
		return true
	}
	if uint64(a) > s.size || n > s.size-uint64(a) {
		return false
	}
	need := unix.PROT_READ
	if acc&AccessWrite != 0 {
		need = unix.PROT_WRITE
	}
	end := a + Addr(n)
	s.mu.RLock()
	defer s.mu.RUnlock()
	// A host page inside one mapping has that mapping's protection; only
	// those holding a mapping boundary need the whole derivation.
	edge := func(p Addr) bool {
		return uint64(p)%s.hostPage == 0 || s.planLocked(Addr(alignDown(uint64(p), s.hostPage))).prot&need == need
	}
	p := a
	for v := s.vmas.lowerBound(a); p < end; v = v.next {
		if v == nil || v.start > p || hostProt(v.prot)&need != need {
			return false
		}
		if alignDown(uint64(v.start), s.hostPage)+s.hostPage > uint64(a) && !edge(v.start) {
			return false
		}
		if alignDown(uint64(v.end), s.hostPage) < uint64(end) && !edge(v.end) {
			return false
		}
		p = v.end
	}
	return true
}

func (s *Space) slowAccess(a Addr, buf []byte, acc Access) unix.Errno {
	if len(buf) == 0 {
		return 0
	}
	// Held for writing: a slow store is then atomic with respect to every
	// other slow access.
	s.lock()
	defer s.unlock()
	if e := s.checkAccessLocked(a, uint64(len(buf)), acc); e != 0 {
		return e
	}
	return s.slowLocked(a, buf, acc&AccessWrite != 0)
}

// slowLocked reads or writes guest memory at a, already checked against
// the guest's protections, without the host MMU.
// Preconditions: s.mu is held.
func (s *Space) slowLocked(a Addr, buf []byte, write bool) unix.Errno {
	if s.small() {
		return s.slowSmallLocked(a, buf, write, true)
	}
	var err error
	var n int
	off := int64(s.hostAddr(a))
	if write {
		n, err = unix.Pwrite(s.memFD, buf, off)
	} else {
		n, err = unix.Pread(s.memFD, buf, off)
	}
	if err != nil || n != len(buf) {
		return unix.EFAULT
	}
	return 0
}

// stackLimit is the guest's RLIMIT_STACK, bounding grows-down growth.
const stackLimit = defaultStackLimit

// growStackLocked grows the grows-down mapping just above a down to a, as
// Linux's expand_downwards does: the stack may not come within the guard
// gap of the mapping below it, nor exceed the stack limit.
func (s *Space) growStackLocked(a Addr) bool {
	if s.vmas.find(a) != nil || a < s.minAddr {
		return false
	}
	v := s.vmas.lowerBound(a)
	if v == nil || v.flags&vmGrowsDown == 0 {
		return false
	}
	start := Addr(alignDown(uint64(a), s.guestPage))
	if p := v.prev; p != nil && p.flags&vmGrowsDown == 0 && p.prot != 0 && uint64(start-p.end) < s.vmas.guard {
		return false
	}
	if p := v.prev; p != nil && p.end > start {
		return false
	}
	if uint64(v.end-start) > stackLimit {
		return false
	}
	r := Range{start, v.start}
	if s.smallConflictLocked(r, nil, 0, false, Range{}) {
		return false
	}
	if e := s.mapLikeLocked(v, r, 0); e != 0 {
		return false
	}
	s.changedLocked(r)
	s.vmas.setStart(v, start)
	return true
}

// ProtectCode write-protects, on the host only, the guest pages in r that
// hold code the CPU has cached, so that a guest store there faults and
// ResolveCodeWrite can drop the cached code. The guest still sees the pages
// writable. Pages that are not writable need nothing.
func (s *Space) ProtectCode(r Range) {
	s.lock()
	defer s.unlock()
	g := Addr(s.guestPage)
	for p := Addr(alignDown(uint64(r.Start), s.guestPage)); p < r.End; p += g {
		v := s.vmas.find(p)
		if v == nil || v.prot&ProtWrite == 0 {
			continue
		}
		if _, done := s.codePages[p]; done {
			continue
		}
		if s.hostProtect(Range{p, p + g}, codeProt(v.prot)) == 0 {
			s.codePages[p] = struct{}{}
		}
	}
}

// ResolveCodeWrite handles a host write fault at hostAddr: if it hit a page
// protected by ProtectCode that the guest may write, it restores host write
// access, fires the invalidation callback for that page and returns true
// (retry the store). Otherwise it returns false.
func (s *Space) ResolveCodeWrite(hostAddr uintptr) bool {
	if hostAddr < s.base || uint64(hostAddr-s.base) >= s.size {
		return false
	}
	a := Addr(hostAddr - s.base)
	s.lock()
	defer s.unlock()
	p := Addr(alignDown(uint64(a), s.guestPage))
	if _, ok := s.codePages[p]; !ok {
		return false
	}
	s.releaseCodePageLocked(p)
	return true
}

// releaseCodePageLocked gives page p its guest protection back on the host
// and announces that its code changed.
func (s *Space) releaseCodePageLocked(p Addr) {
	delete(s.codePages, p)
	r := Range{p, p + Addr(s.guestPage)}
	if v := s.vmas.find(p); v != nil {
		s.hostProtect(r, hostProt(v.prot))
	}
	s.changedLocked(r)
}

// unprotectCode releases the code pages in r before the emulator itself
// writes there (CopyOut, Slice for writing).
func (s *Space) unprotectCode(r Range) {
	s.mu.RLock()
	n := len(s.codePages)
	s.mu.RUnlock()
	if n == 0 {
		return
	}
	s.lock()
	defer s.unlock()
	for p := Addr(alignDown(uint64(r.Start), s.guestPage)); p < r.End; p += Addr(s.guestPage) {
		if _, ok := s.codePages[p]; ok {
			s.releaseCodePageLocked(p)
		}
	}
}

// dropCodePagesLocked forgets the code pages in r (being unmapped or moved).
func (s *Space) dropCodePagesLocked(r Range) {
	if len(s.codePages) == 0 {
		return
	}
	for p := range s.codePages {
		if r.Contains(p) {
			delete(s.codePages, p)
		}
	}
}

// reprotectCodeLocked brings the code pages in r in line with a new guest
// protection: still writable, they are write-protected on the host again;
// no longer writable, they need no protection of their own.
func (s *Space) reprotectCodeLocked(r Range) {
	for p := range s.codePages {
		if !r.Contains(p) {
			continue
		}
		v := s.vmas.find(p)
		if v == nil || v.prot&ProtWrite == 0 {
			delete(s.codePages, p)
			continue
		}
		s.hostProtect(Range{p, p + Addr(s.guestPage)}, codeProt(v.prot))
	}
}
