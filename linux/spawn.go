package linux

import (
	"debug/elf"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/riscv"
)

// vfork and execve.
//
// gemu cannot fork itself (the Go runtime does not survive fork), so it
// emulates the pattern that nearly every new process in a Linux program
// comes from: vfork (or clone with CLONE_VM|CLONE_VFORK, as posix_spawn,
// system and popen do) followed, in the child, by a few descriptor and
// process-attribute changes and execve. The child runs as a guest thread
// on the parent's memory while the parent waits, as in vfork. Its
// descriptor changes do not touch the host's table, which the parent
// shares: they are recorded in an overlay (guest descriptor -> host
// descriptor), and execve starts the new host process (gemu again for a
// riscv64 program, the program itself otherwise) with the overlay as its
// descriptor table. A child that exits without execve leaves a zombie that
// only wait4 sees.
//
// Limits: calls other than the ones listed in vforkTable see the parent's
// descriptors, not the overlay; the child's signal mask is not carried
// into the new process.

// spawnState is the state of a vfork child.
type spawnState struct {
	// fds maps a guest descriptor to a host descriptor (-1: closed in the
	// child); descriptors not in it are the parent's own.
	fds map[int]int
	// cloexec records FD_CLOEXEC for descriptors in fds.
	cloexec map[int]bool
	// opened are host descriptors the child opened, closed when it ends.
	opened []int
	dir    string
	setsid bool
	setpg  bool
	pgid   int
	// done receives the child's pid (real, or a zombie's) when the child
	// has called execve or exited.
	done chan int
}

// zombies are vfork children that exited without execve: pid -> wait
// status. Guarded by zombieMu.
var (
	zombieMu sync.Mutex
	zombies  = map[int]int{}
	nextFake = 1 << 22 // above the default pid_max
)

// resolve returns the host descriptor the child's fd stands for.
func (s *spawnState) resolve(p *Process, fd int) (int, unix.Errno) {
	if p.ownFDs[fd] || fd < 0 {
		return -1, unix.EBADF
	}
	if h, ok := s.fds[fd]; ok {
		if h < 0 {
			return -1, unix.EBADF
		}
		return h, 0
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return -1, unix.EBADF
	}
	return fd, 0
}

// lowestFree returns the lowest descriptor number >= min free in the
// child's view.
func (s *spawnState) lowestFree(p *Process, min int) int {
	for fd := min; ; fd++ {
		if _, errno := s.resolve(p, fd); errno != 0 && !p.ownFDs[fd] {
			return fd
		}
	}
}

func (s *spawnState) set(fd, host int, cloexec bool) {
	s.fds[fd] = host
	s.cloexec[fd] = cloexec
}

// startVfork runs the child of a vfork-style clone and waits, as the
// parent does in vfork, until it calls execve or exits.
func (p *Process) startVfork(flags uint64, a *sysArgs) (uint64, unix.Errno) {
	c := riscv.NewCPU()
	c.State = p.cpu.State
	c.Res.Valid = false
	c.X[10] = 0
	if a[1] != 0 {
		c.X[2] = a[1]
	}
	if flags&cloneSettls != 0 {
		c.X[4] = a[3]
	}
	cwd, _ := unix.Getwd()
	st := &spawnState{fds: map[int]int{}, cloexec: map[int]bool{}, dir: cwd, done: make(chan int, 1)}
	t := &Process{
		cfg: p.cfg, space: p.space, cpu: c, img: p.img, stack: p.stack,
		exePath: p.exePath, pid: p.pid, sigtramp: p.sigtramp, ownFDs: p.ownFDs,
		g: p.g, name: p.name, vfork: st,
	}
	t.mem = t.memory()
	t.sig.mask = p.sig.mask
	t.sig.altDisabled = true
	done := st.done
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t.tid = unix.Gettid()
		// Registered while it runs, so that its CPU hears of code
		// changes; it never counts as the group's last thread because
		// the parent waits for it.
		p.g.addThread(t)
		t.threadLoop()
		p.g.removeThread(t)
		// A fault that killed the child (not the group) ends it too.
		t.vforkExit(0, 0)
	}()
	pid := <-done
	if flags&cloneParentSettid != 0 {
		var b [4]byte
		putU32(b[:], uint32(pid))
		p.copyOut(a[2], b[:])
	}
	return uint64(pid), 0
}

// vforkExit ends a vfork child without execve: it becomes a zombie with
// the given wait status.
func (p *Process) vforkExit(status int, _ int) {
	st := p.vfork
	if st == nil || st.done == nil {
		return
	}
	zombieMu.Lock()
	pid := nextFake
	nextFake++
	zombies[pid] = status
	zombieMu.Unlock()
	p.finishVfork(pid)
}

func (p *Process) finishVfork(pid int) {
	st := p.vfork
	for _, h := range st.opened {
		unix.Close(h)
	}
	p.exited = true
	done := st.done
	st.done = nil
	done <- pid
}

// vforkTable overrides, in a vfork child, the calls that change
// process-wide host state.
var vforkTable map[int]sysHandler

func init() {
	vforkTable = map[int]sysHandler{
		sysClose:       vforkClose,
		sysDup:         vforkDup,
		sysDup3:        vforkDup3,
		sysFcntl:       vforkFcntl,
		sysOpenat:      vforkOpenat,
		sysChdir:       vforkChdir,
		sysFchdir:      vforkFchdir,
		sysSetsid:      vforkSetsid,
		sysSetpgid:     vforkSetpgid,
		sysRtSigaction: vforkSigaction,
		sysExit:        vforkExitCall,
		sysExitGroup:   vforkExitCall,
		sysExecve:      sysExecveImpl,
		sysGetpid:      func(p *Process, a *sysArgs) (uint64, unix.Errno) { return uint64(p.tid), 0 },
	}
}

func vforkClose(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd := int(int32(a[0]))
	if _, errno := p.vfork.resolve(p, fd); errno != 0 {
		return 0, errno
	}
	p.vfork.set(fd, -1, false)
	return 0, 0
}

func vforkDup(p *Process, a *sysArgs) (uint64, unix.Errno) {
	h, errno := p.vfork.resolve(p, int(int32(a[0])))
	if errno != 0 {
		return 0, errno
	}
	fd := p.vfork.lowestFree(p, 0)
	p.vfork.set(fd, h, false)
	return uint64(fd), 0
}

func vforkDup3(p *Process, a *sysArgs) (uint64, unix.Errno) {
	old, nfd := int(int32(a[0])), int(int32(a[1]))
	h, errno := p.vfork.resolve(p, old)
	if errno != 0 {
		return 0, errno
	}
	if old == nfd || nfd < 0 || p.ownFDs[nfd] {
		return 0, unix.EINVAL
	}
	if int(a[2])&^oCloexec != 0 {
		return 0, unix.EINVAL
	}
	p.vfork.set(nfd, h, int(a[2])&oCloexec != 0)
	return uint64(nfd), 0
}

func vforkFcntl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	fd := int(int32(a[0]))
	h, errno := p.vfork.resolve(p, fd)
	if errno != 0 {
		return 0, errno
	}
	switch int(int32(a[1])) {
	case fDupfd, fDupfdCloexec:
		nfd := p.vfork.lowestFree(p, int(int32(a[2])))
		p.vfork.set(nfd, h, int(int32(a[1])) == fDupfdCloexec)
		return uint64(nfd), 0
	case fGetfd:
		if ce, ok := p.vfork.cloexec[fd]; ok {
			if ce {
				return 1, 0
			}
			return 0, 0
		}
		r, err := unix.FcntlInt(uintptr(h), unix.F_GETFD, 0)
		return uint64(r), errnoOf(err)
	case fSetfd:
		p.vfork.set(fd, h, a[2]&1 != 0)
		return 0, 0
	}
	// Status flags and locks belong to the open file, shared anyway.
	a[0] = uint64(h)
	return sysFcntlImpl(p, a)
}

func vforkOpenat(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[1])
	if errno != 0 {
		return 0, errno
	}
	flags := int(int32(a[2]))
	if !filepath.IsAbs(path) && dirfd(a[0]) == atFdcwd {
		path = filepath.Join(p.vfork.dir, path)
	}
	h, err := unix.Openat(dirfd(a[0]), p.hostPath(path), hostOpenFlags(flags)|unix.O_CLOEXEC, uint32(a[3]))
	if err != nil {
		return 0, errnoOf(err)
	}
	p.vfork.opened = append(p.vfork.opened, h)
	fd := p.vfork.lowestFree(p, 0)
	p.vfork.set(fd, h, flags&oCloexec != 0)
	return uint64(fd), 0
}

func vforkChdir(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[0])
	if errno != 0 {
		return 0, errno
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.vfork.dir, path)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, errnoOf(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, unix.ENOTDIR
	}
	p.vfork.dir = path
	return 0, 0
}

func vforkFchdir(p *Process, a *sysArgs) (uint64, unix.Errno) {
	h, errno := p.vfork.resolve(p, int(int32(a[0])))
	if errno != 0 {
		return 0, errno
	}
	dir, err := filepath.EvalSymlinks("/proc/self/fd/" + itoa(h))
	if err != nil {
		return 0, unix.ENOTDIR
	}
	p.vfork.dir = dir
	return 0, 0
}

func vforkSetsid(p *Process, a *sysArgs) (uint64, unix.Errno) {
	p.vfork.setsid = true
	return uint64(p.tid), 0
}

func vforkSetpgid(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[0] != 0 {
		return 0, unix.ESRCH
	}
	p.vfork.setpg, p.vfork.pgid = true, int(int32(a[1]))
	return 0, 0
}

// vforkSigaction answers from the parent's actions without changing them:
// the new program starts with default actions anyway.
func vforkSigaction(p *Process, a *sysArgs) (uint64, unix.Errno) {
	sig := int(a[0])
	if a[3] != 8 || sig < 1 || sig > numSignals {
		return 0, unix.EINVAL
	}
	if a[2] != 0 {
		old := p.action(sig)
		var b [sigActionSize]byte
		put64(b[0:], old.handler)
		put64(b[8:], old.flags)
		put64(b[16:], old.mask)
		return 0, p.copyOut(a[2], b[:])
	}
	return 0, 0
}

func vforkExitCall(p *Process, a *sysArgs) (uint64, unix.Errno) {
	p.vforkExit(int(a[0]&0xff)<<8, 0)
	return 0, errKeepRegs
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// readStrings reads a NULL-terminated array of string pointers.
func (p *Process) readStrings(a uint64) ([]string, unix.Errno) {
	var out []string
	for a != 0 {
		var w [8]byte
		if errno := p.copyIn(w[:], a); errno != 0 {
			return nil, errno
		}
		s := le64(w[:])
		if s == 0 {
			break
		}
		str, errno := p.readCString(s, 1<<17)
		if errno != 0 {
			return nil, errno
		}
		out = append(out, str)
		if len(out) > 1<<16 {
			return nil, unix.E2BIG
		}
		a += 8
	}
	return out, 0
}

// sysExecveImpl starts the new program: gemu again (with the options it
// was started with) for a riscv64 ELF file, the host's execve for anything
// else (a host program, or a script the host runs with a host
// interpreter, as qemu-user would). From a vfork child the new process is
// created beside gemu; from any other thread gemu itself is replaced.
func sysExecveImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	path, errno := p.readPath(a[0])
	if errno != 0 {
		return 0, errno
	}
	argv, errno := p.readStrings(a[1])
	if errno != 0 {
		return 0, errno
	}
	envp, errno := p.readStrings(a[2])
	if errno != 0 {
		return 0, errno
	}
	if p.vfork != nil && !filepath.IsAbs(path) {
		path = filepath.Join(p.vfork.dir, path)
	}
	host := p.hostPath(path)
	if err := unix.Access(host, unix.X_OK); err != nil {
		return 0, errnoOf(err)
	}
	prog, args := host, argv
	if isRISCV64(host) {
		if len(p.cfg.Reexec) == 0 {
			return 0, unix.ENOEXEC
		}
		prog = p.cfg.Reexec[0]
		args = append(append([]string(nil), p.cfg.Reexec...), "-0")
		if len(argv) > 0 {
			args = append(args, argv[0])
		} else {
			args = append(args, path)
		}
		args = append(args, host)
		if len(argv) > 1 {
			args = append(args, argv[1:]...)
		}
	}
	if len(args) == 0 {
		args = []string{path}
	}
	if p.vfork == nil {
		// Replace gemu: descriptors stay as they are. A kick sent now
		// would be pending across execve and kill the new gemu
		// before its runtime installs handlers: ignore kicks (which
		// also discards a pending one) for the rest of this process.
		ignoreSignal(kickSignal)
		return 0, errnoOf(syscall.Exec(prog, args, envp))
	}
	st := p.vfork
	files := []uintptr{}
	maxFD := 2
	for fd := range st.fds {
		maxFD = max(maxFD, fd)
	}
	for fd := 0; fd <= maxFD; fd++ {
		h, errno := st.resolve(p, fd)
		ce := st.cloexec[fd]
		if _, ok := st.fds[fd]; !ok && errno == 0 {
			r, _ := unix.FcntlInt(uintptr(h), unix.F_GETFD, 0)
			ce = r&unix.FD_CLOEXEC != 0
		}
		if errno != 0 || ce {
			files = append(files, ^uintptr(0))
			continue
		}
		files = append(files, uintptr(h))
	}
	attr := &syscall.ProcAttr{
		Dir:   st.dir,
		Env:   envp,
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: st.setsid, Setpgid: st.setpg, Pgid: st.pgid},
	}
	pid, err := syscall.ForkExec(prog, args, attr)
	if err != nil {
		return 0, errnoOf(err)
	}
	p.finishVfork(pid)
	return 0, errKeepRegs
}

// ignoreSignal sets a host signal's action to SIG_IGN, under the Go
// runtime (which would otherwise keep its handler).
func ignoreSignal(sig unix.Signal) {
	type kernelSigaction struct {
		handler, flags, restorer uintptr
		mask                     uint64
	}
	act := kernelSigaction{handler: 1} // SIG_IGN
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
}

// isRISCV64 reports whether the file at path is a riscv64 ELF executable.
func isRISCV64(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	f, err := elf.NewFile(fdReader(fd))
	if err != nil {
		return false
	}
	return f.Machine == elf.EM_RISCV && f.Class == elf.ELFCLASS64
}

// sysWait4Impl reaps the zombies of vfork children that never called
// execve, and otherwise waits for real children on the host (the status
// word and struct rusage have the same layout).
func sysWait4Impl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	pid := int(int32(a[0]))
	zombieMu.Lock()
	for zp, status := range zombies {
		if pid == -1 || pid == zp || pid == 0 {
			delete(zombies, zp)
			zombieMu.Unlock()
			if a[1] != 0 {
				var b [4]byte
				putU32(b[:], uint32(status))
				if errno := p.copyOut(a[1], b[:]); errno != 0 {
					return 0, errno
				}
			}
			return uint64(zp), 0
		}
	}
	zombieMu.Unlock()
	status, errno := p.sockBuf(a[1], 4, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	ru, errno := p.sockBuf(a[3], uint64(unsafe.Sizeof(unix.Rusage{})), guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_WAIT4, uintptr(a[0]), status, uintptr(a[2]), ru)
}

// sysWaitidImpl waits on the host (siginfo has the same layout).
func sysWaitidImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	info, errno := p.sockBuf(a[2], siginfoSize, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	ru, errno := p.sockBuf(a[4], uint64(unsafe.Sizeof(unix.Rusage{})), guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	return raw(unix.SYS_WAITID, uintptr(a[0]), uintptr(a[1]), info, uintptr(a[3]), ru)
}
