// Code in this file lists the operations the decoder produces.

package riscv

// Op is a decoded operation. Compressed instructions decode to the Op of
// the base instruction they expand to (Inst.Len tells them apart).
type Op uint16

// The operations, grouped by extension. The zero Op is ILLEGAL.
const (
	ILLEGAL Op = iota
	LUI
	AUIPC
	JAL
	JALR
	BEQ
	BNE
	BLT
	BGE
	BLTU
	BGEU
	LB
	LH
	LW
	LD
	LBU
	LHU
	LWU
	SB
	SH
	SW
	SD
	ADDI
	SLTI
	SLTIU
	XORI
	ORI
	ANDI
	SLLI
	SRLI
	SRAI
	ADD
	SUB
	SLL
	SLT
	SLTU
	XOR
	SRL
	SRA
	OR
	AND
	ADDIW
	SLLIW
	SRLIW
	SRAIW
	ADDW
	SUBW
	SLLW
	SRLW
	SRAW
	FENCE
	FENCE_I
	ECALL
	EBREAK
	CSRRW
	CSRRS
	CSRRC
	CSRRWI
	CSRRSI
	CSRRCI
	MUL
	MULH
	MULHSU
	MULHU
	DIV
	DIVU
	REM
	REMU
	MULW
	DIVW
	DIVUW
	REMW
	REMUW
	LR_W
	SC_W
	AMOSWAP_W
	AMOADD_W
	AMOXOR_W
	AMOAND_W
	AMOOR_W
	AMOMIN_W
	AMOMAX_W
	AMOMINU_W
	AMOMAXU_W
	LR_D
	SC_D
	AMOSWAP_D
	AMOADD_D
	AMOXOR_D
	AMOAND_D
	AMOOR_D
	AMOMIN_D
	AMOMAX_D
	AMOMINU_D
	AMOMAXU_D
	FLW
	FSW
	FMADD_S
	FMSUB_S
	FNMSUB_S
	FNMADD_S
	FADD_S
	FSUB_S
	FMUL_S
	FDIV_S
	FSQRT_S
	FSGNJ_S
	FSGNJN_S
	FSGNJX_S
	FMIN_S
	FMAX_S
	FCVT_W_S
	FCVT_WU_S
	FCVT_L_S
	FCVT_LU_S
	FMV_X_W
	FEQ_S
	FLT_S
	FLE_S
	FCLASS_S
	FCVT_S_W
	FCVT_S_WU
	FCVT_S_L
	FCVT_S_LU
	FMV_W_X
	FLD
	FSD
	FMADD_D
	FMSUB_D
	FNMSUB_D
	FNMADD_D
	FADD_D
	FSUB_D
	FMUL_D
	FDIV_D
	FSQRT_D
	FSGNJ_D
	FSGNJN_D
	FSGNJX_D
	FMIN_D
	FMAX_D
	FCVT_S_D
	FCVT_D_S
	FCVT_W_D
	FCVT_WU_D
	FCVT_L_D
	FCVT_LU_D
	FMV_X_D
	FEQ_D
	FLT_D
	FLE_D
	FCLASS_D
	FCVT_D_W
	FCVT_D_WU
	FCVT_D_L
	FCVT_D_LU
	FMV_D_X
	ADD_UW
	SH1ADD
	SH2ADD
	SH3ADD
	SH1ADD_UW
	SH2ADD_UW
	SH3ADD_UW
	SLLI_UW
	ANDN
	ORN
	XNOR
	CLZ
	CLZW
	CTZ
	CTZW
	CPOP
	CPOPW
	MAX
	MAXU
	MIN
	MINU
	SEXT_B
	SEXT_H
	ZEXT_H
	ROL
	ROLW
	ROR
	RORI
	RORIW
	RORW
	ORC_B
	REV8
	BCLR
	BCLRI
	BEXT
	BEXTI
	BINV
	BINVI
	BSET
	BSETI

	opCount
)

var opNames = [opCount]string{
	ILLEGAL:   "ILLEGAL",
	LUI:       "LUI",
	AUIPC:     "AUIPC",
	JAL:       "JAL",
	JALR:      "JALR",
	BEQ:       "BEQ",
	BNE:       "BNE",
	BLT:       "BLT",
	BGE:       "BGE",
	BLTU:      "BLTU",
	BGEU:      "BGEU",
	LB:        "LB",
	LH:        "LH",
	LW:        "LW",
	LD:        "LD",
	LBU:       "LBU",
	LHU:       "LHU",
	LWU:       "LWU",
	SB:        "SB",
	SH:        "SH",
	SW:        "SW",
	SD:        "SD",
	ADDI:      "ADDI",
	SLTI:      "SLTI",
	SLTIU:     "SLTIU",
	XORI:      "XORI",
	ORI:       "ORI",
	ANDI:      "ANDI",
	SLLI:      "SLLI",
	SRLI:      "SRLI",
	SRAI:      "SRAI",
	ADD:       "ADD",
	SUB:       "SUB",
	SLL:       "SLL",
	SLT:       "SLT",
	SLTU:      "SLTU",
	XOR:       "XOR",
	SRL:       "SRL",
	SRA:       "SRA",
	OR:        "OR",
	AND:       "AND",
	ADDIW:     "ADDIW",
	SLLIW:     "SLLIW",
	SRLIW:     "SRLIW",
	SRAIW:     "SRAIW",
	ADDW:      "ADDW",
	SUBW:      "SUBW",
	SLLW:      "SLLW",
	SRLW:      "SRLW",
	SRAW:      "SRAW",
	FENCE:     "FENCE",
	FENCE_I:   "FENCE.I",
	ECALL:     "ECALL",
	EBREAK:    "EBREAK",
	CSRRW:     "CSRRW",
	CSRRS:     "CSRRS",
	CSRRC:     "CSRRC",
	CSRRWI:    "CSRRWI",
	CSRRSI:    "CSRRSI",
	CSRRCI:    "CSRRCI",
	MUL:       "MUL",
	MULH:      "MULH",
	MULHSU:    "MULHSU",
	MULHU:     "MULHU",
	DIV:       "DIV",
	DIVU:      "DIVU",
	REM:       "REM",
	REMU:      "REMU",
	MULW:      "MULW",
	DIVW:      "DIVW",
	DIVUW:     "DIVUW",
	REMW:      "REMW",
	REMUW:     "REMUW",
	LR_W:      "LR.W",
	SC_W:      "SC.W",
	AMOSWAP_W: "AMOSWAP.W",
	AMOADD_W:  "AMOADD.W",
	AMOXOR_W:  "AMOXOR.W",
	AMOAND_W:  "AMOAND.W",
	AMOOR_W:   "AMOOR.W",
	AMOMIN_W:  "AMOMIN.W",
	AMOMAX_W:  "AMOMAX.W",
	AMOMINU_W: "AMOMINU.W",
	AMOMAXU_W: "AMOMAXU.W",
	LR_D:      "LR.D",
	SC_D:      "SC.D",
	AMOSWAP_D: "AMOSWAP.D",
	AMOADD_D:  "AMOADD.D",
	AMOXOR_D:  "AMOXOR.D",
	AMOAND_D:  "AMOAND.D",
	AMOOR_D:   "AMOOR.D",
	AMOMIN_D:  "AMOMIN.D",
	AMOMAX_D:  "AMOMAX.D",
	AMOMINU_D: "AMOMINU.D",
	AMOMAXU_D: "AMOMAXU.D",
	FLW:       "FLW",
	FSW:       "FSW",
	FMADD_S:   "FMADD.S",
	FMSUB_S:   "FMSUB.S",
	FNMSUB_S:  "FNMSUB.S",
	FNMADD_S:  "FNMADD.S",
	FADD_S:    "FADD.S",
	FSUB_S:    "FSUB.S",
	FMUL_S:    "FMUL.S",
	FDIV_S:    "FDIV.S",
	FSQRT_S:   "FSQRT.S",
	FSGNJ_S:   "FSGNJ.S",
	FSGNJN_S:  "FSGNJN.S",
	FSGNJX_S:  "FSGNJX.S",
	FMIN_S:    "FMIN.S",
	FMAX_S:    "FMAX.S",
	FCVT_W_S:  "FCVT.W.S",
	FCVT_WU_S: "FCVT.WU.S",
	FCVT_L_S:  "FCVT.L.S",
	FCVT_LU_S: "FCVT.LU.S",
	FMV_X_W:   "FMV.X.W",
	FEQ_S:     "FEQ.S",
	FLT_S:     "FLT.S",
	FLE_S:     "FLE.S",
	FCLASS_S:  "FCLASS.S",
	FCVT_S_W:  "FCVT.S.W",
	FCVT_S_WU: "FCVT.S.WU",
	FCVT_S_L:  "FCVT.S.L",
	FCVT_S_LU: "FCVT.S.LU",
	FMV_W_X:   "FMV.W.X",
	FLD:       "FLD",
	FSD:       "FSD",
	FMADD_D:   "FMADD.D",
	FMSUB_D:   "FMSUB.D",
	FNMSUB_D:  "FNMSUB.D",
	FNMADD_D:  "FNMADD.D",
	FADD_D:    "FADD.D",
	FSUB_D:    "FSUB.D",
	FMUL_D:    "FMUL.D",
	FDIV_D:    "FDIV.D",
	FSQRT_D:   "FSQRT.D",
	FSGNJ_D:   "FSGNJ.D",
	FSGNJN_D:  "FSGNJN.D",
	FSGNJX_D:  "FSGNJX.D",
	FMIN_D:    "FMIN.D",
	FMAX_D:    "FMAX.D",
	FCVT_S_D:  "FCVT.S.D",
	FCVT_D_S:  "FCVT.D.S",
	FCVT_W_D:  "FCVT.W.D",
	FCVT_WU_D: "FCVT.WU.D",
	FCVT_L_D:  "FCVT.L.D",
	FCVT_LU_D: "FCVT.LU.D",
	FMV_X_D:   "FMV.X.D",
	FEQ_D:     "FEQ.D",
	FLT_D:     "FLT.D",
	FLE_D:     "FLE.D",
	FCLASS_D:  "FCLASS.D",
	FCVT_D_W:  "FCVT.D.W",
	FCVT_D_WU: "FCVT.D.WU",
	FCVT_D_L:  "FCVT.D.L",
	FCVT_D_LU: "FCVT.D.LU",
	FMV_D_X:   "FMV.D.X",
	ADD_UW:    "ADD.UW",
	SH1ADD:    "SH1ADD",
	SH2ADD:    "SH2ADD",
	SH3ADD:    "SH3ADD",
	SH1ADD_UW: "SH1ADD.UW",
	SH2ADD_UW: "SH2ADD.UW",
	SH3ADD_UW: "SH3ADD.UW",
	SLLI_UW:   "SLLI.UW",
	ANDN:      "ANDN",
	ORN:       "ORN",
	XNOR:      "XNOR",
	CLZ:       "CLZ",
	CLZW:      "CLZW",
	CTZ:       "CTZ",
	CTZW:      "CTZW",
	CPOP:      "CPOP",
	CPOPW:     "CPOPW",
	MAX:       "MAX",
	MAXU:      "MAXU",
	MIN:       "MIN",
	MINU:      "MINU",
	SEXT_B:    "SEXT.B",
	SEXT_H:    "SEXT.H",
	ZEXT_H:    "ZEXT.H",
	ROL:       "ROL",
	ROLW:      "ROLW",
	ROR:       "ROR",
	RORI:      "RORI",
	RORIW:     "RORIW",
	RORW:      "RORW",
	ORC_B:     "ORC.B",
	REV8:      "REV8",
	BCLR:      "BCLR",
	BCLRI:     "BCLRI",
	BEXT:      "BEXT",
	BEXTI:     "BEXTI",
	BINV:      "BINV",
	BINVI:     "BINVI",
	BSET:      "BSET",
	BSETI:     "BSETI",
}

// String returns the assembler mnemonic in upper case, with '.' as in
// FADD.D.
func (op Op) String() string {
	if op < opCount {
		return opNames[op]
	}
	return "Op?"
}
