package riscv

import (
	"fmt"
	"math"
	"testing"
)

// FP table conventions: operands in f1, f2, f3 (and x5), result in f4 or
// x7. Expected values and flags are worked out from IEEE 754-2008 and the
// F/D chapters of the RISC-V spec (canonical NaN, NaN-boxing, FMIN/FMAX,
// conversion saturation, tininess after rounding).

func d(v float64) uint64    { return math.Float64bits(v) }
func s(v float32) uint64    { return box32(uint64(math.Float32bits(v))) }
func sb(bits uint32) uint64 { return box32(uint64(bits)) }

const (
	qNaN64    = 0x7ff8000000000000
	sNaN64    = 0x7ff0000000000001
	qNaN32    = 0xffffffff7fc00000
	sNaN32    = 0xffffffff7f800001
	inf64     = 0x7ff0000000000000
	ninf64    = 0xfff0000000000000
	max64     = 0x7fefffffffffffff
	negZero64 = 1 << 63
	minNorm64 = 0x0010000000000000
	inf32     = 0xffffffff7f800000
	max32     = 0xffffffff7f7fffff
)

const (
	fS = 0 // fmt field
	fD = 1
)

// R-type FP op with funct7 f7, rm, rd=f4, rs1=f1, rs2=f2.
func fop(f7, rm uint32) uint32 { return opFP(f7, rm, 4, 1, 2) }

// fop to x7.
func fopX(f7, rm, rs2 uint32) uint32 { return opFP(f7, rm, tRd, 1, rs2) }

// conversion from x5 to f4.
func fopFromX(f7, rm, rs2 uint32) uint32 { return opFP(f7, rm, 4, tRs1, rs2) }

// fused multiply-add: opc 0x43 fmadd, 0x47 fmsub, 0x4b fnmsub, 0x4f fnmadd.
func fr4(opc, format, rm uint32) uint32 {
	return 3<<27 | format<<25 | 2<<20 | 1<<15 | rm<<12 | 4<<7 | opc
}

type fpCase struct {
	name    string
	inst    uint32
	a, b, c uint64 // f1, f2, f3
	x       uint64 // x5
	toX     bool
	want    uint64
	flags   uint32
}

const (
	NX = FlagNX
	UF = FlagUF
	OF = FlagOF
	DZ = FlagDZ
	NV = FlagNV
)

var fpCases = []fpCase{
	// Addition: rounding modes at a tie and off it.
	{name: "fadd.d tie rne", inst: fop(0x01, RNE), a: d(1), b: d(0x1p-53), want: d(1), flags: NX},
	{name: "fadd.d tie rtz", inst: fop(0x01, RTZ), a: d(1), b: d(0x1p-53), want: d(1), flags: NX},
	{name: "fadd.d tie rdn", inst: fop(0x01, RDN), a: d(1), b: d(0x1p-53), want: d(1), flags: NX},
	{name: "fadd.d tie rup", inst: fop(0x01, RUP), a: d(1), b: d(0x1p-53), want: d(1 + 0x1p-52), flags: NX},
	{name: "fadd.d tie rmm", inst: fop(0x01, RMM), a: d(1), b: d(0x1p-53), want: d(1 + 0x1p-52), flags: NX},
	{name: "fadd.d neg rdn", inst: fop(0x01, RDN), a: d(-1), b: d(-0x1p-54), want: d(-1 - 0x1p-52), flags: NX},
	{name: "fadd.d neg rup", inst: fop(0x01, RUP), a: d(-1), b: d(-0x1p-54), want: d(-1), flags: NX},
	{name: "fadd.d neg rtz", inst: fop(0x01, RTZ), a: d(-1), b: d(-0x1p-54), want: d(-1), flags: NX},
	{name: "fadd.d exact", inst: fop(0x01, RNE), a: d(1), b: d(0x1p-52), want: d(1 + 0x1p-52)},
	{name: "fsub.d x-x rne is +0", inst: fop(0x05, RNE), a: d(1.5), b: d(1.5), want: 0},
	{name: "fsub.d x-x rdn is -0", inst: fop(0x05, RDN), a: d(1.5), b: d(1.5), want: negZero64},
	{name: "fadd.d -0+-0", inst: fop(0x01, RNE), a: negZero64, b: negZero64, want: negZero64},
	{name: "fadd.d +0+-0", inst: fop(0x01, RNE), a: 0, b: negZero64, want: 0},
	{name: "fadd.d +0+-0 rdn", inst: fop(0x01, RDN), a: 0, b: negZero64, want: negZero64},
	{name: "fadd.d inf-inf", inst: fop(0x01, RNE), a: inf64, b: ninf64, want: qNaN64, flags: NV},
	{name: "fsub.d inf-inf", inst: fop(0x05, RNE), a: inf64, b: inf64, want: qNaN64, flags: NV},
	{name: "fadd.d inf+1", inst: fop(0x01, RNE), a: inf64, b: d(1), want: inf64},
	{name: "fadd.d overflow rne", inst: fop(0x01, RNE), a: max64, b: max64, want: inf64, flags: OF | NX},
	{name: "fadd.d overflow rtz", inst: fop(0x01, RTZ), a: max64, b: max64, want: max64, flags: OF | NX},
	{name: "fadd.d overflow rdn", inst: fop(0x01, RDN), a: max64, b: max64, want: max64, flags: OF | NX},
	{name: "fadd.d overflow rup", inst: fop(0x01, RUP), a: max64, b: max64, want: inf64, flags: OF | NX},
	{name: "fadd.d neg overflow rup", inst: fop(0x01, RUP), a: max64 | 1<<63, b: max64 | 1<<63, want: max64 | 1<<63, flags: OF | NX},
	{name: "fadd.d neg overflow rdn", inst: fop(0x01, RDN), a: max64 | 1<<63, b: max64 | 1<<63, want: ninf64, flags: OF | NX},
	// MAX + half an ulp of MAX: a tie that rounds to 2^1024 in RNE
	// (overflow), but to MAX without overflow toward zero.
	{name: "fadd.d max+half-ulp rne", inst: fop(0x01, RNE), a: max64, b: d(0x1p970), want: inf64, flags: OF | NX},
	{name: "fadd.d max+half-ulp rmm", inst: fop(0x01, RMM), a: max64, b: d(0x1p970), want: inf64, flags: OF | NX},
	{name: "fadd.d max+half-ulp rtz", inst: fop(0x01, RTZ), a: max64, b: d(0x1p970), want: max64, flags: NX},
	{name: "fadd.d max+half-ulp rdn", inst: fop(0x01, RDN), a: max64, b: d(0x1p970), want: max64, flags: NX},
	{name: "fadd.d max+half-ulp rup", inst: fop(0x01, RUP), a: max64, b: d(0x1p970), want: inf64, flags: OF | NX},
	{name: "fadd.d qNaN", inst: fop(0x01, RNE), a: 0x7ff8000000000123, b: d(1), want: qNaN64},
	{name: "fadd.d sNaN", inst: fop(0x01, RNE), a: d(1), b: sNaN64, want: qNaN64, flags: NV},
	// A residual far below the double range of hi's ulp still makes the
	// sum inexact (and, toward zero from a power of two, steps down by
	// half an ulp).
	{name: "fadd.d tiny addend rdn", inst: fop(0x01, RDN), a: d(-0x1p80), b: 16, want: d(-0x1p80), flags: NX},
	{name: "fadd.d tiny addend rup", inst: fop(0x01, RUP), a: d(-0x1p80), b: 16, want: d(-0x1p80 + 0x1p27), flags: NX},
	{name: "fadd.d tiny addend rne", inst: fop(0x01, RNE), a: d(0x1p80), b: 16, want: d(0x1p80), flags: NX},
	{name: "fadd.d subnormals exact", inst: fop(0x01, RNE), a: 1, b: 1, want: 2},

	// Multiplication.
	{name: "fmul.d overflow rne", inst: fop(0x09, RNE), a: max64, b: d(2), want: inf64, flags: OF | NX},
	{name: "fmul.d overflow rtz", inst: fop(0x09, RTZ), a: max64, b: d(2), want: max64, flags: OF | NX},
	{name: "fmul.d 0*inf", inst: fop(0x09, RNE), a: 0, b: inf64, want: qNaN64, flags: NV},
	{name: "fmul.d -0*5", inst: fop(0x09, RNE), a: negZero64, b: d(5), want: negZero64},
	// 2^-1022 * (1-2^-53) = 2^-1022 - 2^-1075: a subnormal tie; tiny
	// after rounding since (1-2^-53)*2^-1022 fits in 53 bits.
	{name: "fmul.d tiny tie rne", inst: fop(0x09, RNE), a: d(0x1p-1022), b: d(1 - 0x1p-53), want: minNorm64, flags: UF | NX},
	{name: "fmul.d tiny tie rtz", inst: fop(0x09, RTZ), a: d(0x1p-1022), b: d(1 - 0x1p-53), want: minNorm64 - 1, flags: UF | NX},
	{name: "fmul.d tiny tie rup", inst: fop(0x09, RUP), a: d(0x1p-1022), b: d(1 - 0x1p-53), want: minNorm64, flags: UF | NX},
	{name: "fmul.d half min subnormal rne", inst: fop(0x09, RNE), a: 1, b: d(0.5), want: 0, flags: UF | NX},
	{name: "fmul.d half min subnormal rup", inst: fop(0x09, RUP), a: 1, b: d(0.5), want: 1, flags: UF | NX},
	{name: "fmul.d half min subnormal rmm", inst: fop(0x09, RMM), a: 1, b: d(0.5), want: 1, flags: UF | NX},
	{name: "fmul.d neg half min subnormal rdn", inst: fop(0x09, RDN), a: 1 | 1<<63, b: d(0.5), want: 1 | 1<<63, flags: UF | NX},
	{name: "fmul.d exact subnormal", inst: fop(0x09, RNE), a: d(0x1p-1000), b: d(0x1p-50), want: d(0x1p-1050)},

	// Division.
	{name: "fdiv.d 1/0", inst: fop(0x0d, RNE), a: d(1), b: 0, want: inf64, flags: DZ},
	{name: "fdiv.d -1/0", inst: fop(0x0d, RNE), a: d(-1), b: 0, want: ninf64, flags: DZ},
	{name: "fdiv.d -1/-0", inst: fop(0x0d, RNE), a: d(-1), b: negZero64, want: inf64, flags: DZ},
	{name: "fdiv.d 0/0", inst: fop(0x0d, RNE), a: 0, b: 0, want: qNaN64, flags: NV},
	{name: "fdiv.d inf/inf", inst: fop(0x0d, RNE), a: inf64, b: ninf64, want: qNaN64, flags: NV},
	{name: "fdiv.d 1/inf", inst: fop(0x0d, RNE), a: d(-1), b: inf64, want: negZero64},
	{name: "fdiv.d 1/3 rne", inst: fop(0x0d, RNE), a: d(1), b: d(3), want: 0x3fd5555555555555, flags: NX},
	{name: "fdiv.d 1/3 rup", inst: fop(0x0d, RUP), a: d(1), b: d(3), want: 0x3fd5555555555556, flags: NX},
	{name: "fdiv.d -1/3 rdn", inst: fop(0x0d, RDN), a: d(-1), b: d(3), want: 0xbfd5555555555556, flags: NX},
	{name: "fdiv.d exact", inst: fop(0x0d, RNE), a: d(6), b: d(4), want: d(1.5)},
	{name: "fdiv.d underflow to subnormal", inst: fop(0x0d, RNE), a: d(0x1p-1000), b: d(0x1p60), want: d(0x1p-1060)},

	// Square root.
	{name: "fsqrt.d 2 rne", inst: opFP(0x2d, RNE, 4, 1, 0), a: d(2), want: 0x3ff6a09e667f3bcd, flags: NX},
	{name: "fsqrt.d 2 rdn", inst: opFP(0x2d, RDN, 4, 1, 0), a: d(2), want: 0x3ff6a09e667f3bcc, flags: NX},
	{name: "fsqrt.d 2 rtz", inst: opFP(0x2d, RTZ, 4, 1, 0), a: d(2), want: 0x3ff6a09e667f3bcc, flags: NX},
	{name: "fsqrt.d 2 rup", inst: opFP(0x2d, RUP, 4, 1, 0), a: d(2), want: 0x3ff6a09e667f3bcd, flags: NX},
	{name: "fsqrt.d 4", inst: opFP(0x2d, RNE, 4, 1, 0), a: d(4), want: d(2)},
	{name: "fsqrt.d -1", inst: opFP(0x2d, RNE, 4, 1, 0), a: d(-1), want: qNaN64, flags: NV},
	{name: "fsqrt.d -0", inst: opFP(0x2d, RNE, 4, 1, 0), a: negZero64, want: negZero64},
	{name: "fsqrt.d -inf", inst: opFP(0x2d, RNE, 4, 1, 0), a: ninf64, want: qNaN64, flags: NV},
	{name: "fsqrt.d +inf", inst: opFP(0x2d, RNE, 4, 1, 0), a: inf64, want: inf64},
	{name: "fsqrt.d min subnormal", inst: opFP(0x2d, RNE, 4, 1, 0), a: 1, want: d(0x1p-537)},
	{name: "fsqrt.s 2 rne", inst: opFP(0x2c, RNE, 4, 1, 0), a: s(2), want: sb(0x3fb504f3), flags: NX},
	{name: "fsqrt.s 2 rup", inst: opFP(0x2c, RUP, 4, 1, 0), a: s(2), want: sb(0x3fb504f4), flags: NX},

	// Fused multiply-add: single rounding.
	// (1+2^-52)^2 - 1 = 2^-51 + 2^-104: inexact when fused (a separate
	// multiply would round away the 2^-104 and give an exact 2^-51).
	{name: "fmadd.d single rounding rne", inst: fr4(0x43, fD, RNE), a: d(1 + 0x1p-52), b: d(1 + 0x1p-52), c: d(-1), want: d(0x1p-51), flags: NX},
	{name: "fmadd.d single rounding rup", inst: fr4(0x43, fD, RUP), a: d(1 + 0x1p-52), b: d(1 + 0x1p-52), c: d(-1), want: d(0x1p-51 + 0x1p-103), flags: NX},
	{name: "fmadd.d exact tiny difference", inst: fr4(0x43, fD, RNE), a: d(1 + 0x1p-30), b: d(1 - 0x1p-30), c: d(-1), want: d(-0x1p-60)},
	{name: "fmadd.d inf*0+qNaN", inst: fr4(0x43, fD, RNE), a: inf64, b: 0, c: qNaN64, want: qNaN64, flags: NV},
	{name: "fmadd.d 0*5+-0", inst: fr4(0x43, fD, RNE), a: 0, b: d(5), c: negZero64, want: 0},
	{name: "fmadd.d 0*5+-0 rdn", inst: fr4(0x43, fD, RDN), a: 0, b: d(5), c: negZero64, want: negZero64},
	{name: "fmadd.d -0*5+-0", inst: fr4(0x43, fD, RNE), a: negZero64, b: d(5), c: negZero64, want: negZero64},
	{name: "fmadd.d no intermediate overflow", inst: fr4(0x43, fD, RNE), a: max64, b: d(2), c: max64 | 1<<63, want: max64},
	{name: "fmadd.d inf product + -inf", inst: fr4(0x43, fD, RNE), a: inf64, b: d(1), c: ninf64, want: qNaN64, flags: NV},
	{name: "fmadd.d x*y-xy exact zero rdn", inst: fr4(0x43, fD, RDN), a: d(3), b: d(5), c: d(-15), want: negZero64},
	{name: "fmsub.d", inst: fr4(0x47, fD, RNE), a: d(1), b: d(2), c: d(3), want: d(-1)},
	{name: "fnmsub.d", inst: fr4(0x4b, fD, RNE), a: d(1), b: d(2), c: d(3), want: d(1)},
	{name: "fnmadd.d", inst: fr4(0x4f, fD, RNE), a: d(1), b: d(2), c: d(3), want: d(-5)},
	{name: "fmadd.s single rounding rne", inst: fr4(0x43, fS, RNE), a: s(1 + 0x1p-23), b: s(1 + 0x1p-23), c: s(-1), want: s(0x1p-22), flags: NX},
	{name: "fmadd.s single rounding rup", inst: fr4(0x43, fS, RUP), a: s(1 + 0x1p-23), b: s(1 + 0x1p-23), c: s(-1), want: s(0x1p-22 + 0x1p-45), flags: NX},
	{name: "fnmadd.s", inst: fr4(0x4f, fS, RNE), a: s(1), b: s(2), c: s(3), want: s(-5)},
	{name: "fmsub.s", inst: fr4(0x47, fS, RNE), a: s(1), b: s(2), c: s(3), want: s(-1)},
	{name: "fnmsub.s", inst: fr4(0x4b, fS, RNE), a: s(1), b: s(2), c: s(3), want: s(1)},
	{name: "fnmsub.s exact zero rdn", inst: fr4(0x4b, fS, RDN), a: s(2), b: s(3), c: s(6), want: s(float32(math.Copysign(0, -1)))},

	// Single precision.
	{name: "fadd.s tie rne", inst: fop(0x00, RNE), a: s(1), b: s(0x1p-24), want: s(1), flags: NX},
	{name: "fadd.s tie rup", inst: fop(0x00, RUP), a: s(1), b: s(0x1p-24), want: sb(0x3f800001), flags: NX},
	{name: "fadd.s tie rmm", inst: fop(0x00, RMM), a: s(1), b: s(0x1p-24), want: sb(0x3f800001), flags: NX},
	{name: "fadd.s overflow", inst: fop(0x00, RNE), a: max32, b: max32, want: inf32, flags: OF | NX},
	{name: "fadd.s overflow rtz", inst: fop(0x00, RTZ), a: max32, b: max32, want: max32, flags: OF | NX},
	{name: "fsub.s", inst: fop(0x04, RNE), a: s(1), b: s(3), want: s(-2)},
	{name: "fmul.s tiny tie", inst: fop(0x08, RNE), a: s(0x1p-126), b: s(1 - 0x1p-24), want: sb(0x00800000), flags: UF | NX},
	{name: "fdiv.s 1/3", inst: fop(0x0c, RNE), a: s(1), b: s(3), want: sb(0x3eaaaaab), flags: NX},
	{name: "fdiv.s 1/3 rtz", inst: fop(0x0c, RTZ), a: s(1), b: s(3), want: sb(0x3eaaaaaa), flags: NX},
	{name: "fdiv.s 1/0", inst: fop(0x0c, RNE), a: s(1), b: s(0), want: inf32, flags: DZ},
	{name: "fadd.s sNaN", inst: fop(0x00, RNE), a: sNaN32, b: s(1), want: qNaN32, flags: NV},

	// NaN-boxing.
	{name: "fadd.s unboxed operand is NaN", inst: fop(0x00, RNE), a: 0x3f800000, b: s(1), want: qNaN32},
	{name: "fadd.s half-boxed operand is NaN", inst: fop(0x00, RNE), a: 0xffff00003f800000, b: s(1), want: qNaN32},
	{name: "fmv.x.w ignores boxing", inst: opFP(0x70, 0, tRd, 1, 0), a: 0x1234567880000001, toX: true, want: 0xffffffff80000001},
	{name: "fmv.x.w boxed", inst: opFP(0x70, 0, tRd, 1, 0), a: s(1), toX: true, want: 0x3f800000},
	{name: "fmv.w.x boxes", inst: fopFromX(0x78, 0, 0), x: 0x1234567880000000, want: 0xffffffff80000000},
	{name: "fmv.d.x", inst: fopFromX(0x79, 0, 0), x: 0x1234567880000000, want: 0x1234567880000000},
	{name: "fmv.x.d", inst: opFP(0x71, 0, tRd, 1, 0), a: sNaN64, toX: true, want: sNaN64},
	{name: "fsgnj.s unboxed", inst: fop(0x10, 0), a: 0x3f800000, b: s(-1), want: 0xffffffffffc00000},
	{name: "fsgnjn.s", inst: fop(0x10, 1), a: s(1), b: s(1), want: s(-1)},
	{name: "fsgnjx.s", inst: fop(0x10, 2), a: s(-1), b: s(-1), want: s(1)},
	{name: "fsgnj.d keeps NaN payload", inst: fop(0x11, 0), a: sNaN64, b: d(-1), want: sNaN64 | 1<<63},
	{name: "fsgnjn.d", inst: fop(0x11, 1), a: d(2), b: d(-1), want: d(2)},
	{name: "fsgnjx.d", inst: fop(0x11, 2), a: d(-2), b: d(-1), want: d(2)},
	{name: "fclass.s unboxed", inst: opFP(0x70, 1, tRd, 1, 0), a: 0x3f800000, toX: true, want: 1 << 9},

	// FMIN/FMAX.
	{name: "fmin.d -0 +0", inst: fop(0x15, 0), a: 0, b: negZero64, want: negZero64},
	{name: "fmin.d -0 +0 swapped", inst: fop(0x15, 0), a: negZero64, b: 0, want: negZero64},
	{name: "fmax.d -0 +0", inst: fop(0x15, 1), a: negZero64, b: 0, want: 0},
	{name: "fmax.d +0 -0", inst: fop(0x15, 1), a: 0, b: negZero64, want: 0},
	{name: "fmin.d qNaN", inst: fop(0x15, 0), a: qNaN64, b: d(1), want: d(1)},
	{name: "fmin.d sNaN", inst: fop(0x15, 0), a: sNaN64, b: d(1), want: d(1), flags: NV},
	{name: "fmax.d both NaN", inst: fop(0x15, 1), a: 0x7ff8000000000042, b: qNaN64, want: qNaN64},
	{name: "fmin.d both sNaN", inst: fop(0x15, 0), a: sNaN64, b: sNaN64, want: qNaN64, flags: NV},
	{name: "fmax.d", inst: fop(0x15, 1), a: d(-3), b: d(2), want: d(2)},
	{name: "fmin.s sNaN", inst: fop(0x14, 0), a: s(1), b: sNaN32, want: s(1), flags: NV},
	{name: "fmax.s", inst: fop(0x14, 1), a: s(-1), b: s(-2), want: s(-1)},

	// Comparisons: FEQ quiet, FLT/FLE signalling.
	{name: "feq.d qNaN", inst: fopX(0x51, 2, 2), a: qNaN64, b: d(1), toX: true, want: 0},
	{name: "feq.d sNaN", inst: fopX(0x51, 2, 2), a: sNaN64, b: d(1), toX: true, want: 0, flags: NV},
	{name: "flt.d qNaN", inst: fopX(0x51, 1, 2), a: qNaN64, b: d(1), toX: true, want: 0, flags: NV},
	{name: "fle.d qNaN", inst: fopX(0x51, 0, 2), a: d(1), b: qNaN64, toX: true, want: 0, flags: NV},
	{name: "feq.d -0 +0", inst: fopX(0x51, 2, 2), a: negZero64, b: 0, toX: true, want: 1},
	{name: "flt.d -0 +0", inst: fopX(0x51, 1, 2), a: negZero64, b: 0, toX: true, want: 0},
	{name: "fle.d -0 +0", inst: fopX(0x51, 0, 2), a: negZero64, b: 0, toX: true, want: 1},
	{name: "flt.d", inst: fopX(0x51, 1, 2), a: d(1), b: d(2), toX: true, want: 1},
	{name: "fle.s equal", inst: fopX(0x50, 0, 2), a: s(2), b: s(2), toX: true, want: 1},
	{name: "fle.s sNaN", inst: fopX(0x50, 0, 2), a: s(2), b: sNaN32, toX: true, want: 0, flags: NV},
	{name: "flt.s", inst: fopX(0x50, 1, 2), a: s(-1), b: s(2), toX: true, want: 1},
	{name: "feq.s unboxed", inst: fopX(0x50, 2, 2), a: 0x3f800000, b: s(1), toX: true, want: 0},

	// FCLASS.
	{name: "fclass.d -inf", inst: fopX(0x71, 1, 0), a: ninf64, toX: true, want: 1 << 0},
	{name: "fclass.d -normal", inst: fopX(0x71, 1, 0), a: d(-1), toX: true, want: 1 << 1},
	{name: "fclass.d -subnormal", inst: fopX(0x71, 1, 0), a: 1<<63 | 1, toX: true, want: 1 << 2},
	{name: "fclass.d -0", inst: fopX(0x71, 1, 0), a: negZero64, toX: true, want: 1 << 3},
	{name: "fclass.d +0", inst: fopX(0x71, 1, 0), a: 0, toX: true, want: 1 << 4},
	{name: "fclass.d +subnormal", inst: fopX(0x71, 1, 0), a: 1, toX: true, want: 1 << 5},
	{name: "fclass.d +normal", inst: fopX(0x71, 1, 0), a: d(1), toX: true, want: 1 << 6},
	{name: "fclass.d +inf", inst: fopX(0x71, 1, 0), a: inf64, toX: true, want: 1 << 7},
	{name: "fclass.d sNaN", inst: fopX(0x71, 1, 0), a: sNaN64, toX: true, want: 1 << 8},
	{name: "fclass.d qNaN", inst: fopX(0x71, 1, 0), a: qNaN64, toX: true, want: 1 << 9},
	{name: "fclass.s -subnormal", inst: fopX(0x70, 1, 0), a: sb(0x80000001), toX: true, want: 1 << 2},
	{name: "fclass.s sNaN", inst: fopX(0x70, 1, 0), a: sNaN32, toX: true, want: 1 << 8},
	{name: "fclass.s +inf", inst: fopX(0x70, 1, 0), a: inf32, toX: true, want: 1 << 7},

	// Float to integer: rounding and saturation.
	{name: "fcvt.w.d NaN", inst: fopX(0x61, RNE, 0), a: qNaN64, toX: true, want: 0x7fffffff, flags: NV},
	{name: "fcvt.w.d +inf", inst: fopX(0x61, RNE, 0), a: inf64, toX: true, want: 0x7fffffff, flags: NV},
	{name: "fcvt.w.d -inf", inst: fopX(0x61, RNE, 0), a: ninf64, toX: true, want: 0xffffffff80000000, flags: NV},
	{name: "fcvt.w.d 2^31", inst: fopX(0x61, RNE, 0), a: d(0x1p31), toX: true, want: 0x7fffffff, flags: NV},
	{name: "fcvt.w.d -2^31", inst: fopX(0x61, RNE, 0), a: d(-0x1p31), toX: true, want: 0xffffffff80000000},
	{name: "fcvt.w.d -2^31-0.5 rtz", inst: fopX(0x61, RTZ, 0), a: d(-2147483648.5), toX: true, want: 0xffffffff80000000, flags: NX},
	{name: "fcvt.w.d -2^31-0.5 rdn", inst: fopX(0x61, RDN, 0), a: d(-2147483648.5), toX: true, want: 0xffffffff80000000, flags: NV},
	{name: "fcvt.w.d 2.5 rne", inst: fopX(0x61, RNE, 0), a: d(2.5), toX: true, want: 2, flags: NX},
	{name: "fcvt.w.d 2.5 rmm", inst: fopX(0x61, RMM, 0), a: d(2.5), toX: true, want: 3, flags: NX},
	{name: "fcvt.w.d -2.5 rmm", inst: fopX(0x61, RMM, 0), a: d(-2.5), toX: true, want: i64(-3), flags: NX},
	{name: "fcvt.w.d 2.5 rup", inst: fopX(0x61, RUP, 0), a: d(2.5), toX: true, want: 3, flags: NX},
	{name: "fcvt.w.d -2.5 rdn", inst: fopX(0x61, RDN, 0), a: d(-2.5), toX: true, want: i64(-3), flags: NX},
	{name: "fcvt.w.d -2.5 rtz", inst: fopX(0x61, RTZ, 0), a: d(-2.5), toX: true, want: i64(-2), flags: NX},
	{name: "fcvt.w.d 1.5 rne", inst: fopX(0x61, RNE, 0), a: d(1.5), toX: true, want: 2, flags: NX},
	{name: "fcvt.wu.d -1", inst: fopX(0x61, RNE, 1), a: d(-1), toX: true, want: 0, flags: NV},
	{name: "fcvt.wu.d -0.5 rtz", inst: fopX(0x61, RTZ, 1), a: d(-0.5), toX: true, want: 0, flags: NX},
	{name: "fcvt.wu.d -0.5 rdn", inst: fopX(0x61, RDN, 1), a: d(-0.5), toX: true, want: 0, flags: NV},
	{name: "fcvt.wu.d max sign-extends", inst: fopX(0x61, RTZ, 1), a: d(4294967295.5), toX: true, want: maxU64, flags: NX},
	{name: "fcvt.wu.d 2^32", inst: fopX(0x61, RNE, 1), a: d(0x1p32), toX: true, want: maxU64, flags: NV},
	{name: "fcvt.wu.d NaN", inst: fopX(0x61, RNE, 1), a: qNaN64, toX: true, want: maxU64, flags: NV},
	{name: "fcvt.wu.d -inf", inst: fopX(0x61, RNE, 1), a: ninf64, toX: true, want: 0, flags: NV},
	{name: "fcvt.l.d 2^63", inst: fopX(0x61, RNE, 2), a: d(0x1p63), toX: true, want: 1<<63 - 1, flags: NV},
	{name: "fcvt.l.d -2^63", inst: fopX(0x61, RNE, 2), a: d(-0x1p63), toX: true, want: minI64},
	{name: "fcvt.l.d NaN", inst: fopX(0x61, RNE, 2), a: sNaN64, toX: true, want: 1<<63 - 1, flags: NV},
	{name: "fcvt.l.d -inf", inst: fopX(0x61, RNE, 2), a: ninf64, toX: true, want: minI64, flags: NV},
	{name: "fcvt.lu.d 2^64", inst: fopX(0x61, RNE, 3), a: d(0x1p64), toX: true, want: maxU64, flags: NV},
	{name: "fcvt.lu.d largest", inst: fopX(0x61, RNE, 3), a: d(0x1.fffffffffffffp63), toX: true, want: 0xfffffffffffff800},
	{name: "fcvt.lu.d -0", inst: fopX(0x61, RNE, 3), a: negZero64, toX: true, want: 0},
	{name: "fcvt.lu.d NaN", inst: fopX(0x61, RNE, 3), a: qNaN64, toX: true, want: maxU64, flags: NV},
	{name: "fcvt.w.s NaN", inst: fopX(0x60, RNE, 0), a: qNaN32, toX: true, want: 0x7fffffff, flags: NV},
	{name: "fcvt.w.s unboxed", inst: fopX(0x60, RNE, 0), a: 0x3f800000, toX: true, want: 0x7fffffff, flags: NV},
	{name: "fcvt.w.s -1.5 rne", inst: fopX(0x60, RNE, 0), a: s(-1.5), toX: true, want: i64(-2), flags: NX},
	{name: "fcvt.wu.s 2^32-256", inst: fopX(0x60, RNE, 1), a: s(4294967040), toX: true, want: 0xffffffffffffff00},
	{name: "fcvt.wu.s -1", inst: fopX(0x60, RNE, 1), a: s(-1), toX: true, want: 0, flags: NV},
	{name: "fcvt.lu.s -inf", inst: fopX(0x60, RNE, 3), a: sb(0xff800000), toX: true, want: 0, flags: NV},
	{name: "fcvt.l.s 2^62", inst: fopX(0x60, RNE, 2), a: s(0x1p62), toX: true, want: 1 << 62},

	// Integer to float.
	{name: "fcvt.s.w 2^24+1 rne", inst: fopFromX(0x68, RNE, 0), x: 16777217, want: s(16777216), flags: NX},
	{name: "fcvt.s.w 2^24+1 rup", inst: fopFromX(0x68, RUP, 0), x: 16777217, want: s(16777218), flags: NX},
	{name: "fcvt.s.w 2^24+1 rmm", inst: fopFromX(0x68, RMM, 0), x: 16777217, want: s(16777218), flags: NX},
	{name: "fcvt.s.w 2^24+1 rtz", inst: fopFromX(0x68, RTZ, 0), x: 16777217, want: s(16777216), flags: NX},
	{name: "fcvt.s.w uses low 32 bits", inst: fopFromX(0x68, RNE, 0), x: 0x1fffffffe, want: s(-2)},
	{name: "fcvt.s.wu", inst: fopFromX(0x68, RNE, 1), x: 0xffffffff, want: s(4294967296), flags: NX},
	{name: "fcvt.s.l 0", inst: fopFromX(0x68, RNE, 2), x: 0, want: s(0)},
	{name: "fcvt.s.lu max", inst: fopFromX(0x68, RNE, 3), x: maxU64, want: sb(0x5f800000), flags: NX},
	{name: "fcvt.s.l -2^24-1 rdn", inst: fopFromX(0x68, RDN, 2), x: i64(-16777217), want: s(-16777218), flags: NX},
	{name: "fcvt.d.l 2^53+1 rne", inst: fopFromX(0x69, RNE, 2), x: 1<<53 + 1, want: d(0x1p53), flags: NX},
	{name: "fcvt.d.l 2^53+1 rmm", inst: fopFromX(0x69, RMM, 2), x: 1<<53 + 1, want: d(0x1p53 + 2), flags: NX},
	{name: "fcvt.d.l -2^63", inst: fopFromX(0x69, RNE, 2), x: minI64, want: d(-0x1p63)},
	{name: "fcvt.d.lu max rne", inst: fopFromX(0x69, RNE, 3), x: maxU64, want: d(0x1p64), flags: NX},
	{name: "fcvt.d.lu max rtz", inst: fopFromX(0x69, RTZ, 3), x: maxU64, want: d(0x1.fffffffffffffp63), flags: NX},
	{name: "fcvt.d.w low 32 bits", inst: fopFromX(0x69, RNE, 0), x: 0x1ffffffff, want: d(-1)},
	{name: "fcvt.d.wu", inst: fopFromX(0x69, RNE, 1), x: maxU64, want: d(4294967295)},

	// Between formats.
	{name: "fcvt.s.d overflow", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0x1p128), want: inf32, flags: OF | NX},
	{name: "fcvt.s.d overflow rtz", inst: opFP(0x20, RTZ, 4, 1, 1), a: d(0x1p128), want: max32, flags: OF | NX},
	{name: "fcvt.s.d 0.1", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0.1), want: sb(0x3dcccccd), flags: NX},
	{name: "fcvt.s.d 0.1 rtz", inst: opFP(0x20, RTZ, 4, 1, 1), a: d(0.1), want: sb(0x3dcccccc), flags: NX},
	{name: "fcvt.s.d sNaN", inst: opFP(0x20, RNE, 4, 1, 1), a: sNaN64, want: qNaN32, flags: NV},
	{name: "fcvt.s.d qNaN payload", inst: opFP(0x20, RNE, 4, 1, 1), a: 0x7ff8000000000123, want: qNaN32},
	// 2^-126*(1-2^-25) rounds to 2^-126 with an unbounded exponent too:
	// not tiny after rounding, so no underflow.
	{name: "fcvt.s.d not tiny after rounding", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0x1p-126 * (1 - 0x1p-25)), want: sb(0x00800000), flags: NX},
	{name: "fcvt.s.d tiny rtz", inst: opFP(0x20, RTZ, 4, 1, 1), a: d(0x1p-126 * (1 - 0x1p-25)), want: sb(0x007fffff), flags: UF | NX},
	{name: "fcvt.s.d tiny after rounding", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0x1p-126 * (1 - 0x1p-24)), want: sb(0x00800000), flags: UF | NX},
	{name: "fcvt.s.d half min subnormal", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0x1p-150), want: sb(0), flags: UF | NX},
	{name: "fcvt.s.d 3/4 min subnormal", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0x1p-150 * 1.5), want: sb(1), flags: UF | NX},
	{name: "fcvt.s.d exact subnormal", inst: opFP(0x20, RNE, 4, 1, 1), a: d(0x1p-140), want: sb(0x200)},
	{name: "fcvt.d.s sNaN", inst: opFP(0x21, RNE, 4, 1, 0), a: sNaN32, want: qNaN64, flags: NV},
	{name: "fcvt.d.s unboxed", inst: opFP(0x21, RNE, 4, 1, 0), a: 0x3f800000, want: qNaN64},
	{name: "fcvt.d.s -0", inst: opFP(0x21, RNE, 4, 1, 0), a: s(float32(math.Copysign(0, -1))), want: negZero64},
	{name: "fcvt.d.s subnormal", inst: opFP(0x21, RNE, 4, 1, 0), a: sb(1), want: d(0x1p-149)},
}

func TestFPInstructions(t *testing.T) {
	w := newWindow(t)
	for _, tc := range fpCases {
		t.Run(tc.name, func(t *testing.T) {
			c := w.load(tc.inst)
			c.F[1], c.F[2], c.F[3] = tc.a, tc.b, tc.c
			c.X[tRs1] = tc.x
			runToBreak(t, c, w)
			got := c.F[4]
			if tc.toX {
				got = c.X[tRd]
			}
			if got != tc.want || c.FCSR&0x1f != tc.flags {
				t.Errorf("got %#x flags %s, want %#x flags %s", got, flagString(c.FCSR), tc.want, flagString(tc.flags))
			}
		})
	}
}

func flagString(f uint32) string {
	s := ""
	for i, n := range []string{"NX", "UF", "OF", "DZ", "NV"} {
		if f&(1<<i) != 0 {
			s += n + " "
		}
	}
	return fmt.Sprintf("[%s]", s)
}

func TestFPDynamicRoundingAndFlags(t *testing.T) {
	w := newWindow(t)
	// fadd.d f4, f1, f2, dyn with frm = RUP; then fdiv.d f5, f1, f3 (1/0)
	// with rne: flags accumulate.
	c := w.load(fop(0x01, DYN), opFP(0x0d, RNE, 5, 1, 3))
	c.FCSR = RUP << 5
	c.F[1], c.F[2], c.F[3] = d(1), d(0x1p-53), 0
	runToBreak(t, c, w)
	if c.F[4] != d(1+0x1p-52) || c.F[5] != inf64 || c.FCSR != RUP<<5|NX|DZ {
		t.Fatalf("f4=%#x f5=%#x fcsr=%#x", c.F[4], c.F[5], c.FCSR)
	}
}

func TestFPLoadStore(t *testing.T) {
	w := newWindow(t)
	const a = 0x8000
	w.put64(a, 0x1122334455667788)
	// flw f4, 0(x5); fld f5, 0(x5); fsw f6, 8(x5); fsd f6, 16(x5)
	c := w.load(encI(0, tRs1, 2, 4, 0x07), encI(0, tRs1, 3, 5, 0x07),
		encS(8, 6, tRs1, 2, 0x27), encS(16, 6, tRs1, 3, 0x27))
	c.X[tRs1] = a
	c.F[6] = 0x00000000cafebabe // not boxed: FSW stores the low bits as they are
	runToBreak(t, c, w)
	if c.F[4] != 0xffffffff55667788 || c.F[5] != 0x1122334455667788 {
		t.Fatalf("f4=%#x f5=%#x", c.F[4], c.F[5])
	}
	if w.get32(a+8) != 0xcafebabe || w.get64(a+16) != 0xcafebabe {
		t.Fatalf("stored %#x %#x", w.get32(a+8), w.get64(a+16))
	}
}
