package linux

import (
	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// Time calls. struct timespec and struct timeval are two 64-bit words on
// riscv64 and on the 64-bit hosts, so guest buffers go to the host as they
// are.

func (p *Process) timespecArg(a uint64, acc guestmem.Access) (uintptr, unix.Errno) {
	return p.hostPtr(a, 16, acc)
}

func sysClockGettimeImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(a[0]), &ts); err != nil {
		return 0, errnoOf(err)
	}
	var b [16]byte
	put64(b[:], uint64(ts.Sec))
	put64(b[8:], uint64(ts.Nsec))
	return 0, p.copyOut(a[1], b[:])
}

func sysClockGetresImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var ts unix.Timespec
	if err := unix.ClockGetres(int32(a[0]), &ts); err != nil {
		return 0, errnoOf(err)
	}
	if a[1] == 0 {
		return 0, 0
	}
	var b [16]byte
	put64(b[:], uint64(ts.Sec))
	put64(b[8:], uint64(ts.Nsec))
	return 0, p.copyOut(a[1], b[:])
}

func sysGettimeofdayImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[0] != 0 {
		var tv unix.Timeval
		if err := unix.Gettimeofday(&tv); err != nil {
			return 0, errnoOf(err)
		}
		var b [16]byte
		put64(b[:], uint64(tv.Sec))
		put64(b[8:], uint64(tv.Usec))
		if errno := p.copyOut(a[0], b[:]); errno != 0 {
			return 0, errno
		}
	}
	if a[1] != 0 {
		var tz [8]byte
		return 0, p.copyOut(a[1], tz[:])
	}
	return 0, 0
}

func sysNanosleepImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	req, errno := p.timespecArg(a[0], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	rem, errno := p.timespecArg(a[1], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall(unix.SYS_NANOSLEEP, req, rem, 0)
	return 0, e
}

func sysClockNanosleepImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	req, errno := p.timespecArg(a[2], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	rem, errno := p.timespecArg(a[3], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall6(unix.SYS_CLOCK_NANOSLEEP, uintptr(a[0]), uintptr(a[1]), req, rem, 0, 0)
	return 0, e
}

func sysTimesImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var t unix.Tms
	r, err := unix.Times(&t)
	if err != nil {
		return 0, errnoOf(err)
	}
	if a[0] != 0 {
		var b [32]byte
		put64(b[0:], uint64(t.Utime))
		put64(b[8:], uint64(t.Stime))
		put64(b[16:], uint64(t.Cutime))
		put64(b[24:], uint64(t.Cstime))
		if errno := p.copyOut(a[0], b[:]); errno != 0 {
			return 0, errno
		}
	}
	return uint64(r), 0
}
