package guestmem

import "golang.org/x/sys/unix"

// Mprotect implements mprotect(2), as Linux's do_mprotect_pkey does:
//
//	PROT_GROWSDOWN and PROT_GROWSUP together        EINVAL
//	address not page-aligned                        EINVAL
//	length 0                                        success, nothing done
//	range wraps                                     ENOMEM
//	unknown protection bits                         EINVAL
//	no mapping at the start                         ENOMEM
//	PROT_GROWSDOWN on a mapping without it          EINVAL
//	a mapping whose VM_MAY* bits forbid it          EACCES
//	a hole inside the range                         ENOMEM
//
// Mappings are changed one at a time in address order, and an error part
// way leaves the ones before it changed, as Linux does.
func (s *Space) Mprotect(addr Addr, length uint64, prot int) unix.Errno {
	s.lock()
	defer s.unlock()
	return s.mprotectLocked(addr, length, prot)
}

func (s *Space) mprotectLocked(start Addr, length uint64, prot int) unix.Errno {
	grows := prot & (ProtGrowsDown | ProtGrowsUp)
	prot &^= ProtGrowsDown | ProtGrowsUp
	if grows == ProtGrowsDown|ProtGrowsUp {
		return unix.EINVAL
	}
	if !s.pageAligned(uint64(start)) {
		return unix.EINVAL
	}
	if length == 0 {
		return 0
	}
	length, ok := s.pageAlignLen(length)
	end := start + Addr(length)
	if !ok || end <= start {
		return unix.ENOMEM
	}
	if prot&^(ProtRead|ProtWrite|ProtExec|ProtSem) != 0 {
		return unix.EINVAL
	}
	prot &= ProtRead | ProtWrite | ProtExec
	v := s.vmas.lowerBound(start)
	if v == nil || v.start >= end {
		return unix.ENOMEM
	}
	switch {
	case grows == ProtGrowsDown:
		start = v.start
		if v.flags&vmGrowsDown == 0 {
			return unix.EINVAL
		}
	case v.start > start:
		return unix.ENOMEM
	case grows == ProtGrowsUp:
		// No guest architecture gemu runs has grows-up stacks.
		return unix.EINVAL
	}
	var err unix.Errno
	tmp := v.start
	changed := Range{start, start}
	for v != nil && tmp < end && v.start < end {
		if v.start != tmp {
			err = unix.ENOMEM
			break
		}
		if prot&^v.maxProt != 0 {
			err = unix.EACCES
			break
		}
		pieceEnd := min(v.end, end)
		if v.prot != prot {
			if e := s.protectOneLocked(v, Range{max(v.start, start), pieceEnd}, prot); e != 0 {
				err = e
				break
			}
		}
		changed.End = pieceEnd
		tmp = pieceEnd
		v = s.vmas.lowerBound(pieceEnd)
	}
	if err == 0 && tmp < end {
		err = unix.ENOMEM
	}
	s.mergeRange(changed)
	return err
}

// protectOneLocked sets the protection of r, which lies inside v.
// Preconditions: s.mu is held for writing.
func (s *Space) protectOneLocked(v *vma, r Range, prot int) unix.Errno {
	splits := 0
	if v.start < r.Start {
		splits++
	}
	if v.end > r.End {
		splits++
	}
	if splits > 0 && s.vmas.count+splits > s.maxMapCount {
		return unix.ENOMEM
	}
	if e := s.hostProtectLocked(r, prot); e != 0 {
		return e
	}
	if v.prot&ProtExec != 0 && prot&ProtExec == 0 {
		s.changedLocked(r)
	}
	if v.start < r.Start {
		v = s.splitAt(v, r.Start)
	}
	if v.end > r.End {
		s.splitAt(v, r.End)
	}
	// Linux: a locked private mapping becoming writable is faulted in for
	// writing at once (breaking copy-on-write ahead of the guest's stores).
	populate := v.flags&vmLocked != 0 && v.flags&vmLockOnFault == 0 && !v.shared &&
		v.prot&ProtWrite == 0 && prot&ProtWrite != 0
	v.prot = prot
	if populate {
		s.hostMadvise(r, unix.MADV_POPULATE_WRITE)
	}
	if prot != ProtNone {
		v.flags &^= vmPristine
	}
	s.reprotectCodeLocked(r)
	return 0
}

// hostProtectLocked applies guest protection prot to the host pages of r.
func (s *Space) hostProtectLocked(r Range, prot int) unix.Errno {
	return s.hostProtect(r, hostProt(prot))
}
