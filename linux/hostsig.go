package linux

import (
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// forwardedSignals are the asynchronous host signals passed on to the
// guest. The numbers are the same for riscv64 and the hosts.
var forwardedSignals = []os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGWINCH,
	syscall.SIGCHLD, syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGXCPU,
}

// kickSignal interrupts the guest thread's blocking host system call. The
// Go runtime handles a real-time signal that nobody asked for by ignoring
// it, and its handler does not restart nanosleep, ppoll or pselect.
const kickSignal = unix.Signal(40)

// ForwardHostSignals makes the asynchronous signals that gemu receives
// (SIGINT from the terminal, SIGALRM from the guest's own timer, ...)
// signals of the guest: the CPU is interrupted at the next instruction
// boundary and the guest's action runs, its default one included.
func (p *Process) ForwardHostSignals() {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, forwardedSignals...)
	// Ask for the kick signal too, so that the runtime surely handles
	// it (an execve from the guest leaves it ignored, see execHost).
	kicks := make(chan os.Signal, 1)
	signal.Notify(kicks, kickSignal)
	go func() {
		for range kicks {
		}
	}()
	go func() {
		for s := range ch {
			n := int(s.(syscall.Signal))
			g := p.g
			// Linux discards a signal whose action is to ignore it
			// when it is sent: it must not interrupt anything.
			g.mu.Lock()
			act := g.actions[n]
			g.mu.Unlock()
			if act.handler == sigIGN || act.handler == sigDFL && defaultIgnored(n) {
				continue
			}
			for {
				old := g.hostPending.Load()
				if g.hostPending.CompareAndSwap(old, old|sigBit(n)) {
					break
				}
			}
			g.mu.Lock()
			g.wakeLocked()
			threads := make([]*Process, 0, len(g.threads))
			for _, t := range g.threads {
				threads = append(threads, t)
			}
			g.mu.Unlock()
			for _, t := range threads {
				t.cpu.Interrupt()
			}
			// The host signal may have been taken by another OS
			// thread while the guest sleeps in a host system call;
			// kick the main thread (or another) out with EINTR.
			if len(threads) > 0 {
				k := threads[0]
				for _, t := range threads {
					if t.tid == p.pid {
						k = t
					}
				}
				k.kick()
			}
		}
	}()
}

// waitForSignal blocks until a signal is deliverable to this thread under
// its current mask, or the group ends.
func (p *Process) waitForSignal() {
	for {
		p.g.mu.Lock()
		wake := p.g.wake
		p.g.mu.Unlock()
		p.takeHostSignals()
		if p.signalReady() || p.g.ended() {
			return
		}
		<-wake
	}
}

// sysRtSigsuspendImpl replaces the mask, waits for a signal that runs a
// handler (or kills), and returns EINTR; the handler's frame saves the
// original mask, so rt_sigreturn restores it.
func sysRtSigsuspendImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[1] != 8 {
		return 0, unix.EINVAL
	}
	var b [8]byte
	if errno := p.copyIn(b[:], a[0]); errno != 0 {
		return 0, errno
	}
	old := p.sig.mask
	p.sig.mask = le64(b[:]) &^ unblockable
	eintr := unix.EINTR
	p.cpu.X[10] = -uint64(eintr)
	p.waitForSignal()
	p.sig.suspendMask, p.sig.inSuspend = old, true
	p.deliverSignals()
	if p.sig.inSuspend {
		// Nothing ran a handler (all ignored): Linux would keep
		// waiting; gemu returns EINTR with the mask restored.
		p.sig.inSuspend = false
		p.sig.mask = old
	}
	return 0, errKeepRegs
}

// awaitHostSignal is called when a host system call returned EINTR: the
// host signal that interrupted it is on its way from the Go runtime to the
// forwarding goroutine. Waiting for it (briefly) lets the guest's handler
// run before the guest sees EINTR, as on Linux.
func (p *Process) awaitHostSignal() {
	g := p.g
	if g.hostPending.Load() != 0 || p.signalReady() {
		return
	}
	g.mu.Lock()
	wake := g.wake
	g.mu.Unlock()
	select {
	case <-wake:
	case <-time.After(20 * time.Millisecond):
	}
}

// takeHostSignals moves the forwarded host signals into the process's
// pending set.
func (p *Process) takeHostSignals() {
	set := p.g.hostPending.Swap(0)
	if set == 0 {
		return
	}
	g := p.g
	g.mu.Lock()
	for sig := 1; set != 0; sig++ {
		if set&1 != 0 && g.pending&sigBit(sig) == 0 {
			g.pending |= sigBit(sig)
			g.info[sig] = sigInfo{signo: int32(sig), code: siUser}
		}
		set >>= 1
	}
	g.mu.Unlock()
}

// The interval timers run on the host (struct itimerval is four 64-bit
// words everywhere); their SIGALRM, SIGVTALRM and SIGPROF are forwarded.

func sysGetitimerImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	b, errno := p.hostBuf(a[1], 32, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall(unix.SYS_GETITIMER, uintptr(a[0]), uintptr(unsafe.Pointer(&b[0])), 0)
	return 0, e
}

func sysSetitimerImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	newp, errno := p.hostPtr(a[1], 32, guestmem.AccessRead)
	if errno != 0 {
		return 0, errno
	}
	oldp, errno := p.hostPtr(a[2], 32, guestmem.AccessWrite)
	if errno != 0 {
		return 0, errno
	}
	_, _, e := unix.Syscall(unix.SYS_SETITIMER, uintptr(a[0]), newp, oldp)
	return 0, e
}
