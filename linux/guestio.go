package linux

import (
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

// guestBuf returns the longest prefix of guest [a, a+n) that is mapped with
// the access the host will make (write for a read(2) buffer), as Linux's
// copy routines stop at the first bad page. An empty request is an empty
// slice; a bad first byte is EFAULT.
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
	return p.space.Slice(guestmem.Addr(a), done, acc)
}

// copyOut writes b to guest memory at a.
func (p *Process) copyOut(a uint64, b []byte) unix.Errno {
	return p.space.CopyOut(guestmem.Addr(a), b)
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
