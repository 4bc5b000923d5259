package linux

import (
	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/riscv"
)

// Accesses the host MMU refuses but the guest may make. The address space
// keeps the guest's protections exact per guest page, but the host
// protects whole host pages: an execute-only guest page is PROT_NONE on
// the host, and with guest pages smaller than host pages a host page
// shared by guest pages of different protections has the most restrictive
// of them. A host fault there is answered by guestmem.Space.HandleFault
// with Fault.Emulate, and the CPU completes the instruction through
// slowMem (riscv.CPU.Emulate): loads, stores and instruction fetches go
// through the Space's slow accessors, AMOs and SC through UpdateSlow.
//
// The CPU keeps copies of code it fetched that way. Every write that
// reaches guest memory behind the host MMU's back (a slow store, a copy
// through CopyOut to a page the host may not write) is reported to the
// CPUs (riscv.CPU.CodeWritten), so they drop the copies it overlaps;
// mprotect and madvise invalidate their host pages (a page that becomes
// writable on the host can then be written directly, discarded pages
// change, and the CPU's slow blocks there may be direct now).

// slowMem is the riscv.SlowMemory of a process: the slow accessors of its
// address space.
type slowMem struct {
	space *guestmem.Space
	g     *group
}

func (m slowMem) Load(a uint64, b []byte) bool {
	return m.space.LoadSlow(guestmem.Addr(a), b) == 0
}

func (m slowMem) Store(a uint64, b []byte) bool {
	if m.space.StoreSlow(guestmem.Addr(a), b) != 0 {
		return false
	}
	m.g.codeWritten(a, uint64(len(b)))
	return true
}

func (m slowMem) Update(a uint64, b []byte, update func([]byte) bool) bool {
	wrote := false
	if m.space.UpdateSlow(guestmem.Addr(a), b, func(b []byte) bool {
		wrote = update(b)
		return wrote
	}) != 0 {
		return false
	}
	if wrote {
		m.g.codeWritten(a, uint64(len(b)))
	}
	return true
}

// Fetch reads code through the Space. The CPU may keep a copy of a
// private mapping's code: every change to it goes through gemu (and is
// reported, see above). A shared mapping can be written by another
// process, or through another mapping of its file, without gemu knowing:
// its code is read afresh at every fetch.
func (m slowMem) Fetch(a uint64, b []byte) (keep, ok bool) {
	if m.space.FetchSlow(guestmem.Addr(a), b) != 0 {
		return false, false
	}
	mp, ok := m.space.Lookup(guestmem.Addr(a))
	return ok && !mp.Shared, true
}

// codeWritten tells the CPUs that guest [a, a+n) was written behind the
// host MMU: those holding copies of code there drop them.
func (g *group) codeWritten(a, n uint64) {
	for _, c := range *g.cpus.Load() {
		c.CodeWritten(a, a+n)
	}
}

// hostPagesChanged tells the CPUs that the host pages around guest
// [a, a+n) may have changed protection or contents (mprotect, madvise;
// the address space reports only the changes that matter with guest pages
// as large as host pages): a copy of code there may be stale or no longer
// needed, and accesses the CPU makes in software there may now be direct.
func (p *Process) hostPagesChanged(a, n uint64) {
	h := p.space.HostPageSize()
	lo := alignDown(a, h)
	hi := alignUp(a+n, h)
	if hi < lo || a+n < a {
		hi = alignDown(p.space.Size(), h)
	}
	p.g.invalidate(guestmem.Range{Start: guestmem.Addr(lo), End: guestmem.Addr(hi)})
}

// memFault acts on a fetch, load or store fault: the address space
// classifies a host fault (growing a stack, letting a racing access retry,
// or asking for emulation) and the CPU emulates the access when the guest
// may make it; otherwise the guest gets the signal.
func (p *Process) memFault(e riscv.Exit) {
	// A slow access that fails is classified in turn (its second page
	// may be a stack to grow); a memory manager that keeps answering
	// Emulate for an access its slow path refuses would loop, so the
	// rounds are bounded.
	for round := 0; e.Host && round < 3; round++ {
		acc := guestmem.AccessRead
		switch e.Access {
		case riscv.AccessWrite:
			acc = guestmem.AccessWrite
		case riscv.AccessFetch:
			acc = guestmem.AccessExec
		}
		f, retry := p.space.HandleFault(p.space.Base()+uintptr(e.Addr), acc)
		if retry {
			// The access may now be direct (a stack grew there, or
			// a racing thread changed the mapping): the CPU forgets
			// its slow blocks, so that the retry tries the host
			// first.
			p.cpu.Invalidate(e.Addr, e.Addr+1)
			return
		}
		if f.Signal != 0 {
			p.forceSignal(sigInfo{signo: int32(f.Signal), code: int32(f.Code), addr: uint64(f.Addr)})
			return
		}
		if !f.Emulate {
			break
		}
		next, done := p.cpu.Emulate(&p.mem, e)
		if done {
			return
		}
		if next == e {
			break
		}
		e = next
	}
	code := segvMaperr
	if _, ok := p.space.Lookup(guestmem.Addr(e.Addr)); ok {
		code = segvAccerr
	}
	p.forceSignal(sigInfo{signo: sigSEGV, code: int32(code), addr: e.Addr})
}
