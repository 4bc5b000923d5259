package linux

import (
	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// sigAction is a guest struct sigaction (riscv64 has no sa_restorer):
// handler at 0, flags at 8, mask at 16.
type sigAction struct {
	handler, flags, mask uint64
}

const sigActionSize = 24

// sigInfo is the part of a siginfo gemu fills in.
type sigInfo struct {
	signo, code int32
	addr        uint64 // fault signals: si_addr
	pid, uid    uint32 // kill/tgkill: sender
}

// signalState is the signal state of one thread; the actions and the
// process-directed pending signals are the group's.
type signalState struct {
	// mask is the blocked set: bit sig-1 for each blocked signal.
	mask uint64
	// pending is the set of signals pending for this thread, info their
	// siginfo.
	pending uint64
	info    [numSignals + 1]sigInfo
	// altSP, altSize and altDisabled describe the alternate stack.
	altSP, altSize uint64
	altDisabled    bool
	// inSuspend is set while rt_sigsuspend delivers: the next frame saves
	// suspendMask, the mask from before the call, instead of the current.
	inSuspend   bool
	suspendMask uint64
	// remote and remoteInfo are signals other threads sent to this one
	// (tgkill), waiting to be moved into pending. Guarded by group.mu.
	remote     uint64
	remoteInfo [numSignals + 1]sigInfo
}

func sigBit(sig int) uint64 { return 1 << (sig - 1) }

// unblockable are SIGKILL and SIGSTOP, which no mask holds.
const unblockable = 1<<(sigKILL-1) | 1<<(sigSTOP-1)

func (p *Process) initSignals() { p.sig.altDisabled = true }

// defaultIgnored reports whether a signal's default action is to ignore it
// (the stop signals are treated as ignored: gemu has no job control).
func defaultIgnored(sig int) bool {
	switch sig {
	case sigCHLD, sigCONT, sigURG, sigWINCH, sigSTOP, sigTSTP, sigTTIN, sigTTOU:
		return true
	}
	return false
}

// queueSignal makes a signal pending for this thread (standard signals do
// not queue twice). Only the thread itself calls it; other threads use
// queueThreadSignal.
func (p *Process) queueSignal(info sigInfo) {
	sig := int(info.signo)
	if sig < 1 || sig > numSignals || p.sig.pending&sigBit(sig) != 0 {
		return
	}
	p.sig.pending |= sigBit(sig)
	p.sig.info[sig] = info
}

// queueProcessSignal makes a signal pending for the process: the first
// thread that does not block it takes it.
func (p *Process) queueProcessSignal(info sigInfo) {
	sig := int(info.signo)
	if sig < 1 || sig > numSignals {
		return
	}
	g := p.g
	g.mu.Lock()
	if g.pending&sigBit(sig) == 0 {
		g.pending |= sigBit(sig)
		g.info[sig] = info
	}
	g.wakeLocked()
	threads := make([]*Process, 0, len(g.threads))
	for _, t := range g.threads {
		if t != p {
			threads = append(threads, t)
		}
	}
	g.mu.Unlock()
	for _, t := range threads {
		t.cpu.Interrupt()
	}
}

// action returns the current action for sig.
func (p *Process) action(sig int) sigAction {
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	return p.g.actions[sig]
}

func (p *Process) setHandler(sig int, handler uint64) {
	p.g.mu.Lock()
	p.g.actions[sig].handler = handler
	p.g.mu.Unlock()
}

// forceSignal delivers a synchronous fault signal now. Linux: a fault
// signal that is blocked or ignored kills the process.
func (p *Process) forceSignal(info sigInfo) {
	sig := int(info.signo)
	if p.sig.mask&sigBit(sig) != 0 || p.action(sig).handler == sigIGN {
		p.setHandler(sig, sigDFL)
		p.sig.mask &^= sigBit(sig)
	}
	p.sig.pending &^= sigBit(sig)
	p.deliver(info)
}

// nextSignal takes the lowest pending signal this thread does not block:
// its own first, then the process's.
func (p *Process) nextSignal() (sigInfo, bool) {
	p.takeRemoteSignals()
	if ready := p.sig.pending &^ p.sig.mask; ready != 0 {
		sig := lowestSignal(ready)
		p.sig.pending &^= sigBit(sig)
		return p.sig.info[sig], true
	}
	g := p.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if ready := g.pending &^ p.sig.mask; ready != 0 {
		sig := lowestSignal(ready)
		g.pending &^= sigBit(sig)
		return g.info[sig], true
	}
	return sigInfo{}, false
}

func lowestSignal(set uint64) int {
	sig := 1
	for set&1 == 0 {
		set >>= 1
		sig++
	}
	return sig
}

// takeRemoteSignals moves the signals other threads sent into pending.
func (p *Process) takeRemoteSignals() {
	g := p.g
	g.mu.Lock()
	defer g.mu.Unlock()
	for set := p.sig.remote; set != 0; {
		sig := lowestSignal(set)
		set &^= sigBit(sig)
		if p.sig.pending&sigBit(sig) == 0 {
			p.sig.pending |= sigBit(sig)
			p.sig.info[sig] = p.sig.remoteInfo[sig]
		}
	}
	p.sig.remote = 0
}

// signalReady reports whether a signal is deliverable to this thread.
func (p *Process) signalReady() bool {
	p.takeRemoteSignals()
	if p.sig.pending&^p.sig.mask != 0 {
		return true
	}
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	return p.g.pending&^p.sig.mask != 0
}

// deliverSignals delivers every pending signal that is not blocked.
func (p *Process) deliverSignals() {
	for !p.exited {
		info, ok := p.nextSignal()
		if !ok {
			return
		}
		p.deliver(info)
	}
}

// deliver runs the action for one signal: ignore, die, or enter the
// guest's handler on a new signal frame.
func (p *Process) deliver(info sigInfo) {
	sig := int(info.signo)
	act := p.action(sig)
	if p.cfg.SignalLog != nil {
		p.cfg.SignalLog("signal %d code %d addr %#x: handler %#x flags %#x", sig, info.code, info.addr, act.handler, act.flags)
	}
	switch {
	case act.handler == sigIGN:
		return
	case act.handler == sigDFL:
		if defaultIgnored(sig) {
			return
		}
		if p.vfork != nil {
			// Only the vfork child dies.
			p.vforkExit(sig, 0)
			return
		}
		p.endGroup(ExitStatus{Signal: sig})
		return
	}
	if err := p.setupFrame(info, act); err != 0 {
		// Linux: a frame that cannot be written kills with SIGSEGV.
		p.endGroup(ExitStatus{Signal: sigSEGV})
		return
	}
	if act.flags&saResethand != 0 {
		p.setHandler(sig, sigDFL)
	}
}

// onAltStack reports whether sp is on the alternate signal stack.
func (p *Process) onAltStack(sp uint64) bool {
	return !p.sig.altDisabled && sp-p.sig.altSP < p.sig.altSize
}

func (p *Process) altStackFlags(sp uint64) uint64 {
	switch {
	case p.sig.altDisabled:
		return ssDisable
	case p.onAltStack(sp):
		return ssOnstack
	}
	return 0
}

// setupFrame writes a riscv64 rt_sigframe below the stack pointer (or on
// the alternate stack) and points the CPU at the handler:
// a0 = signal, a1 = &siginfo, a2 = &ucontext, ra = the trampoline.
func (p *Process) setupFrame(info sigInfo, act sigAction) unix.Errno {
	c := p.cpu
	sig := int(info.signo)
	sp := c.X[2]
	if act.flags&saOnstack != 0 && !p.sig.altDisabled && !p.onAltStack(sp) {
		sp = p.sig.altSP + p.sig.altSize
	}
	frame := (sp - rtSigframeSize) &^ 15

	var buf [rtSigframeSize]byte
	putU32(buf[0:], uint32(info.signo))
	putU32(buf[8:], uint32(info.code))
	switch sig {
	case sigSEGV, sigBUS, sigILL, sigTRAP, sigFPE:
		if info.code > 0 {
			put64(buf[16:], info.addr)
			break
		}
		fallthrough
	default:
		putU32(buf[16:], info.pid)
		putU32(buf[20:], info.uid)
	}
	uc := buf[ucontextOffset:]
	put64(uc[ucStackOffset:], p.sig.altSP)
	put64(uc[ucStackOffset+8:], p.altStackFlags(c.X[2]))
	put64(uc[ucStackOffset+16:], p.sig.altSize)
	saved := p.sig.mask
	if p.sig.inSuspend {
		saved, p.sig.inSuspend = p.sig.suspendMask, false
	}
	put64(uc[ucSigmaskOffset:], saved)
	mc := uc[ucMcontextOffset:]
	put64(mc[0:], c.PC)
	for i := 1; i < 32; i++ {
		put64(mc[8*i:], c.X[i])
	}
	for i := range 32 {
		put64(mc[mcFPOffset+8*i:], c.F[i])
	}
	putU32(mc[mcFcsrOffset:], c.FCSR)
	if errno := p.copyOut(frame, buf[:]); errno != 0 {
		return errno
	}

	c.X[10] = uint64(sig)
	c.X[11] = frame
	c.X[12] = frame + ucontextOffset
	c.X[2] = frame
	c.X[1] = uint64(p.sigtramp)
	c.PC = act.handler
	c.Res.Valid = false
	p.sig.mask |= act.mask
	if act.flags&saNodefer == 0 {
		p.sig.mask |= sigBit(sig)
	}
	p.sig.mask &^= unblockable
	return 0
}

// sysRtSigreturn restores the state saved by setupFrame, with whatever
// changes the handler made to the ucontext.
func sysRtSigreturnImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	c := p.cpu
	frame := c.X[2]
	var uc [ucontextSize]byte
	if errno := p.space.CopyIn(uc[:], guestmem.Addr(frame+ucontextOffset)); errno != 0 {
		p.forceSignal(sigInfo{signo: sigSEGV, code: siUser})
		return 0, errKeepRegs
	}
	p.sig.mask = le64(uc[ucSigmaskOffset:]) &^ unblockable
	mc := uc[ucMcontextOffset:]
	c.PC = le64(mc[0:])
	for i := 1; i < 32; i++ {
		c.X[i] = le64(mc[8*i:])
	}
	for i := range 32 {
		c.F[i] = le64(mc[mcFPOffset+8*i:])
	}
	c.FCSR = le32(mc[mcFcsrOffset:]) & 0xff
	c.Res.Valid = false
	// Linux restores the alternate stack settings too, ignoring errors.
	p.setAltStack(le64(uc[ucStackOffset:]), uint64(le32(uc[ucStackOffset+8:])), le64(uc[ucStackOffset+16:]), c.X[2])
	return 0, errKeepRegs
}

func sysRtSigactionImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	sig := int(a[0])
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	if sig < 1 || sig > numSignals || (a[1] != 0 && (sig == sigKILL || sig == sigSTOP)) {
		return 0, unix.EINVAL
	}
	var act sigAction
	if a[1] != 0 {
		var b [sigActionSize]byte
		if errno := p.space.CopyIn(b[:], guestmem.Addr(a[1])); errno != 0 {
			return 0, errno
		}
		act = sigAction{handler: le64(b[0:]), flags: le64(b[8:]), mask: le64(b[16:]) &^ unblockable}
	}
	g := p.g
	g.mu.Lock()
	old := g.actions[sig]
	if a[1] != 0 {
		g.actions[sig] = act
		// Linux: setting SIG_IGN (or SIG_DFL where that ignores)
		// discards a pending instance (this thread's and the
		// process's; other threads' are dropped at delivery).
		if act.handler == sigIGN || (act.handler == sigDFL && defaultIgnored(sig)) {
			p.sig.pending &^= sigBit(sig)
			g.pending &^= sigBit(sig)
		}
	}
	g.mu.Unlock()
	if a[2] != 0 {
		var b [sigActionSize]byte
		put64(b[0:], old.handler)
		put64(b[8:], old.flags)
		put64(b[16:], old.mask)
		if errno := p.copyOut(a[2], b[:]); errno != 0 {
			return 0, errno
		}
	}
	return 0, 0
}

func sysRtSigprocmaskImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	old := p.sig.mask
	if a[1] != 0 {
		var b [8]byte
		if errno := p.space.CopyIn(b[:], guestmem.Addr(a[1])); errno != 0 {
			return 0, errno
		}
		set := le64(b[:])
		switch a[0] {
		case 0: // SIG_BLOCK
			p.sig.mask |= set
		case 1: // SIG_UNBLOCK
			p.sig.mask &^= set
		case 2: // SIG_SETMASK
			p.sig.mask = set
		default:
			return 0, unix.EINVAL
		}
		p.sig.mask &^= unblockable
	}
	if a[2] != 0 {
		var b [8]byte
		put64(b[:], old)
		if errno := p.copyOut(a[2], b[:]); errno != 0 {
			return 0, errno
		}
	}
	return 0, 0
}

func sysRtSigpendingImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	if a[1] > 8 {
		return 0, unix.EINVAL
	}
	var b [8]byte
	p.g.mu.Lock()
	pending := p.sig.pending | p.g.pending
	p.g.mu.Unlock()
	put64(b[:], pending&p.sig.mask)
	return 0, p.copyOut(a[0], b[:a[1]])
}

func sysSigaltstackImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	sp := p.cpu.X[2]
	var old [24]byte
	put64(old[0:], p.sig.altSP)
	put64(old[8:], p.altStackFlags(sp))
	put64(old[16:], p.sig.altSize)
	if a[0] != 0 {
		var b [24]byte
		if errno := p.space.CopyIn(b[:], guestmem.Addr(a[0])); errno != 0 {
			return 0, errno
		}
		if p.onAltStack(sp) {
			return 0, unix.EPERM
		}
		if errno := p.setAltStack(le64(b[0:]), uint64(le32(b[8:])), le64(b[16:]), sp); errno != 0 {
			return 0, errno
		}
	}
	if a[1] != 0 {
		if errno := p.copyOut(a[1], old[:]); errno != 0 {
			return 0, errno
		}
	}
	return 0, 0
}

// setAltStack is sigaltstack's update: flags 0 or SS_ONSTACK enable,
// SS_DISABLE disables; a stack below MINSIGSTKSZ is ENOMEM.
func (p *Process) setAltStack(ssSP, flags, size, sp uint64) unix.Errno {
	if p.onAltStack(sp) {
		return unix.EPERM
	}
	const ssAutodisarm = 1 << 31
	switch flags &^ ssAutodisarm {
	case ssDisable:
		p.sig.altDisabled = true
		p.sig.altSP, p.sig.altSize = 0, 0
		return 0
	case 0, ssOnstack:
	default:
		return unix.EINVAL
	}
	if size < minSigstksz {
		return unix.ENOMEM
	}
	p.sig.altDisabled = false
	p.sig.altSP, p.sig.altSize = ssSP, size
	return 0
}

// signalProcess is kill aimed at the guest process itself.
func (p *Process) signalProcess(sig int) (uint64, unix.Errno) {
	if sig < 0 || sig > numSignals {
		return 0, unix.EINVAL
	}
	if sig == 0 {
		return 0, 0
	}
	if sig == sigKILL {
		p.endGroup(ExitStatus{Signal: sig})
		return 0, 0
	}
	p.queueProcessSignal(sigInfo{signo: int32(sig), code: siUser, pid: uint32(p.pid), uid: uint32(unix.Getuid())})
	return 0, 0
}

// signalThread is tkill/tgkill aimed at a thread of the guest.
func (p *Process) signalThread(tid, sig int) (uint64, unix.Errno) {
	if sig < 0 || sig > numSignals {
		return 0, unix.EINVAL
	}
	var t *Process
	if tid == p.tid {
		t = p
	} else {
		p.g.mu.Lock()
		t = p.g.threads[tid]
		p.g.mu.Unlock()
	}
	if t == nil {
		return 0, unix.ESRCH
	}
	if sig == 0 {
		return 0, 0
	}
	if sig == sigKILL {
		p.endGroup(ExitStatus{Signal: sig})
		return 0, 0
	}
	info := sigInfo{signo: int32(sig), code: siTkill, pid: uint32(p.pid), uid: uint32(unix.Getuid())}
	if t == p {
		p.queueSignal(info)
		return 0, 0
	}
	t.queueThreadSignal(info)
	return 0, 0
}

// queueThreadSignal makes a signal pending for thread t from another
// thread: it is kept with the group's lock and picked up by t.
func (t *Process) queueThreadSignal(info sigInfo) {
	g := t.g
	g.mu.Lock()
	sig := int(info.signo)
	t.sig.remote |= sigBit(sig)
	t.sig.remoteInfo[sig] = info
	g.wakeLocked()
	g.mu.Unlock()
	t.cpu.Interrupt()
	t.kick()
}

func sysKillImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	pid := int(int32(a[0]))
	if pid == p.pid || pid == 0 || pid == -p.pid {
		return p.signalProcess(int(a[1]))
	}
	if pid == -1 {
		return 0, unix.EPERM
	}
	return 0, errnoOf(unix.Kill(pid, unix.Signal(a[1])))
}

func sysTgkillImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	tgid, tid := int(int32(a[0])), int(int32(a[1]))
	if tgid <= 0 || tid <= 0 {
		return 0, unix.EINVAL
	}
	if tgid != p.pid {
		return 0, unix.ESRCH
	}
	return p.signalThread(tid, int(a[2]))
}

func sysTkillImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	tid := int(int32(a[0]))
	if tid <= 0 {
		return 0, unix.EINVAL
	}
	return p.signalThread(tid, int(a[1]))
}
