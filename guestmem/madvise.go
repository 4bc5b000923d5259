package guestmem

import (
	"math"

	"golang.org/x/sys/unix"
)

const (
	madvGuardInstall = 102
	madvGuardRemove  = 103
)

// madviseKnown is the advice Linux 6.18 accepts on riscv64 and x86_64
// (with KSM, transparent huge pages and memory-failure handling built in).
func madviseKnown(advice int) bool {
	switch advice {
	case MadvNormal, MadvRandom, MadvSequential, MadvWillNeed, MadvDontNeed,
		MadvDontNeedLocked, MadvFree, MadvRemove, MadvDontFork, MadvDoFork,
		MadvWipeOnFork, MadvKeepOnFork, MadvCold, MadvPageOut,
		MadvPopulateRead, MadvPopulateWrite, MadvMergeable, MadvUnmergeable,
		MadvHugePage, MadvNoHugePage, MadvCollapse, MadvDontDump, MadvDoDump,
		MadvHWPoison, MadvSoftOffline:
		return true
	}
	return false
}

// Madvise implements madvise(2).
//
//	unknown advice                           EINVAL
//	address not page-aligned                 EINVAL
//	length wraps                             EINVAL
//	length 0                                 success
//	HWPOISON, SOFT_OFFLINE                   EPERM (the guest is not privileged)
//	a hole in the range                      ENOMEM, after advising the mapped parts
//	advice a mapping does not allow          EINVAL (DONTNEED/FREE on locked pages, FREE or
//	                                         WIPEONFORK on file or shared memory, REMOVE on
//	                                         private or locked memory, COLD/PAGEOUT on locked)
//	REMOVE on a read-only shared mapping     EACCES
//
// Advice that changes contents (DONTNEED, FREE, REMOVE) or residency
// (WILLNEED, COLD, PAGEOUT, POPULATE_*) is carried out by the host on the
// same pages. Advice that sets a flag (DONTFORK, WIPEONFORK, DONTDUMP,
// HUGEPAGE, ...) is recorded per mapping, splitting mappings as Linux does,
// and also given to the host so a host fork honours it.
func (s *Space) Madvise(addr Addr, length uint64, advice int) unix.Errno {
	if !madviseKnown(advice) {
		return unix.EINVAL
	}
	if !s.pageAligned(uint64(addr)) {
		return unix.EINVAL
	}
	alen := alignUp(length, s.guestPage)
	if length != 0 && alen == 0 {
		return unix.EINVAL
	}
	end := addr + Addr(alen)
	if end < addr {
		return unix.EINVAL
	}
	if end == addr {
		return 0
	}
	if advice == MadvHWPoison || advice == MadvSoftOffline {
		return unix.EPERM
	}
	s.lock()
	defer s.unlock()
	if advice == MadvPopulateRead || advice == MadvPopulateWrite {
		// Linux populates from the start and stops at the first hole.
		for a := addr; a < end; {
			v := s.vmas.find(a)
			if v == nil {
				return unix.ENOMEM
			}
			r := Range{a, min(v.end, end)}
			if e := s.adviseOneLocked(v, r, advice); e != 0 {
				return e
			}
			a = r.End
		}
		return 0
	}
	err := s.walkMapped(addr, end, func(v *vma, r Range) unix.Errno {
		return s.adviseOneLocked(v, r, advice)
	})
	s.mergeRange(Range{addr, end})
	return err
}

// adviseOneLocked applies advice to r, which lies inside v.
func (s *Space) adviseOneLocked(v *vma, r Range, advice int) unix.Errno {
	locked := v.flags&vmLocked != 0
	var set, clear vmFlags
	switch advice {
	case MadvNormal:
		clear = vmRandom | vmSequential
	case MadvRandom:
		set, clear = vmRandom, vmSequential
	case MadvSequential:
		set, clear = vmSequential, vmRandom
	case MadvDontFork:
		set = vmDontFork
	case MadvDoFork:
		clear = vmDontFork
	case MadvWipeOnFork:
		if v.file != nil || v.shared {
			return unix.EINVAL
		}
		set = vmWipeOnFork
	case MadvKeepOnFork:
		clear = vmWipeOnFork
	case MadvDontDump:
		set = vmDontDump
	case MadvDoDump:
		clear = vmDontDump
	case MadvMergeable:
		set = vmMergeable
	case MadvUnmergeable:
		clear = vmMergeable
	case MadvHugePage:
		set, clear = vmHugePage, vmNoHugePage
	case MadvNoHugePage:
		set, clear = vmNoHugePage, vmHugePage
	case MadvDontNeed, MadvFree:
		if locked {
			return unix.EINVAL
		}
		if advice == MadvFree && v.file != nil && !v.file.devZero {
			return unix.EINVAL
		}
	case MadvDontNeedLocked:
	case MadvRemove:
		if locked || v.file == nil {
			return unix.EINVAL
		}
		if !v.shared || v.maxProt&ProtWrite == 0 {
			return unix.EACCES
		}
		// Linux punches the hole with fallocate, whose offsets are signed.
		off := v.off + uint64(r.Start-v.start)
		if int64(off) < 0 {
			return unix.EINVAL
		}
		if off+r.Len() > math.MaxInt64 || off+r.Len() < off {
			return unix.EFBIG
		}
	case MadvCold, MadvPageOut:
		if locked {
			return unix.EINVAL
		}
	case MadvPopulateRead, MadvPopulateWrite:
		// Linux faults the pages in as a data access would, without
		// forcing: the mapping must allow it by itself (PROT_READ, not
		// just write or execute, for reading).
		need := ProtRead
		if advice == MadvPopulateWrite {
			need = ProtWrite
		}
		if v.prot&need == 0 {
			return unix.EINVAL
		}
	}
	if set != 0 || clear != 0 {
		if e := s.setFlagsLocked(v, r, set, clear); e != 0 {
			return e
		}
		// The host keeps the same flag (for a host fork); its answer
		// cannot differ, the checks above being Linux's.
		s.hostMadvise(r, advice)
		return 0
	}
	if e := s.hostMadvise(r, advice); e != 0 {
		return e
	}
	return 0
}

// Msync implements msync(2), walking mappings as Linux does:
//
//	unknown flags, unaligned address, ASYNC with SYNC   EINVAL
//	length wraps                                        ENOMEM
//	INVALIDATE on locked pages                          EBUSY
//	a hole                                              ENOMEM (at once for MS_ASYNC alone)
//
// MS_SYNC writes shared file pages back through the host.
func (s *Space) Msync(addr Addr, length uint64, flags int) unix.Errno {
	if flags&^(MsAsync|MsInvalidate|MsSync) != 0 || !s.pageAligned(uint64(addr)) ||
		(flags&MsAsync != 0 && flags&MsSync != 0) {
		return unix.EINVAL
	}
	length = alignUp(length, s.guestPage)
	end := addr + Addr(length)
	if end < addr {
		return unix.ENOMEM
	}
	if end == addr {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var unmapped unix.Errno
	start := addr
	for {
		v := s.vmas.lowerBound(start)
		if v == nil {
			return unix.ENOMEM
		}
		if start < v.start {
			if flags == MsAsync {
				return unix.ENOMEM
			}
			start = v.start
			if start >= end {
				return unix.ENOMEM
			}
			unmapped = unix.ENOMEM
		}
		if flags&MsInvalidate != 0 && v.flags&vmLocked != 0 {
			return unix.EBUSY
		}
		r := Range{start, min(end, v.end)}
		if flags&MsSync != 0 && v.file != nil && v.shared {
			if e := s.hostMsync(r, unix.MS_SYNC); e != 0 {
				return e
			}
		}
		start = v.end
		if start >= end {
			return unmapped
		}
	}
}

// Mincore implements mincore(2): vec receives one byte per guest page
// (bit 0 set when resident) and must hold at least that many bytes.
//
//	address not page-aligned        EINVAL
//	range past the address space    ENOMEM
//	a hole                          ENOMEM (vec filled up to it)
//
// With G > H a guest page is resident when any of its host pages is; with
// G < H the host is asked about whole host pages.
func (s *Space) Mincore(addr Addr, length uint64, vec []byte) unix.Errno {
	if !s.pageAligned(uint64(addr)) {
		return unix.EINVAL
	}
	task := uint64(s.stackTop)
	if uint64(addr) > task || length > task-uint64(addr) {
		return unix.ENOMEM
	}
	pages := (length + s.guestPage - 1) / s.guestPage
	if uint64(len(vec)) < pages {
		return unix.EFAULT
	}
	if pages == 0 {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	end := addr + Addr(pages*s.guestPage)
	// The host answers per real host page R, for whole host pages; a guest
	// page is resident when any real page it overlaps is.
	real := s.realHostPage
	hostVec := make([]byte, (min(pages, 4096)*s.guestPage+2*s.hostPage)/real+1)
	i := uint64(0)
	for a := addr; a < end; {
		v := s.vmas.find(a)
		if v == nil {
			return unix.ENOMEM
		}
		chunkEnd := min(v.end, end, a+Addr(4096*s.guestPage))
		q := s.hostSpan(Range{a, chunkEnd})
		if e := s.hostMincore(q, hostVec[:q.Len()/real]); e != 0 {
			return e
		}
		for p := a; p < chunkEnd; p += Addr(s.guestPage) {
			lo := uint64(p-q.Start) / real
			hi := (uint64(p-q.Start) + s.guestPage - 1) / real
			var b byte
			for _, h := range hostVec[lo : hi+1] {
				b |= h & 1
			}
			vec[i] = b
			i++
		}
		a = chunkEnd
	}
	return 0
}

// Mlock implements mlock2(2) (mlock is flags == 0).
//
//	flags other than MLOCK_ONFAULT     EINVAL
//	range wraps                        EINVAL
//	a hole                             ENOMEM (mappings before it stay locked)
//
// The address is rounded down and the length up to whole guest pages.
func (s *Space) Mlock(addr Addr, length uint64, flags int) unix.Errno {
	if flags&^MlockOnFault != 0 {
		return unix.EINVAL
	}
	set := vmLocked
	if flags&MlockOnFault != 0 {
		set |= vmLockOnFault
	}
	return s.lockRange(addr, length, set)
}

// Munlock implements munlock(2).
func (s *Space) Munlock(addr Addr, length uint64) unix.Errno {
	return s.lockRange(addr, length, 0)
}

func (s *Space) lockRange(addr Addr, length uint64, set vmFlags) unix.Errno {
	off := uint64(addr) & (s.guestPage - 1)
	start := addr - Addr(off)
	alen := alignUp(length+off, s.guestPage)
	end := start + Addr(alen)
	// Linux: the rounded length may wrap to 0, which locks nothing.
	if end < start {
		return unix.EINVAL
	}
	if end == start {
		return 0
	}
	s.lock()
	defer s.unlock()
	s.lockFailed = false
	v := s.vmas.find(start)
	if v == nil {
		return unix.ENOMEM
	}
	// Linux marks every mapping up to the first hole, and fails with
	// ENOMEM there without faulting anything in; with no hole it then
	// faults the pages in, and a page that cannot be (past end of file)
	// makes the call fail with ENOMEM, the marks staying. The host's mlock
	// does the same for each piece, and its first error is the answer;
	// before a hole, the host locks without faulting in.
	hole := false
	{
		tmp := v.start
		for w := v; ; w = w.next {
			if w == nil || w.start != tmp {
				hole = true
				break
			}
			if tmp = w.end; tmp >= end {
				break
			}
		}
	}
	tmp := v.start
	var populateErr unix.Errno
	for v != nil && tmp < end && v.start < end {
		if v.start != tmp {
			s.mergeRange(Range{start, end})
			return unix.ENOMEM
		}
		r := Range{max(v.start, start), min(v.end, end)}
		// Before a hole, or after a page that could not be faulted in
		// (Linux stops faulting in there), the host locks on fault only.
		onFaultOnly := hole || populateErr != 0
		pieceSet := set
		if onFaultOnly && set&vmLocked != 0 {
			pieceSet |= vmLockOnFault
		}
		hostErr, e := s.setLockLocked(v, r, pieceSet)
		if onFaultOnly && set&vmLocked != 0 && set&vmLockOnFault == 0 {
			// The guest sees a full lock; only the host's is on fault.
			v = s.vmas.find(r.Start)
			v.flags &^= vmLockOnFault
		}
		if e != 0 {
			s.mergeRange(Range{start, end})
			return e
		}
		if populateErr == 0 && set == vmLocked {
			populateErr = hostErr
		}
		tmp = r.End
		v = s.vmas.lowerBound(r.End)
	}
	s.mergeRange(Range{start, end})
	if tmp < end {
		return unix.ENOMEM
	}
	return populateErr
}

// setLockLocked sets the lock state of r (inside v) and locks or unlocks
// the host pages. err is a bookkeeping failure (nothing changed); hostErr
// is the host's answer to locking the pages (the state is set anyway).
func (s *Space) setLockLocked(v *vma, r Range, set vmFlags) (hostErr, err unix.Errno) {
	if e := s.setFlagsLocked(v, r, set, (vmLocked|vmLockOnFault)&^set); e != 0 {
		return 0, e
	}
	if set == 0 {
		s.hostMunlock(r)
		return 0, 0
	}
	hf := 0
	if set&vmLockOnFault != 0 {
		hf = unix.MLOCK_ONFAULT
	}
	if e := s.hostMlock(r, hf); e != 0 {
		s.debugf("guestmem: host mlock %v: %v", r, e)
		return e, 0
	}
	return 0, 0
}

// Mlockall implements mlockall(2).
func (s *Space) Mlockall(flags int) unix.Errno {
	if flags == 0 || flags&^(MclCurrent|MclFuture|MclOnFault) != 0 || flags == MclOnFault {
		return unix.EINVAL
	}
	set := vmLocked
	if flags&MclOnFault != 0 {
		set |= vmLockOnFault
	}
	s.lock()
	defer s.unlock()
	s.lockFuture = 0
	if flags&MclFuture != 0 {
		s.lockFuture = set
	}
	if flags&MclCurrent != 0 {
		for v := s.vmas.first; v != nil; v = v.next {
			s.setLockLocked(v, v.rng(), set)
		}
		s.mergeRange(Range{0, Addr(s.size)})
	}
	return 0
}

// Munlockall implements munlockall(2).
func (s *Space) Munlockall() unix.Errno {
	s.lock()
	defer s.unlock()
	s.lockFuture = 0
	for v := s.vmas.first; v != nil; v = v.next {
		s.setLockLocked(v, v.rng(), 0)
	}
	s.mergeRange(Range{0, Addr(s.size)})
	return 0
}
