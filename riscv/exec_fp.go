package riscv

// FP register file conventions: a single-precision value is stored
// NaN-boxed (upper 32 bits all ones). A single-precision operand whose
// register is not properly boxed reads as the canonical NaN. FSW and
// FMV.X.W take the low 32 bits as they are.

const boxMask = 0xffffffff00000000

func box32(v uint64) uint64 { return boxMask | v&0xffffffff }

// s reads f register r as single-precision bits.
func (c *CPU) s(r uint8) uint64 {
	v := c.F[r]
	if v&boxMask != boxMask {
		return canonNaN32
	}
	return v & 0xffffffff
}

// roundingMode resolves in's rm field against frm; ok is false if the
// result is reserved (an illegal instruction).
func (c *CPU) roundingMode(in *Inst) (uint8, bool) {
	rm := in.RM
	if rm == DYN {
		rm = uint8(c.FCSR >> 5 & 7)
	}
	return rm, rm <= RMM
}

// execFP executes the F and D instructions. It returns the value for x[rd]
// when the instruction writes an integer register.
func (c *CPU) execFP(in *Inst, rs1 uint64) (v uint64, toX bool, stop uint8) {
	var fl uint32
	var r uint64 // result for f[rd]
	single := false
	rm := uint8(RNE)
	switch in.Op {
	case FADD_S, FSUB_S, FMUL_S, FDIV_S, FSQRT_S, FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S,
		FADD_D, FSUB_D, FMUL_D, FDIV_D, FSQRT_D, FMADD_D, FMSUB_D, FNMSUB_D, FNMADD_D,
		FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S, FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU,
		FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D, FCVT_D_W, FCVT_D_WU, FCVT_D_L, FCVT_D_LU,
		FCVT_S_D, FCVT_D_S:
		var ok bool
		if rm, ok = c.roundingMode(in); !ok {
			return 0, false, uint8(ExitIllegal)
		}
	}
	a, b, d := in.Rs1, in.Rs2, in.Rs3
	switch in.Op {
	case FLW:
		p, ok := c.at(rs1+uint64(in.Imm), 4, AccessRead)
		if !ok {
			return 0, false, uint8(ExitLoadFault)
		}
		c.F[in.Rd] = box32(uint64(*(*uint32)(p)))
		return 0, false, stopNone
	case FLD:
		p, ok := c.at(rs1+uint64(in.Imm), 8, AccessRead)
		if !ok {
			return 0, false, uint8(ExitLoadFault)
		}
		c.F[in.Rd] = *(*uint64)(p)
		return 0, false, stopNone
	case FSW:
		p, ok := c.at(rs1+uint64(in.Imm), 4, AccessWrite)
		if !ok {
			return 0, false, uint8(ExitStoreFault)
		}
		*(*uint32)(p) = uint32(c.F[b])
		return 0, false, stopNone
	case FSD:
		p, ok := c.at(rs1+uint64(in.Imm), 8, AccessWrite)
		if !ok {
			return 0, false, uint8(ExitStoreFault)
		}
		*(*uint64)(p) = c.F[b]
		return 0, false, stopNone

	// Single precision.
	case FADD_S:
		r, fl = fadd(fmt32, c.s(a), c.s(b), false, rm)
		single = true
	case FSUB_S:
		r, fl = fadd(fmt32, c.s(a), c.s(b), true, rm)
		single = true
	case FMUL_S:
		r, fl = fmul(fmt32, c.s(a), c.s(b), rm)
		single = true
	case FDIV_S:
		r, fl = fdiv(fmt32, c.s(a), c.s(b), rm)
		single = true
	case FSQRT_S:
		r, fl = fsqrt(fmt32, c.s(a), rm)
		single = true
	case FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S:
		negP := in.Op == FNMSUB_S || in.Op == FNMADD_S
		negC := in.Op == FMSUB_S || in.Op == FNMADD_S
		r, fl = ffma(fmt32, c.s(a), c.s(b), c.s(d), negP, negC, rm)
		single = true
	case FSGNJ_S, FSGNJN_S, FSGNJX_S:
		x, y := c.s(a), c.s(b)
		sign := y & (1 << 31)
		switch in.Op {
		case FSGNJN_S:
			sign ^= 1 << 31
		case FSGNJX_S:
			sign ^= x & (1 << 31)
		}
		r, single = x&^(1<<31)|sign, true
	case FMIN_S, FMAX_S:
		r, fl = fminmax(fmt32, c.s(a), c.s(b), in.Op == FMAX_S)
		single = true
	case FEQ_S, FLT_S, FLE_S:
		v, fl = fcmp(fmt32, c.s(a), c.s(b), in.Op)
		toX = true
	case FCLASS_S:
		v, toX = fclass(fmt32, c.s(a)), true
	case FMV_X_W:
		v, toX = sx32(c.F[a]), true
	case FMV_W_X:
		r, single = rs1&0xffffffff, true
	case FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S:
		v, fl = fcvtToInt(fmt32, c.s(a), int(in.Op-FCVT_W_S), rm)
		toX = true
	case FCVT_S_W:
		r, fl = fcvtFromInt(fmt32, abs64(int64(int32(rs1))), int32(rs1) < 0, rm)
		single = true
	case FCVT_S_WU:
		r, fl = fcvtFromInt(fmt32, uint64(uint32(rs1)), false, rm)
		single = true
	case FCVT_S_L:
		r, fl = fcvtFromInt(fmt32, abs64(int64(rs1)), int64(rs1) < 0, rm)
		single = true
	case FCVT_S_LU:
		r, fl = fcvtFromInt(fmt32, rs1, false, rm)
		single = true
	case FCVT_S_D:
		r, fl = fcvtFormat(fmt32, fmt64, c.F[a], rm)
		single = true

	// Double precision.
	case FADD_D:
		r, fl = fadd(fmt64, c.F[a], c.F[b], false, rm)
	case FSUB_D:
		r, fl = fadd(fmt64, c.F[a], c.F[b], true, rm)
	case FMUL_D:
		r, fl = fmul(fmt64, c.F[a], c.F[b], rm)
	case FDIV_D:
		r, fl = fdiv(fmt64, c.F[a], c.F[b], rm)
	case FSQRT_D:
		r, fl = fsqrt(fmt64, c.F[a], rm)
	case FMADD_D, FMSUB_D, FNMSUB_D, FNMADD_D:
		negP := in.Op == FNMSUB_D || in.Op == FNMADD_D
		negC := in.Op == FMSUB_D || in.Op == FNMADD_D
		r, fl = ffma(fmt64, c.F[a], c.F[b], c.F[d], negP, negC, rm)
	case FSGNJ_D, FSGNJN_D, FSGNJX_D:
		x, y := c.F[a], c.F[b]
		sign := y & (1 << 63)
		switch in.Op {
		case FSGNJN_D:
			sign ^= 1 << 63
		case FSGNJX_D:
			sign ^= x & (1 << 63)
		}
		r = x&^(1<<63) | sign
	case FMIN_D, FMAX_D:
		r, fl = fminmax(fmt64, c.F[a], c.F[b], in.Op == FMAX_D)
	case FEQ_D, FLT_D, FLE_D:
		v, fl = fcmp(fmt64, c.F[a], c.F[b], in.Op)
		toX = true
	case FCLASS_D:
		v, toX = fclass(fmt64, c.F[a]), true
	case FMV_X_D:
		v, toX = c.F[a], true
	case FMV_D_X:
		r = rs1
	case FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D:
		v, fl = fcvtToInt(fmt64, c.F[a], int(in.Op-FCVT_W_D), rm)
		toX = true
	case FCVT_D_W:
		r, fl = fcvtFromInt(fmt64, abs64(int64(int32(rs1))), int32(rs1) < 0, rm)
	case FCVT_D_WU:
		r, fl = fcvtFromInt(fmt64, uint64(uint32(rs1)), false, rm)
	case FCVT_D_L:
		r, fl = fcvtFromInt(fmt64, abs64(int64(rs1)), int64(rs1) < 0, rm)
	case FCVT_D_LU:
		r, fl = fcvtFromInt(fmt64, rs1, false, rm)
	case FCVT_D_S:
		r, fl = fcvtFormat(fmt64, fmt32, c.s(a), rm)

	default:
		return 0, false, uint8(ExitIllegal)
	}
	c.FCSR |= fl
	if toX {
		return v, true, stopNone
	}
	if single {
		r = box32(r)
	}
	c.F[in.Rd] = r
	return 0, false, stopNone
}

func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}
