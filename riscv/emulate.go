package riscv

import "unsafe"

// Emulation. With a memory manager whose host protections may be stricter
// than the guest's (see SlowMemory), a host fault on a load, store or
// fetch does not always mean a guest fault: the memory manager decides,
// and when the guest may make the access, Emulate completes the
// instruction in software.
//
// Emulate runs the faulting instruction through exec itself, so the
// semantics (sign extension, NaN-boxing, LR/SC, AMO arithmetic) are those
// of the fast path by construction. The one difference is where memory is:
// while c.emu is set, at hands exec a buffer instead of the window. The
// memory access is made around exec, as the instruction's class says:
//
//	class    instructions             slow access
//	load     loads, FP loads, LR      Load into the buffer, then exec
//	store    stores, FP stores        exec into the buffer, then Store
//	update   AMOs, SC                 exec inside Update, on its bytes
//
// An update writes back only if the bytes changed (a failed SC writes
// nothing). If the slow access fails, the architectural state is restored
// and Emulate reports a fault at the first inaccessible byte, as the host
// MMU would have.

// emuClass is how Emulate makes an instruction's memory access.
type emuClass uint8

const (
	emuNone emuClass = iota
	emuLoad
	emuStore
	emuUpdate
)

// memAccess returns the class and size of in's memory access (emuNone for
// an instruction that accesses no data memory).
func memAccess(op Op) (emuClass, uint64) {
	switch op {
	case LB, LBU:
		return emuLoad, 1
	case LH, LHU:
		return emuLoad, 2
	case LW, LWU, FLW, LR_W:
		return emuLoad, 4
	case LD, FLD, LR_D:
		return emuLoad, 8
	case SB:
		return emuStore, 1
	case SH:
		return emuStore, 2
	case SW, FSW:
		return emuStore, 4
	case SD, FSD:
		return emuStore, 8
	}
	switch {
	case op >= SC_W && op <= AMOMAXU_W:
		return emuUpdate, 4
	case op >= SC_D && op <= AMOMAXU_D:
		return emuUpdate, 8
	}
	return emuNone, 0
}

// emulation is the memory of one emulated access: exec reads and writes
// word, which the slow access fills or writes out.
type emulation struct {
	addr, size uint64
	acc        Access
	word       uint64 // 8-aligned for the host atomics exec uses
	used       bool
}

// at is CPU.at during Emulate: the access must be the one Emulate
// prepared.
func (m *emulation) at(c *CPU, a, n uint64, acc Access) (unsafe.Pointer, bool) {
	if a != m.addr || n != m.size || acc != m.acc {
		// Not the access Emulate computed: a bug, reported as a
		// fault rather than made on the wrong memory.
		c.exitAddr, c.exitAccess = a, acc
		return nil, false
	}
	m.used = true
	return unsafe.Pointer(&m.word), true
}

func (m *emulation) bytes() []byte {
	return (*[8]byte)(unsafe.Pointer(&m.word))[:m.size]
}

// Emulate completes in software the instruction that made Run return e, a
// host fault (e.Host) that the memory manager says the guest may make (on
// guestmem, HandleFault's Fault.Emulate), using mem.Slow:
//
//   - ExitLoadFault, ExitStoreFault: the load, store, FP load or store,
//     LR, SC or AMO at e.PC is executed with its memory access made
//     through mem.Slow; on success the registers, PC and Instret are
//     updated as Run would have.
//   - ExitFetchFault: the code around e.Addr is read through mem.Slow and
//     kept (see codecopy.go); PC is unchanged and the next Run executes
//     from the copy.
//
// It returns done=true on success. Otherwise the state is unchanged and
// next is the exit to act on instead: a fault at the first address the
// slow access could not reach (Host set: the memory manager classifies
// it, and may grow a stack there), or e itself if the instruction cannot
// be emulated (no mem.Slow, not a memory access).
func (c *CPU) Emulate(mem *Memory, e Exit) (next Exit, done bool) {
	if mem.Slow == nil || !e.Host {
		return e, false
	}
	c.bind(mem)
	switch e.Kind {
	case ExitFetchFault:
		return c.emulateFetch(e)
	case ExitLoadFault, ExitStoreFault:
	default:
		return e, false
	}
	in := Decode(e.Inst)
	class, size := memAccess(in.Op)
	if class == emuNone || in.Len != e.Len || e.PC != c.PC {
		return e, false
	}
	addr := c.X[in.Rs1] + uint64(in.Imm)
	if addr > c.size-size {
		return e, false
	}
	m := &emulation{addr: addr, size: size, acc: AccessRead}
	if class != emuLoad {
		m.acc = AccessWrite
	}
	saved := c.State
	slow := mem.Slow
	k := uint8(stopNone)
	ok := true
	switch class {
	case emuLoad:
		if ok = slow.Load(addr, m.bytes()); ok {
			k = c.execEmulated(&in, m)
		}
	case emuStore:
		if k = c.execEmulated(&in, m); k == stopNone && m.used {
			ok = slow.Store(addr, m.bytes())
		}
	case emuUpdate:
		var buf [8]byte
		ok = slow.Update(addr, buf[:size], func(b []byte) bool {
			m.word = 0
			copy(m.bytes(), b)
			before := m.word
			if k = c.execEmulated(&in, m); k != stopNone || m.word == before {
				return false
			}
			copy(b, m.bytes())
			return true
		})
	}
	if !ok {
		c.State = saved
		return c.slowFault(e, addr, size, m.acc), false
	}
	if k != stopNone {
		// exec stopped before the access (it cannot, for an
		// instruction that faulted on the host): report its exit.
		c.State = saved
		return Exit{Kind: ExitKind(k), PC: e.PC, Addr: c.exitAddr, Access: c.exitAccess,
			Inst: e.Inst, Len: e.Len}, false
	}
	c.Instret++
	return Exit{}, true
}

// execEmulated runs exec on in with memory redirected to m.
func (c *CPU) execEmulated(in *Inst, m *emulation) uint8 {
	c.emu = m
	defer func() { c.emu = nil }()
	return c.exec(in, c.PC)
}

// slowFault builds the exit for a slow access to [a, a+n) that failed:
// a fault at its first byte, or at the start of its second guest page if
// it spans two and the first part is accessible (a misaligned access).
func (c *CPU) slowFault(e Exit, a, n uint64, acc Access) Exit {
	bad := a
	if split := (a | (copyChunk - 1)) + 1; split < a+n && split > a {
		var b [8]byte
		first := b[:split-a]
		var ok bool
		if acc == AccessRead {
			ok = c.mem.Slow.Load(a, first)
		} else {
			ok = c.mem.Slow.Update(a, first, func([]byte) bool { return false })
		}
		if ok {
			bad = split
		}
	}
	e.Addr, e.Access, e.Host = bad, acc, true
	return e
}

// emulateFetch copies the code chunk around e.Addr through the slow path.
func (c *CPU) emulateFetch(e Exit) (Exit, bool) {
	a := e.Addr
	if ok, bad := c.fetchSlow(a, 1); !ok {
		return Exit{Kind: ExitFetchFault, PC: e.PC, Addr: bad, Access: AccessFetch}, false
	}
	block := a &^ (copyChunk - 1)
	lo, hi := max(block, c.execLo), min(block+copyChunk, c.execHi)
	ch := c.copies.add(lo, hi)
	keep, ok := c.mem.Slow.Fetch(lo, ch.data[:hi-lo])
	if !ok {
		c.copies.remove(ch)
		e.Host = true
		return e, false
	}
	ch.keep = keep
	c.fastLo, c.fastHi = 0, 0
	return Exit{}, true
}
