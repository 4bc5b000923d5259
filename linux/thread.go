package linux

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/riscv"
)

// A guest process is a thread group. Each guest thread is a *Process value
// (the per-thread view: its CPU, signal mask, pending signals, alternate
// stack) sharing one *group (the address space, the signal actions, the
// process-directed pending signals, the exit status). A guest thread runs
// on its own goroutine locked to its own OS thread, whose host thread id is
// the guest's tid; futexes are host futexes on the shared window (see
// futex.go for words the host cannot read).
//
// Lock order: group.mu is never held while calling into the address space
// (whose invalidation callback takes no group lock: it reads cpus).
type group struct {
	mu sync.Mutex
	// actions are the signal actions. Guarded by mu.
	actions [numSignals + 1]sigAction
	// pending and info are the process-directed pending signals (kill,
	// forwarded host signals). Guarded by mu.
	pending uint64
	info    [numSignals + 1]sigInfo
	// threads are the live threads by tid. Guarded by mu.
	threads map[int]*Process
	// rlimits holds the limits the guest set; others come from the host.
	// Guarded by mu.
	rlimits map[int][2]uint64
	// status is how the group ended; valid once done is closed. Guarded
	// by mu.
	status ExitStatus
	ending bool // guarded by mu
	done   chan struct{}
	// wake is closed (and replaced) whenever a signal is queued, so that
	// threads waiting in rt_sigsuspend or pause look again. Guarded by mu.
	wake chan struct{}

	// cpus are the CPUs of the live threads, for the address space's
	// invalidation callback. Replaced under mu, read without it.
	cpus atomic.Pointer[[]*riscv.CPU]

	// onExit, if set, is called once when the group ends (SetExitHook).
	onExit func(ExitStatus)

	// hostPending collects forwarded host signals (bit sig-1); written
	// by the forwarding goroutine, drained by any thread.
	hostPending atomic.Uint64

	// futexes holds the futex waits gemu makes itself (futex.go).
	futexes futexTable
}

func newGroup() *group {
	g := &group{
		threads: map[int]*Process{},
		rlimits: map[int][2]uint64{},
		done:    make(chan struct{}),
		wake:    make(chan struct{}),
	}
	g.cpus.Store(&[]*riscv.CPU{})
	return g
}

// ended reports whether the group has ended (exit_group, fatal signal, or
// its last thread exited).
func (g *group) ended() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// wakeLocked wakes the threads waiting for a signal.
// Preconditions: g.mu is held.
func (g *group) wakeLocked() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// addThread registers a live thread.
func (g *group) addThread(t *Process) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.threads[t.tid] = t
	g.storeCPUsLocked()
}

// removeThread unregisters a thread that ends without exit(2) semantics.
func (g *group) removeThread(t *Process) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.threads[t.tid] == t {
		delete(g.threads, t.tid)
		g.storeCPUsLocked()
	}
}

func (g *group) storeCPUsLocked() {
	cpus := make([]*riscv.CPU, 0, len(g.threads))
	for _, t := range g.threads {
		cpus = append(cpus, t.cpu)
	}
	g.cpus.Store(&cpus)
}

// invalidate tells every thread's CPU that guest range r changed.
func (g *group) invalidate(r guestmem.Range) {
	for _, c := range *g.cpus.Load() {
		c.Invalidate(uint64(r.Start), uint64(r.End))
	}
}

// endGroup ends the whole group with status st (the first ending wins) and
// stops the other threads: their CPUs are interrupted and their blocking
// host calls kicked.
func (p *Process) endGroup(st ExitStatus) {
	p.exited = true
	g := p.g
	g.mu.Lock()
	first := !g.ending
	if first {
		g.ending = true
		g.status = st
		close(g.done)
		g.wakeLocked()
	}
	others := make([]*Process, 0, len(g.threads))
	for _, t := range g.threads {
		if t != p {
			others = append(others, t)
		}
	}
	g.mu.Unlock()
	for _, t := range others {
		t.cpu.Interrupt()
		t.kick()
	}
	if first && g.onExit != nil {
		// Threads blocked in host calls that no signal interrupts
		// (a futex wait restarts) would keep Run waiting; the hook
		// ends the host process now, as exit_group ends the guest's.
		g.onExit(st)
	}
}

// kick interrupts the thread's blocking host system call (if it is in
// one) with EINTR.
func (p *Process) kick() {
	if p.tid != 0 && p.tid != unix.Gettid() {
		unix.Tgkill(p.pid, p.tid, kickSignal)
	}
}

// exitThread ends the calling thread (exit(2)): its clear_child_tid word is
// zeroed and woken, and the group ends with code if it was the last.
func (p *Process) exitThread(code int) {
	p.exited = true
	if p.clearTID != 0 {
		var zero [4]byte
		if p.copyOut(p.clearTID, zero[:]) == 0 && p.clearTID%4 == 0 {
			p.futexWake(p.clearTID, futexWake, 1<<30, futexBitsetAll)
		}
	}
	g := p.g
	g.mu.Lock()
	delete(g.threads, p.tid)
	g.storeCPUsLocked()
	last := len(g.threads) == 0
	g.mu.Unlock()
	if last {
		p.endGroup(ExitStatus{Code: code})
	}
}

// threadLoop runs the calling thread's guest code until the thread exits or
// the group ends. The caller has locked the goroutine to its OS thread.
func (p *Process) threadLoop() {
	// This thread does not take the Go runtime's preemption signal
	// (SIGURG): it would interrupt the guest's blocking system calls
	// with EINTR.
	urg := uint64(1) << (unix.SIGURG - 1)
	var old uint64
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, uintptr(unsafe.Pointer(&urg)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	defer unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	for !p.exited && !p.g.ended() {
		exit := p.cpu.Run(&p.mem, 0)
		p.handleExit(exit)
		if !p.exited && !p.g.ended() {
			p.takeHostSignals()
			p.deliverSignals()
		}
	}
}

// clone flags.
const (
	cloneVM            = 0x100
	cloneFS            = 0x200
	cloneFiles         = 0x400
	cloneSighand       = 0x800
	cloneVfork         = 0x4000
	cloneThread        = 0x10000
	cloneSysvsem       = 0x40000
	cloneSettls        = 0x80000
	cloneParentSettid  = 0x100000
	cloneChildCleartid = 0x200000
	cloneChildSettid   = 0x1000000
)

// sysCloneImpl creates a thread: clone(flags, stack, parent_tid, tls,
// child_tid), the riscv64 argument order. Only the flags of a thread (what
// pthread_create passes) are supported; a new process (fork, vfork) is
// ENOSYS for now.
func sysCloneImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	flags := a[0]
	const thread = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread
	if flags&(cloneVM|cloneVfork) == cloneVM|cloneVfork && flags&cloneThread == 0 {
		return p.startVfork(flags, a)
	}
	if flags&thread != thread {
		return 0, unix.ENOSYS
	}
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
	t := &Process{
		cfg: p.cfg, space: p.space, cpu: c, img: p.img, stack: p.stack,
		exePath: p.exePath, pid: p.pid, sigtramp: p.sigtramp, ownFDs: p.ownFDs,
		g: p.g, name: p.name,
	}
	t.mem = t.memory()
	t.sig.mask = p.sig.mask
	t.sig.altDisabled = true
	if flags&cloneChildCleartid != 0 {
		t.clearTID = a[4]
	}

	started := make(chan int)
	proceed := make(chan bool)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t.tid = unix.Gettid()
		started <- t.tid
		if !<-proceed {
			return
		}
		t.threadLoop()
	}()
	tid := <-started
	var b [4]byte
	putU32(b[:], uint32(tid))
	if flags&cloneParentSettid != 0 {
		if errno := p.copyOut(a[2], b[:]); errno != 0 {
			proceed <- false
			return 0, errno
		}
	}
	if flags&cloneChildSettid != 0 {
		if errno := p.copyOut(a[4], b[:]); errno != 0 {
			proceed <- false
			return 0, errno
		}
	}
	p.g.addThread(t)
	proceed <- true
	return uint64(tid), 0
}
