package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// The memory system calls go straight to the address space, which answers
// with Linux's errno for the same input.

func sysMmapImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd := int(int32(a[4]))
	flags := int(int32(a[3]))
	if p.ownFDs[fd] && flags&guestmem.MapAnonymous == 0 {
		return 0, unix.EBADF
	}
	prot := int(int32(a[2]))
	// With guest pages smaller than host pages, a mapping without
	// MAP_FIXED may need a place of its own (see placeMapping): file and
	// shared mappings, and anonymous ones that fill whole host pages (a
	// thread stack beside another's guard page would make every access
	// to the top of the stack a slow one), are placed so at once; any
	// other is placed so when the address space refuses the place it
	// chose itself.
	placeable := p.smallPages() && flags&(guestmem.MapFixed|guestmem.MapFixedNoReplace) == 0 &&
		a[1] != 0 && a[5]%p.space.GuestPageSize() == 0
	if placeable {
		p.g.placeMu.Lock()
		defer p.g.placeMu.Unlock()
	}
	place := func() (guestmem.Addr, unix.Errno) {
		off := a[5]
		if flags&guestmem.MapAnonymous != 0 {
			off = 0
		}
		return p.placeMapping(a[1], off, func(at guestmem.Addr) (guestmem.Addr, unix.Errno) {
			return p.space.Mmap(at, a[1], prot, flags|guestmem.MapFixedNoReplace, fd, int64(a[5]))
		})
	}
	shared := flags&guestmem.MapTypeMask == guestmem.MapShared || flags&guestmem.MapTypeMask == guestmem.MapSharedValidate
	wholeHostPages := flags&guestmem.MapAnonymous != 0 && a[1]%p.space.HostPageSize() == 0
	if placeable && a[0] == 0 && (shared || flags&guestmem.MapAnonymous == 0 || wholeHostPages) {
		if addr, errno := place(); errno == 0 {
			return uint64(addr), 0
		}
	}
	addr, errno := p.space.Mmap(guestmem.Addr(a[0]), a[1], prot, flags, fd, int64(a[5]))
	if placeable && errno == unix.EINVAL {
		if addr, e := place(); e == 0 {
			return uint64(addr), 0
		}
	}
	return uint64(addr), errno
}

// smallPages reports whether guest pages are smaller than host pages.
func (p *Process) smallPages() bool {
	return p.space.GuestPageSize() < p.space.HostPageSize()
}

// placeMapping places a mapping of length bytes from offset off (an mmap
// without MAP_FIXED, a moving mremap, or a shmat without an address) when
// guest pages are smaller than host pages, in host pages that hold no
// other mapping. The address space maps a file directly (a shared mapping
// must be, for its stores to reach the file; a private one then sees later
// writes to the file, as on Linux) only at an address congruent to its
// offset modulo the host page size, in host pages that hold no other
// mapping; elsewhere it refuses a shared mapping (EINVAL) and copies a
// private one. A host page shared with another mapping takes the most
// restrictive protection of the two, making accesses that the other's
// protection forbids slow ones. And its choice of an address for a mapping
// without MAP_FIXED can land in the free guest pages of a host page it
// keeps for a shared mapping, which it then refuses (EINVAL) rather than
// look further. Until the address space looks for such places itself, gemu
// does: the highest free run of whole host pages below the mmap base that
// holds the mapping at the right congruence, found from the list of
// mappings; mapAt maps there. The caller falls back on the address space's
// own answer if this fails.
// Preconditions: p.g.placeMu is held, so that no other thread's mapping
// without MAP_FIXED lands where mapAt is going to map.
func (p *Process) placeMapping(length, off uint64, mapAt func(guestmem.Addr) (guestmem.Addr, unix.Errno)) (guestmem.Addr, unix.Errno) {
	h := p.space.HostPageSize()
	lead := off % h
	span := alignUp(lead+length, h)
	if span < length || span > p.space.Size() {
		return 0, unix.ENOMEM
	}
	// Walk the gaps between mappings from the mmap base down.
	maps := p.space.Mappings()
	hi := alignDown(uint64(p.space.MmapBase()), h)
	for i := len(maps); ; i-- {
		lo := uint64(minMapAddr)
		if i > 0 {
			lo = uint64(maps[i-1].End)
		}
		lo = alignUp(lo, h)
		if hi >= lo && hi-lo >= span {
			return mapAt(guestmem.Addr(hi - span + lead))
		}
		if i == 0 {
			return 0, unix.ENOMEM
		}
		hi = min(hi, alignDown(uint64(maps[i-1].Start), h))
	}
}

// minMapAddr is the lowest address placeMapping uses (Linux's default
// vm.mmap_min_addr).
const minMapAddr = 1 << 16

func sysMunmapImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Munmap(guestmem.Addr(a[0]), a[1])
}

func sysMprotectImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	errno := p.space.Mprotect(guestmem.Addr(a[0]), a[1], int(int32(a[2])))
	p.hostPagesChanged(a[0], a[1])
	return 0, errno
}

func sysMremapImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	old, flags := guestmem.Addr(a[0]), int(int32(a[3]))
	// A move whose destination the address space chooses. (With
	// MREMAP_DONTUNMAP a new address is a hint that must be aligned:
	// placing the move elsewhere would skip that check.)
	moving := p.smallPages() && flags&guestmem.MremapMayMove != 0 && flags&guestmem.MremapFixed == 0 && a[2] != 0 &&
		(flags&guestmem.MremapDontUnmap == 0 || a[4] == 0)
	if moving {
		p.g.placeMu.Lock()
		defer p.g.placeMu.Unlock()
	}
	addr, errno := p.space.Mremap(old, a[1], a[2], flags, guestmem.Addr(a[4]))
	if moving && errno == unix.EINVAL {
		// See placeMapping: the move's destination, chosen by the
		// address space, can be a place it then refuses.
		if m, ok := p.space.Lookup(old); ok {
			off := m.Offset + uint64(old-m.Start)
			if at, e := p.placeMapping(a[2], off, func(at guestmem.Addr) (guestmem.Addr, unix.Errno) {
				return p.space.Mremap(old, a[1], a[2], flags|guestmem.MremapFixed, at)
			}); e == 0 {
				return uint64(at), 0
			}
		}
	}
	return uint64(addr), errno
}

func sysMsyncImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Msync(guestmem.Addr(a[0]), a[1], int(int32(a[2])))
}

func sysMadviseImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	errno := p.space.Madvise(guestmem.Addr(a[0]), a[1], int(int32(a[2])))
	p.hostPagesChanged(a[0], a[1])
	return 0, errno
}

func sysMlockImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Mlock(guestmem.Addr(a[0]), a[1], 0)
}

func sysMlock2Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Mlock(guestmem.Addr(a[0]), a[1], int(int32(a[2])))
}

func sysMunlockImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Munlock(guestmem.Addr(a[0]), a[1])
}

func sysMlockallImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Mlockall(int(int32(a[0])))
}

func sysMunlockallImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Munlockall()
}

// sysMincoreImpl asks the address space for the residency vector, then
// copies it out; a bad vector pointer is EFAULT, after the range checks.
func sysMincoreImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	g := p.space.GuestPageSize()
	if a[1] > p.space.Size() {
		// Linux: a range that leaves the user address space is ENOMEM
		// (after the alignment check the Space makes below).
		if errno := p.space.Mincore(guestmem.Addr(a[0]), 0, nil); errno != 0 {
			return 0, errno
		}
		return 0, unix.ENOMEM
	}
	pages := (a[1] + g - 1) / g
	vec := make([]byte, pages)
	if errno := p.space.Mincore(guestmem.Addr(a[0]), a[1], vec); errno != 0 {
		return 0, errno
	}
	return 0, p.copyOut(a[2], vec)
}

func sysBrkImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return uint64(p.space.Brk(guestmem.Addr(a[0]))), 0
}

// sysFlushIcacheImpl is riscv_flush_icache: drop cached code for the range.
func sysFlushIcacheImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[2]&^1 != 0 {
		return 0, unix.EINVAL
	}
	// Every thread's CPU drops its cached code: another hart may run it.
	p.cpu.Invalidate(0, p.space.Size())
	p.g.invalidate(guestmem.Range{Start: 0, End: guestmem.Addr(p.space.Size())})
	return 0, 0
}

// SysV shared memory. struct shmid64_ds has the same layout on riscv64 and
// the hosts, so it is copied as it is.

const (
	ipcRmid = 0
	ipcSet  = 1
	ipcStat = 2
	ipc64   = 0x100
)

func sysShmgetImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	id, errno := p.space.Shmget(int32(a[0]), a[1], int(int32(a[2])))
	return uint64(id), errno
}

func sysShmctlImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	id, cmd := int(int32(a[0])), int(int32(a[1]))&^ipc64
	var ds guestmem.ShmidDS
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&ds)), unsafe.Sizeof(ds))
	switch cmd {
	case ipcSet:
		if errno := p.copyIn(raw, a[2]); errno != 0 {
			return 0, errno
		}
	case ipcStat, ipcRmid:
	default:
		return 0, unix.EINVAL
	}
	if errno := p.space.Shmctl(id, cmd, &ds); errno != 0 {
		return 0, errno
	}
	if cmd == ipcStat {
		return 0, p.copyOut(a[2], raw)
	}
	return 0, 0
}

func sysShmatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	id, flags := int(int32(a[0])), int(int32(a[2]))
	placeable := p.smallPages() && a[1] == 0 && flags&guestmem.ShmRemap == 0
	if placeable {
		p.g.placeMu.Lock()
		defer p.g.placeMu.Unlock()
	}
	addr, errno := p.space.Shmat(id, guestmem.Addr(a[1]), flags)
	if placeable && errno == unix.EINVAL {
		// See placeMapping; a segment starts at offset 0.
		var ds unix.SysvShmDesc
		if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &ds); err != nil {
			return 0, errno
		}
		if a, e := p.placeMapping(uint64(ds.Segsz), 0, func(at guestmem.Addr) (guestmem.Addr, unix.Errno) {
			return p.space.Shmat(id, at, flags)
		}); e == 0 {
			return uint64(a), 0
		}
	}
	return uint64(addr), errno
}

func sysShmdtImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Shmdt(guestmem.Addr(a[0]))
}
