package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// Process and resource calls.

func sysExitImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	p.exitThread(int(a[0] & 0xff))
	return 0, errKeepRegs
}

func sysExitGroupImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	p.endGroup(ExitStatus{Code: int(a[0] & 0xff)})
	return 0, errKeepRegs
}

func sysGetpidImpl(p *Process, a *sysArgs) (uint64, unix.Errno)  { return uint64(p.pid), 0 }
func sysGettidImpl(p *Process, a *sysArgs) (uint64, unix.Errno)  { return uint64(p.tid), 0 }
func sysGetppidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) { return uint64(unix.Getppid()), 0 }
func sysGetuidImpl(p *Process, a *sysArgs) (uint64, unix.Errno)  { return uint64(unix.Getuid()), 0 }
func sysGeteuidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) { return uint64(unix.Geteuid()), 0 }
func sysGetgidImpl(p *Process, a *sysArgs) (uint64, unix.Errno)  { return uint64(unix.Getgid()), 0 }
func sysGetegidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) { return uint64(unix.Getegid()), 0 }

func sysSetTidAddressImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	p.clearTID = a[0]
	return uint64(p.tid), 0
}

func sysGetpgidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	r, err := unix.Getpgid(int(int32(a[0])))
	return uint64(r), errnoOf(err)
}

func sysSetpgidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return 0, errnoOf(unix.Setpgid(int(int32(a[0])), int(int32(a[1]))))
}

func sysGetsidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	r, err := unix.Getsid(int(int32(a[0])))
	return uint64(r), errnoOf(err)
}

func sysSetsidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	r, err := unix.Setsid()
	return uint64(r), errnoOf(err)
}

func sysGetgroupsImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	groups, err := unix.Getgroups()
	if err != nil {
		return 0, errnoOf(err)
	}
	n := int(int32(a[0]))
	if n == 0 {
		return uint64(len(groups)), 0
	}
	if n < len(groups) {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*len(groups))
	for i, g := range groups {
		putU32(b[4*i:], uint32(g))
	}
	return uint64(len(groups)), p.copyOut(a[1], b)
}

func sysUmaskImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return uint64(unix.Umask(int(a[0] & 0o777))), 0
}

// sysUnameImpl reports the host's kernel with machine "riscv64".
func sysUnameImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return 0, errnoOf(err)
	}
	clear(u.Machine[:])
	copy(u.Machine[:], "riscv64")
	return 0, p.copyOut(a[0], unsafe.Slice((*byte)(unsafe.Pointer(&u)), unsafe.Sizeof(u)))
}

// rlimit returns the guest's view of a resource limit.
func (p *Process) rlimit(res int) ([2]uint64, unix.Errno) {
	p.g.mu.Lock()
	v, ok := p.g.rlimits[res]
	p.g.mu.Unlock()
	if ok {
		return v, 0
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(res, &rl); err != nil {
		return [2]uint64{}, errnoOf(err)
	}
	return [2]uint64{rl.Cur, rl.Max}, 0
}

// setRlimit records a limit for the guest; only RLIMIT_NOFILE and
// RLIMIT_CORE are applied to the host (the others would limit gemu).
func (p *Process) setRlimit(res int, v [2]uint64) unix.Errno {
	if res < 0 || res >= 16 {
		return unix.EINVAL
	}
	if v[0] > v[1] {
		return unix.EINVAL
	}
	if res == rlimitNofile || res == 4 /* RLIMIT_CORE */ {
		if err := unix.Setrlimit(res, &unix.Rlimit{Cur: v[0], Max: v[1]}); err != nil {
			return errnoOf(err)
		}
		return 0
	}
	old, errno := p.rlimit(res)
	if errno != 0 {
		return errno
	}
	if v[1] > old[1] && unix.Geteuid() != 0 {
		return unix.EPERM
	}
	p.g.mu.Lock()
	p.g.rlimits[res] = v
	p.g.mu.Unlock()
	return 0
}

func sysPrlimitImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	pid := int(int32(a[0]))
	if pid != 0 && pid != p.pid {
		return 0, unix.EPERM
	}
	res := int(int32(a[1]))
	if res < 0 || res >= 16 {
		return 0, unix.EINVAL
	}
	old, errno := p.rlimit(res)
	if errno != 0 {
		return 0, errno
	}
	if a[2] != 0 {
		var b [16]byte
		if errno := p.copyIn(b[:], a[2]); errno != 0 {
			return 0, errno
		}
		if errno := p.setRlimit(res, [2]uint64{le64(b[:]), le64(b[8:])}); errno != 0 {
			return 0, errno
		}
	}
	if a[3] != 0 {
		var b [16]byte
		put64(b[:], old[0])
		put64(b[8:], old[1])
		return 0, p.copyOut(a[3], b[:])
	}
	return 0, 0
}

func sysGetrlimitImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return sysPrlimitImpl(p, &sysArgs{0, a[0], 0, a[1]})
}

func sysSetrlimitImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return sysPrlimitImpl(p, &sysArgs{0, a[0], a[1], 0})
}

func sysGetrusageImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var ru unix.Rusage
	if err := unix.Getrusage(int(int32(a[0])), &ru); err != nil {
		return 0, errnoOf(err)
	}
	// struct rusage is the same on the 64-bit Linux ABIs.
	return 0, p.copyOut(a[1], unsafe.Slice((*byte)(unsafe.Pointer(&ru)), unsafe.Sizeof(ru)))
}

func sysSysinfoImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0, errnoOf(err)
	}
	return 0, p.copyOut(a[0], unsafe.Slice((*byte)(unsafe.Pointer(&si)), 112))
}

func sysGetrandomImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	b, errno := p.guestBuf(a[0], a[1], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	n, err := unix.Getrandom(b, int(a[2]))
	p.hostWrote([][]byte{b}, n)
	return uint64(n), errnoOf(err)
}

func sysSchedGetaffinityImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	size := a[1]
	if size == 0 || size%8 != 0 || size > 1<<16 {
		return 0, unix.EINVAL
	}
	b, errno := p.hostBuf(a[2], size, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.RawSyscall(unix.SYS_SCHED_GETAFFINITY, 0, uintptr(size), uintptr(unsafe.Pointer(&b[0])))
	return uint64(r), e
}

func sysSchedYieldImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	return 0, 0
}

// prctl options gemu answers.
const (
	prSetPdeathsig  = 1
	prGetPdeathsig  = 2
	prGetDumpable   = 3
	prSetDumpable   = 4
	prSetName       = 15
	prGetName       = 16
	prSetNoNewPrivs = 38
	prGetNoNewPrivs = 39
	prSetThpDisable = 41
	prGetThpDisable = 42
	prCapbsetRead   = 23
)

func sysPrctlImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	switch a[0] {
	case prSetName:
		var b [16]byte
		s, errno := p.readCString(a[1], 16)
		if errno == unix.ENAMETOOLONG {
			if errno := p.copyIn(b[:15], a[1]); errno != 0 {
				return 0, errno
			}
		} else if errno != 0 {
			return 0, errno
		} else {
			copy(b[:15], s)
		}
		p.name = b
		return 0, 0
	case prGetName:
		return 0, p.copyOut(a[1], p.name[:])
	case prGetDumpable:
		return 1, 0
	case prSetDumpable, prSetPdeathsig, prSetNoNewPrivs, prSetThpDisable:
		return 0, 0
	case prGetPdeathsig:
		var b [4]byte
		return 0, p.copyOut(a[1], b[:])
	case prGetNoNewPrivs, prGetThpDisable:
		return 0, 0
	case prCapbsetRead:
		return 1, 0
	}
	return 0, unix.EINVAL
}
