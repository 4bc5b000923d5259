package linux

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Regs is the view of the CPU registers that the system call dispatcher
// needs: x0..x31 by number (a0 is 10, a7 is 17).
type Regs interface {
	Reg(n int) uint64
	SetReg(n int, v uint64)
}

// sysArgs are a system call's six arguments, a0..a5.
type sysArgs [6]uint64

// errKeepRegs is returned by handlers that set the registers themselves
// (rt_sigreturn, exit): the dispatcher writes no return value.
const errKeepRegs = unix.Errno(1 << 30)

type sysHandler func(p *Process, a *sysArgs) (uint64, unix.Errno)

type syscallDef struct {
	name string
	fn   sysHandler
}

// syscallTable is indexed by riscv64 system call number. Filled in init to
// avoid an initialization cycle through the handlers.
var syscallTable [512]syscallDef

func init() {
	for nr, d := range map[int]syscallDef{
		sysGetcwd:            {"getcwd", sysGetcwdImpl},
		sysDup:               {"dup", sysDupImpl},
		sysDup3:              {"dup3", sysDup3Impl},
		sysFcntl:             {"fcntl", sysFcntlImpl},
		sysIoctl:             {"ioctl", sysIoctlImpl},
		sysFlock:             {"flock", sysFlockImpl},
		sysMkdirat:           {"mkdirat", sysMkdiratImpl},
		sysUnlinkat:          {"unlinkat", sysUnlinkatImpl},
		sysSymlinkat:         {"symlinkat", sysSymlinkatImpl},
		sysLinkat:            {"linkat", sysLinkatImpl},
		sysStatfs:            {"statfs", sysStatfsImpl},
		sysFstatfs:           {"fstatfs", sysFstatfsImpl},
		sysTruncate:          {"truncate", sysTruncateImpl},
		sysFtruncate:         {"ftruncate", sysFtruncateImpl},
		sysFallocate:         {"fallocate", sysFallocateImpl},
		sysFaccessat:         {"faccessat", sysFaccessatImpl},
		sysFaccessat2:        {"faccessat2", sysFaccessat2Impl},
		sysChdir:             {"chdir", sysChdirImpl},
		sysFchdir:            {"fchdir", sysFchdirImpl},
		sysFchmod:            {"fchmod", sysFchmodImpl},
		sysFchmodat:          {"fchmodat", sysFchmodatImpl},
		sysFchownat:          {"fchownat", sysFchownatImpl},
		sysFchown:            {"fchown", sysFchownImpl},
		sysOpenat:            {"openat", sysOpenatImpl},
		sysClose:             {"close", sysCloseImpl},
		sysPipe2:             {"pipe2", sysPipe2Impl},
		sysGetdents64:        {"getdents64", sysGetdents64Impl},
		sysLseek:             {"lseek", sysLseekImpl},
		sysRead:              {"read", sysReadImpl},
		sysWrite:             {"write", sysWriteImpl},
		sysReadv:             {"readv", sysReadvImpl},
		sysWritev:            {"writev", sysWritevImpl},
		sysPread64:           {"pread64", sysPreadImpl},
		sysPwrite64:          {"pwrite64", sysPwriteImpl},
		sysPreadv:            {"preadv", sysPreadvImpl},
		sysPwritev:           {"pwritev", sysPwritevImpl},
		sysSendfile:          {"sendfile", sysSendfileImpl},
		sysPpoll:             {"ppoll", sysPpollImpl},
		sysPselect6:          {"pselect6", sysPselect6Impl},
		sysReadlinkat:        {"readlinkat", sysReadlinkatImpl},
		sysNewfstatat:        {"newfstatat", sysNewfstatatImpl},
		sysFstat:             {"fstat", sysFstatImpl},
		sysSync:              {"sync", sysSyncImpl},
		sysFsync:             {"fsync", sysFsyncImpl},
		sysFdatasync:         {"fdatasync", sysFdatasyncImpl},
		sysUtimensat:         {"utimensat", sysUtimensatImpl},
		sysExit:              {"exit", sysExitImpl},
		sysExitGroup:         {"exit_group", sysExitGroupImpl},
		sysSetTidAddress:     {"set_tid_address", sysSetTidAddressImpl},
		sysFutex:             {"futex", sysFutexImpl},
		sysSetRobustList:     {"set_robust_list", sysZero},
		sysNanosleep:         {"nanosleep", sysNanosleepImpl},
		sysGetitimer:         {"getitimer", sysGetitimerImpl},
		sysSetitimer:         {"setitimer", sysSetitimerImpl},
		sysClockGettime:      {"clock_gettime", sysClockGettimeImpl},
		sysClockGetres:       {"clock_getres", sysClockGetresImpl},
		sysClockNanosleep:    {"clock_nanosleep", sysClockNanosleepImpl},
		sysSchedSetaffinity:  {"sched_setaffinity", sysZero},
		sysSchedGetaffinity:  {"sched_getaffinity", sysSchedGetaffinityImpl},
		sysSchedYield:        {"sched_yield", sysSchedYieldImpl},
		sysKill:              {"kill", sysKillImpl},
		sysTkill:             {"tkill", sysTkillImpl},
		sysTgkill:            {"tgkill", sysTgkillImpl},
		sysSigaltstack:       {"sigaltstack", sysSigaltstackImpl},
		sysRtSigaction:       {"rt_sigaction", sysRtSigactionImpl},
		sysRtSigprocmask:     {"rt_sigprocmask", sysRtSigprocmaskImpl},
		sysRtSigpending:      {"rt_sigpending", sysRtSigpendingImpl},
		sysRtSigreturn:       {"rt_sigreturn", sysRtSigreturnImpl},
		sysRtSigsuspend:      {"rt_sigsuspend", sysRtSigsuspendImpl},
		sysTimes:             {"times", sysTimesImpl},
		sysSetpgid:           {"setpgid", sysSetpgidImpl},
		sysGetpgid:           {"getpgid", sysGetpgidImpl},
		sysGetsid:            {"getsid", sysGetsidImpl},
		sysSetsid:            {"setsid", sysSetsidImpl},
		sysGetgroups:         {"getgroups", sysGetgroupsImpl},
		sysUname:             {"uname", sysUnameImpl},
		sysGetrlimit:         {"getrlimit", sysGetrlimitImpl},
		sysSetrlimit:         {"setrlimit", sysSetrlimitImpl},
		sysPrlimit64:         {"prlimit64", sysPrlimitImpl},
		sysGetrusage:         {"getrusage", sysGetrusageImpl},
		sysUmask:             {"umask", sysUmaskImpl},
		sysPrctl:             {"prctl", sysPrctlImpl},
		sysGettimeofday:      {"gettimeofday", sysGettimeofdayImpl},
		sysGetpid:            {"getpid", sysGetpidImpl},
		sysGetppid:           {"getppid", sysGetppidImpl},
		sysGetuid:            {"getuid", sysGetuidImpl},
		sysGeteuid:           {"geteuid", sysGeteuidImpl},
		sysGetgid:            {"getgid", sysGetgidImpl},
		sysGetegid:           {"getegid", sysGetegidImpl},
		sysGettid:            {"gettid", sysGettidImpl},
		sysSysinfo:           {"sysinfo", sysSysinfoImpl},
		sysBrk:               {"brk", sysBrkImpl},
		sysSocket:            {"socket", sysSocketImpl},
		sysSocketpair:        {"socketpair", sysSocketpairImpl},
		sysBind:              {"bind", sysBindImpl},
		sysListen:            {"listen", sysListenImpl},
		sysAccept:            {"accept", sysAcceptImpl},
		sysAccept4:           {"accept4", sysAccept4Impl},
		sysConnect:           {"connect", sysConnectImpl},
		sysGetsockname:       {"getsockname", sysGetsocknameImpl},
		sysGetpeername:       {"getpeername", sysGetpeernameImpl},
		sysSendto:            {"sendto", sysSendtoImpl},
		sysRecvfrom:          {"recvfrom", sysRecvfromImpl},
		sysSetsockopt:        {"setsockopt", sysSetsockoptImpl},
		sysGetsockopt:        {"getsockopt", sysGetsockoptImpl},
		sysShutdown:          {"shutdown", sysShutdownImpl},
		sysSendmsg:           {"sendmsg", sysSendmsgImpl},
		sysRecvmsg:           {"recvmsg", sysRecvmsgImpl},
		sysShmget:            {"shmget", sysShmgetImpl},
		sysShmctl:            {"shmctl", sysShmctlImpl},
		sysShmat:             {"shmat", sysShmatImpl},
		sysShmdt:             {"shmdt", sysShmdtImpl},
		sysMunmap:            {"munmap", sysMunmapImpl},
		sysMremap:            {"mremap", sysMremapImpl},
		sysMmap:              {"mmap", sysMmapImpl},
		sysFadvise64:         {"fadvise64", sysFadviseImpl},
		sysMprotect:          {"mprotect", sysMprotectImpl},
		sysMsync:             {"msync", sysMsyncImpl},
		sysMlock:             {"mlock", sysMlockImpl},
		sysMlock2:            {"mlock2", sysMlock2Impl},
		sysMunlock:           {"munlock", sysMunlockImpl},
		sysMlockall:          {"mlockall", sysMlockallImpl},
		sysMunlockall:        {"munlockall", sysMunlockallImpl},
		sysMincore:           {"mincore", sysMincoreImpl},
		sysMadvise:           {"madvise", sysMadviseImpl},
		sysWait4:             {"wait4", sysWait4Impl},
		sysRiscvFlushIcache:  {"riscv_flush_icache", sysFlushIcacheImpl},
		sysRenameat2:         {"renameat2", sysRenameat2Impl},
		sysGetrandom:         {"getrandom", sysGetrandomImpl},
		sysMemfdCreate:       {"memfd_create", sysMemfdCreateImpl},
		sysStatx:             {"statx", sysStatxImpl},
		sysEpollCtl:          {"epoll_ctl", sysEpollCtlImpl},
		sysEpollPwait:        {"epoll_pwait", sysEpollPwaitImpl},
		sysEpollPwait2:       {"epoll_pwait2", sysEpollPwait2Impl},
		sysInotifyInit1:      {"inotify_init1", sysInotifyInit1Impl},
		sysInotifyAddWatch:   {"inotify_add_watch", sysInotifyAddWatchImpl},
		sysInotifyRmWatch:    {"inotify_rm_watch", sysInotifyRmWatchImpl},
		sysMknodat:           {"mknodat", sysMknodatImpl},
		sysSplice:            {"splice", sysSpliceImpl},
		sysTee:               {"tee", sysTeeImpl},
		sysSyncFileRange:     {"sync_file_range", sysSyncFileRangeImpl},
		sysTimerfdCreate:     {"timerfd_create", sysTimerfdCreateImpl},
		sysTimerfdSettime:    {"timerfd_settime", sysTimerfdSettimeImpl},
		sysTimerfdGettime:    {"timerfd_gettime", sysTimerfdGettimeImpl},
		sysPersonality:       {"personality", sysPersonalityImpl},
		sysSchedGetscheduler: {"sched_getscheduler", sysSchedGetschedulerImpl},
		sysSchedGetparam:     {"sched_getparam", sysSchedGetparamImpl},
		sysSchedPriorityMax:  {"sched_get_priority_max", sysSchedPriorityMaxImpl},
		sysSchedPriorityMin:  {"sched_get_priority_min", sysSchedPriorityMinImpl},
		sysSetpriority:       {"setpriority", sysSetpriorityImpl},
		sysGetpriority:       {"getpriority", sysGetpriorityImpl},
		sysSetregid:          {"setregid", sysSetregidImpl},
		sysSetgid:            {"setgid", sysSetgidImpl},
		sysSetreuid:          {"setreuid", sysSetreuidImpl},
		sysSetuid:            {"setuid", sysSetuidImpl},
		sysSetresuid:         {"setresuid", sysSetresuidImpl},
		sysGetresuid:         {"getresuid", sysGetresuidImpl},
		sysSetresgid:         {"setresgid", sysSetresgidImpl},
		sysGetresgid:         {"getresgid", sysGetresgidImpl},
		sysGetcpu:            {"getcpu", sysGetcpuImpl},
		sysCopyFileRange:     {"copy_file_range", sysCopyFileRangeImpl},
		sysCloseRange:        {"close_range", sysCloseRangeImpl},
		sysEventfd2:          {"eventfd2", sysEventfd2Impl},
		// Linux answers ENOSYS itself for these, or gemu does not do
		// them yet; they are listed so -strace names them.
		sysRseq:          {"rseq", sysENOSYS},
		sysClone:         {"clone", sysCloneImpl},
		sysClone3:        {"clone3", sysENOSYS},
		sysExecve:        {"execve", sysExecveImpl},
		sysWaitid:        {"waitid", sysWaitidImpl},
		sysRiscvHwprobe:  {"riscv_hwprobe", sysENOSYS},
		sysMembarrier:    {"membarrier", sysENOSYS},
		sysEpollCreate1:  {"epoll_create1", sysEpollCreate1Impl},
		sysGetRobustList: {"get_robust_list", sysENOSYS},
	} {
		syscallTable[nr] = d
	}
}

func sysZero(p *Process, a *sysArgs) (uint64, unix.Errno)   { return 0, 0 }
func sysENOSYS(p *Process, a *sysArgs) (uint64, unix.Errno) { return 0, unix.ENOSYS }

// cpuRegs adapts the CPU state to Regs.
type cpuRegs struct{ x *[32]uint64 }

func (r cpuRegs) Reg(n int) uint64 { return r.x[n] }
func (r cpuRegs) SetReg(n int, v uint64) {
	if n != 0 {
		r.x[n] = v
	}
}

// syscall handles the ecall at the CPU's PC and advances past it.
func (p *Process) syscall() {
	pc := p.cpu.PC
	p.cpu.PC = pc + 4
	// rt_sigreturn sets PC itself, after this advance.
	p.Dispatch(cpuRegs{&p.cpu.X})
}

// Dispatch runs the system call described by regs (number in a7,
// arguments in a0..a5) and writes the result to a0: a value, or -errno.
// It reports whether the handler set the registers itself.
func (p *Process) Dispatch(regs Regs) bool {
	nr := regs.Reg(17)
	var a sysArgs
	for i := range a {
		a[i] = regs.Reg(10 + i)
	}
	var def syscallDef
	if nr < uint64(len(syscallTable)) {
		def = syscallTable[nr]
	}
	var ret uint64
	var errno unix.Errno
	fn := def.fn
	if p.vfork != nil {
		if f, ok := vforkTable[int(nr)]; ok {
			fn = f
		}
	}
	ending := nr == sysExit || nr == sysExitGroup
	if ending && p.cfg.Strace != nil {
		// The process may be gone when the call returns.
		p.strace(nr, def.name, &a, 0, errKeepRegs)
	}
	if fn == nil {
		errno = unix.ENOSYS
	} else {
		ret, errno = fn(p, &a)
		p.flushBounces()
	}
	if p.cfg.Strace != nil && !ending {
		p.strace(nr, def.name, &a, ret, errno)
	}
	if errno == errKeepRegs {
		return true
	}
	if errno == unix.EINTR {
		p.awaitHostSignal()
	}
	if errno != 0 {
		ret = uint64(-int64(errno))
	}
	regs.SetReg(10, ret)
	return false
}

// strace writes one line in qemu's -strace style.
func (p *Process) strace(nr uint64, name string, a *sysArgs, ret uint64, errno unix.Errno) {
	if name == "" {
		fmt.Fprintf(p.cfg.Strace, "%d Unknown syscall %d\n", p.pid, nr)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s(", p.pid, name)
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%#x", v)
	}
	b.WriteString(")")
	switch {
	case errno == errKeepRegs:
	case errno != 0:
		fmt.Fprintf(&b, " = -1 errno=%d (%s)", int(errno), errno.Error())
	default:
		fmt.Fprintf(&b, " = %d", int64(ret))
	}
	b.WriteByte('\n')
	io := p.cfg.Strace
	io.Write([]byte(b.String()))
}

// errnoOf turns a host error into the errno the guest sees.
func errnoOf(err error) unix.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}
