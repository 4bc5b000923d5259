package guestmem

import "golang.org/x/sys/unix"

// SetBrkBase sets the initial program break (the loader calls it with the
// end of the highest loaded segment). It must be called before Brk.
func (s *Space) SetBrkBase(base Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.brkStart, s.brk, s.brkSet = base, base, true
}

// BrkBase returns where the heap starts.
func (s *Space) BrkBase() Addr {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.brkStart
}

// Brk implements brk(2): it returns the new break, or the current one when
// the request cannot be met (brk(0) returns the current break), as Linux's
// sys_brk does:
//   - below the heap start: refused;
//   - shrinking always works and releases the pages above the new break;
//   - growing must leave one page and the stack guard gap free below the
//     next mapping, else it is refused.
func (s *Space) Brk(addr Addr) Addr {
	s.lock()
	defer s.unlock()
	if !s.brkSet || addr < s.brkStart {
		return s.brk
	}
	g := s.guestPage
	newBrk := Addr(alignUp(uint64(addr), g))
	oldBrk := Addr(alignUp(uint64(s.brk), g))
	if newBrk < addr || uint64(newBrk) > uint64(s.stackTop) {
		return s.brk
	}
	if newBrk == oldBrk {
		s.brk = addr
		return addr
	}
	if addr <= s.brk {
		// The pages between the new and old break must be the heap's.
		v := s.vmas.lowerBound(newBrk)
		if v == nil || v.start >= oldBrk {
			return s.brk
		}
		s.brk = addr
		s.unmapRangeLocked(Range{newBrk, oldBrk})
		return addr
	}
	// Linux: one page plus the next mapping's guard gap must stay free.
	if next := s.vmas.lowerBound(oldBrk); next != nil && uint64(newBrk)+g > uint64(s.vmas.gapTop(next)) {
		return s.brk
	}
	v := vma{start: oldBrk, end: newBrk, prot: ProtRead | ProtWrite,
		maxProt: ProtRead | ProtWrite | ProtExec, flags: s.lockFuture}
	// The common case: the heap grows its own mapping, over reservation.
	// Extending it in place saves a node, its insertion and the merge.
	if prev := s.vmas.find(oldBrk - 1); prev != nil && !s.small() && s.lockFuture == 0 && canMerge(prev, &v) {
		r := v.rng()
		if e := s.hostProtect(r, unix.PROT_READ|unix.PROT_WRITE); e != 0 {
			s.debugf("guestmem: growing the heap to %#x: %v", uint64(newBrk), e)
			return s.brk
		}
		s.changedLocked(r)
		s.vmas.setEnd(prev, newBrk)
		s.brk = addr
		return addr
	}
	if e := s.installLocked(&v, -1, nil, MapPrivate|MapAnonymous); e != 0 {
		s.debugf("guestmem: growing the heap to %#x: %v", uint64(newBrk), e)
		return s.brk
	}
	s.brk = addr
	return addr
}
