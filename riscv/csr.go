package riscv

// CSR numbers the CPU implements (user level).
const (
	CSRFflags  = 0x001
	CSRFrm     = 0x002
	CSRFcsr    = 0x003
	CSRCycle   = 0xc00
	CSRTime    = 0xc01
	CSRInstret = 0xc02
)

// csr executes a CSR instruction: it returns the old value for rd, or
// ok=false for an illegal instruction (unknown CSR, or a write to a
// read-only one). As the spec says, CSRRS/CSRRC with rs1=x0 and
// CSRRSI/CSRRCI with a zero immediate do not write, and CSRRW/CSRRWI with
// rd=x0 do not read.
func (c *CPU) csr(in *Inst, rs1 uint64) (uint64, bool) {
	num := uint16(in.Imm & 0xfff)
	src := rs1
	if in.Op >= CSRRWI {
		src = uint64(in.Rs1)
	}
	write := true
	switch in.Op {
	case CSRRS, CSRRC, CSRRSI, CSRRCI:
		write = in.Rs1 != 0
	}
	var old uint64
	switch num {
	case CSRFflags:
		old = uint64(c.FCSR & 0x1f)
	case CSRFrm:
		old = uint64(c.FCSR >> 5 & 7)
	case CSRFcsr:
		old = uint64(c.FCSR & 0xff)
	case CSRCycle, CSRInstret:
		if write {
			return 0, false
		}
		return c.Instret, true
	case CSRTime:
		if write {
			return 0, false
		}
		return c.timeCSR(), true
	default:
		return 0, false
	}
	if !write {
		return old, true
	}
	n := src
	switch in.Op {
	case CSRRS, CSRRSI:
		n = old | src
	case CSRRC, CSRRCI:
		n = old &^ src
	}
	switch num {
	case CSRFflags:
		c.FCSR = c.FCSR&^0x1f | uint32(n&0x1f)
	case CSRFrm:
		c.FCSR = c.FCSR&^0xe0 | uint32(n&7)<<5
	case CSRFcsr:
		c.FCSR = uint32(n & 0xff)
	}
	return old, true
}
