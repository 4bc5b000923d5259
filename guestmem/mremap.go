package guestmem

import "golang.org/x/sys/unix"

// Mremap implements mremap(2) with the rules of Linux 6.18:
//
//	case                                   what happens
//	-------------------------------------  -----------------------------------------------
//	bad flags, unaligned address,          EINVAL before anything is looked at
//	new length 0 or past the space,
//	FIXED/DONTUNMAP without MAYMOVE,
//	DONTUNMAP with a size change,
//	new range overlapping the old
//	FIXED, old == new length               move only: every mapping in the old range moves,
//	                                       keeping the gaps between them (no gap allowed at
//	                                       the start: EFAULT)
//	no mapping at the address              EFAULT
//	old_len 0 on a private mapping         EINVAL; on a shared one, a second mapping of
//	                                       the same pages (duplication)
//	old range runs past its mapping        EFAULT (unless shrinking in place)
//	shrink                                 the tail is unmapped (it may span mappings)
//	grow, the range ends the mapping and   grown in place
//	the space after it is free
//	grow otherwise                         ENOMEM without MAYMOVE, else moved to a free
//	                                       range chosen as mmap would
//	FIXED (any sizes)                      the target range is unmapped first, then moved
//	DONTUNMAP                              moved; the old range stays mapped and empty
//	                                       (private) or still showing the file (shared)
func (s *Space) Mremap(oldAddr Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, unix.Errno) {
	s.lock()
	defer s.unlock()
	return s.mremapLocked(oldAddr, oldLen, newLen, flags, newAddr)
}

func (s *Space) mremapLocked(addr Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, unix.Errno) {
	task := uint64(s.stackTop)
	oldLen = alignUp(oldLen, s.guestPage) // wraps to a small value on overflow, as Linux's does
	newLen = alignUp(newLen, s.guestPage)
	if flags&^(MremapFixed|MremapMayMove|MremapDontUnmap) != 0 {
		return 0, unix.EINVAL
	}
	if !s.pageAligned(uint64(addr)) {
		return 0, unix.EINVAL
	}
	if newLen == 0 || newLen > task {
		return 0, unix.EINVAL
	}
	impliesNew := flags&(MremapFixed|MremapDontUnmap) != 0
	if impliesNew {
		if uint64(newAddr) > task-newLen {
			return 0, unix.EINVAL
		}
		if !s.pageAligned(uint64(newAddr)) {
			return 0, unix.EINVAL
		}
		if flags&MremapMayMove == 0 {
			return 0, unix.EINVAL
		}
		if flags&MremapDontUnmap != 0 && oldLen != newLen {
			return 0, unix.EINVAL
		}
		if (Range{addr, addr + Addr(oldLen)}).Overlaps(Range{newAddr, newAddr + Addr(newLen)}) {
			return 0, unix.EINVAL
		}
	}
	if s.vmas.count+4 > s.maxMapCount {
		return 0, unix.ENOMEM
	}
	if flags&MremapFixed != 0 && oldLen == newLen {
		return s.moveOnlyLocked(addr, oldLen, newAddr, flags)
	}
	v := s.vmas.find(addr)
	return s.remapOneLocked(v, addr, oldLen, newLen, flags, newAddr)
}

// moveOnlyLocked moves every mapping in [addr, addr+length) to newAddr,
// keeping the gaps between them (Linux 6.17+; DONTUNMAP may come with it).
func (s *Space) moveOnlyLocked(addr Addr, length uint64, newAddr Addr, flags int) (Addr, unix.Errno) {
	start, end := addr, addr+Addr(length)
	if s.small() {
		// G < H: every piece must be possible before any moves. Each
		// piece replaces its own target only (the gaps between targets
		// keep what they hold), and leaves its source unless DONTUNMAP.
		var gone []Range
		for v := s.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
			p := v.rng().Intersect(Range{start, end})
			gone = append(gone, Range{newAddr + (p.Start - addr), newAddr + (p.End - addr)})
			if flags&MremapDontUnmap == 0 {
				gone = append(gone, p)
			}
		}
		conflict := false
		for v := s.vmas.lowerBound(start); v != nil && v.start < end && !conflict; v = v.next {
			if v.start > start && v == s.vmas.lowerBound(start) {
				break // EFAULT below
			}
			p := v.rng().Intersect(Range{start, end})
			to := Range{newAddr + (p.Start - addr), newAddr + (p.End - addr)}
			off := v.off + uint64(p.Start-v.start)
			conflict = (v.file != nil && v.file.isShm) ||
				s.smallConflictLocked(to, v.file, off, v.shared, gone...)
		}
		if e := s.gateLocked(conflict); e != 0 {
			return 0, e
		}
	}
	target := newAddr
	res := Addr(0)
	seen := false
	var lastEnd Addr
	for start < end {
		// start is where the previous piece ended: with DONTUNMAP what is
		// left of it may have merged with the next mapping, so pieces are
		// cut at start, not at mapping boundaries.
		v := s.vmas.lowerBound(start)
		if v == nil || v.start >= end {
			break
		}
		if !seen && addr < v.start {
			return 0, unix.EFAULT
		}
		// Linux moves several mappings at once only where the file's own
		// address choice is known to honour a fixed address: not for a
		// private mapping of /dev/zero.
		if v.file != nil && v.file.devZero && (seen || v.end < end) {
			return 0, unix.EFAULT
		}
		pieceStart := max(v.start, start)
		pieceLen := uint64(min(end, v.end) - pieceStart)
		// The gaps between pieces stay as they were.
		offset := Addr(0)
		if seen {
			offset = pieceStart - lastEnd
		}
		lastEnd = pieceStart + Addr(pieceLen)
		got, e := s.remapOneLocked(v, pieceStart, pieceLen, pieceLen, flags|mremapChecked, target+offset)
		if e != 0 {
			return 0, e
		}
		if !seen {
			res = got
		}
		seen = true
		target = got + Addr(pieceLen)
		start = pieceStart + Addr(pieceLen)
	}
	if !seen {
		return 0, unix.EFAULT
	}
	return res, 0
}

// remapOneLocked is mremap on the single mapping v that contains addr (v
// nil: none does).
func (s *Space) remapOneLocked(v *vma, addr Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, unix.Errno) {
	if v == nil {
		return 0, unix.EFAULT
	}
	impliesNew := flags&(MremapFixed|MremapDontUnmap) != 0
	grow := newLen > oldLen
	shrink := newLen < oldLen
	if grow || impliesNew {
		if oldLen == 0 && !v.shared {
			return 0, unix.EINVAL
		}
		checkLen := oldLen
		if shrink {
			checkLen = newLen
		}
		if checkLen > uint64(v.end-addr) {
			return 0, unix.EFAULT
		}
		if grow && v.file != nil {
			pgoff := (v.off + uint64(addr-v.start)) / s.guestPage
			if pgoff+newLen/s.guestPage < pgoff {
				return 0, unix.EINVAL
			}
		}
	}
	if !impliesNew {
		switch {
		case !grow && !shrink:
			return addr, 0
		case shrink:
			if e := s.gateLocked(false); e != 0 {
				return 0, e
			}
			if e := s.munmapLocked(addr+Addr(newLen), oldLen-newLen); e != 0 {
				return 0, e
			}
			return addr, 0
		}
		if uint64(v.end-addr) == oldLen && s.canExpandLocked(v, newLen-oldLen) {
			if e := s.expandLocked(v, newLen-oldLen); e != 0 {
				return 0, e
			}
			return addr, 0
		}
		if flags&MremapMayMove == 0 {
			return 0, unix.ENOMEM
		}
		// Linux passes the old address as a hint, which can never be
		// free: the search decides.
		dst, ok := s.placeLocked(newLen, s.movePlace(v, addr, newLen, 0))
		if !ok {
			return 0, unix.ENOMEM
		}
		return s.moveLocked(v, addr, oldLen, newLen, dst, flags)
	}

	// A new address is implied (FIXED or DONTUNMAP).
	if flags&MremapFixed != 0 {
		dst := Range{newAddr, newAddr + Addr(newLen)}
		if s.splitsNeeded(dst) > 0 && s.vmas.count >= s.maxMapCount {
			return 0, unix.ENOMEM
		}
		if s.small() {
			if e := s.gateLocked(s.smallMoveRefused(v, addr, min(oldLen, newLen), dst, flags)); e != 0 {
				return 0, e
			}
		}
		s.unmapRangeLocked(dst)
		if v = s.vmas.find(addr); v == nil {
			return 0, unix.EFAULT
		}
	}
	if shrink {
		if e := s.munmapLocked(addr+Addr(newLen), oldLen-newLen); e != 0 {
			return 0, e
		}
		oldLen = newLen
		if v = s.vmas.find(addr); v == nil {
			return 0, unix.EFAULT
		}
	}
	if oldLen > uint64(v.end-addr) {
		return 0, unix.EFAULT
	}
	dst := newAddr
	if flags&MremapFixed == 0 {
		// DONTUNMAP without FIXED: new_addr is a hint.
		var ok bool
		dst, ok = s.placeLocked(newLen, s.movePlace(v, addr, newLen, Addr(alignDown(uint64(newAddr), s.guestPage))))
		if !ok {
			return 0, unix.ENOMEM
		}
	}
	return s.moveLocked(v, addr, oldLen, newLen, dst, flags)
}

// mremapChecked is a flag of gemu's own for remapOneLocked: the move is one
// piece of a move of several mappings, which moveOnlyLocked has checked as
// a whole (G < H). A piece is not checked again on its own: the targets of
// the pieces after it still hold what they will lose, which could share a
// host page with it.
const mremapChecked = 1 << 30

// smallMoveRefused reports whether moving [addr, addr+moved) of v to dst
// (G < H) needs a host page no host mapping can make (see mixed.go). A
// SysV shm attachment is never moved or grown: the host cannot map its
// segment again at a host page of the window's choosing.
func (s *Space) smallMoveRefused(v *vma, addr Addr, moved uint64, dst Range, flags int) bool {
	if flags&mremapChecked != 0 {
		return false
	}
	if v.file != nil && v.file.isShm {
		return true
	}
	gone := Range{}
	if flags&MremapDontUnmap == 0 {
		gone = Range{addr, addr + Addr(moved)}
	}
	off := v.off + uint64(addr-v.start)
	return s.smallConflictLocked(dst, v.file, off, v.shared, gone)
}

// canExpandLocked reports whether v can grow in place by delta bytes.
func (s *Space) canExpandLocked(v *vma, delta uint64) bool {
	end := uint64(v.end) + delta
	if end < uint64(v.end) || end > uint64(s.stackTop) {
		return false
	}
	return !s.intersects(Range{v.end, Addr(end)})
}

// expandLocked grows v in place by delta bytes.
func (s *Space) expandLocked(v *vma, delta uint64) unix.Errno {
	ext := Range{v.end, v.end + Addr(delta)}
	if s.small() {
		if e := s.gateLocked((v.file != nil && v.file.isShm) ||
			s.smallConflictLocked(ext, v.file, v.off+uint64(v.end-v.start), v.shared, Range{})); e != 0 {
			return e
		}
	}
	if e := s.mapLikeLocked(v, ext, v.off+uint64(v.end-v.start)); e != 0 {
		return e
	}
	s.changedLocked(ext)
	s.vmas.setEnd(v, ext.End)
	s.mergeAround(v)
	return 0
}

// mapLikeLocked maps fresh host memory at r with v's attributes: zero
// anonymous memory, or v's file at offset off.
func (s *Space) mapLikeLocked(v *vma, r Range, off uint64) unix.Errno {
	e := s.mapFreshLocked(v, r, off)
	if e == 0 {
		s.hostLockLike(v, r)
	}
	return e
}

// mapFreshLocked is mapLikeLocked without the lock.
func (s *Space) mapFreshLocked(v *vma, r Range, off uint64) unix.Errno {
	hp := hostProt(v.prot)
	var e unix.Errno
	switch {
	case v.file == nil, s.small() && v.file.devZero && !v.shared:
		e = s.hostMapAnon(r, hp, 0)
	case v.file.isShm:
		e = s.hostDupShm(v, r, off)
	case v.shared:
		e = s.hostMmap(r, hp, unix.MAP_SHARED, v.file.fd, off-v.file.offBias)
	default:
		e = s.hostMmap(r, hp, unix.MAP_PRIVATE, v.file.fd, off)
	}
	return e
}

// moveLocked moves [addr, addr+oldLen) of v to dst, growing it to newLen.
// Preconditions: the range lies in v; [dst, dst+newLen) is free.
func (s *Space) moveLocked(v *vma, addr Addr, oldLen, newLen uint64, dst Addr, flags int) (Addr, unix.Errno) {
	dontUnmap := flags&MremapDontUnmap != 0
	src := Range{addr, addr + Addr(oldLen)}
	off := v.off + uint64(addr-v.start)
	moved := min(oldLen, newLen)
	to := Range{dst, dst + Addr(newLen)}
	if s.small() {
		if e := s.gateLocked(s.smallMoveRefused(v, addr, moved, to, flags)); e != 0 {
			return 0, e
		}
	}
	// hostMoved says the moved part's page tables went with it.
	hostMoved := false
	if v.shared && s.small() {
		// Shared pages live in the file: map it again at the target.
		if e := s.mapLikeLocked(v, to, off); e != 0 {
			return 0, e
		}
	} else if moved > 0 {
		// Pages move with their page tables, shared ones too (which pages
		// a mapping has in its page tables is visible: MADV_PAGEOUT drops
		// only those). DONTUNMAP keeps the source mapped, so there is
		// never a hole in the window; the source is replaced below.
		hostMoved = !s.small()
		if s.small() {
			if e := s.smallMoveLocked(v, Range{src.Start, src.Start + Addr(moved)}, dst, off); e != 0 {
				return 0, e
			}
			if dontUnmap {
				// The pages left behind are empty (anonymous) or show
				// the file again.
				s.mapFreshLocked(v, Range{src.Start, src.Start + Addr(moved)}, off)
			}
		} else if e := s.hostMove(Range{src.Start, src.Start + Addr(moved)}, dst); e != 0 {
			return 0, e
		}
		if v.flags&vmLocked != 0 {
			// A DONTUNMAP move unlocks the host's source mapping, all of
			// it, and leaves the new one unlocked: lock them again,
			// without faulting in what was not there.
			s.hostMlock(Range{dst, dst + Addr(moved)}, unix.MLOCK_ONFAULT)
			hole := Range{src.Start, src.Start + Addr(moved)}
			if dontUnmap {
				// The guest's source mapping loses its lock too.
				hole = v.rng()
			}
			s.relockAround(v, hole)
		}
	}
	if newLen > moved && !(v.shared && s.small()) {
		ext := Range{dst + Addr(moved), to.End}
		if e := s.mapLikeLocked(v, ext, off+moved); e != 0 {
			s.debugf("guestmem: mapping the grown part of a move at %v: %v", ext, e)
		}
	}
	nv := &vma{
		start: to.Start, end: to.End, prot: v.prot, maxProt: v.maxProt, shared: v.shared,
		flags: v.flags, file: v.file, off: off, name: v.name,
	}
	if v.file == nil {
		nv.off = 0
	}
	if !v.eofFill.empty() {
		fill := v.eofFill.Intersect(Range{src.Start, src.Start + Addr(moved)})
		if !fill.empty() {
			nv.eofFill = Range{fill.Start - src.Start + dst, fill.End - src.Start + dst}
			if v.shared && !hostMoved {
				s.hostMapAnon(nv.eofFill, hostProt(v.prot), 0)
			}
		}
	}
	refBacking(v.file)
	s.changedLocked(to)
	s.changedLocked(src)
	s.dropCodePagesLocked(src)
	if dontUnmap {
		// Linux clears the lock on the whole mapping moved from.
		if w := s.vmas.find(addr); w != nil && w.flags&vmLocked != 0 {
			w.flags &^= vmLocked | vmLockOnFault
			s.hostMunlock(w.rng())
			s.mergeAround(w)
		}
	} else if oldLen > 0 {
		s.hostReserve(src)
		s.carveLocked(src)
	}
	s.carveLocked(to)
	s.vmas.insert(nv)
	s.mergeAround(nv)
	return dst, 0
}

// hostMove moves the host pages of src to dst (page tables and all), leaving
// src mapped but empty (DONTUNMAP) so the window never has a hole. One guest
// mapping can be several host mappings (the host keeps apart what it cannot
// merge, such as an anonymous mapping grown by mremap); the host moves
// several at once only where it knows their files allow it, so when it
// refuses, each host mapping moves on its own.
func (s *Space) hostMove(src Range, dst Addr) unix.Errno {
	const flags = unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED | unix.MREMAP_DONTUNMAP
	s.unslotRangeLocked(src)
	defer s.dropSlotsLocked(Range{dst, dst + Addr(src.Len())})
	_, e := hostMremap(s.hostAddr(src.Start), src.Len(), src.Len(), flags, s.hostAddr(dst))
	if e != unix.EFAULT {
		return e
	}
	segs, err := readHostMaps(s.hostAddr(src.Start), s.hostAddr(src.End))
	if err != nil {
		return unix.EFAULT
	}
	for _, seg := range segs {
		lo := max(seg.start, s.hostAddr(src.Start))
		hi := min(seg.end, s.hostAddr(src.End))
		to := s.hostAddr(dst) + (lo - s.hostAddr(src.Start))
		if _, e := hostMremap(lo, uint64(hi-lo), uint64(hi-lo), flags, to); e != 0 {
			return e
		}
	}
	return 0
}

// relockAround locks again, on the host, the locked guest mappings around
// hole that one host mapping with v may have covered: the run of
// contiguous locked mappings through v, hole excluded.
func (s *Space) relockAround(v *vma, hole Range) {
	first := v
	for p := first.prev; p != nil && p.end == first.start && p.flags&vmLocked != 0; p = p.prev {
		first = p
	}
	for w := first; w != nil && w.flags&vmLocked != 0; w = w.next {
		for _, r := range []Range{{w.start, min(w.end, hole.Start)}, {max(w.start, hole.End), w.end}} {
			if !r.empty() {
				s.hostMlock(r, unix.MLOCK_ONFAULT)
			}
		}
		if w.next == nil || w.next.start != w.end {
			break
		}
	}
}

// hostDupShm maps the pages of v's shm segment from offset off at r. A
// segment has no descriptor, so the host duplicates v's own mapping
// (mremap with old size 0, which shared mappings allow) at an address of
// its choosing, and the wanted part moves into the window.
func (s *Space) hostDupShm(v *vma, r Range, off uint64) unix.Errno {
	if off < v.off {
		return unix.EINVAL
	}
	head := off - v.off
	span := head + r.Len()
	tmp, e := hostMremap(s.hostAddr(v.start), 0, span, unix.MREMAP_MAYMOVE, 0)
	if e != 0 {
		return e
	}
	if _, e := hostMremap(tmp+uintptr(head), r.Len(), r.Len(), unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, s.hostAddr(r.Start)); e != 0 {
		hostMunmapOutside(tmp, span)
		return e
	}
	s.dropSlotsLocked(r)
	if head > 0 {
		hostMunmapOutside(tmp, head)
	}
	return s.hostProtect(r, hostProt(v.prot))
}
