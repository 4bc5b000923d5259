package guestmem

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SysV shared memory. Segments are the host's own: shmget and shmctl go to
// the host kernel, so keys, permissions, limits and errno are the host's,
// and a segment is shared with any other process on the machine (an X
// server's MIT-SHM, another gemu). An attachment is made by the host at an
// address of its choosing (every permission check happens there) and then
// moved into the window with one mremap, as file mappings are.

// Guest ABI values for the shm calls (asm-generic, the same on x86_64).
const (
	IPCCreat  = 0o1000
	IPCExcl   = 0o2000
	IPCRmid   = 0
	IPCSet    = 1
	IPCStat   = 2
	ShmRdonly = 0o10000
	ShmRnd    = 0o20000
	ShmRemap  = 0o40000
	ShmExec   = 0o100000
)

// Shmget implements shmget(2) on the host's SysV IPC namespace.
func (s *Space) Shmget(key int32, size uint64, flags int) (int, unix.Errno) {
	id, err := unix.SysvShmGet(int(key), int(size), flags)
	if err != nil {
		return 0, err.(unix.Errno)
	}
	return id, 0
}

// ShmidDS is struct shmid64_ds, as shmctl(IPC_STAT) reports it. The riscv64
// and x86_64 layouts are the same (asm-generic).
type ShmidDS = unix.SysvShmDesc

// Shmctl implements shmctl(2) for IPC_STAT, IPC_SET and IPC_RMID (ds is
// read for IPC_SET and written for IPC_STAT).
func (s *Space) Shmctl(id, cmd int, ds *ShmidDS) unix.Errno {
	switch cmd {
	case IPCRmid, IPCSet, IPCStat:
	default:
		return unix.EINVAL
	}
	if ds == nil {
		ds = new(ShmidDS)
	}
	if _, err := unix.SysvShmCtl(id, cmd, ds); err != nil {
		return err.(unix.Errno)
	}
	return 0
}

// shmlba is the attach alignment SHM_RND rounds to: the larger of G and H.
func (s *Space) shmlba() uint64 { return max(s.guestPage, s.hostPage) }

// Shmat implements shmat(2):
//
//	address not SHMLBA-aligned without SHM_RND,    EINVAL
//	or not even page-aligned
//	SHM_RND rounding to 0 with SHM_REMAP           EINVAL
//	SHM_REMAP without an address                   EINVAL
//	bad id, no permission, segment removed         the host's errno (EINVAL, EACCES, EIDRM)
//	address given, range in use, no SHM_REMAP      EINVAL
//	no room                                        ENOMEM
func (s *Space) Shmat(id int, addr Addr, flags int) (Addr, unix.Errno) {
	lba := s.shmlba()
	fixed := false
	if addr != 0 {
		if uint64(addr)&(lba-1) != 0 {
			if flags&ShmRnd != 0 {
				addr = Addr(alignDown(uint64(addr), lba))
				if addr == 0 && flags&ShmRemap != 0 {
					return 0, unix.EINVAL
				}
			} else if !s.pageAligned(uint64(addr)) {
				return 0, unix.EINVAL
			}
		}
		fixed = true
	} else if flags&ShmRemap != 0 {
		return 0, unix.EINVAL
	}
	prot := ProtRead | ProtWrite
	hostFlags := 0
	if flags&ShmRdonly != 0 {
		prot = ProtRead
		hostFlags |= unix.SHM_RDONLY
	}
	if flags&ShmExec != 0 {
		prot |= ProtExec
	}

	// The host attaches first, wherever it likes: its checks decide.
	hp, _, e := unix.Syscall(unix.SYS_SHMAT, uintptr(id), 0, uintptr(hostFlags))
	if e != 0 {
		return 0, e
	}
	var ds ShmidDS
	if _, err := unix.SysvShmCtl(id, IPCStat, &ds); err != nil {
		unix.Syscall(unix.SYS_SHMDT, hp, 0, 0)
		return 0, err.(unix.Errno)
	}
	segSize := uint64(ds.Segsz)
	hostLen := alignUp(segSize, s.realHostPage)
	length := alignUp(segSize, s.guestPage)
	detach := func() { unix.Syscall(unix.SYS_SHMDT, hp, 0, 0) }

	s.lock()
	defer s.unlock()
	if fixed {
		r := Range{addr, addr + Addr(length)}
		if uint64(addr) > uint64(s.stackTop)-length || addr < s.minAddr {
			detach()
			return 0, unix.EINVAL
		}
		if flags&ShmRemap == 0 && s.intersects(r) {
			detach()
			return 0, unix.EINVAL
		}
	} else {
		var ok bool
		// A segment is shared: with G < H it gets host pages of its own
		// (see findfree.go).
		req := placeReq{align: lba}
		req.own, req.lead = s.hostPlace(true, false, 0, length)
		addr, ok = s.placeLocked(length, req)
		if !ok {
			detach()
			return 0, unix.ENOMEM
		}
	}
	r := Range{addr, addr + Addr(length)}
	if s.splitsNeeded(r) > 0 && s.vmas.count >= s.maxMapCount {
		detach()
		return 0, unix.ENOMEM
	}
	if s.smallConflictLocked(r, &backing{isShm: true}, 0, true, Range{}) {
		// G < H: the segment must start a host page, and share its last
		// one with nothing mapped (see mixed.go).
		detach()
		return 0, s.refuseLocked()
	}
	if _, e := hostMremap(hp, hostLen, hostLen, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, s.hostAddr(addr)); e != 0 {
		detach()
		return 0, e
	}
	s.dropSlotsLocked(Range{addr, addr + Addr(hostLen)})
	if hostLen < length {
		// G > H: the rest of the last guest page reads as zeros, as the
		// segment's last page does on a G-page kernel.
		s.hostMapAnon(Range{addr + Addr(hostLen), r.End}, hostProt(prot), 0)
	}
	maxProt := ProtRead | ProtWrite | ProtExec
	if flags&ShmRdonly != 0 {
		maxProt &^= ProtWrite
	}
	b := &backing{
		fd:       -1,
		dev:      1,
		ino:      s.hostInode(s.hostAddr(addr)),
		path:     fmt.Sprintf("/SYSV%08x (deleted)", uint32(ds.Perm.Key)),
		isShm:    true,
		shmID:    id,
		shmSize:  segSize,
		writable: flags&ShmRdonly == 0,
		refs:     1,
	}
	v := &vma{start: r.Start, end: r.End, prot: prot, maxProt: maxProt, shared: true, file: b, flags: s.lockFuture}
	if hostLen < length {
		v.eofFill = Range{addr + Addr(hostLen), r.End}
	}
	s.changedLocked(r)
	s.carveLocked(r)
	s.vmas.insert(v)
	s.mergeAround(v)
	if s.small() && !s.pageAlignedHost(uint64(r.End)) {
		// The last host page holds unmapped guest pages too.
		last := Addr(alignDown(uint64(r.End), s.hostPage))
		s.rawProtect(Range{last, addr + Addr(hostLen)}, s.planLocked(last).prot)
	}
	return addr, 0
}

// pageAlignedHost reports whether a is a multiple of H.
func (s *Space) pageAlignedHost(a uint64) bool { return a&(s.hostPage-1) == 0 }

// hostInode reads the inode the host shows for the mapping at host address
// a (a shm segment's, which /proc/self/maps prints).
func (s *Space) hostInode(a uintptr) uint64 {
	segs, err := readHostMaps(a, a+1)
	if err != nil || len(segs) == 0 {
		return 0
	}
	return segs[0].ino
}

// Shmdt implements shmdt(2): it detaches the attachment made at addr —
// every piece of it still mapped, though mprotect or munmap split it — and
// gives EINVAL when no attachment piece sits where it would start at addr.
func (s *Space) Shmdt(addr Addr) unix.Errno {
	if !s.pageAligned(uint64(addr)) {
		return unix.EINVAL
	}
	s.lock()
	defer s.unlock()
	// The first piece of an attachment whose offset puts its start at
	// addr, anywhere above addr.
	matches := func(v *vma) bool {
		return v.file != nil && v.file.isShm && v.start >= addr && uint64(v.start-addr) == v.off
	}
	v := s.vmas.lowerBound(addr)
	for v != nil && !matches(v) {
		v = v.next
	}
	if v == nil {
		return unix.EINVAL
	}
	seg := v.file
	size := alignUp(seg.shmSize, s.guestPage)
	next := v.next
	s.unmapRangeLocked(v.rng())
	// Later pieces of the same attachment lie within its size.
	for v = next; v != nil && uint64(v.end-addr) <= size; v = next {
		next = v.next
		if matches(v) && v.file == seg {
			s.unmapRangeLocked(v.rng())
		}
	}
	return 0
}
