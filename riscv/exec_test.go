package riscv

import (
	"testing"
)

// Register conventions of the integer tables: rs1 = x5, rs2 = x6, rd = x7.
const (
	tRs1 = 5
	tRs2 = 6
	tRd  = 7
)

type intCase struct {
	name     string
	inst     uint32
	rs1, rs2 uint64
	want     uint64
}

func i64(v int64) uint64 { return uint64(v) }

const (
	minI64 = uint64(1) << 63
	maxU64 = ^uint64(0)
)

// Expected values follow the RV64I/M/Zba/Zbb/Zbs chapters of the
// unprivileged spec (e.g. the M chapter's table "Semantics for division
// by zero and division overflow").
var intCases = []intCase{
	{"add wraps", opR(0, 0)(tRd, tRs1, tRs2), maxU64, 2, 1},
	{"sub", opR(0x20, 0)(tRd, tRs1, tRs2), 0, 1, maxU64},
	{"sll by 64 uses low 6 bits", opR(0, 1)(tRd, tRs1, tRs2), 3, 64, 3},
	{"sll by 65", opR(0, 1)(tRd, tRs1, tRs2), 3, 65, 6},
	{"slt signed", opR(0, 2)(tRd, tRs1, tRs2), maxU64, 1, 1},
	{"sltu unsigned", opR(0, 3)(tRd, tRs1, tRs2), maxU64, 1, 0},
	{"xor", opR(0, 4)(tRd, tRs1, tRs2), 0xff00, 0x0ff0, 0xf0f0},
	{"srl by 127", opR(0, 5)(tRd, tRs1, tRs2), minI64, 127, 1},
	{"sra", opR(0x20, 5)(tRd, tRs1, tRs2), minI64, 63, maxU64},
	{"or", opR(0, 6)(tRd, tRs1, tRs2), 0xf0, 0x0f, 0xff},
	{"and", opR(0, 7)(tRd, tRs1, tRs2), 0xf0, 0x3c, 0x30},
	{"addw sign-extends", opR32(0, 0)(tRd, tRs1, tRs2), 0x7fffffff, 1, 0xffffffff80000000},
	{"addw ignores upper bits", opR32(0, 0)(tRd, tRs1, tRs2), 0x1234567800000001, 0xff00000000000001, 2},
	{"subw", opR32(0x20, 0)(tRd, tRs1, tRs2), 0, 1, maxU64},
	{"sllw by 32 uses low 5 bits", opR32(0, 1)(tRd, tRs1, tRs2), 1, 32, 1},
	{"sllw sign-extends", opR32(0, 1)(tRd, tRs1, tRs2), 1, 31, 0xffffffff80000000},
	{"srlw zero-fills bit 31", opR32(0, 5)(tRd, tRs1, tRs2), 0xffffffff80000000, 1, 0x40000000},
	{"srlw by 0 sign-extends", opR32(0, 5)(tRd, tRs1, tRs2), 0x80000000, 0, 0xffffffff80000000},
	{"sraw", opR32(0x20, 5)(tRd, tRs1, tRs2), 0x80000000, 31, maxU64},
	{"sraw by 33 is by 1", opR32(0x20, 5)(tRd, tRs1, tRs2), 0x80000000, 33, 0xffffffffc0000000},

	{"mul wraps", opR(1, 0)(tRd, tRs1, tRs2), 1 << 63, 2, 0},
	{"mulh -1*-1", opR(1, 1)(tRd, tRs1, tRs2), maxU64, maxU64, 0},
	{"mulh min*min", opR(1, 1)(tRd, tRs1, tRs2), minI64, minI64, 1 << 62},
	{"mulh min*-1", opR(1, 1)(tRd, tRs1, tRs2), minI64, maxU64, 0},
	{"mulhsu -1*max", opR(1, 2)(tRd, tRs1, tRs2), maxU64, maxU64, maxU64},
	{"mulhsu 2*max", opR(1, 2)(tRd, tRs1, tRs2), 2, maxU64, 1},
	{"mulhu max*max", opR(1, 3)(tRd, tRs1, tRs2), maxU64, maxU64, maxU64 - 1},
	{"div truncates", opR(1, 4)(tRd, tRs1, tRs2), i64(-7), 2, i64(-3)},
	{"div by zero", opR(1, 4)(tRd, tRs1, tRs2), 5, 0, maxU64},
	{"div overflow", opR(1, 4)(tRd, tRs1, tRs2), minI64, maxU64, minI64},
	{"divu by zero", opR(1, 5)(tRd, tRs1, tRs2), 5, 0, maxU64},
	{"divu", opR(1, 5)(tRd, tRs1, tRs2), maxU64, 2, maxU64 >> 1},
	{"rem sign of dividend", opR(1, 6)(tRd, tRs1, tRs2), i64(-7), 2, maxU64},
	{"rem by zero", opR(1, 6)(tRd, tRs1, tRs2), i64(-7), 0, i64(-7)},
	{"rem overflow", opR(1, 6)(tRd, tRs1, tRs2), minI64, maxU64, 0},
	{"remu by zero", opR(1, 7)(tRd, tRs1, tRs2), 9, 0, 9},
	{"remu", opR(1, 7)(tRd, tRs1, tRs2), maxU64, 10, 5},
	{"mulw sign-extends", opR32(1, 0)(tRd, tRs1, tRs2), 0x7fffffff, 2, i64(-2)},
	{"divw by zero", opR32(1, 4)(tRd, tRs1, tRs2), 5, 0, maxU64},
	{"divw overflow", opR32(1, 4)(tRd, tRs1, tRs2), 0x80000000, 0xffffffff, 0xffffffff80000000},
	{"divw ignores upper bits", opR32(1, 4)(tRd, tRs1, tRs2), 0x10000000c, 0x200000003, 4},
	{"divuw by zero", opR32(1, 5)(tRd, tRs1, tRs2), 5, 0, maxU64},
	{"divuw sign-extends", opR32(1, 5)(tRd, tRs1, tRs2), 0xfffffffe, 1, 0xfffffffffffffffe},
	{"remw by zero", opR32(1, 6)(tRd, tRs1, tRs2), 0x80000001, 0, 0xffffffff80000001},
	{"remw overflow", opR32(1, 6)(tRd, tRs1, tRs2), 0x80000000, 0xffffffff, 0},
	{"remuw by zero", opR32(1, 7)(tRd, tRs1, tRs2), 0x80000001, 0, 0xffffffff80000001},
	{"remuw", opR32(1, 7)(tRd, tRs1, tRs2), 0xffffffff, 0x10, 0xf},

	{"add.uw", opR32(0x04, 0)(tRd, tRs1, tRs2), 0xffffffff80000000, 1, 0x80000001},
	{"sh1add", opR(0x10, 2)(tRd, tRs1, tRs2), 3, 1, 7},
	{"sh2add", opR(0x10, 4)(tRd, tRs1, tRs2), 3, 1, 13},
	{"sh3add", opR(0x10, 6)(tRd, tRs1, tRs2), 3, 1, 25},
	{"sh1add.uw", opR32(0x10, 2)(tRd, tRs1, tRs2), 0xffffffff00000001, 0, 2},
	{"sh2add.uw", opR32(0x10, 4)(tRd, tRs1, tRs2), 0xffffffff80000000, 0, 0x200000000},
	{"sh3add.uw", opR32(0x10, 6)(tRd, tRs1, tRs2), 0x100000001, 1, 9},
	{"slli.uw", encI(4, tRs1, 1, tRd, 0x1b) | 0x08000000, 0xffffffff80000000, 0, 0x800000000},
	{"andn", opR(0x20, 7)(tRd, tRs1, tRs2), 0xff, 0x0f, 0xf0},
	{"orn", opR(0x20, 6)(tRd, tRs1, tRs2), 0, maxU64 - 1, 1},
	{"xnor", opR(0x20, 4)(tRd, tRs1, tRs2), 0xff, 0xf0, ^uint64(0x0f)},
	{"clz 0", encI(0x600, tRs1, 1, tRd, 0x13), 0, 0, 64},
	{"clz 1", encI(0x600, tRs1, 1, tRd, 0x13), 1, 0, 63},
	{"clzw 0 with upper bits", encI(0x600, tRs1, 1, tRd, 0x1b), 0xffffffff00000000, 0, 32},
	{"ctz 0", encI(0x601, tRs1, 1, tRd, 0x13), 0, 0, 64},
	{"ctzw 0", encI(0x601, tRs1, 1, tRd, 0x1b), 0xffffffff00000000, 0, 32},
	{"cpop", encI(0x602, tRs1, 1, tRd, 0x13), maxU64, 0, 64},
	{"cpopw", encI(0x602, tRs1, 1, tRd, 0x1b), maxU64, 0, 32},
	{"max signed", opR(0x05, 6)(tRd, tRs1, tRs2), maxU64, 1, 1},
	{"maxu", opR(0x05, 7)(tRd, tRs1, tRs2), maxU64, 1, maxU64},
	{"min signed", opR(0x05, 4)(tRd, tRs1, tRs2), maxU64, 1, maxU64},
	{"minu", opR(0x05, 5)(tRd, tRs1, tRs2), maxU64, 1, 1},
	{"sext.b", encI(0x604, tRs1, 1, tRd, 0x13), 0x1280, 0, i64(-128)},
	{"sext.h", encI(0x605, tRs1, 1, tRd, 0x13), 0x18000, 0, i64(-32768)},
	{"zext.h", opR32(0x04, 4)(tRd, tRs1, 0), maxU64, 0, 0xffff},
	{"rol", opR(0x30, 1)(tRd, tRs1, tRs2), minI64 | 1, 65, 3},
	{"ror", opR(0x30, 5)(tRd, tRs1, tRs2), 3, 1, minI64 | 1},
	{"rori", encI(0x600|1, tRs1, 5, tRd, 0x13)&^(0x3f<<20) | 1<<20 | 0x18<<26, 3, 0, minI64 | 1},
	{"rolw sign-extends", opR32(0x30, 1)(tRd, tRs1, tRs2), 0x40000000, 1, 0xffffffff80000000},
	{"rorw", opR32(0x30, 5)(tRd, tRs1, tRs2), 1, 1, 0xffffffff80000000},
	{"roriw", encI(1, tRs1, 5, tRd, 0x1b) | 0x30<<25, 1, 0, 0xffffffff80000000},
	{"orc.b", encI(0x287, tRs1, 5, tRd, 0x13), 0x0100000000100001, 0, 0xff000000_00ff00ff},
	{"rev8", encI(0x6b8, tRs1, 5, tRd, 0x13) | 0, 0x0102030405060708, 0, 0x0807060504030201},
	{"bclr", opR(0x24, 1)(tRd, tRs1, tRs2), maxU64, 64, maxU64 - 1},
	{"bext", opR(0x24, 5)(tRd, tRs1, tRs2), minI64, 63, 1},
	{"binv", opR(0x34, 1)(tRd, tRs1, tRs2), 0, 63, minI64},
	{"bset", opR(0x14, 1)(tRd, tRs1, tRs2), 0, 127, minI64},
	{"bclri", encI(0x12<<6|63, tRs1, 1, tRd, 0x13), maxU64, 0, maxU64 >> 1},
	{"bexti", encI(0x12<<6|1, tRs1, 5, tRd, 0x13), 2, 0, 1},
	{"binvi", encI(0x1a<<6|0, tRs1, 1, tRd, 0x13), 1, 0, 0},
	{"bseti", encI(0x0a<<6|32, tRs1, 1, tRd, 0x13), 0, 0, 1 << 32},

	{"addi -2048", addi(tRd, tRs1, -2048), 0, 0, i64(-2048)},
	{"slti", encI(-1, tRs1, 2, tRd, 0x13), i64(-2), 0, 1},
	{"sltiu -1 is max", encI(-1, tRs1, 3, tRd, 0x13), maxU64 - 1, 0, 1},
	{"sltiu max", encI(-1, tRs1, 3, tRd, 0x13), maxU64, 0, 0},
	{"xori -1 is not", encI(-1, tRs1, 4, tRd, 0x13), 0x5a, 0, ^uint64(0x5a)},
	{"ori", encI(0x100, tRs1, 6, tRd, 0x13), 1, 0, 0x101},
	{"andi sign-extended", encI(-16, tRs1, 7, tRd, 0x13), 0xff, 0, 0xf0},
	{"slli 63", encI(63, tRs1, 1, tRd, 0x13), 1, 0, minI64},
	{"srli 63", encI(63, tRs1, 5, tRd, 0x13), maxU64, 0, 1},
	{"srai 63", encI(0x400|63, tRs1, 5, tRd, 0x13), minI64, 0, maxU64},
	{"addiw sign-extends", encI(1, tRs1, 0, tRd, 0x1b), 0x7fffffff, 0, 0xffffffff80000000},
	{"slliw", encI(31, tRs1, 1, tRd, 0x1b), 3, 0, 0xffffffff80000000},
	{"srliw", encI(4, tRs1, 5, tRd, 0x1b), 0xffffffff, 0, 0x0fffffff},
	{"sraiw", encI(0x400|4, tRs1, 5, tRd, 0x1b), 0x80000000, 0, 0xfffffffff8000000},
	{"lui sign-extends", encU(0x80000000, tRd, 0x37), 0, 0, 0xffffffff80000000},
}

func TestIntegerInstructions(t *testing.T) {
	w := newWindow(t)
	for _, tc := range intCases {
		c := w.load(tc.inst)
		c.X[tRs1], c.X[tRs2] = tc.rs1, tc.rs2
		runToBreak(t, c, w)
		if got := c.X[tRd]; got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

func TestFences(t *testing.T) {
	w := newWindow(t)
	// fence rw,rw; fence.tso (fm=1000); fence.i with nonzero reserved
	// fields (which implementations must ignore); then a store, fence.i,
	// and the stored instruction runs: fetches see memory.
	c := w.load(encI(0x033, 0, 0, 0, 0x0f), encI(-0x7cd, 0, 0, 0, 0x0f)|0x80000000,
		encI(0x123, 5, 1, 6, 0x0f),
		encS(8, tRs2, tRs1, 2, 0x23), // sw x6, 8(x5): overwrite the next-but-one word
		encI(0, 0, 1, 0, 0x0f),       // fence.i
		addi(tRd, 0, 1))              // replaced by addi x7, x0, 2
	c.X[tRs1] = w.code + 12
	c.X[tRs2] = uint64(addi(tRd, 0, 2))
	runToBreak(t, c, w)
	if c.X[tRd] != 2 {
		t.Fatalf("x7 = %d: the modified instruction did not run", c.X[tRd])
	}
}

func TestX0StaysZero(t *testing.T) {
	w := newWindow(t)
	c := w.load(addi(0, 0, 5), opR(0, 0)(tRd, 0, 0))
	runToBreak(t, c, w)
	if c.X[0] != 0 || c.X[tRd] != 0 {
		t.Fatalf("x0 = %d, x7 = %d", c.X[0], c.X[tRd])
	}
}

func TestAUIPCAndJumps(t *testing.T) {
	w := newWindow(t)
	// 0x1000 auipc x7, 0x1   -> 0x2000
	// 0x1004 jal x1, +8      -> x1 = 0x1008, to 0x100c
	// 0x1008 addi x7, x0, 0  (skipped)
	// 0x100c jalr x5, 5(x5)  with x5=0x1013: target 0x1018 (bit 0 cleared), x5=0x1010
	// 0x1010 addi x7,x0,0 (skipped) 0x1014 (skipped)
	// 0x1018 ebreak
	c := w.load(encU(0x1000, tRd, 0x17), encJ(8, 1), addi(tRd, 0, 0),
		encI(5, 5, 0, 5, 0x67), addi(tRd, 0, 0), addi(tRd, 0, 0))
	c.X[5] = 0x1013
	e := c.Run(&w.m, 100)
	if e.Kind != ExitEbreak || e.PC != 0x1018 {
		t.Fatalf("exit %v", e)
	}
	if c.X[tRd] != 0x2000 || c.X[1] != 0x1008 || c.X[5] != 0x1010 {
		t.Fatalf("x7=%#x x1=%#x x5=%#x", c.X[tRd], c.X[1], c.X[5])
	}
}

func TestBranches(t *testing.T) {
	type bc struct {
		name  string
		f3    uint32
		a, b  uint64
		taken bool
	}
	for _, tc := range []bc{
		{"beq", 0, 5, 5, true}, {"beq not", 0, 5, 6, false},
		{"bne", 1, 5, 6, true}, {"bne not", 1, 5, 5, false},
		{"blt signed", 4, maxU64, 0, true}, {"blt equal", 4, 3, 3, false},
		{"bge signed", 5, 0, maxU64, true}, {"bge equal", 5, 3, 3, true},
		{"bltu", 6, 0, maxU64, true}, {"bltu not", 6, maxU64, 0, false},
		{"bgeu", 7, maxU64, 0, true}, {"bgeu equal", 7, 1, 1, true},
	} {
		w := newWindow(t)
		// branch +8 over "addi x7, x0, 1"; then ebreak.
		c := w.load(encB(8, tRs2, tRs1, tc.f3), addi(tRd, 0, 1))
		c.X[tRs1], c.X[tRs2] = tc.a, tc.b
		runToBreak(t, c, w)
		if taken := c.X[tRd] == 0; taken != tc.taken {
			t.Errorf("%s: taken=%v, want %v", tc.name, taken, tc.taken)
		}
	}
}

func TestLoadsStores(t *testing.T) {
	w := newWindow(t)
	const a = 0x8000
	w.put64(a, 0x8182838485868788)
	loads := []struct {
		name string
		f3   uint32
		off  int32
		want uint64
	}{
		{"lb sign-extends", 0, 0, 0xffffffffffffff88},
		{"lh sign-extends", 1, 0, 0xffffffffffff8788},
		{"lw sign-extends", 2, 0, 0xffffffff85868788},
		{"ld", 3, 0, 0x8182838485868788},
		{"lbu", 4, 0, 0x88},
		{"lhu", 5, 0, 0x8788},
		{"lwu", 6, 0, 0x85868788},
		{"ld misaligned", 3, 1, 0x0081828384858687},
		{"lw negative offset", 2, -4, 0},
	}
	for _, l := range loads {
		c := w.load(encI(l.off, tRs1, l.f3, tRd, 0x03))
		c.X[tRs1] = a
		runToBreak(t, c, w)
		if c.X[tRd] != l.want {
			t.Errorf("%s: got %#x, want %#x", l.name, c.X[tRd], l.want)
		}
	}
	for i, s := range []struct {
		f3   uint32
		want uint64
	}{{0, 0xff}, {1, 0xffff}, {2, 0xffffffff}, {3, maxU64}} {
		w.put64(a+64, 0)
		c := w.load(encS(64, tRs2, tRs1, s.f3, 0x23))
		c.X[tRs1], c.X[tRs2] = a, maxU64
		runToBreak(t, c, w)
		if got := w.get64(a + 64); got != s.want {
			t.Errorf("store width %d: memory %#x, want %#x", i, got, s.want)
		}
	}
}

func TestCompressedProgram(t *testing.T) {
	w := newWindow(t)
	// c.li x10, -3; c.addi x10, 5; c.slli x10, 4; c.mv x11, x10;
	// c.add x11, x10; c.ebreak. Encodings from the RVC listings.
	code := []uint16{
		0x5575, // c.li a0, -3
		0x0515, // c.addi a0, 5
		0x0512, // c.slli a0, 4
		0x85aa, // c.mv a1, a0
		0x95aa, // c.add a1, a0
		0x9002, // c.ebreak
	}
	for i, h := range code {
		w.mem[0x1000+2*i] = byte(h)
		w.mem[0x1001+2*i] = byte(h >> 8)
	}
	c := NewCPU()
	c.PC = 0x1000
	e := c.Run(&w.m, 100)
	if e.Kind != ExitEbreak || e.Len != 2 || e.PC != 0x100a {
		t.Fatalf("exit %+v", e)
	}
	if c.X[10] != 32 || c.X[11] != 64 {
		t.Fatalf("a0=%d a1=%d, want 32 64", c.X[10], c.X[11])
	}
}
