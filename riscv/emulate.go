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
// while c.emuWord is set, at hands exec that buffer instead of the window.
// The memory access is made around exec, as the instruction's class says:
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
//
// Slow blocks. Once an access of one kind (load, or store and AMO) had to
// be emulated, the accesses of that kind to the same host page
// (Memory.SlowBlock) will fault too, at the cost of a host fault (some
// 4 µs) each. The CPU remembers the last two such blocks of each kind (a
// thread's stack top beside another's guard page, and a lock in a data
// page beside read-only data, say), and at sends the accesses there to
// the run loop, which emulates them at once. The check is two more
// comparisons in at; Invalidate drops the blocks, since the
// host protection there may have changed. A slow access is correct even
// where the host would now allow a direct one: it checks the guest's
// protection itself.

// slowBlocks are the two slow blocks of one access kind, the most recent
// first: [lo0, lo0+len0) and [lo1, lo1+len1) (an empty one has length 0).
type slowBlocks struct {
	lo0, len0, lo1, len1 uint64
}

// note makes [lo, lo+n) the most recent slow block.
func (s *slowBlocks) note(lo, n uint64) {
	if s.lo0 == lo && s.len0 == n {
		return
	}
	s.lo1, s.len1 = s.lo0, s.len0
	s.lo0, s.len0 = lo, n
}

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
//     updated as Run would have. The CPU then makes the same kind of
//     access (load or store) in the same block (Memory.SlowBlock) in
//     software at once, without a host fault, until Invalidate.
//   - ExitFetchFault: the code around e.Addr is read through mem.Slow and
//     kept (see codecopy.go); PC is unchanged and the next Run executes
//     from the copy.
//
// It returns done=true on success. Otherwise the state is unchanged and
// next is the exit to act on instead: a fault at the first address the
// slow access could not reach (Host set: the memory manager classifies
// it, and may grow a stack there), or e itself if the instruction cannot
// be emulated (no mem.Slow, not a memory access). Run returns such
// faults too for the accesses it makes in software.
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
	if e.PC != c.PC {
		return e, false
	}
	in := Decode(e.Inst)
	if in.Len != e.Len {
		return e, false
	}
	return c.emulate(&in, e)
}

// emulate executes in, at c.PC, with its memory access made through
// c.mem.Slow; e is the exit to return if that is not possible.
func (c *CPU) emulate(in *Inst, e Exit) (Exit, bool) {
	class, size := memAccess(in.Op)
	if class == emuNone || c.mem.Slow == nil {
		return e, false
	}
	addr := c.X[in.Rs1] + uint64(in.Imm)
	if addr > c.size-size {
		return e, false
	}
	m := &c.emuBuf
	*m = emulation{addr: addr, size: size, acc: AccessRead}
	if class != emuLoad {
		m.acc = AccessWrite
	}
	saved := c.State
	slow := c.mem.Slow
	k := uint8(stopNone)
	ok := true
	switch class {
	case emuLoad:
		if ok = slow.Load(addr, m.bytes()); ok {
			k = c.execEmulated(in, m)
		}
	case emuStore:
		if k = c.execEmulated(in, m); k == stopNone {
			ok = slow.Store(addr, m.bytes())
		}
	case emuUpdate:
		var buf [8]byte
		ok = slow.Update(addr, buf[:size], func(b []byte) bool {
			m.word = 0
			copy(m.bytes(), b)
			before := m.word
			if k = c.execEmulated(in, m); k != stopNone || m.word == before {
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
	// Further accesses of this kind in the block go to the slow path
	// at once.
	block := c.mem.SlowBlock
	if block == 0 || block&(block-1) != 0 {
		block = copyChunk
	}
	c.slow[m.acc].note(addr&^(block-1), block)
	c.Instret++
	return Exit{}, true
}

// execEmulated runs exec on in with memory redirected to m: every access
// is "slow" (at sees the whole window as a slow block) and at hands out
// m.word. An access other than the one prepared (a bug) is reported as a
// fault, its effect undone by the caller.
func (c *CPU) execEmulated(in *Inst, m *emulation) uint8 {
	saved := c.slow
	c.emuWord = unsafe.Pointer(&m.word)
	all := slowBlocks{len0: ^uint64(0)}
	c.slow = [2]slowBlocks{all, all}
	c.exitSize = 0
	defer func() {
		c.emuWord = nil
		c.slow = saved
	}()
	k := c.exec(in, c.PC)
	if c.exitSize != 0 && (c.exitAddr != m.addr || c.exitSize != m.size || c.exitAccess != m.acc) {
		return faultKind(c.exitAccess)
	}
	return k
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
