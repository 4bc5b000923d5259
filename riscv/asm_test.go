package riscv

// A tiny assembler for tests: instruction encodings written from the
// formats of the RISC-V unprivileged spec (chapter "RV32I Base Integer
// Instruction Set", "Instruction formats").

func encR(f7, rs2, rs1, f3, rd, opc uint32) uint32 {
	return f7<<25 | rs2<<20 | rs1<<15 | f3<<12 | rd<<7 | opc
}

func encI(imm int32, rs1, f3, rd, opc uint32) uint32 {
	return uint32(imm)<<20 | rs1<<15 | f3<<12 | rd<<7 | opc
}

func encS(imm int32, rs2, rs1, f3, opc uint32) uint32 {
	u := uint32(imm)
	return (u>>5&0x7f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u&0x1f)<<7 | opc
}

func encB(imm int32, rs2, rs1, f3 uint32) uint32 {
	u := uint32(imm)
	return (u>>12&1)<<31 | (u>>5&0x3f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u>>1&0xf)<<8 | (u>>11&1)<<7 | 0x63
}

func encU(imm uint32, rd, opc uint32) uint32 { return imm&0xfffff000 | rd<<7 | opc }

func encJ(imm int32, rd uint32) uint32 {
	u := uint32(imm)
	return (u>>20&1)<<31 | (u>>1&0x3ff)<<21 | (u>>11&1)<<20 | (u>>12&0xff)<<12 | rd<<7 | 0x6f
}

// Common instructions.
func addi(rd, rs1 uint32, imm int32) uint32 { return encI(imm, rs1, 0, rd, 0x13) }
func ecall() uint32                         { return 0x73 }
func ebreak() uint32                        { return 0x100073 }

// R-type ALU (opcode OP = 0x33, OP-32 = 0x3b).
func opR(f7, f3 uint32) func(rd, rs1, rs2 uint32) uint32 {
	return func(rd, rs1, rs2 uint32) uint32 { return encR(f7, rs2, rs1, f3, rd, 0x33) }
}
func opR32(f7, f3 uint32) func(rd, rs1, rs2 uint32) uint32 {
	return func(rd, rs1, rs2 uint32) uint32 { return encR(f7, rs2, rs1, f3, rd, 0x3b) }
}

// AMO: funct5, aq, rl, width (2=W, 3=D).
func amo(f5, width, rd, rs1, rs2 uint32) uint32 {
	return encR(f5<<2, rs2, rs1, width, rd, 0x2f)
}

// OP-FP with fmt (0=S, 1=D) in funct7's low bits.
func opFP(f7, rm, rd, rs1, rs2 uint32) uint32 { return encR(f7, rs2, rs1, rm, rd, 0x53) }

// csr: f3 1=RW 2=RS 3=RC 5=RWI 6=RSI 7=RCI.
func csrInst(f3, rd, csr, rs1 uint32) uint32 { return csr<<20 | rs1<<15 | f3<<12 | rd<<7 | 0x73 }
