package guestmem

import "golang.org/x/sys/unix"

// Munmap implements munmap(2).
//
//	address not page-aligned, or range past the end   EINVAL
//	length 0 (after rounding)                          EINVAL
//	a split would exceed max_map_count                 ENOMEM
//
// Unmapping a range with no mapping in it succeeds.
func (s *Space) Munmap(addr Addr, length uint64) unix.Errno {
	s.lock()
	defer s.unlock()
	return s.munmapLocked(addr, length)
}

func (s *Space) munmapLocked(addr Addr, length uint64) unix.Errno {
	top := uint64(s.stackTop)
	if !s.pageAligned(uint64(addr)) || uint64(addr) > top || length > top-uint64(addr) {
		return unix.EINVAL
	}
	length, ok := s.pageAlignLen(length)
	if !ok {
		return unix.EINVAL
	}
	r := Range{addr, addr + Addr(length)}
	if s.splitsNeeded(r) > 0 && s.vmas.count >= s.maxMapCount {
		return unix.ENOMEM
	}
	s.unmapRangeLocked(r)
	return 0
}

// unmapRangeLocked returns every mapped part of r to the reservation.
// Preconditions: s.mu is held for writing; r is G-aligned.
func (s *Space) unmapRangeLocked(r Range) {
	v := s.vmas.lowerBound(r.Start)
	if v == nil || v.start >= r.End {
		return
	}
	// One host call covers the whole range, holes included: they are
	// reservation already.
	span := Range{max(v.start, r.Start), r.End}
	if w := s.vmas.lowerBound(r.End); w == nil || w.start >= r.End {
		last := s.vmas.last
		if w != nil {
			last = w.prev
		}
		span.End = last.end
	}
	if s.allPristine(span) {
		// Nothing but untouched reservation under it (with G < H, the
		// host pages it shares with other mappings may change).
		if s.small() {
			s.noteEdgesLocked(span, srcKeep)
		}
		s.changedLocked(span)
		s.carveLocked(r)
		return
	}
	if e := s.hostReserve(span); e != 0 {
		s.debugf("guestmem: returning %v to the reservation: %v", span, e)
	}
	s.dropCodePagesLocked(span)
	s.changedLocked(span)
	s.carveLocked(r)
}

// allPristine reports whether every mapping overlapping r is pristine
// (never accessible, so the host holds nothing but reservation there) and
// unlocked (a lock would stay on the host's reservation).
func (s *Space) allPristine(r Range) bool {
	for v := s.vmas.lowerBound(r.Start); v != nil && v.start < r.End; v = v.next {
		if v.flags&vmPristine == 0 || v.flags&vmLocked != 0 {
			return false
		}
	}
	return true
}
