package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// pathMax is Linux's PATH_MAX, including the terminating NUL.
const pathMax = 4096

// readPath reads a NUL-terminated path from guest memory: EFAULT for a bad
// pointer, ENAMETOOLONG past PATH_MAX, ENOENT for an empty path.
func (p *Process) readPath(a uint64) (string, unix.Errno) {
	s, errno := p.readCString(a, pathMax)
	if errno != 0 {
		return "", errno
	}
	return s, 0
}

// readCString reads a NUL-terminated string of at most max bytes
// (including the NUL), a page piece at a time.
func (p *Process) readCString(a uint64, max int) (string, unix.Errno) {
	var out []byte
	g := p.space.GuestPageSize()
	for len(out) < max {
		n := int(g - a%g)
		if n > max-len(out) {
			n = max - len(out)
		}
		buf := make([]byte, n)
		if errno := p.space.CopyIn(buf, guestmem.Addr(a)); errno != 0 {
			return "", unix.EFAULT
		}
		if i := indexByte(buf, 0); i >= 0 {
			return string(append(out, buf[:i]...)), 0
		}
		out = append(out, buf...)
		a += uint64(n)
	}
	return "", unix.ENAMETOOLONG
}

// Host system calls on guest buffers. A guest buffer normally goes to the
// host as it is, a slice of the window (Space.Slice). With guest pages
// smaller than host pages, the host page under a buffer may forbid an
// access that the guest page allows (Space.HostAllows is false): a host
// page shared with a more restrictive guest page. The host call then gets
// a bounce buffer instead, copied in from the guest before the call when
// the host reads it, and copied back after the call when the host writes
// it: Dispatch copies back when the handler returns (flushBounces). The
// list of bounce buffers also keeps them alive across host calls that take
// their address as a uintptr.

// bounce is a Go buffer standing in for guest memory at a during one
// system call.
type bounce struct {
	a   guestmem.Addr
	b   []byte
	out int // bytes from the start of b to copy back after the call
}

// bounceBuf returns a bounce buffer for guest [a, a+n): copied in from the
// guest if in, and copied back whole after the call if out.
func (p *Process) bounceBuf(a guestmem.Addr, n uint64, in, out bool) ([]byte, unix.Errno) {
	b := make([]byte, n)
	if in {
		if errno := p.space.CopyIn(b, a); errno != 0 {
			return nil, errno
		}
	}
	bb := bounce{a: a, b: b}
	if out {
		bb.out = len(b)
	}
	p.bounces = append(p.bounces, bb)
	return b, 0
}

// hostBuf is Space.Slice for a host system call: guest [a, a+n), all of it
// mapped for acc, as the host makes that access (AccessWrite: the host
// writes it and may read it first, as an in/out structure). A zero length
// is a nil slice.
func (p *Process) hostBuf(a, n uint64, acc guestmem.Access) ([]byte, unix.Errno) {
	b, errno := p.space.Slice(guestmem.Addr(a), n, acc)
	if errno != 0 || n == 0 || p.space.HostAllows(guestmem.Addr(a), n, acc) {
		return b, errno
	}
	return p.bounceBuf(guestmem.Addr(a), n, true, acc == guestmem.AccessWrite)
}

// hostPtr is hostBuf as a system call argument: the address of the
// buffer, 0 for a null guest pointer.
func (p *Process) hostPtr(a, n uint64, acc guestmem.Access) (uintptr, unix.Errno) {
	if a == 0 {
		return 0, 0
	}
	b, errno := p.hostBuf(a, max(n, 1), acc)
	if errno != 0 {
		return 0, errno
	}
	return uintptr(unsafe.Pointer(&b[0])), 0
}

// guestBuf returns the longest prefix of guest [a, a+n) that is mapped with
// the access the host will make (write for a read(2) buffer), as Linux's
// copy routines stop at the first bad page. An empty request is an empty
// slice; a bad first byte is EFAULT. A bounce buffer for a buffer the host
// writes is copied back only as far as hostWrote says: the call reports
// how much it wrote.
func (p *Process) guestBuf(a, n uint64, acc guestmem.Access) ([]byte, unix.Errno) {
	if n == 0 {
		return nil, 0
	}
	if a+n < a {
		n = -a
	}
	need := guestmem.ProtRead
	if acc == guestmem.AccessWrite {
		need = guestmem.ProtWrite
	}
	done := uint64(0)
	for done < n {
		m, ok := p.space.Lookup(guestmem.Addr(a + done))
		if !ok || m.Prot&need == 0 {
			break
		}
		done = min(n, uint64(m.End)-a)
	}
	if done == 0 {
		return nil, unix.EFAULT
	}
	b, errno := p.space.Slice(guestmem.Addr(a), done, acc)
	if errno != 0 || p.space.HostAllows(guestmem.Addr(a), done, acc) {
		return b, errno
	}
	// A bounce buffer is as large as the guest asks, up to a bound: past
	// it the call transfers less, as read and write may.
	return p.bounceBuf(guestmem.Addr(a), min(done, maxBounce), acc == guestmem.AccessRead, false)
}

// maxBounce bounds a bounce buffer for a read or write.
const maxBounce = 1 << 20

// hostWrote records that a host call wrote n bytes into bufs (from
// guestBuf or iovecs), in order: so much of their bounce buffers is copied
// back.
func (p *Process) hostWrote(bufs [][]byte, n int) {
	for _, b := range bufs {
		if n <= 0 {
			return
		}
		k := min(len(b), n)
		n -= k
		if len(b) == 0 {
			continue
		}
		for i := range p.bounces {
			if bb := &p.bounces[i]; len(bb.b) > 0 && &bb.b[0] == &b[0] {
				bb.out = k
			}
		}
	}
}

// flushBounces copies the bounce buffers of the system call just made
// back to the guest, and drops them.
func (p *Process) flushBounces() {
	for _, bb := range p.bounces {
		if bb.out > 0 {
			p.copyOut(uint64(bb.a), bb.b[:bb.out])
		}
	}
	clear(p.bounces)
	p.bounces = p.bounces[:0]
}

// copyOut writes b to guest memory at a. A CPU that holds copies of code
// there hears of it: the copy may have gone to a page the host cannot
// write, behind its MMU.
func (p *Process) copyOut(a uint64, b []byte) unix.Errno {
	errno := p.space.CopyOut(guestmem.Addr(a), b)
	p.g.codeWritten(a, uint64(len(b)))
	return errno
}

// copyIn reads len(b) bytes of guest memory at a.
func (p *Process) copyIn(b []byte, a uint64) unix.Errno {
	return p.space.CopyIn(b, guestmem.Addr(a))
}

// iovecs reads an iovec array and returns the guest buffers it names, each
// cut to its accessible prefix; as Linux, a count above IOV_MAX (1024) is
// EINVAL.
func (p *Process) iovecs(a uint64, cnt uint64, acc guestmem.Access) ([][]byte, unix.Errno) {
	if cnt > 1024 {
		return nil, unix.EINVAL
	}
	raw := make([]byte, 16*cnt)
	if errno := p.copyIn(raw, a); errno != 0 {
		return nil, errno
	}
	bufs := make([][]byte, 0, cnt)
	total := uint64(0)
	for i := uint64(0); i < cnt; i++ {
		base, n := le64(raw[16*i:]), le64(raw[16*i+8:])
		if int64(n) < 0 || total+n < total || int64(total+n) < 0 {
			return nil, unix.EINVAL
		}
		total += n
		if n == 0 {
			continue
		}
		b, errno := p.guestBuf(base, n, acc)
		if errno != 0 {
			if len(bufs) == 0 {
				return nil, errno
			}
			break
		}
		bufs = append(bufs, b)
		if uint64(len(b)) < n {
			break
		}
	}
	return bufs, 0
}
