package guestmem

import (
	"golang.org/x/sys/unix"
)

// legacyMapMask is the set of flags MAP_SHARED_VALIDATE accepts for a file
// mapping (Linux's LEGACY_MAP_MASK; MAP_SYNC only on DAX files, which gemu
// never maps).
const legacyMapMask = MapShared | MapPrivate | MapFixed | MapAnonymous |
	MapDenyWrite | MapExecutable | MapUninitialized | MapGrowsDown |
	MapLocked | MapNoReserve | MapPopulate | MapNonBlock | MapStack |
	MapHugeTLB

// mapDroppable is the MAP_DROPPABLE mapping type (Linux 6.11).
const mapDroppable = 0x08

// Mmap implements mmap(2). fd is a host file descriptor (ignored for
// anonymous mappings); offset is in bytes.
//
// The checks run in Linux's order (do_mmap), so that a call with several
// faults gets the errno Linux gives:
//
//	offset not page-aligned            EINVAL
//	bad fd (file mappings)             EBADF
//	MAP_HUGETLB on a regular file      EINVAL
//	length 0                           EINVAL
//	length overflows when rounded      ENOMEM
//	offset+length overflows            EOVERFLOW
//	too many mappings                  ENOMEM
//	no room / MAP_FIXED past the end   ENOMEM
//	MAP_FIXED address not aligned      EINVAL
//	MAP_FIXED below mmap_min_addr      EPERM
//	MAP_FIXED_NOREPLACE on a mapping   EEXIST
//	file checks (mode, type, flags)    EOVERFLOW EOPNOTSUPP EACCES EPERM ENODEV EINVAL
//	bad mapping type                   EINVAL
func (s *Space) Mmap(addr Addr, length uint64, prot, flags int, fd int, offset int64) (Addr, unix.Errno) {
	s.lock()
	defer s.unlock()
	return s.mmapLocked(addr, length, prot, flags, fd, offset)
}

func (s *Space) mmapLocked(addr Addr, length uint64, prot, flags int, fd int, offset int64) (Addr, unix.Errno) {
	if !s.pageAligned(uint64(offset)) {
		return 0, unix.EINVAL
	}
	anon := flags&MapAnonymous != 0
	var fi fileInfo
	if !anon {
		var e unix.Errno
		if fi, e = inspectFD(fd); e != 0 {
			return 0, e
		}
		if flags&MapHugeTLB != 0 {
			return 0, unix.EINVAL
		}
	} else if flags&MapHugeTLB != 0 {
		// No huge pages are reserved for the guest, as on a kernel with
		// vm.nr_hugepages = 0.
		if length == 0 {
			return 0, unix.EINVAL
		}
		return 0, unix.ENOMEM
	}
	if length == 0 {
		return 0, unix.EINVAL
	}
	fixed := flags&(MapFixed|MapFixedNoReplace) != 0
	if !fixed {
		addr = Addr(alignDown(uint64(addr), s.guestPage))
		if addr != 0 && addr < s.minAddr {
			addr = s.minAddr
		}
	}
	length, ok := s.pageAlignLen(length)
	if !ok {
		return 0, unix.ENOMEM
	}
	pgoff := uint64(offset) / s.guestPage
	if pgoff+length/s.guestPage < pgoff {
		return 0, unix.EOVERFLOW
	}
	if s.vmas.count > s.maxMapCount {
		return 0, unix.ENOMEM
	}
	vmflags := vmFlags(0)
	if flags&MapGrowsDown != 0 {
		vmflags |= vmGrowsDown
	}
	if flags&MapStack != 0 {
		// Linux 6.7+: MAP_STACK implies VM_NOHUGEPAGE.
		vmflags |= vmNoHugePage
	}
	if flags&MapNoReserve != 0 {
		vmflags |= vmNoReserve
	}

	// Address choice (Linux's __get_unmapped_area).
	top := s.stackTop
	if length > uint64(top) {
		return 0, unix.ENOMEM
	}
	if fixed {
		if length > uint64(top-s.minAddr) {
			return 0, unix.ENOMEM
		}
	} else {
		var ok bool
		addr, ok = s.placeLocked(length, s.mmapPlace(addr, length, flags, &fi, uint64(offset)))
		if !ok {
			return 0, unix.ENOMEM
		}
	}
	if uint64(addr) > uint64(top)-length {
		return 0, unix.ENOMEM
	}
	if !s.pageAligned(uint64(addr)) {
		return 0, unix.EINVAL
	}
	if addr < s.minAddr {
		return 0, unix.EPERM
	}
	r := Range{addr, addr + Addr(length)}
	if flags&MapFixedNoReplace != 0 && s.intersects(r) {
		return 0, unix.EEXIST
	}
	if flags&MapLocked != 0 {
		vmflags |= vmLocked
	}
	vmflags |= s.lockFuture

	v := &vma{start: r.Start, end: r.End, prot: prot & (ProtRead | ProtWrite | ProtExec), flags: vmflags,
		maxProt: ProtRead | ProtWrite | ProtExec}
	if !anon {
		if e := s.checkFileMapping(&fi, v, prot, flags, uint64(offset), length); e != 0 {
			return 0, e
		}
	} else {
		switch flags & MapTypeMask {
		case MapShared:
			if vmflags&vmGrowsDown != 0 {
				return 0, unix.EINVAL
			}
			v.shared = true
		case MapPrivate, mapDroppable:
		default:
			return 0, unix.EINVAL
		}
	}
	if s.splitsNeeded(r) > 0 && s.vmas.count >= s.maxMapCount {
		return 0, unix.ENOMEM
	}
	if e := s.installLocked(v, fd, &fi, flags); e != 0 {
		return 0, e
	}
	return r.Start, 0
}

// ProtSem is PROT_SEM, accepted and ignored.
const ProtSem = 0x8

// intersects reports whether any mapping overlaps r.
func (s *Space) intersects(r Range) bool {
	v := s.vmas.lowerBound(r.Start)
	return v != nil && v.start < r.End
}

// pmdSize is the size a page-middle-directory entry maps with G-byte pages:
// Linux aligns anonymous mappings of a multiple of it for transparent huge
// pages.
func (s *Space) pmdSize() uint64 { return s.guestPage * (s.guestPage / 8) }

// checkFileMapping applies Linux's checks on a file mapping and fills in
// v's sharing and maximum protection.
func (s *Space) checkFileMapping(fi *fileInfo, v *vma, prot, flags int, offset, length uint64) unix.Errno {
	// Linux's file_mmap_ok, in pages.
	maxSize := maxFileSize(fi.stat.Mode)
	if length > maxSize || offset/s.guestPage > (maxSize-length)>>log2(s.guestPage) {
		return unix.EOVERFLOW
	}
	switch flags & MapTypeMask {
	case MapShared, MapSharedValidate:
		if flags&MapTypeMask == MapSharedValidate && flags&^legacyMapMask != 0 {
			return unix.EOPNOTSUPP
		}
		if prot&ProtWrite != 0 && !fi.writable {
			return unix.EACCES
		}
		v.shared = true
		if !fi.writable {
			v.maxProt &^= ProtWrite
		}
	case MapPrivate:
	default:
		return unix.EINVAL
	}
	if !fi.readable {
		return unix.EACCES
	}
	if fi.noexec {
		if prot&ProtExec != 0 {
			return unix.EPERM
		}
		v.maxProt &^= ProtExec
	}
	if !mmapable(fi.stat.Mode) {
		return unix.ENODEV
	}
	if v.flags&vmGrowsDown != 0 {
		return unix.EINVAL
	}
	v.off = offset
	return 0
}

// mmapable reports whether files of this type have an mmap method at all.
// Character devices are decided by the host when the mapping is made.
func mmapable(mode uint32) bool {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFBLK, unix.S_IFCHR:
		return true
	}
	return false
}

// installLocked makes v real: the host mapping first (so that a host
// failure leaves everything as it was), then the bookkeeping, replacing
// whatever v overlaps.
// Preconditions: s.mu is held for writing; v is checked and G-aligned.
func (s *Space) installLocked(v *vma, fd int, fi *fileInfo, flags int) unix.Errno {
	r := v.rng()
	hprot := hostProt(v.prot)
	extra := 0
	if flags&MapPopulate != 0 && flags&MapNonBlock == 0 {
		extra |= unix.MAP_POPULATE
	}
	if v.flags&vmNoReserve != 0 {
		extra |= unix.MAP_NORESERVE
	}
	anon := flags&MapAnonymous != 0
	if !anon && fi != nil && fi.isDevZero() {
		if v.shared {
			// Linux turns a shared mapping of /dev/zero into shared
			// anonymous memory.
			anon = true
		} else {
			// A private one is anonymous memory that keeps /dev/zero's
			// name, with the page offset anonymous memory gets: its
			// address. The host makes the same.
			v.off = uint64(r.Start)
		}
	}
	if s.small() {
		// G < H: a shared page must be mapped by the host as it is.
		var probe *backing
		off := v.off
		switch {
		case v.shared && anon:
			probe = &backing{anonShared: true}
			if flags&MapAnonymous != 0 {
				off = 0
			} else {
				off -= s.zeroBias(off, r.Len())
			}
		case v.shared:
			probe = &backing{dev: fi.stat.Dev, ino: fi.stat.Ino}
		}
		if e := s.gateLocked(s.smallConflictLocked(r, probe, off, v.shared, Range{})); e != 0 {
			return e
		}
	}
	switch {
	case anon && !v.shared && !s.intersects(r):
		if s.small() {
			s.noteEdgesLocked(r, srcFresh)
		}
		if hprot == unix.PROT_NONE {
			v.flags |= vmPristine
		}
		// The range is reservation: private, anonymous, zero-filled and
		// PROT_NONE already. Changing its protection is all it takes
		// (cheaper for the host than a new mapping: no unmap, and the
		// host merges it with its neighbours), and nothing at all for
		// PROT_NONE.
		if hprot != unix.PROT_NONE {
			if e := s.hostProtect(r, hprot); e != 0 {
				return e
			}
			if extra&unix.MAP_POPULATE != 0 {
				advice := unix.MADV_POPULATE_READ
				if hprot&unix.PROT_WRITE != 0 {
					advice = unix.MADV_POPULATE_WRITE
				}
				s.hostMadvise(r, advice)
			}
		}
	case anon && !v.shared:
		if e := s.hostMapAnon(r, hprot, extra); e != 0 {
			return e
		}
	case anon:
		// Shared anonymous memory (or shared /dev/zero, at the offset
		// given: pages past the object's size raise SIGBUS, as in Linux).
		b, e := s.anonSharedBacking(r.Len())
		if e != 0 {
			return e
		}
		if flags&MapAnonymous != 0 {
			v.off = 0
		} else {
			b.offBias = s.zeroBias(v.off, r.Len())
		}
		if e := s.hostMmap(r, hprot, unix.MAP_SHARED|extra, b.fd, v.off-b.offBias); e != 0 {
			s.unrefBacking(b)
			return e
		}
		v.file = b
	default:
		if e := s.mapFileLocked(v, fd, fi, extra); e != 0 {
			return e
		}
	}
	s.changedLocked(r)
	s.carveLocked(r)
	s.vmas.insert(v)
	// Locked after the bookkeeping: with G < H, what the lock faults in
	// on a shared host page is decided by the mappings it then holds.
	s.hostLockLike(v, r)
	s.mergeAround(v)
	return 0
}

// zeroBias returns the offBias of a shared /dev/zero mapping of length
// bytes at offset off. At an offset past the object's size (length) every
// page raises SIGBUS, as in Linux; the host refuses offsets past 2^63, so
// it maps the object a little past its size instead, which does the same,
// at an offset congruent to off modulo H (so that with G < H the address
// choice can go by off, see findfree.go). The guest still sees its offset.
func (s *Space) zeroBias(off, length uint64) uint64 {
	limit := alignUp(length, s.hostPage)
	if off <= limit {
		return 0
	}
	return alignDown(off-limit, s.hostPage)
}

// mapFileLocked maps the guest's file fd at v. The host maps it first at an
// address of its own choosing, with the guest's flags, so that every check
// Linux makes on the file (and any error of the file system's mmap method)
// happens before the window is touched; then the mapping moves into the
// window in one mremap, replacing what was there.
func (s *Space) mapFileLocked(v *vma, fd int, fi *fileInfo, extra int) unix.Errno {
	r := v.rng()
	mtype := unix.MAP_PRIVATE
	if v.shared {
		mtype = unix.MAP_SHARED
	}
	hprot := hostProt(v.prot)
	if s.small() {
		return s.mapFileSmallLocked(v, fd, fi, mtype, extra)
	}
	tmp, e := hostMmapAnywhere(r.Len(), hprot, mtype|extra, fd, v.off)
	if e != 0 {
		return e
	}
	if _, e := hostMremap(tmp, r.Len(), r.Len(), unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, s.hostAddr(r.Start)); e != 0 {
		hostMunmapOutside(tmp, r.Len())
		return e
	}
	b, err := s.fileBackingLocked(fd, fi)
	if err != nil {
		s.debugf("%v", err)
		s.hostReserve(r)
		return unix.ENOMEM
	}
	v.file = b
	s.fillPastEOFLocked(v, uint64(fi.stat.Size))
	return 0
}

// mapFileSmallLocked is mapFileLocked with G < H: the host checks the file
// with a trial mapping of its own, at the H-aligned offset below v's, and
// the window's host pages are then made as the mapping set says (see
// mixed.go).
func (s *Space) mapFileSmallLocked(v *vma, fd int, fi *fileInfo, mtype, extra int) unix.Errno {
	r := v.rng()
	hprot := hostProt(v.prot)
	lo := alignDown(v.off, s.hostPage)
	span := alignUp(v.off+r.Len(), s.hostPage) - lo
	tmp, e := hostMmapAnywhere(span, hprot, mtype|extra&unix.MAP_NORESERVE, fd, lo)
	if e != 0 {
		return e
	}
	hostMunmapOutside(tmp, span)
	b, err := s.fileBackingLocked(fd, fi)
	if err != nil {
		s.debugf("%v", err)
		return unix.ENOMEM
	}
	if fi.isDevZero() {
		e = s.hostMapAnon(r, hprot, extra)
	} else {
		e = s.hostMmap(r, hprot, mtype|extra, b.fd, v.off)
	}
	if e != 0 {
		s.unrefBacking(b)
		return e
	}
	v.file = b
	return 0
}
