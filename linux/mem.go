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
	addr, errno := p.space.Mmap(guestmem.Addr(a[0]), a[1], int(int32(a[2])), flags, fd, int64(a[5]))
	return uint64(addr), errno
}

func sysMunmapImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Munmap(guestmem.Addr(a[0]), a[1])
}

func sysMprotectImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	errno := p.space.Mprotect(guestmem.Addr(a[0]), a[1], int(int32(a[2])))
	p.hostPagesChanged(a[0], a[1])
	return 0, errno
}

func sysMremapImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	addr, errno := p.space.Mremap(guestmem.Addr(a[0]), a[1], a[2], int(int32(a[3])), guestmem.Addr(a[4]))
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
	addr, errno := p.space.Shmat(int(int32(a[0])), guestmem.Addr(a[1]), int(int32(a[2])))
	return uint64(addr), errno
}

func sysShmdtImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, p.space.Shmdt(guestmem.Addr(a[0]))
}
