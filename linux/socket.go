package linux

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// Sockets are host sockets. struct sockaddr, struct msghdr, struct iovec,
// struct cmsghdr, the SOL_SOCKET option numbers and the SOCK_* flags are
// the same on riscv64 and the 64-bit hosts gemu supports, so guest buffers
// go to the host as they are, and only the pointers inside a msghdr are
// translated.

// maxSockaddr bounds a socket address length (sizeof(struct
// sockaddr_storage)).
const maxSockaddr = 128

// sockPtr returns a pointer to guest [a, a+n) checked for acc, or nil for
// a null pointer. Guest memory lies outside the Go heap, in the window.
func (p *Process) sockPtr(a, n uint64, acc guestmem.Access) (*byte, unix.Errno) {
	if a == 0 {
		return nil, 0
	}
	if n == 0 {
		n = 1
	}
	b, errno := p.hostBuf(a, n, acc)
	if errno != 0 {
		return nil, errno
	}
	return &b[0], 0
}

// sockBuf is sockPtr as a system call argument.
func (p *Process) sockBuf(a, n uint64, acc guestmem.Access) (uintptr, unix.Errno) {
	b, errno := p.sockPtr(a, n, acc)
	return uintptr(unsafe.Pointer(b)), errno
}

// addrOut reads the socklen_t that a guest addrlen pointer holds and
// returns the host addresses of the address buffer and of the length.
func (p *Process) addrOut(addr, lenPtr uint64) (uintptr, uintptr, unix.Errno) {
	if addr == 0 || lenPtr == 0 {
		return 0, 0, 0
	}
	var lb [4]byte
	if errno := p.copyIn(lb[:], lenPtr); errno != 0 {
		return 0, 0, errno
	}
	n := uint64(le32(lb[:]))
	if int32(n) < 0 {
		return 0, 0, unix.EINVAL
	}
	lp, errno := p.sockBuf(lenPtr, 4, guestmem.AccessWrite)
	if errno != 0 {
		return 0, 0, errno
	}
	ap, errno := p.sockBuf(addr, min(n, maxSockaddr), guestmem.AccessWrite)
	if errno != 0 {
		return 0, 0, errno
	}
	return ap, lp, 0
}

func sysSocketImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
	return uint64(r), e
}

func sysSocketpairImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	sv, errno := p.sockBuf(a[3], 8, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	if sv == 0 {
		return 0, unix.EFAULT
	}
	_, _, e := unix.RawSyscall6(unix.SYS_SOCKETPAIR, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), sv, 0, 0)
	return 0, e
}

// sockaddrCall is bind and connect: (fd, addr, addrlen).
func (p *Process) sockaddrCall(nr uintptr, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	if a[2] > maxSockaddr {
		return 0, unix.EINVAL
	}
	sa, errno := p.sockBuf(a[1], a[2], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall(nr, uintptr(fd), sa, uintptr(a[2]))
	return 0, e
}

func sysBindImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return p.sockaddrCall(unix.SYS_BIND, a)
}

func sysConnectImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return p.sockaddrCall(unix.SYS_CONNECT, a)
}

func sysListenImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.RawSyscall(unix.SYS_LISTEN, uintptr(fd), uintptr(a[1]), 0)
	return 0, e
}

func sysAccept4Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	ap, lp, errno := p.addrOut(a[1], a[2])
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), ap, lp, uintptr(a[3]), 0, 0)
	return uint64(r), e
}

func sysAcceptImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	a[3] = 0
	return sysAccept4Impl(p, a)
}

// nameCall is getsockname and getpeername: (fd, addr, addrlen).
func (p *Process) nameCall(nr uintptr, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	ap, lp, errno := p.addrOut(a[1], a[2])
	if errno != 0 {
		return 0, errno
	}
	if lp == 0 {
		return 0, unix.EFAULT
	}
	_, _, e := unix.RawSyscall(nr, uintptr(fd), ap, lp)
	return 0, e
}

func sysGetsocknameImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return p.nameCall(unix.SYS_GETSOCKNAME, a)
}

func sysGetpeernameImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return p.nameCall(unix.SYS_GETPEERNAME, a)
}

func sysSendtoImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	b, errno := p.guestBuf(a[1], a[2], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	var bp uintptr
	if len(b) > 0 {
		bp = uintptr(unsafe.Pointer(&b[0]))
	}
	if a[5] > maxSockaddr {
		return 0, unix.EINVAL
	}
	sa, errno := p.sockBuf(a[4], a[5], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), bp, uintptr(len(b)), uintptr(a[3]), sa, uintptr(a[5]))
	return uint64(r), p.writeErr(errnoOrNil(e))
}

func errnoOrNil(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func sysRecvfromImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	b, errno := p.guestBuf(a[1], a[2], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	var bp uintptr
	if len(b) > 0 {
		bp = uintptr(unsafe.Pointer(&b[0]))
	}
	ap, lp, errno := p.addrOut(a[4], a[5])
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), bp, uintptr(len(b)), uintptr(a[3]), ap, lp)
	if e == 0 {
		p.hostWrote([][]byte{b}, int(r))
	}
	return uint64(r), e
}

func sysSetsockoptImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	if a[4] > 1<<16 {
		return 0, unix.EINVAL
	}
	v, errno := p.sockBuf(a[3], a[4], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(a[1]), uintptr(a[2]), v, uintptr(a[4]), 0)
	return 0, e
}

func sysGetsockoptImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	var lb [4]byte
	if errno := p.copyIn(lb[:], a[4]); errno != 0 {
		return 0, errno
	}
	n := uint64(le32(lb[:]))
	if int32(n) < 0 {
		return 0, unix.EINVAL
	}
	lp, errno := p.sockBuf(a[4], 4, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	v, errno := p.sockBuf(a[3], min(n, 1<<16), guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(a[1]), uintptr(a[2]), v, lp, 0)
	return 0, e
}

func sysShutdownImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), uintptr(a[1]), 0)
	return 0, e
}

// hostMsghdr builds a host struct msghdr from the guest's at a, with its
// name, iovec and control pointers translated. The iovec array it returns
// is what the host structure points into; keep it alive across the call.
// bufs are the data buffers the iovecs name.
func (p *Process) hostMsghdr(a uint64, acc guestmem.Access) (h *unix.Msghdr, vecs []unix.Iovec, bufs [][]byte, errno unix.Errno) {
	var raw [56]byte
	if errno := p.copyIn(raw[:], a); errno != 0 {
		return nil, nil, nil, errno
	}
	name, namelen := le64(raw[0:]), uint64(le32(raw[8:]))
	iov, iovlen := le64(raw[16:]), le64(raw[24:])
	ctl, ctllen := le64(raw[32:]), le64(raw[40:])
	if namelen > maxSockaddr {
		namelen = maxSockaddr
	}
	if ctllen > 1<<20 {
		return nil, nil, nil, unix.ENOBUFS
	}
	h = new(unix.Msghdr)
	np, errno := p.sockPtr(name, namelen, acc)
	if errno != 0 {
		return nil, nil, nil, errno
	}
	h.Name = np
	h.Namelen = uint32(namelen)
	if name == 0 {
		h.Namelen = 0
	}
	bufs, errno = p.iovecs(iov, iovlen, acc)
	if errno != 0 {
		return nil, nil, nil, errno
	}
	vecs = make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		vecs[i].Base = &b[0]
		vecs[i].SetLen(len(b))
	}
	if len(vecs) > 0 {
		h.Iov = &vecs[0]
		h.SetIovlen(len(vecs))
	}
	cp, errno := p.sockPtr(ctl, ctllen, acc)
	if errno != 0 {
		return nil, nil, nil, errno
	}
	h.Control = cp
	h.SetControllen(int(ctllen))
	if ctl == 0 {
		h.SetControllen(0)
	}
	h.Flags = int32(le32(raw[48:]))
	return h, vecs, bufs, 0
}

func sysSendmsgImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	h, vecs, _, errno := p.hostMsghdr(a[1], guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(a[2]))
	runtime.KeepAlive(vecs)
	return uint64(r), p.writeErr(errnoOrNil(e))
}

func sysRecvmsgImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	h, vecs, bufs, errno := p.hostMsghdr(a[1], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(a[2]))
	runtime.KeepAlive(vecs)
	if e != 0 {
		return 0, e
	}
	p.hostWrote(bufs, int(r))
	// The kernel updates msg_namelen, msg_controllen and msg_flags.
	var out [4]byte
	putU32(out[:], h.Namelen)
	if errno := p.copyOut(a[1]+8, out[:]); errno != 0 {
		return 0, errno
	}
	var cl [8]byte
	put64(cl[:], uint64(h.Controllen))
	if errno := p.copyOut(a[1]+40, cl[:]); errno != 0 {
		return 0, errno
	}
	putU32(out[:], uint32(h.Flags))
	if errno := p.copyOut(a[1]+48, out[:]); errno != 0 {
		return 0, errno
	}
	return uint64(r), 0
}
