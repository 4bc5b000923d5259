package linux

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/riscv"
)

// Config describes a guest program to run.
type Config struct {
	// Path is the host path of the executable.
	Path string
	// Argv and Env are the guest's arguments and environment.
	Argv, Env []string
	// ExecFn is the AT_EXECFN string; "" means Path.
	ExecFn string
	// Prefix is the guest system root (-L): absolute paths the guest opens
	// are looked up below it first.
	Prefix string
	// StackSize is the size of the stack mapping; 0 means 8 MiB.
	StackSize uint64
	// Space configures the address space (page sizes, address bits).
	Space guestmem.Config
	// Strace, if set, receives a line per system call (-strace).
	Strace io.Writer
	// PageLog, if set, receives the loader's and the address space's
	// page-level decisions (-d page).
	PageLog func(format string, args ...any)
	// SignalLog, if set, receives the CPU's exceptions and the guest
	// signals delivered (-d signal).
	SignalLog func(format string, args ...any)
	// Reexec is the command that runs a riscv64 program the guest
	// execs: gemu and its options, to which "-0 argv0 path args..." is
	// appended. Empty: execve of a riscv64 program fails with ENOEXEC.
	Reexec []string
}

// ExitStatus is how the guest ended: with an exit code, or killed by a
// signal (Signal != 0).
type ExitStatus struct {
	Code   int
	Signal int
}

func (s ExitStatus) String() string {
	if s.Signal != 0 {
		return fmt.Sprintf("killed by signal %d", s.Signal)
	}
	return fmt.Sprintf("exit status %d", s.Code)
}

// Process is one thread of a guest process (see thread.go): the per-thread
// state, and the group it shares with the other threads. It is used by the
// goroutine that runs the thread, except where a field says otherwise.
type Process struct {
	// cfg, space, img, stack, exePath, pid, sigtramp and ownFDs are the
	// same in every thread and never change after NewProcess.
	cfg   Config
	space *guestmem.Space
	img   *Image
	stack *Stack
	// exePath is the absolute host path of the executable
	// (/proc/self/exe).
	exePath string
	// pid is the guest's process id (the host's pid).
	pid int
	// sigtramp is the guest address of the rt_sigreturn trampoline that
	// signal handlers return to.
	sigtramp guestmem.Addr
	// ownFDs are host descriptors gemu itself uses; the guest cannot
	// close or replace them.
	ownFDs map[int]bool

	// g is the thread group.
	g *group

	cpu *riscv.CPU
	mem riscv.Memory
	// tid is the thread id: the host thread id of the OS thread that runs
	// this guest thread. Set before the thread runs.
	tid int
	// sig is the thread's signal state.
	sig signalState
	// exited is set when this thread has ended.
	exited bool
	// clearTID is the clear_child_tid address (set_tid_address,
	// CLONE_CHILD_CLEARTID), zeroed and woken when the thread exits.
	clearTID uint64
	// name is the thread name (prctl PR_SET_NAME).
	name [16]byte
	// vfork is set in the child of a vfork until it calls execve or
	// exits (spawn.go).
	vfork *spawnState
	// bounces are the bounce buffers of the system call in progress
	// (guestio.go).
	bounces []bounce
}

// NewProcess creates the address space, loads the program and builds its
// initial stack. The process is ready to Run.
func NewProcess(cfg Config) (*Process, error) {
	scfg := cfg.Space
	if scfg.Logf == nil && cfg.PageLog != nil {
		scfg.Logf = cfg.PageLog
	}
	sp, err := guestmem.New(scfg)
	if err != nil {
		return nil, fmt.Errorf("creating the guest address space: %w", err)
	}
	p := &Process{cfg: cfg, space: sp, pid: unix.Getpid(), ownFDs: map[int]bool{}, g: newGroup()}
	if err := p.setup(); err != nil {
		sp.Close()
		return nil, err
	}
	return p, nil
}

func (p *Process) setup() error {
	cfg := p.cfg
	img, err := Load(p.space, cfg.Path, LoadOptions{Prefix: cfg.Prefix, Logf: cfg.PageLog})
	if err != nil {
		return err
	}
	p.img = img
	if abs, err := filepath.Abs(cfg.Path); err == nil {
		p.exePath = abs
	} else {
		p.exePath = cfg.Path
	}
	execFn := cfg.ExecFn
	if execFn == "" {
		execFn = cfg.Path
	}
	st, err := BuildStack(p.space, img, StackSpec{
		Argv: cfg.Argv, Envp: cfg.Env, ExecFn: execFn, Size: cfg.StackSize,
		UID: uint64(unix.Getuid()), EUID: uint64(unix.Geteuid()),
		GID: uint64(unix.Getgid()), EGID: uint64(unix.Getegid()),
	})
	if err != nil {
		return err
	}
	p.stack = st
	p.initSignals()
	if err := p.mapSigtramp(); err != nil {
		return err
	}
	copy(p.name[:15], filepath.Base(cfg.Path))

	p.cpu = riscv.NewCPU()
	p.cpu.PC = uint64(img.Entry)
	p.cpu.X[2] = uint64(st.SP)
	p.mem = p.memory()
	hostPage := p.space.HostPageSize()
	p.space.OnInvalidate(func(r guestmem.Range) {
		// A change to one guest page can change the host protection
		// of the host page holding it, and so whether its neighbours'
		// code may be fetched directly.
		lo := alignDown(uint64(r.Start), hostPage)
		hi := alignUp(uint64(r.End), hostPage)
		p.g.invalidate(guestmem.Range{Start: guestmem.Addr(lo), End: guestmem.Addr(hi)})
	})
	return nil
}

// memory is the riscv.Memory of a thread of the process.
func (p *Process) memory() riscv.Memory {
	return riscv.Memory{Base: p.space.Base(), Size: p.space.Size(), CanExec: p.canExec,
		Slow: slowMem{space: p.space, g: p.g}, SlowBlock: p.space.HostPageSize()}
}

// mapSigtramp maps one read-execute page holding "li a7, 139; ecall", the
// code signal handlers return to (Linux uses its vDSO for this).
func (p *Process) mapSigtramp() error {
	g := p.space.GuestPageSize()
	a, errno := p.space.Mmap(0, g, guestmem.ProtRead|guestmem.ProtWrite, guestmem.MapPrivate|guestmem.MapAnonymous, -1, 0)
	if errno != 0 {
		return fmt.Errorf("mapping the signal trampoline: %w", errno)
	}
	code := make([]byte, 8)
	putU32(code, 0x08b00893)     // addi a7, zero, 139 (rt_sigreturn)
	putU32(code[4:], 0x00000073) // ecall
	if errno := p.space.CopyOut(a, code); errno != 0 {
		return fmt.Errorf("writing the signal trampoline: %w", errno)
	}
	if errno := p.space.Mprotect(a, g, guestmem.ProtRead|guestmem.ProtExec); errno != 0 {
		return fmt.Errorf("protecting the signal trampoline: %w", errno)
	}
	p.sigtramp = a
	return nil
}

// canExec answers the CPU's question: is the page at addr executable, and
// over what range does that answer hold.
func (p *Process) canExec(addr uint64) (bool, uint64, uint64) {
	m, ok := p.space.Lookup(guestmem.Addr(addr))
	if !ok || m.Prot&guestmem.ProtExec == 0 {
		return false, 0, 0
	}
	return true, uint64(m.Start), uint64(m.End)
}

// Space returns the guest address space.
func (p *Process) Space() *guestmem.Space { return p.space }

// Image returns the loaded program.
func (p *Process) Image() *Image { return p.img }

// Close releases the address space.
func (p *Process) Close() error { return p.space.Close() }

// ReserveFD marks a host descriptor as gemu's own (a log file): the guest
// cannot close, replace or use it.
func (p *Process) ReserveFD(fd int) { p.ownFDs[fd] = true }

// SetExitHook sets fn to be called, from the thread that ends it, when the
// guest process ends. A command calls it to exit at once: Run returns only
// once the main guest thread is out of any blocking host call, which a
// futex wait does not leave when another thread calls exit_group.
func (p *Process) SetExitHook(fn func(ExitStatus)) { p.g.onExit = fn }

// Run runs the guest until its process ends: exit_group, a fatal signal,
// or the exit of its last thread. The calling goroutine becomes the main
// guest thread.
func (p *Process) Run() ExitStatus {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p.tid = unix.Gettid()
	p.g.addThread(p)
	p.threadLoop()
	<-p.g.done
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	return p.g.status
}

// handleExit acts on why the CPU stopped.
func (p *Process) handleExit(e riscv.Exit) {
	if p.cfg.SignalLog != nil && e.Kind != riscv.ExitEcall && e.Kind != riscv.ExitStepLimit && e.Kind != riscv.ExitInterrupted {
		p.cfg.SignalLog("cpu: %v (host fault: %v)", e, e.Host)
	}
	switch e.Kind {
	case riscv.ExitEcall:
		p.syscall()
	case riscv.ExitEbreak:
		p.forceSignal(sigInfo{signo: sigTRAP, code: trapBrkpt, addr: e.PC})
	case riscv.ExitIllegal:
		p.forceSignal(sigInfo{signo: sigILL, code: ileIllopc, addr: e.PC})
	case riscv.ExitFetchFault, riscv.ExitLoadFault, riscv.ExitStoreFault:
		p.memFault(e)
	case riscv.ExitMisaligned:
		p.forceSignal(sigInfo{signo: sigBUS, code: busAdraln, addr: e.Addr})
	case riscv.ExitStepLimit, riscv.ExitInterrupted:
	default:
		fmt.Fprintf(os.Stderr, "gemu: unexpected CPU exit %v\n", e)
		p.forceSignal(sigInfo{signo: sigILL, code: ileIllopc, addr: e.PC})
	}
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
