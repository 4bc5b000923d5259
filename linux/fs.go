package linux

import (
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// File system calls. A guest file descriptor is the host descriptor with
// the same number; guest buffers are handed to the host through the window.

// openFlagMap pairs riscv64 open flags with the host's.
var openFlagMap = []struct{ guest, host int }{
	{oCreat, unix.O_CREAT}, {oExcl, unix.O_EXCL}, {oNoctty, unix.O_NOCTTY},
	{oTrunc, unix.O_TRUNC}, {oAppend, unix.O_APPEND}, {oNonblock, unix.O_NONBLOCK},
	{oDsync, unix.O_DSYNC}, {oAsync, unix.O_ASYNC}, {oDirect, unix.O_DIRECT},
	{oLargefile, unix.O_LARGEFILE}, {oDirectory, unix.O_DIRECTORY},
	{oNofollow, unix.O_NOFOLLOW}, {oNoatime, unix.O_NOATIME}, {oCloexec, unix.O_CLOEXEC},
	{oPath, unix.O_PATH},
}

// hostOpenFlags translates guest open flags (O_SYNC and O_TMPFILE are
// composites of O_DSYNC and O_DIRECTORY and come through bit by bit).
func hostOpenFlags(g int) int {
	h := g & oAccMode
	for _, f := range openFlagMap {
		if g&f.guest != 0 {
			h |= f.host
		}
	}
	if g&(oSync&^oDsync) != 0 {
		h |= unix.O_SYNC
	}
	if g&(oTmpfile&^oDirectory) != 0 {
		h |= unix.O_TMPFILE
	}
	return h
}

// guestOpenFlags translates host file status flags back (F_GETFL).
func guestOpenFlags(h int) int {
	g := h & oAccMode
	for _, f := range openFlagMap {
		if h&f.host == f.host {
			g |= f.guest
		}
	}
	if h&unix.O_SYNC == unix.O_SYNC {
		g |= oSync
	}
	return g
}

func dirfd(v uint64) int { return int(int32(v)) }

// guestFD checks that a descriptor is not one of gemu's own.
func (p *Process) guestFD(v uint64) (int, unix.Errno) {
	fd := int(int32(v))
	if p.ownFDs[fd] {
		return -1, unix.EBADF
	}
	return fd, 0
}

// hostPath maps a guest path to the host: /proc/self/exe to the program,
// and an absolute path that exists below the -L prefix to that file.
func (p *Process) hostPath(path string) string {
	if isProcSelf(path, p.pid, "exe") {
		return p.exePath
	}
	// The root itself is never redirected: "/" is the host's.
	if p.cfg.Prefix != "" && strings.HasPrefix(path, "/") && filepath.Clean(path) != "/" {
		q := filepath.Join(p.cfg.Prefix, path)
		var st unix.Stat_t
		if unix.Lstat(q, &st) == nil {
			return q
		}
	}
	return path
}

// isProcSelf reports whether path is /proc/self/<name> or /proc/<pid>/<name>.
func isProcSelf(path string, pid int, name string) bool {
	rest, ok := strings.CutPrefix(path, "/proc/")
	if !ok {
		return false
	}
	who, file, ok := strings.Cut(rest, "/")
	if !ok || file != name {
		return false
	}
	return who == "self" || who == "thread-self" || who == strconv.Itoa(pid)
}

func (p *Process) pathArg(a uint64) (string, unix.Errno) {
	s, errno := p.readPath(a)
	if errno != 0 {
		return "", errno
	}
	return s, 0
}

func sysOpenatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.pathArg(a[1])
	if errno != 0 {
		return 0, errno
	}
	flags := int(int32(a[2]))
	if fd, ok, errno := p.openProc(path, flags); ok {
		return uint64(fd), errno
	}
	fd, err := unix.Openat(dirfd(a[0]), p.hostPath(path), hostOpenFlags(flags), uint32(a[3]))
	return uint64(fd), errnoOf(err)
}

func sysCloseImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Close(fd))
}

// bufIO runs a host read or write call on the guest's descriptor a[0] and
// buffer a[1] (a[2] bytes), checked for the access the call makes.
func bufIO(p *Process, a *sysArgs, acc guestmem.Access, call func(fd int, b []byte) (int, error)) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	b, errno := p.guestBuf(a[1], a[2], acc)
	if errno != 0 {
		return 0, errno
	}
	n, err := call(fd, b)
	if acc == guestmem.AccessRead {
		// The host wrote from guest memory: a broken pipe raises SIGPIPE.
		return uint64(n), p.writeErr(err)
	}
	p.hostWrote([][]byte{b}, n)
	return uint64(n), errnoOf(err)
}

// vecIO is bufIO for an iovec array at a[1] of a[2] entries.
func vecIO(p *Process, a *sysArgs, acc guestmem.Access, call func(fd int, bufs [][]byte) (int, error)) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	bufs, errno := p.iovecs(a[1], a[2], acc)
	if errno != 0 {
		return 0, errno
	}
	n, err := call(fd, bufs)
	if acc == guestmem.AccessRead {
		return uint64(n), p.writeErr(err)
	}
	p.hostWrote(bufs, n)
	return uint64(n), errnoOf(err)
}

func sysReadImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return bufIO(p, a, guestmem.AccessWrite, unix.Read)
}

func (p *Process) writeErr(err error) unix.Errno {
	errno := errnoOf(err)
	if errno == unix.EPIPE {
		// The host's SIGPIPE does not reach the guest; raise it.
		p.queueSignal(sigInfo{signo: sigPIPE, code: siUser, pid: uint32(p.pid)})
	}
	return errno
}

func sysWriteImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return bufIO(p, a, guestmem.AccessRead, unix.Write)
}

func sysPreadImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return bufIO(p, a, guestmem.AccessWrite, func(fd int, b []byte) (int, error) { return unix.Pread(fd, b, int64(a[3])) })
}

func sysPwriteImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return bufIO(p, a, guestmem.AccessRead, func(fd int, b []byte) (int, error) { return unix.Pwrite(fd, b, int64(a[3])) })
}

func sysReadvImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return vecIO(p, a, guestmem.AccessWrite, unix.Readv)
}

func sysWritevImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return vecIO(p, a, guestmem.AccessRead, unix.Writev)
}

func sysPreadvImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return vecIO(p, a, guestmem.AccessWrite, func(fd int, bufs [][]byte) (int, error) { return unix.Preadv(fd, bufs, int64(a[3])) })
}

func sysPwritevImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	return vecIO(p, a, guestmem.AccessRead, func(fd int, bufs [][]byte) (int, error) { return unix.Pwritev(fd, bufs, int64(a[3])) })
}

func sysLseekImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	off, err := unix.Seek(fd, int64(a[1]), int(int32(a[2])))
	return uint64(off), errnoOf(err)
}

func sysDupImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	nfd, err := unix.Dup(fd)
	return uint64(nfd), errnoOf(err)
}

func sysDup3Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	nfd, errno := p.guestFD(a[1])
	if errno != 0 {
		return 0, errno
	}
	flags := int(int32(a[2]))
	if flags&^oCloexec != 0 {
		return 0, unix.EINVAL
	}
	return uint64(nfd), errnoOf(unix.Dup3(fd, nfd, hostOpenFlags(flags)))
}

// fcntl commands (generic numbers).
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fGetlk        = 5
	fSetlk        = 6
	fSetlkw       = 7
	fSetown       = 8
	fGetown       = 9
	fOfdGetlk     = 36
	fOfdSetlk     = 37
	fOfdSetlkw    = 38
	fSetlease     = 1024
	fGetlease     = 1025
	fDupfdCloexec = 1030
	fSetpipeSz    = 1031
	fGetpipeSz    = 1032
	fAddSeals     = 1033
	fGetSeals     = 1034
)

func sysFcntlImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	cmd := int(int32(a[1]))
	switch cmd {
	case fDupfd, fDupfdCloexec:
		// Never hand out one of gemu's own numbers.
		min := int(int32(a[2]))
		for p.ownFDs[min] {
			min++
		}
		r, err := unix.FcntlInt(uintptr(fd), cmd, min)
		return uint64(r), errnoOf(err)
	case fGetfd, fGetown, fGetlease, fGetpipeSz, fGetSeals:
		r, err := unix.FcntlInt(uintptr(fd), cmd, 0)
		return uint64(r), errnoOf(err)
	case fSetfd, fSetown, fSetlease, fSetpipeSz, fAddSeals:
		r, err := unix.FcntlInt(uintptr(fd), cmd, int(int32(a[2])))
		return uint64(r), errnoOf(err)
	case fGetfl:
		r, err := unix.FcntlInt(uintptr(fd), cmd, 0)
		if err != nil {
			return 0, errnoOf(err)
		}
		return uint64(guestOpenFlags(r)), 0
	case fSetfl:
		r, err := unix.FcntlInt(uintptr(fd), cmd, hostOpenFlags(int(int32(a[2]))))
		return uint64(r), errnoOf(err)
	case fGetlk, fSetlk, fSetlkw, fOfdGetlk, fOfdSetlk, fOfdSetlkw:
		// struct flock has the same layout on riscv64 and the hosts.
		b, errno := p.hostPtr(a[2], 32, guestmem.AccessWrite)
		if errno != 0 {
			return 0, errno
		}
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), b)
		return uint64(r), e
	}
	return 0, unix.EINVAL
}

// Terminal ioctls passed to the host, with the size of their argument.
var ioctlSizes = map[uint64]uint64{
	0x5401: 36, // TCGETS
	0x5402: 36, // TCSETS
	0x5403: 36, // TCSETSW
	0x5404: 36, // TCSETSF
	0x540f: 4,  // TIOCGPGRP
	0x5410: 4,  // TIOCSPGRP
	0x5413: 8,  // TIOCGWINSZ
	0x5414: 8,  // TIOCSWINSZ
	0x541b: 4,  // FIONREAD
	0x5421: 4,  // FIONBIO
	0x5450: 0,  // FIONCLEX
	0x5451: 0,  // FIOCLEX
	0x5429: 4,  // TIOCGSID
	0x5430: 4,  // TIOCGPTN
	0x5431: 4,  // TIOCSPTLCK
}

func sysIoctlImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	req := a[1] & 0xffffffff
	size, ok := ioctlSizes[req]
	if !ok {
		// Not a request gemu knows: the host decides only whether fd
		// is valid.
		if _, err := unix.FcntlInt(uintptr(fd), fGetfd, 0); err != nil {
			return 0, errnoOf(err)
		}
		return 0, unix.ENOTTY
	}
	var arg uintptr
	if size > 0 {
		// The argument is checked for reading; the host reads or
		// writes it by request, and checks the writes itself. A
		// bounce buffer is copied back if the guest may write there.
		ga := guestmem.Addr(a[2])
		b, errno := p.space.Slice(ga, size, guestmem.AccessRead)
		if errno != 0 {
			return 0, errno
		}
		writable := p.space.CheckAccess(ga, size, guestmem.AccessWrite) == 0
		if !p.space.HostAllows(ga, size, guestmem.AccessRead) || writable && !p.space.HostAllows(ga, size, guestmem.AccessWrite) {
			if b, errno = p.bounceBuf(ga, size, true, writable); errno != 0 {
				return 0, errno
			}
		}
		arg = uintptr(unsafe.Pointer(&b[0]))
	}
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), arg)
	return uint64(r), e
}

func sysFlockImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Flock(fd, int(int32(a[1]))))
}

func sysPipe2Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	flags := int(int32(a[1]))
	var fds [2]int
	if err := unix.Pipe2(fds[:], hostOpenFlags(flags)); err != nil {
		return 0, errnoOf(err)
	}
	var b [8]byte
	putU32(b[:], uint32(fds[0]))
	putU32(b[4:], uint32(fds[1]))
	if errno := p.copyOut(a[0], b[:]); errno != 0 {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return 0, errno
	}
	return 0, 0
}

func sysGetdents64Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	// struct linux_dirent64 is the same everywhere.
	b, errno := p.guestBuf(a[1], a[2], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	n, err := unix.Getdents(fd, b)
	p.hostWrote([][]byte{b}, n)
	return uint64(n), errnoOf(err)
}

// guestStat encodes a host stat as the riscv64 struct stat.
func guestStat(st *unix.Stat_t) []byte {
	b := make([]byte, statSize)
	put64(b[0:], uint64(st.Dev))
	put64(b[8:], st.Ino)
	putU32(b[16:], st.Mode)
	putU32(b[20:], uint32(st.Nlink))
	putU32(b[24:], st.Uid)
	putU32(b[28:], st.Gid)
	put64(b[32:], uint64(st.Rdev))
	put64(b[48:], uint64(st.Size))
	putU32(b[56:], uint32(st.Blksize))
	put64(b[64:], uint64(st.Blocks))
	put64(b[72:], uint64(st.Atim.Sec))
	put64(b[80:], uint64(st.Atim.Nsec))
	put64(b[88:], uint64(st.Mtim.Sec))
	put64(b[96:], uint64(st.Mtim.Nsec))
	put64(b[104:], uint64(st.Ctim.Sec))
	put64(b[112:], uint64(st.Ctim.Nsec))
	return b
}

func sysFstatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, errnoOf(err)
	}
	return 0, p.copyOut(a[1], guestStat(&st))
}

func sysNewfstatatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	flags := int(int32(a[3]))
	var st unix.Stat_t
	if path == "" && flags&unix.AT_EMPTY_PATH != 0 {
		if _, errno := p.guestFD(a[0]); errno != 0 {
			return 0, errno
		}
	}
	if err := unix.Fstatat(dirfd(a[0]), p.hostPath(path), &st, flags); err != nil {
		return 0, errnoOf(err)
	}
	return 0, p.copyOut(a[2], guestStat(&st))
}

func sysStatxImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	var stx unix.Statx_t
	if err := unix.Statx(dirfd(a[0]), p.hostPath(path), int(int32(a[2])), int(uint32(a[3])), &stx); err != nil {
		return 0, errnoOf(err)
	}
	// struct statx is the same on every architecture.
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&stx)), unsafe.Sizeof(stx))
	return 0, p.copyOut(a[4], raw)
}

func sysStatfsImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[0])
	if errno != 0 {
		return 0, errno
	}
	var st unix.Statfs_t
	if err := unix.Statfs(p.hostPath(path), &st); err != nil {
		return 0, errnoOf(err)
	}
	// The 64-bit struct statfs is the same on riscv64 and x86_64.
	return 0, p.copyOut(a[1], unsafe.Slice((*byte)(unsafe.Pointer(&st)), 120))
}

func sysFstatfsImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, errnoOf(err)
	}
	return 0, p.copyOut(a[1], unsafe.Slice((*byte)(unsafe.Pointer(&st)), 120))
}

func sysReadlinkatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	if int64(a[3]) <= 0 {
		return 0, unix.EINVAL
	}
	b, errno := p.guestBuf(a[2], a[3], guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	if isProcSelf(path, p.pid, "exe") {
		n := copy(b, p.exePath)
		p.hostWrote([][]byte{b}, n)
		return uint64(n), 0
	}
	n, err := unix.Readlinkat(dirfd(a[0]), p.hostPath(path), b)
	p.hostWrote([][]byte{b}, n)
	return uint64(n), errnoOf(err)
}

func sysFaccessatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	a[3] = 0
	return sysFaccessat2Impl(p, a)
}

func sysFaccessat2Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	hp, err := unix.BytePtrFromString(p.hostPath(path))
	if err != nil {
		return 0, unix.EINVAL
	}
	_, _, e := unix.Syscall6(unix.SYS_FACCESSAT2, uintptr(dirfd(a[0])), uintptr(unsafe.Pointer(hp)), uintptr(a[2]), uintptr(a[3]), 0, 0)
	return 0, e
}

func sysUnlinkatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Unlinkat(dirfd(a[0]), path, int(int32(a[2]))))
}

func sysMkdiratImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Mkdirat(dirfd(a[0]), path, uint32(a[2])))
}

func sysSymlinkatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	target, errno := p.readPath(a[0])
	if errno != 0 {
		return 0, errno
	}
	path, errno := p.readPath(a[2])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Symlinkat(target, dirfd(a[1]), path))
}

func sysLinkatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	oldPath, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	newPath, errno := p.readPath(a[3])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Linkat(dirfd(a[0]), oldPath, dirfd(a[2]), newPath, int(int32(a[4]))))
}

func sysRenameat2Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	oldPath, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	newPath, errno := p.readPath(a[3])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Renameat2(dirfd(a[0]), oldPath, dirfd(a[2]), newPath, uint(uint32(a[4]))))
}

func sysTruncateImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Truncate(path, int64(a[1])))
}

func sysFtruncateImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Ftruncate(fd, int64(a[1])))
}

func sysFallocateImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fallocate(fd, uint32(a[1]), int64(a[2]), int64(a[3])))
}

func sysFadviseImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fadvise(fd, int64(a[1]), int64(a[2]), int(int32(a[3]))))
}

func sysChdirImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Chdir(path))
}

func sysFchdirImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fchdir(fd))
}

func sysGetcwdImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	buf := make([]byte, pathMax)
	n, err := unix.Getcwd(buf)
	if err != nil {
		return 0, errnoOf(err)
	}
	// unix.Getcwd returns the length including the NUL.
	if uint64(n) > a[1] {
		return 0, unix.ERANGE
	}
	return uint64(n), p.copyOut(a[0], buf[:n])
}

func sysFchmodImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fchmod(fd, uint32(a[1])))
}

func sysFchmodatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fchmodat(dirfd(a[0]), path, uint32(a[2]), 0))
}

func sysFchownatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fchownat(dirfd(a[0]), path, int(int32(a[2])), int(int32(a[3])), int(int32(a[4]))))
}

func sysFchownImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fchown(fd, int(int32(a[1])), int(int32(a[2]))))
}

func sysUtimensatImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	var pathPtr *byte
	if a[1] != 0 {
		path, errno := p.readPath(a[1])
		if errno != 0 {
			return 0, errno
		}
		bp, err := unix.BytePtrFromString(path)
		if err != nil {
			return 0, unix.EINVAL
		}
		pathPtr = bp
	}
	times, errno := p.hostPtr(a[2], 32, guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(dirfd(a[0])), uintptr(unsafe.Pointer(pathPtr)), times, uintptr(a[3]), 0, 0)
	return 0, e
}

func sysSyncImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	unix.Sync()
	return 0, 0
}

func sysFsyncImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fsync(fd))
}

func sysFdatasyncImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	return 0, errnoOf(unix.Fdatasync(fd))
}

func sysSendfileImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	out, errno := p.guestFD(a[0])
	if errno != 0 {
		return 0, errno
	}
	in, errno := p.guestFD(a[1])
	if errno != 0 {
		return 0, errno
	}
	offPtr, errno := p.hostPtr(a[2], 8, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDFILE, uintptr(out), uintptr(in), offPtr, uintptr(a[3]), 0, 0)
	return uint64(r), e
}

// sysPpollImpl passes poll to the host (struct pollfd and timespec have the
// same layout); the signal mask argument is not applied.
func sysPpollImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[1] == 0 && a[2] == 0 {
		// No descriptors, no timeout: pause(). Wait for a signal here,
		// where no host signal can be missed.
		p.waitForSignal()
		return 0, unix.EINTR
	}
	var fds uintptr
	if a[1] > 0 {
		if a[1] > 1<<20 {
			return 0, unix.EINVAL
		}
		b, errno := p.hostBuf(a[0], 8*a[1], guestmem.AccessWrite)
		if errno != 0 {
			return 0, errno
		}
		fds = uintptr(unsafe.Pointer(&b[0]))
	}
	tmo, errno := p.hostPtr(a[2], 16, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	r, _, e := unix.Syscall6(unix.SYS_PPOLL, fds, uintptr(a[1]), tmo, 0, 8, 0)
	return uint64(r), e
}

func sysPselect6Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	nfds := int64(int32(a[0]))
	if nfds < 0 || nfds > 1<<20 {
		return 0, unix.EINVAL
	}
	setBytes := uint64((nfds + 63) / 64 * 8)
	var ptrs [4]uintptr
	for i, size := range []uint64{setBytes, setBytes, setBytes, 16} {
		if a[1+i] == 0 || size == 0 {
			continue
		}
		b, errno := p.hostPtr(a[1+i], size, guestmem.AccessWrite)
		if errno != 0 {
			return 0, errno
		}
		ptrs[i] = b
	}
	r, _, e := unix.Syscall6(unix.SYS_PSELECT6, uintptr(nfds), ptrs[0], ptrs[1], ptrs[2], ptrs[3], 0)
	return uint64(r), e
}

func sysMemfdCreateImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	name, errno := p.readCString(a[0], 250)
	if errno != 0 {
		return 0, errno
	}
	fd, err := unix.MemfdCreate(name, int(int32(a[1])))
	return uint64(fd), errnoOf(err)
}

func sysEventfd2Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd, err := unix.Eventfd(uint(uint32(a[0])), hostOpenFlags(int(int32(a[1]))))
	return uint64(fd), errnoOf(err)
}
