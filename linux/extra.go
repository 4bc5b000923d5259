package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// More host calls: event notification (epoll, timerfd, inotify), file
// splicing, credentials and scheduling queries. Where a structure's layout
// differs between riscv64 and the host (struct epoll_event, packed on
// x86_64), it is converted; everything else is passed as it is.

// passFD returns the guest descriptor in v, or EBADF for one of gemu's own.
func (p *Process) passFD(v uint64) (uintptr, unix.Errno) {
	fd, errno := p.guestFD(v)
	return uintptr(fd), errno
}

// raw passes a call with plain integer arguments to the host.
func raw(nr uintptr, args ...uintptr) (uint64, unix.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return uint64(r), e
}

// epoll_event: riscv64 {u32 events; u32 pad; u64 data} (16 bytes); the
// host's is hostEpollEventSize bytes with data at hostEpollDataOffset.
const (
	guestEpollEventSize = 16
	hostEpollEventSize  = int(unsafe.Sizeof(unix.EpollEvent{}))
	hostEpollDataOffset = hostEpollEventSize - 8
	maxEpollBatch       = 4096
)

func sysEpollCreate1Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, err := unix.EpollCreate1(hostOpenFlags(int(int32(a[0]))))
	return uint64(fd), errnoOf(err)
}

func sysEpollCtlImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	epfd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	fd, errno := p.passFD(a[2])
	if errno != 0 {
		return 0, errno
	}
	var ev [16]byte
	var evp uintptr
	if a[3] != 0 {
		var g [guestEpollEventSize]byte
		if errno := p.copyIn(g[:], a[3]); errno != 0 {
			return 0, errno
		}
		copy(ev[0:4], g[0:4])
		copy(ev[hostEpollDataOffset:hostEpollDataOffset+8], g[8:16])
		evp = uintptr(unsafe.Pointer(&ev[0]))
	}
	return raw(unix.SYS_EPOLL_CTL, epfd, uintptr(a[1]), fd, evp)
}

// epollWait is epoll_pwait and epoll_pwait2 (timeout is a timespec
// pointer for the latter); the signal mask argument is not applied.
func (p *Process) epollWait(a *sysArgs, timespec bool) (uint64, unix.Errno) {
	epfd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	max := int64(int32(a[2]))
	if max <= 0 {
		return 0, unix.EINVAL
	}
	n := min(max, maxEpollBatch)
	if errno := p.space.CheckAccess(guestmem.Addr(a[1]), uint64(n)*guestEpollEventSize, guestmem.AccessWrite); errno != 0 {
		return 0, errno
	}
	host := make([]byte, int(n)*hostEpollEventSize)
	var r uint64
	var e unix.Errno
	if timespec {
		tmo, errno := p.timespecArg(a[3], guestmem.AccessRead)
		if errno != 0 {
			return 0, errno
		}
		r, e = raw(unix.SYS_EPOLL_PWAIT2, epfd, uintptr(unsafe.Pointer(&host[0])), uintptr(n), tmo, 0, 8)
	} else {
		r, e = raw(unix.SYS_EPOLL_PWAIT, epfd, uintptr(unsafe.Pointer(&host[0])), uintptr(n), uintptr(int32(a[3])), 0, 8)
	}
	if e != 0 {
		return 0, e
	}
	out := make([]byte, int(r)*guestEpollEventSize)
	for i := range int(r) {
		h := host[i*hostEpollEventSize:]
		copy(out[i*guestEpollEventSize:], h[0:4])
		copy(out[i*guestEpollEventSize+8:], h[hostEpollDataOffset:hostEpollDataOffset+8])
	}
	return r, p.copyOut(a[1], out)
}

func sysEpollPwaitImpl(p *Process, a *sysArgs) (uint64, unix.Errno)  { return p.epollWait(a, false) }
func sysEpollPwait2Impl(p *Process, a *sysArgs) (uint64, unix.Errno) { return p.epollWait(a, true) }

func sysTimerfdCreateImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_TIMERFD_CREATE, uintptr(a[0]), uintptr(hostOpenFlags(int(int32(a[1])))))
}

// struct itimerspec is four 64-bit words everywhere.
func sysTimerfdSettimeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	newv, errno := p.sockBuf(a[2], 32, guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	old, errno := p.sockBuf(a[3], 32, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_TIMERFD_SETTIME, fd, uintptr(a[1]), newv, old)
}

func sysTimerfdGettimeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	cur, errno := p.sockBuf(a[1], 32, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_TIMERFD_GETTIME, fd, cur)
}

func sysInotifyInit1Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_INOTIFY_INIT1, uintptr(hostOpenFlags(int(int32(a[0])))))
}

func sysInotifyAddWatchImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	w, err := unix.InotifyAddWatch(int(fd), p.hostPath(path), uint32(a[2]))
	return uint64(w), errnoOf(err)
}

func sysInotifyRmWatchImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_INOTIFY_RM_WATCH, fd, uintptr(a[1]))
}

func sysMknodatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Mknodat(dirfd(a[0]), path, uint32(a[2]), int(a[3])))
}

// offsetArg returns the host address of an optional loff_t in/out pointer.
func (p *Process) offsetArg(a uint64) (uintptr, unix.Errno) {
	return p.sockBuf(a, 8, guestmem.AccessWrite)
}

func sysSpliceImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	in, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	inOff, errno := p.offsetArg(a[1])
	if errno != 0 {
		return 0, errno
	}
	out, errno := p.passFD(a[2])
	if errno != 0 {
		return 0, errno
	}
	outOff, errno := p.offsetArg(a[3])
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_SPLICE, in, inOff, out, outOff, uintptr(a[4]), uintptr(a[5]))
}

func sysCopyFileRangeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	in, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	inOff, errno := p.offsetArg(a[1])
	if errno != 0 {
		return 0, errno
	}
	out, errno := p.passFD(a[2])
	if errno != 0 {
		return 0, errno
	}
	outOff, errno := p.offsetArg(a[3])
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_COPY_FILE_RANGE, in, inOff, out, outOff, uintptr(a[4]), uintptr(a[5]))
}

func sysTeeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	in, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	out, errno := p.passFD(a[1])
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_TEE, in, out, uintptr(a[2]), uintptr(a[3]))
}

func sysSyncFileRangeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.passFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_SYNC_FILE_RANGE, fd, uintptr(a[1]), uintptr(a[2]), uintptr(a[3]))
}

// sysCloseRangeImpl closes guest descriptors only: a range that covers
// gemu's own is split around them.
func sysCloseRangeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	first, last := uint32(a[0]), uint32(a[1])
	if first > last {
		return 0, unix.EINVAL
	}
	lo := first
	for fd := range p.ownFDs {
		if uint32(fd) < lo || uint32(fd) > last {
			continue
		}
		if uint32(fd) > lo {
			if _, e := raw(unix.SYS_CLOSE_RANGE, uintptr(lo), uintptr(fd-1), uintptr(a[2])); e != 0 {
				return 0, e
			}
		}
		lo = uint32(fd) + 1
	}
	if lo > last || lo < first {
		return 0, 0
	}
	return raw(unix.SYS_CLOSE_RANGE, uintptr(lo), uintptr(last), uintptr(a[2]))
}

// Credentials: passed to the host for the calling thread, as the kernel
// does; glibc makes every thread call them (its setxid broadcast).
func sysSetuidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETUID, uintptr(a[0]))
}
func sysSetgidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETGID, uintptr(a[0]))
}
func sysSetreuidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETREUID, uintptr(a[0]), uintptr(a[1]))
}
func sysSetregidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETREGID, uintptr(a[0]), uintptr(a[1]))
}
func sysSetresuidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETRESUID, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
}
func sysSetresgidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETRESGID, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
}

// getres[ug]id write three 32-bit ids.
func (p *Process) getres(nr uintptr, a *sysArgs) (uint64, unix.Errno) {
	var ids [3]uint32
	if _, e := raw(nr, uintptr(unsafe.Pointer(&ids[0])), uintptr(unsafe.Pointer(&ids[1])), uintptr(unsafe.Pointer(&ids[2]))); e != 0 {
		return 0, e
	}
	for i, id := range ids {
		var b [4]byte
		putU32(b[:], id)
		if errno := p.copyOut(a[i], b[:]); errno != 0 {
			return 0, errno
		}
	}
	return 0, 0
}

func sysGetresuidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return p.getres(unix.SYS_GETRESUID, a)
}
func sysGetresgidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return p.getres(unix.SYS_GETRESGID, a)
}

func sysGetpriorityImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_GETPRIORITY, uintptr(a[0]), uintptr(a[1]))
}

func sysSetpriorityImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SETPRIORITY, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
}

// sysPersonalityImpl reports PER_LINUX and accepts only it (and the query).
func sysPersonalityImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if uint32(a[0]) != 0 && uint32(a[0]) != 0xffffffff {
		return 0, unix.EINVAL
	}
	return 0, 0
}

func sysGetcpuImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var cpu, node uint32
	if _, e := raw(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0); e != 0 {
		return 0, e
	}
	var b [4]byte
	if a[0] != 0 {
		putU32(b[:], cpu)
		if errno := p.copyOut(a[0], b[:]); errno != 0 {
			return 0, errno
		}
	}
	if a[1] != 0 {
		putU32(b[:], node)
		if errno := p.copyOut(a[1], b[:]); errno != 0 {
			return 0, errno
		}
	}
	return 0, 0
}

func sysSchedGetschedulerImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SCHED_GETSCHEDULER, uintptr(a[0]))
}

func sysSchedGetparamImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var prio [4]byte
	if _, e := raw(unix.SYS_SCHED_GETPARAM, uintptr(a[0]), uintptr(unsafe.Pointer(&prio[0]))); e != 0 {
		return 0, e
	}
	return 0, p.copyOut(a[1], prio[:])
}

func sysSchedPriorityMaxImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SCHED_GET_PRIORITY_MAX, uintptr(a[0]))
}

func sysSchedPriorityMinImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return raw(unix.SYS_SCHED_GET_PRIORITY_MIN, uintptr(a[0]))
}
