package linux

import (
	"golang.org/x/sys/unix"
)

// openProc emulates the /proc/self files whose host versions would
// describe gemu rather than the guest: maps, auxv and cmdline are
// generated into a memory file; exe opens the program. ok is false for any
// other path.
func (p *Process) openProc(path string, flags int) (fd int, ok bool, errno unix.Errno) {
	var content []byte
	switch {
	case isProcSelf(path, p.pid, "maps"):
		content = p.space.ProcMaps()
	case isProcSelf(path, p.pid, "auxv"):
		content = make([]byte, 8*len(p.stack.Auxv))
		for i, v := range p.stack.Auxv {
			put64(content[8*i:], v)
		}
	case isProcSelf(path, p.pid, "cmdline"):
		n := uint64(p.stack.ArgEnd - p.stack.ArgStart)
		content = make([]byte, n)
		if errno := p.copyIn(content, uint64(p.stack.ArgStart)); errno != 0 {
			content = nil
		}
	case isProcSelf(path, p.pid, "exe"):
		fd, err := unix.Open(p.exePath, hostOpenFlags(flags), 0)
		return fd, true, errnoOf(err)
	default:
		return 0, false, 0
	}
	if flags&oAccMode != 0 {
		return 0, true, unix.EACCES
	}
	mflags := 0
	if flags&oCloexec != 0 {
		mflags = unix.MFD_CLOEXEC
	}
	fd, err := unix.MemfdCreate("gemu-proc", mflags)
	if err != nil {
		return 0, true, errnoOf(err)
	}
	for b := content; len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err != nil {
			unix.Close(fd)
			return 0, true, errnoOf(err)
		}
		b = b[n:]
	}
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		unix.Close(fd)
		return 0, true, errnoOf(err)
	}
	return fd, true, 0
}
