package riscv

// Inst is one decoded instruction. It holds everything the executor needs
// and nothing that depends on where the instruction sits, so a cache of
// decoded blocks (or a JIT) can keep and reuse it.
type Inst struct {
	Op  Op
	Rd  uint8 // destination register (x or f, by Op)
	Rs1 uint8 // first source register; for CSRR*I the 5-bit zimm
	Rs2 uint8
	Rs3 uint8 // third source of the fused multiply-add forms
	// RM is the rounding-mode field of FP instructions that have one
	// (0-4 static, 7 dynamic; 5 and 6 never decode), the aq/rl bits
	// (aq<<1|rl) of atomics, and pred<<4|succ of FENCE.
	RM  uint8
	Len uint8  // 2 for a compressed instruction, 4 otherwise
	Imm int64  // sign-extended immediate; the CSR number for CSR*
	Raw uint32 // the instruction word (low 16 bits if compressed)
}

// Rounding modes, as encoded in the rm field and the frm CSR.
const (
	RNE = 0 // to nearest, ties to even
	RTZ = 1 // toward zero
	RDN = 2 // down, toward -inf
	RUP = 3 // up, toward +inf
	RMM = 4 // to nearest, ties to max magnitude
	DYN = 7 // use frm
)

// InstLen returns the length in bytes of the instruction whose first 16-bit
// parcel is lo: 2 for compressed instructions, 4 otherwise. (Longer
// encodings do not exist in RV64GC; they decode as ILLEGAL with length 4.)
func InstLen(lo uint16) int {
	if lo&3 != 3 {
		return 2
	}
	return 4
}

// Decode decodes one instruction. For a compressed instruction only the
// low 16 bits of word are used. Unknown and reserved encodings give
// Op == ILLEGAL, with Len and Raw set.
func Decode(word uint32) Inst {
	if word&3 != 3 {
		return decodeCompressed(uint16(word))
	}
	return decode32(word)
}

func sext(v uint32, bits uint) int64 {
	return int64(int32(v<<(32-bits)) >> (32 - bits))
}

func immI(w uint32) int64 { return int64(int32(w) >> 20) }
func immS(w uint32) int64 { return int64(int32(w)>>25<<5) | int64(w>>7&0x1f) }
func immB(w uint32) int64 {
	v := (w>>31)<<12 | (w>>7&1)<<11 | (w>>25&0x3f)<<5 | (w>>8&0xf)<<1
	return sext(v, 13)
}
func immJ(w uint32) int64 {
	v := (w>>31)<<20 | (w>>12&0xff)<<12 | (w>>20&1)<<11 | (w>>21&0x3ff)<<1
	return sext(v, 21)
}

// validRM reports whether a static rounding-mode field is legal. 5 and 6
// are reserved; 7 (dynamic) is checked against frm at execution.
func validRM(rm uint32) bool { return rm != 5 && rm != 6 }

func decode32(w uint32) Inst {
	in := Inst{
		Len: 4,
		Raw: w,
		Rd:  uint8(w >> 7 & 31),
		Rs1: uint8(w >> 15 & 31),
		Rs2: uint8(w >> 20 & 31),
		Rs3: uint8(w >> 27),
	}
	f3 := w >> 12 & 7
	f7 := w >> 25
	op := ILLEGAL
	switch w & 0x7f {
	case 0x37:
		op, in.Imm = LUI, int64(int32(w&0xfffff000))
	case 0x17:
		op, in.Imm = AUIPC, int64(int32(w&0xfffff000))
	case 0x6f:
		op, in.Imm = JAL, immJ(w)
	case 0x67:
		if f3 == 0 {
			op, in.Imm = JALR, immI(w)
		}
	case 0x63:
		op = [8]Op{BEQ, BNE, ILLEGAL, ILLEGAL, BLT, BGE, BLTU, BGEU}[f3]
		in.Imm = immB(w)
	case 0x03:
		op = [8]Op{LB, LH, LW, LD, LBU, LHU, LWU, ILLEGAL}[f3]
		in.Imm = immI(w)
	case 0x23:
		op = [8]Op{SB, SH, SW, SD}[f3]
		in.Imm = immS(w)
	case 0x13:
		in.Imm = immI(w)
		switch f3 {
		case 0:
			op = ADDI
		case 2:
			op = SLTI
		case 3:
			op = SLTIU
		case 4:
			op = XORI
		case 6:
			op = ORI
		case 7:
			op = ANDI
		case 1:
			in.Imm = int64(w >> 20 & 63)
			switch w >> 26 {
			case 0x00:
				op = SLLI
			case 0x12:
				op = BCLRI
			case 0x1a:
				op = BINVI
			case 0x0a:
				op = BSETI
			case 0x18:
				switch w >> 20 {
				case 0x600:
					op = CLZ
				case 0x601:
					op = CTZ
				case 0x602:
					op = CPOP
				case 0x604:
					op = SEXT_B
				case 0x605:
					op = SEXT_H
				}
			}
		case 5:
			in.Imm = int64(w >> 20 & 63)
			switch w >> 26 {
			case 0x00:
				op = SRLI
			case 0x10:
				op = SRAI
			case 0x18:
				op = RORI
			case 0x12:
				op = BEXTI
			case 0x0a:
				if w>>20 == 0x287 {
					op = ORC_B
				}
			case 0x1a:
				if w>>20 == 0x6b8 {
					op = REV8
				}
			}
		}
	case 0x1b:
		switch f3 {
		case 0:
			op, in.Imm = ADDIW, immI(w)
		case 1:
			in.Imm = int64(w >> 20 & 31)
			switch f7 {
			case 0x00:
				op = SLLIW
			case 0x04, 0x05:
				op, in.Imm = SLLI_UW, int64(w>>20&63)
			case 0x30:
				switch in.Rs2 {
				case 0:
					op = CLZW
				case 1:
					op = CTZW
				case 2:
					op = CPOPW
				}
			}
		case 5:
			in.Imm = int64(w >> 20 & 31)
			switch f7 {
			case 0x00:
				op = SRLIW
			case 0x20:
				op = SRAIW
			case 0x30:
				op = RORIW
			}
		}
	case 0x33:
		switch f7 {
		case 0x00:
			op = [8]Op{ADD, SLL, SLT, SLTU, XOR, SRL, OR, AND}[f3]
		case 0x20:
			op = [8]Op{SUB, ILLEGAL, ILLEGAL, ILLEGAL, XNOR, SRA, ORN, ANDN}[f3]
		case 0x01:
			op = [8]Op{MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU}[f3]
		case 0x10:
			op = [8]Op{ILLEGAL, ILLEGAL, SH1ADD, ILLEGAL, SH2ADD, ILLEGAL, SH3ADD, ILLEGAL}[f3]
		case 0x05:
			op = [8]Op{ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, MIN, MINU, MAX, MAXU}[f3]
		case 0x24:
			op = [8]Op{ILLEGAL, BCLR, ILLEGAL, ILLEGAL, ILLEGAL, BEXT, ILLEGAL, ILLEGAL}[f3]
		case 0x34:
			op = [8]Op{ILLEGAL, BINV}[f3]
		case 0x14:
			op = [8]Op{ILLEGAL, BSET}[f3]
		case 0x30:
			op = [8]Op{ILLEGAL, ROL, ILLEGAL, ILLEGAL, ILLEGAL, ROR, ILLEGAL, ILLEGAL}[f3]
		}
	case 0x3b:
		switch f7 {
		case 0x00:
			op = [8]Op{ADDW, SLLW, ILLEGAL, ILLEGAL, ILLEGAL, SRLW, ILLEGAL, ILLEGAL}[f3]
		case 0x20:
			op = [8]Op{SUBW, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, SRAW, ILLEGAL, ILLEGAL}[f3]
		case 0x01:
			op = [8]Op{MULW, ILLEGAL, ILLEGAL, ILLEGAL, DIVW, DIVUW, REMW, REMUW}[f3]
		case 0x04:
			switch {
			case f3 == 0:
				op = ADD_UW
			case f3 == 4 && in.Rs2 == 0:
				op = ZEXT_H
			}
		case 0x10:
			op = [8]Op{ILLEGAL, ILLEGAL, SH1ADD_UW, ILLEGAL, SH2ADD_UW, ILLEGAL, SH3ADD_UW, ILLEGAL}[f3]
		case 0x30:
			op = [8]Op{ILLEGAL, ROLW, ILLEGAL, ILLEGAL, ILLEGAL, RORW, ILLEGAL, ILLEGAL}[f3]
		}
	case 0x0f:
		// The reserved fields of FENCE (fm, rs1, rd) and FENCE.I (imm,
		// rs1, rd) must be ignored by implementations, per the spec.
		switch f3 {
		case 0:
			op, in.RM = FENCE, uint8(w>>20&0xff)
		case 1:
			op = FENCE_I
		}
	case 0x73:
		switch f3 {
		case 0:
			switch w {
			case 0x00000073:
				op = ECALL
			case 0x00100073:
				op = EBREAK
			}
		case 1, 2, 3, 5, 6, 7:
			op = [8]Op{ILLEGAL, CSRRW, CSRRS, CSRRC, ILLEGAL, CSRRWI, CSRRSI, CSRRCI}[f3]
			in.Imm = int64(w >> 20)
		}
	case 0x2f:
		if f3 != 2 && f3 != 3 {
			break
		}
		in.RM = uint8(w >> 25 & 3)
		var table [32]Op
		if f3 == 2 {
			table = [32]Op{0x00: AMOADD_W, 0x01: AMOSWAP_W, 0x02: LR_W, 0x03: SC_W, 0x04: AMOXOR_W,
				0x08: AMOOR_W, 0x0c: AMOAND_W, 0x10: AMOMIN_W, 0x14: AMOMAX_W, 0x18: AMOMINU_W, 0x1c: AMOMAXU_W}
		} else {
			table = [32]Op{0x00: AMOADD_D, 0x01: AMOSWAP_D, 0x02: LR_D, 0x03: SC_D, 0x04: AMOXOR_D,
				0x08: AMOOR_D, 0x0c: AMOAND_D, 0x10: AMOMIN_D, 0x14: AMOMAX_D, 0x18: AMOMINU_D, 0x1c: AMOMAXU_D}
		}
		op = table[w>>27]
		if (op == LR_W || op == LR_D) && in.Rs2 != 0 {
			op = ILLEGAL
		}
	case 0x07:
		in.Imm = immI(w)
		switch f3 {
		case 2:
			op = FLW
		case 3:
			op = FLD
		}
	case 0x27:
		in.Imm = immS(w)
		switch f3 {
		case 2:
			op = FSW
		case 3:
			op = FSD
		}
	case 0x43, 0x47, 0x4b, 0x4f:
		in.RM = uint8(f3)
		if !validRM(f3) {
			break
		}
		k := (w>>2&3)*2 + f7&3 // 4 operations x 2 formats
		if f7&3 < 2 {
			op = [8]Op{FMADD_S, FMADD_D, FMSUB_S, FMSUB_D, FNMSUB_S, FNMSUB_D, FNMADD_S, FNMADD_D}[k]
		}
	case 0x53:
		op = decodeOpFP(w, f3, f7, in.Rs2)
		in.RM = uint8(f3)
	}
	in.Op = op
	return in
}

func decodeOpFP(w, f3, f7 uint32, rs2 uint8) Op {
	rmOK := validRM(f3)
	switch f7 {
	case 0x00, 0x01, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d:
		if rmOK {
			return [16]Op{0x0: FADD_S, 0x1: FADD_D, 0x4: FSUB_S, 0x5: FSUB_D,
				0x8: FMUL_S, 0x9: FMUL_D, 0xc: FDIV_S, 0xd: FDIV_D}[f7]
		}
	case 0x2c, 0x2d:
		if rmOK && rs2 == 0 {
			return [2]Op{FSQRT_S, FSQRT_D}[f7&1]
		}
	case 0x10:
		return [8]Op{FSGNJ_S, FSGNJN_S, FSGNJX_S}[f3]
	case 0x11:
		return [8]Op{FSGNJ_D, FSGNJN_D, FSGNJX_D}[f3]
	case 0x14:
		return [8]Op{FMIN_S, FMAX_S}[f3]
	case 0x15:
		return [8]Op{FMIN_D, FMAX_D}[f3]
	case 0x20:
		if rmOK && rs2 == 1 {
			return FCVT_S_D
		}
	case 0x21:
		if rmOK && rs2 == 0 {
			return FCVT_D_S
		}
	case 0x50:
		return [8]Op{FLE_S, FLT_S, FEQ_S}[f3]
	case 0x51:
		return [8]Op{FLE_D, FLT_D, FEQ_D}[f3]
	case 0x60:
		if rmOK && rs2 < 4 {
			return [4]Op{FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S}[rs2]
		}
	case 0x61:
		if rmOK && rs2 < 4 {
			return [4]Op{FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D}[rs2]
		}
	case 0x68:
		if rmOK && rs2 < 4 {
			return [4]Op{FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU}[rs2]
		}
	case 0x69:
		if rmOK && rs2 < 4 {
			return [4]Op{FCVT_D_W, FCVT_D_WU, FCVT_D_L, FCVT_D_LU}[rs2]
		}
	case 0x70:
		if rs2 == 0 {
			return [8]Op{FMV_X_W, FCLASS_S}[f3]
		}
	case 0x71:
		if rs2 == 0 {
			return [8]Op{FMV_X_D, FCLASS_D}[f3]
		}
	case 0x78:
		if rs2 == 0 && f3 == 0 {
			return FMV_W_X
		}
	case 0x79:
		if rs2 == 0 && f3 == 0 {
			return FMV_D_X
		}
	}
	return ILLEGAL
}

// decodeCompressed expands a 16-bit instruction to the base instruction it
// stands for. HINT encodings (for example c.li x0, imm or c.slli with
// shift 0) decode to their base instruction, which has no effect;
// reserved encodings decode to ILLEGAL.
func decodeCompressed(h uint16) Inst {
	w := uint32(h)
	in := Inst{Len: 2, Raw: w}
	f3 := w >> 13
	rd := uint8(w >> 7 & 31)  // full rd/rs1 field
	rs2 := uint8(w >> 2 & 31) // full rs2 field
	rdp := uint8(w>>2&7) + 8  // rd' / rs2' in bits 4:2
	rs1p := uint8(w>>7&7) + 8 // rs1' / rd' in bits 9:7
	imm6 := sext(w>>7&0x20|w>>2&0x1f, 6)
	uimm6 := int64(w>>7&0x20 | w>>2&0x1f)
	// Offsets of the loads and stores, by access size.
	offD := int64(w>>7&0x38 | w<<1&0xc0)              // c.ld/c.sd/c.fld/c.fsd
	offW := int64(w>>7&0x38 | w>>4&4 | w<<1&0x40)     // c.lw/c.sw
	spLD := int64(w>>7&0x20 | w>>2&0x18 | w<<4&0x1c0) // c.ldsp/c.fldsp
	spLW := int64(w>>7&0x20 | w>>2&0x1c | w<<4&0xc0)  // c.lwsp
	spSD := int64(w>>7&0x38 | w>>1&0x1c0)             // c.sdsp/c.fsdsp
	spSW := int64(w>>7&0x3c | w>>1&0xc0)              // c.swsp

	switch w&3<<3 | f3 {
	case 0<<3 | 0: // c.addi4spn
		imm := int64(w>>7&0x30 | w>>1&0x3c0 | w>>4&4 | w>>2&8)
		if imm != 0 {
			in.Op, in.Rd, in.Rs1, in.Imm = ADDI, rdp, 2, imm
		}
	case 0<<3 | 1:
		in.Op, in.Rd, in.Rs1, in.Imm = FLD, rdp, rs1p, offD
	case 0<<3 | 2:
		in.Op, in.Rd, in.Rs1, in.Imm = LW, rdp, rs1p, offW
	case 0<<3 | 3:
		in.Op, in.Rd, in.Rs1, in.Imm = LD, rdp, rs1p, offD
	case 0<<3 | 5:
		in.Op, in.Rs2, in.Rs1, in.Imm = FSD, rdp, rs1p, offD
	case 0<<3 | 6:
		in.Op, in.Rs2, in.Rs1, in.Imm = SW, rdp, rs1p, offW
	case 0<<3 | 7:
		in.Op, in.Rs2, in.Rs1, in.Imm = SD, rdp, rs1p, offD

	case 1<<3 | 0: // c.addi, c.nop
		in.Op, in.Rd, in.Rs1, in.Imm = ADDI, rd, rd, imm6
	case 1<<3 | 1: // c.addiw
		if rd != 0 {
			in.Op, in.Rd, in.Rs1, in.Imm = ADDIW, rd, rd, imm6
		}
	case 1<<3 | 2: // c.li
		in.Op, in.Rd, in.Rs1, in.Imm = ADDI, rd, 0, imm6
	case 1<<3 | 3:
		if rd == 2 { // c.addi16sp
			imm := sext(w>>3&0x200|w>>2&0x10|w<<1&0x40|w<<4&0x180|w<<3&0x20, 10)
			if imm != 0 {
				in.Op, in.Rd, in.Rs1, in.Imm = ADDI, 2, 2, imm
			}
		} else if imm6 != 0 { // c.lui
			in.Op, in.Rd, in.Imm = LUI, rd, imm6<<12
		}
	case 1<<3 | 4:
		switch w >> 10 & 3 {
		case 0:
			in.Op, in.Rd, in.Rs1, in.Imm = SRLI, rs1p, rs1p, uimm6
		case 1:
			in.Op, in.Rd, in.Rs1, in.Imm = SRAI, rs1p, rs1p, uimm6
		case 2:
			in.Op, in.Rd, in.Rs1, in.Imm = ANDI, rs1p, rs1p, imm6
		case 3:
			in.Rd, in.Rs1, in.Rs2 = rs1p, rs1p, rdp
			in.Op = [8]Op{SUB, XOR, OR, AND, SUBW, ADDW, ILLEGAL, ILLEGAL}[w>>10&4|w>>5&3]
		}
	case 1<<3 | 5: // c.j
		imm := w>>1&0x800 | w>>7&0x10 | w>>1&0x300 | w<<2&0x400 | w>>1&0x40 | w<<1&0x80 | w>>2&0xe | w<<3&0x20
		in.Op, in.Rd, in.Imm = JAL, 0, sext(imm, 12)
	case 1<<3 | 6, 1<<3 | 7: // c.beqz, c.bnez
		imm := w>>4&0x100 | w>>7&0x18 | w<<1&0xc0 | w>>2&6 | w<<3&0x20
		in.Op = [2]Op{BEQ, BNE}[f3&1]
		in.Rs1, in.Rs2, in.Imm = rs1p, 0, sext(imm, 9)

	case 2<<3 | 0: // c.slli
		in.Op, in.Rd, in.Rs1, in.Imm = SLLI, rd, rd, uimm6
	case 2<<3 | 1:
		in.Op, in.Rd, in.Rs1, in.Imm = FLD, rd, 2, spLD
	case 2<<3 | 2:
		if rd != 0 {
			in.Op, in.Rd, in.Rs1, in.Imm = LW, rd, 2, spLW
		}
	case 2<<3 | 3:
		if rd != 0 {
			in.Op, in.Rd, in.Rs1, in.Imm = LD, rd, 2, spLD
		}
	case 2<<3 | 4:
		switch {
		case w>>12&1 == 0 && rs2 == 0: // c.jr
			if rd != 0 {
				in.Op, in.Rd, in.Rs1 = JALR, 0, rd
			}
		case w>>12&1 == 0: // c.mv
			in.Op, in.Rd, in.Rs1, in.Rs2 = ADD, rd, 0, rs2
		case rd == 0 && rs2 == 0:
			in.Op = EBREAK
		case rs2 == 0: // c.jalr
			in.Op, in.Rd, in.Rs1 = JALR, 1, rd
		default: // c.add
			in.Op, in.Rd, in.Rs1, in.Rs2 = ADD, rd, rd, rs2
		}
	case 2<<3 | 5:
		in.Op, in.Rs2, in.Rs1, in.Imm = FSD, rs2, 2, spSD
	case 2<<3 | 6:
		in.Op, in.Rs2, in.Rs1, in.Imm = SW, rs2, 2, spSW
	case 2<<3 | 7:
		in.Op, in.Rs2, in.Rs1, in.Imm = SD, rs2, 2, spSD
	}
	return in
}
