package riscv

import (
	"math/bits"
	"unsafe"
)

// stop codes returned by exec: stopNone continues the run loop, anything
// else is an ExitKind (with details in c.exitAddr/c.exitAccess).
const stopNone = 0xff

func (c *CPU) run(maxSteps uint64) Exit {
	limit := c.Instret + maxSteps
	if maxSteps == 0 || limit < c.Instret {
		limit = ^uint64(0)
	}
	if c.PC&1 != 0 {
		return Exit{Kind: ExitMisaligned, PC: c.PC, Addr: c.PC, Access: AccessFetch}
	}
	for {
		if c.attention.Load() != 0 {
			if a := c.attention.Load(); a&attnInvalidate != 0 {
				c.takeInvalidations()
			} else if a&attnCopies != 0 {
				c.attention.And(^uint32(attnCopies))
				c.copies.applyInvalid()
			}
			if c.attention.Load()&attnInterrupt != 0 {
				c.attention.And(^uint32(attnInterrupt))
				return Exit{Kind: ExitInterrupted, PC: c.PC}
			}
		}
		if c.Instret >= limit {
			return Exit{Kind: ExitStepLimit, PC: c.PC}
		}
		pc := c.PC
		c.stage = stageFetch
		var w uint32
		if pc >= c.fastLo && pc+4 <= c.fastHi {
			// Fast path: the whole word is in the cached executable
			// range, outside any code copy (a compressed instruction
			// uses the low half). PC is even: Run checks it on entry
			// and every jump target is.
			w = *(*uint32)(unsafe.Add(c.base, pc))
			if w&3 != 3 {
				w &= 0xffff
			}
		} else {
			var fe *Exit
			if w, fe = c.fetch(pc); fe != nil {
				return *fe
			}
		}
		c.stage = stageExec
		// Decoded instructions are cached by PC and checked against the
		// word just fetched, so modified code is decoded afresh.
		idx := pc >> 1 & (icacheSize - 1)
		e := &c.icache[idx]
		if e.pc != pc || e.in.Raw != w || e.in.Len == 0 {
			e.pc, e.in = pc, Decode(w)
		}
		c.cur = uint32(idx)
		if k := c.exec(&e.in, pc); k != stopNone {
			if (k == uint8(ExitLoadFault) || k == uint8(ExitStoreFault)) && c.exitAddr <= c.size-c.exitSize {
				// Inside the window: an access in a slow block, made
				// in software.
				in := e.in
				if fe, done := c.emulate(&in, Exit{Kind: ExitKind(k), PC: pc, Addr: c.exitAddr,
					Access: c.exitAccess, Host: true, Inst: in.Raw, Len: in.Len}); !done {
					return fe
				}
				continue
			}
			return Exit{Kind: ExitKind(k), PC: pc, Addr: c.exitAddr, Access: c.exitAccess,
				Inst: e.in.Raw, Len: e.in.Len}
		}
		c.Instret++
	}
}

// Step executes exactly one instruction (for debuggers and tests).
func (c *CPU) Step(mem *Memory) Exit {
	return c.Run(mem, 1)
}

// memory access helpers. Each returns ok=false (and records the fault) if
// [a, a+n) is not inside the window; a host fault panics and is recovered
// by Run.

func (c *CPU) at(a, n uint64, acc Access) (unsafe.Pointer, bool) {
	if s := &c.slow[acc&1]; a > c.size-n || a-s.lo0 < s.len0 || a-s.lo1 < s.len1 {
		// Outside the window, or in a slow block (emulate.go): no
		// access to the window. During Emulate, emuWord receives it.
		c.exitAddr, c.exitAccess, c.exitSize = a, acc, n
		return c.emuWord, c.emuWord != nil
	}
	return unsafe.Add(c.base, a), true
}

func faultKind(acc Access) uint8 {
	if acc == AccessWrite {
		return uint8(ExitStoreFault)
	}
	return uint8(ExitLoadFault)
}

func sx32(v uint64) uint64 { return uint64(int64(int32(v))) }

// exec executes in, which sits at pc. It returns stopNone to go on, or the
// ExitKind to leave with (state untouched: the instruction has no effect).
func (c *CPU) exec(in *Inst, pc uint64) uint8 {
	x := &c.X
	rs1 := x[in.Rs1]
	rs2 := x[in.Rs2]
	next := pc + uint64(in.Len)
	var v uint64 // value for rd, written at the end (x0 is re-zeroed)
	rd := in.Rd
	imm := uint64(in.Imm)

	switch in.Op {
	case ILLEGAL:
		return uint8(ExitIllegal)

	// RV64I
	case LUI:
		v = imm
	case AUIPC:
		v = pc + imm
	case JAL:
		v, next = next, pc+imm
	case JALR:
		v, next = next, (rs1+imm)&^1
	case BEQ:
		rd = 0
		if rs1 == rs2 {
			next = pc + imm
		}
	case BNE:
		rd = 0
		if rs1 != rs2 {
			next = pc + imm
		}
	case BLT:
		rd = 0
		if int64(rs1) < int64(rs2) {
			next = pc + imm
		}
	case BGE:
		rd = 0
		if int64(rs1) >= int64(rs2) {
			next = pc + imm
		}
	case BLTU:
		rd = 0
		if rs1 < rs2 {
			next = pc + imm
		}
	case BGEU:
		rd = 0
		if rs1 >= rs2 {
			next = pc + imm
		}
	case LB:
		p, ok := c.at(rs1+imm, 1, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = uint64(int64(*(*int8)(p)))
	case LH:
		p, ok := c.at(rs1+imm, 2, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = uint64(int64(*(*int16)(p)))
	case LW:
		p, ok := c.at(rs1+imm, 4, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = uint64(int64(*(*int32)(p)))
	case LD:
		p, ok := c.at(rs1+imm, 8, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = *(*uint64)(p)
	case LBU:
		p, ok := c.at(rs1+imm, 1, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = uint64(*(*uint8)(p))
	case LHU:
		p, ok := c.at(rs1+imm, 2, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = uint64(*(*uint16)(p))
	case LWU:
		p, ok := c.at(rs1+imm, 4, AccessRead)
		if !ok {
			return uint8(ExitLoadFault)
		}
		v = uint64(*(*uint32)(p))
	case SB:
		p, ok := c.at(rs1+imm, 1, AccessWrite)
		if !ok {
			return uint8(ExitStoreFault)
		}
		*(*uint8)(p) = uint8(rs2)
		rd = 0
	case SH:
		p, ok := c.at(rs1+imm, 2, AccessWrite)
		if !ok {
			return uint8(ExitStoreFault)
		}
		*(*uint16)(p) = uint16(rs2)
		rd = 0
	case SW:
		p, ok := c.at(rs1+imm, 4, AccessWrite)
		if !ok {
			return uint8(ExitStoreFault)
		}
		*(*uint32)(p) = uint32(rs2)
		rd = 0
	case SD:
		p, ok := c.at(rs1+imm, 8, AccessWrite)
		if !ok {
			return uint8(ExitStoreFault)
		}
		*(*uint64)(p) = rs2
		rd = 0
	case ADDI:
		v = rs1 + imm
	case SLTI:
		v = b2u(int64(rs1) < int64(imm))
	case SLTIU:
		v = b2u(rs1 < imm)
	case XORI:
		v = rs1 ^ imm
	case ORI:
		v = rs1 | imm
	case ANDI:
		v = rs1 & imm
	case SLLI:
		v = rs1 << (imm & 63)
	case SRLI:
		v = rs1 >> (imm & 63)
	case SRAI:
		v = uint64(int64(rs1) >> (imm & 63))
	case ADD:
		v = rs1 + rs2
	case SUB:
		v = rs1 - rs2
	case SLL:
		v = rs1 << (rs2 & 63)
	case SLT:
		v = b2u(int64(rs1) < int64(rs2))
	case SLTU:
		v = b2u(rs1 < rs2)
	case XOR:
		v = rs1 ^ rs2
	case SRL:
		v = rs1 >> (rs2 & 63)
	case SRA:
		v = uint64(int64(rs1) >> (rs2 & 63))
	case OR:
		v = rs1 | rs2
	case AND:
		v = rs1 & rs2
	case ADDIW:
		v = sx32(rs1 + imm)
	case SLLIW:
		v = sx32(rs1 << (imm & 31))
	case SRLIW:
		v = sx32(uint64(uint32(rs1) >> (imm & 31)))
	case SRAIW:
		v = uint64(int64(int32(rs1) >> (imm & 31)))
	case ADDW:
		v = sx32(rs1 + rs2)
	case SUBW:
		v = sx32(rs1 - rs2)
	case SLLW:
		v = sx32(rs1 << (rs2 & 31))
	case SRLW:
		v = sx32(uint64(uint32(rs1) >> (rs2 & 31)))
	case SRAW:
		v = uint64(int64(int32(rs1) >> (rs2 & 31)))
	case FENCE:
		// A full host barrier orders all earlier accesses before all
		// later ones, whatever pred and succ ask for.
		fence()
		rd = 0
	case FENCE_I:
		// Nothing is cached across instructions yet: each fetch reads
		// guest memory.
		rd = 0
	case ECALL:
		return uint8(ExitEcall)
	case EBREAK:
		return uint8(ExitEbreak)

	// Zicsr
	case CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI:
		r, ok := c.csr(in, rs1)
		if !ok {
			return uint8(ExitIllegal)
		}
		v = r

	// M
	case MUL:
		v = rs1 * rs2
	case MULH:
		hi, _ := bits.Mul64(rs1, rs2)
		if int64(rs1) < 0 {
			hi -= rs2
		}
		if int64(rs2) < 0 {
			hi -= rs1
		}
		v = hi
	case MULHSU:
		hi, _ := bits.Mul64(rs1, rs2)
		if int64(rs1) < 0 {
			hi -= rs2
		}
		v = hi
	case MULHU:
		v, _ = bits.Mul64(rs1, rs2)
	case DIV:
		switch {
		case rs2 == 0:
			v = ^uint64(0)
		case int64(rs1) == -1<<63 && int64(rs2) == -1:
			v = rs1
		default:
			v = uint64(int64(rs1) / int64(rs2))
		}
	case DIVU:
		if rs2 == 0 {
			v = ^uint64(0)
		} else {
			v = rs1 / rs2
		}
	case REM:
		switch {
		case rs2 == 0:
			v = rs1
		case int64(rs1) == -1<<63 && int64(rs2) == -1:
			v = 0
		default:
			v = uint64(int64(rs1) % int64(rs2))
		}
	case REMU:
		if rs2 == 0 {
			v = rs1
		} else {
			v = rs1 % rs2
		}
	case MULW:
		v = sx32(rs1 * rs2)
	case DIVW:
		a, b := int32(rs1), int32(rs2)
		switch {
		case b == 0:
			v = ^uint64(0)
		case a == -1<<31 && b == -1:
			v = uint64(int64(a))
		default:
			v = uint64(int64(a / b))
		}
	case DIVUW:
		a, b := uint32(rs1), uint32(rs2)
		if b == 0 {
			v = ^uint64(0)
		} else {
			v = sx32(uint64(a / b))
		}
	case REMW:
		a, b := int32(rs1), int32(rs2)
		switch {
		case b == 0:
			v = uint64(int64(a))
		case a == -1<<31 && b == -1:
			v = 0
		default:
			v = uint64(int64(a % b))
		}
	case REMUW:
		a, b := uint32(rs1), uint32(rs2)
		if b == 0 {
			v = sx32(uint64(a))
		} else {
			v = sx32(uint64(a % b))
		}

	// A
	case LR_W, LR_D, SC_W, SC_D,
		AMOSWAP_W, AMOADD_W, AMOXOR_W, AMOAND_W, AMOOR_W, AMOMIN_W, AMOMAX_W, AMOMINU_W, AMOMAXU_W,
		AMOSWAP_D, AMOADD_D, AMOXOR_D, AMOAND_D, AMOOR_D, AMOMIN_D, AMOMAX_D, AMOMINU_D, AMOMAXU_D:
		r, k := c.atomic(in.Op, rs1, rs2)
		if k != stopNone {
			return k
		}
		v = r

	// Zba
	case ADD_UW:
		v = rs2 + uint64(uint32(rs1))
	case SH1ADD:
		v = rs2 + rs1<<1
	case SH2ADD:
		v = rs2 + rs1<<2
	case SH3ADD:
		v = rs2 + rs1<<3
	case SH1ADD_UW:
		v = rs2 + uint64(uint32(rs1))<<1
	case SH2ADD_UW:
		v = rs2 + uint64(uint32(rs1))<<2
	case SH3ADD_UW:
		v = rs2 + uint64(uint32(rs1))<<3
	case SLLI_UW:
		v = uint64(uint32(rs1)) << (imm & 63)

	// Zbb
	case ANDN:
		v = rs1 &^ rs2
	case ORN:
		v = rs1 | ^rs2
	case XNOR:
		v = ^(rs1 ^ rs2)
	case CLZ:
		v = uint64(bits.LeadingZeros64(rs1))
	case CLZW:
		v = uint64(bits.LeadingZeros32(uint32(rs1)))
	case CTZ:
		v = uint64(bits.TrailingZeros64(rs1))
	case CTZW:
		v = uint64(bits.TrailingZeros32(uint32(rs1)))
	case CPOP:
		v = uint64(bits.OnesCount64(rs1))
	case CPOPW:
		v = uint64(bits.OnesCount32(uint32(rs1)))
	case MAX:
		v = rs1
		if int64(rs2) > int64(rs1) {
			v = rs2
		}
	case MAXU:
		v = max(rs1, rs2)
	case MIN:
		v = rs1
		if int64(rs2) < int64(rs1) {
			v = rs2
		}
	case MINU:
		v = min(rs1, rs2)
	case SEXT_B:
		v = uint64(int64(int8(rs1)))
	case SEXT_H:
		v = uint64(int64(int16(rs1)))
	case ZEXT_H:
		v = uint64(uint16(rs1))
	case ROL:
		v = bits.RotateLeft64(rs1, int(rs2&63))
	case ROLW:
		v = sx32(uint64(bits.RotateLeft32(uint32(rs1), int(rs2&31))))
	case ROR:
		v = bits.RotateLeft64(rs1, -int(rs2&63))
	case RORI:
		v = bits.RotateLeft64(rs1, -int(imm&63))
	case RORIW:
		v = sx32(uint64(bits.RotateLeft32(uint32(rs1), -int(imm&31))))
	case RORW:
		v = sx32(uint64(bits.RotateLeft32(uint32(rs1), -int(rs2&31))))
	case ORC_B:
		for i := 0; i < 64; i += 8 {
			if rs1>>i&0xff != 0 {
				v |= 0xff << i
			}
		}
	case REV8:
		v = bits.ReverseBytes64(rs1)

	// Zbs
	case BCLR:
		v = rs1 &^ (1 << (rs2 & 63))
	case BCLRI:
		v = rs1 &^ (1 << (imm & 63))
	case BEXT:
		v = rs1 >> (rs2 & 63) & 1
	case BEXTI:
		v = rs1 >> (imm & 63) & 1
	case BINV:
		v = rs1 ^ (1 << (rs2 & 63))
	case BINVI:
		v = rs1 ^ (1 << (imm & 63))
	case BSET:
		v = rs1 | (1 << (rs2 & 63))
	case BSETI:
		v = rs1 | (1 << (imm & 63))

	default:
		// F and D.
		r, toX, k := c.execFP(in, rs1)
		if k != stopNone {
			return k
		}
		if toX {
			v = r
		} else {
			rd = 0
		}
	}
	x[rd] = v
	x[0] = 0
	c.PC = next
	return stopNone
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// atomic executes LR, SC and the AMOs. They go to the host with
// sync/atomic, so they are atomic with respect to every other hart
// running on any host thread. They are done by the functions of
// hostatomic_*.go so that host faults in them are recoverable.
//
// LR/SC is emulated the way QEMU does: LR remembers the address and the
// value it loaded, and SC succeeds if a compare-and-swap from that value
// to the new one succeeds. A store by another hart that writes the same
// value back (ABA) is therefore not seen; the code LR/SC sequences
// compilers emit (and the forward-progress rules) do not depend on it.
func (c *CPU) atomic(op Op, addr, src uint64) (uint64, uint8) {
	size := uint64(4)
	if op >= LR_D {
		size = 8
	}
	write := op != LR_W && op != LR_D
	acc := AccessRead
	if write {
		acc = AccessWrite
	}
	if addr&(size-1) != 0 {
		c.exitAddr, c.exitAccess = addr, acc
		return 0, uint8(ExitMisaligned)
	}
	if (op == SC_W || op == SC_D) && !(c.Res.Valid && c.Res.Addr == addr && uint64(c.Res.Size) == size) {
		c.Res.Valid = false
		return 1, stopNone
	}
	p, ok := c.at(addr, size, acc)
	if !ok {
		return 0, faultKind(acc)
	}
	if size == 4 {
		s := uint32(src)
		var old uint32
		switch op {
		case LR_W:
			old = load32(p)
			c.Res = Reservation{Valid: true, Size: 4, Addr: addr, Value: uint64(old)}
		case SC_W:
			// The reservation is cleared after the access: a host
			// fault leaves the state as it was, for Emulate.
			ok := cas32(p, uint32(c.Res.Value), s)
			c.Res.Valid = false
			if ok {
				return 0, stopNone
			}
			return 1, stopNone
		case AMOSWAP_W:
			old = xchg32(p, s)
		case AMOADD_W:
			old = xadd32(p, s)
		default:
			for {
				old = load32(p)
				var n uint32
				switch op {
				case AMOAND_W:
					n = old & s
				case AMOOR_W:
					n = old | s
				case AMOXOR_W:
					n = old ^ s
				case AMOMIN_W:
					n = uint32(min(int32(old), int32(s)))
				case AMOMAX_W:
					n = uint32(max(int32(old), int32(s)))
				case AMOMINU_W:
					n = min(old, s)
				case AMOMAXU_W:
					n = max(old, s)
				}
				if cas32(p, old, n) {
					break
				}
			}
		}
		return uint64(int64(int32(old))), stopNone
	}
	var old uint64
	switch op {
	case LR_D:
		old = load64(p)
		c.Res = Reservation{Valid: true, Size: 8, Addr: addr, Value: old}
	case SC_D:
		ok := cas64(p, c.Res.Value, src)
		c.Res.Valid = false
		if ok {
			return 0, stopNone
		}
		return 1, stopNone
	case AMOSWAP_D:
		old = xchg64(p, src)
	case AMOADD_D:
		old = xadd64(p, src)
	default:
		for {
			old = load64(p)
			var n uint64
			switch op {
			case AMOAND_D:
				n = old & src
			case AMOOR_D:
				n = old | src
			case AMOXOR_D:
				n = old ^ src
			case AMOMIN_D:
				n = uint64(min(int64(old), int64(src)))
			case AMOMAX_D:
				n = uint64(max(int64(old), int64(src)))
			case AMOMINU_D:
				n = min(old, src)
			case AMOMAXU_D:
				n = max(old, src)
			}
			if cas64(p, old, n) {
				break
			}
		}
	}
	return old, stopNone
}
