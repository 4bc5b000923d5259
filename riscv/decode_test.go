package riscv

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/arch/riscv64/riscv64asm"
)

var decodeWords = flag.Int("decode.words", 10_000_000,
	"random 32-bit words compared with x/arch by TestDecodeRandom32 (default 10^7; 10^6 under -race, 2*10^5 with -short)")

// refString renders our decoding in the syntax of riscv64asm.Inst.String,
// so that both decoders can be compared on operation and operands.
func refString(in Inst) string {
	name := in.Op.String()
	x := func(r uint8) string { return fmt.Sprintf("x%d", r) }
	f := func(r uint8) string { return fmt.Sprintf("f%d", r) }
	mem := func(r uint8) string { return fmt.Sprintf("%d(x%d)", in.Imm, r) }
	var args []string
	switch in.Op {
	case LUI, AUIPC:
		imm := uint32(in.Imm>>12) & 0xfffff
		if in.Len == 2 {
			// riscv64asm renders c.lui's immediate sign-extended to 32
			// bits (0xfffff for lui, 0xffffffff for c.lui).
			imm = uint32(int32(in.Imm) >> 12)
		}
		args = []string{x(in.Rd), fmt.Sprintf("%#x", imm)}
	case JAL:
		args = []string{x(in.Rd), fmt.Sprint(in.Imm)}
	case JALR, LB, LH, LW, LD, LBU, LHU, LWU:
		args = []string{x(in.Rd), mem(in.Rs1)}
	case FLW, FLD:
		args = []string{f(in.Rd), mem(in.Rs1)}
	case SB, SH, SW, SD:
		args = []string{x(in.Rs2), mem(in.Rs1)}
	case FSW, FSD:
		args = []string{f(in.Rs2), mem(in.Rs1)}
	case BEQ, BNE, BLT, BGE, BLTU, BGEU:
		args = []string{x(in.Rs1), x(in.Rs2), fmt.Sprint(in.Imm)}
	case ADDI, SLTI, SLTIU, XORI, ORI, ANDI, ADDIW:
		args = []string{x(in.Rd), x(in.Rs1), fmt.Sprint(in.Imm)}
	case SLLI, SRLI, SRAI, SLLIW, SRLIW, SRAIW, RORI, RORIW, BCLRI, BEXTI, BINVI, BSETI, SLLI_UW:
		args = []string{x(in.Rd), x(in.Rs1), fmt.Sprintf("%#x", in.Imm)}
	case CLZ, CLZW, CTZ, CTZW, CPOP, CPOPW, SEXT_B, SEXT_H, ZEXT_H, ORC_B, REV8:
		args = []string{x(in.Rd), x(in.Rs1)}
	case FENCE:
		args = []string{memOrder(in.RM >> 4), memOrder(in.RM & 15)}
	case FENCE_I, ECALL, EBREAK:
	case CSRRW, CSRRS, CSRRC:
		args = []string{x(in.Rd), riscv64asm.CSR(in.Imm).String(), x(in.Rs1)}
	case CSRRWI, CSRRSI, CSRRCI:
		args = []string{x(in.Rd), riscv64asm.CSR(in.Imm).String(), fmt.Sprint(in.Rs1)}
	case LR_W, LR_D:
		args = []string{x(in.Rd), "(" + x(in.Rs1) + ")"}
	case SC_W, SC_D, AMOSWAP_W, AMOADD_W, AMOXOR_W, AMOAND_W, AMOOR_W, AMOMIN_W, AMOMAX_W,
		AMOMINU_W, AMOMAXU_W, AMOSWAP_D, AMOADD_D, AMOXOR_D, AMOAND_D, AMOOR_D, AMOMIN_D,
		AMOMAX_D, AMOMINU_D, AMOMAXU_D:
		args = []string{x(in.Rd), x(in.Rs2), "(" + x(in.Rs1) + ")"}
	case FADD_S, FSUB_S, FMUL_S, FDIV_S, FSGNJ_S, FSGNJN_S, FSGNJX_S, FMIN_S, FMAX_S,
		FADD_D, FSUB_D, FMUL_D, FDIV_D, FSGNJ_D, FSGNJN_D, FSGNJX_D, FMIN_D, FMAX_D:
		args = []string{f(in.Rd), f(in.Rs1), f(in.Rs2)}
	case FSQRT_S, FSQRT_D, FCVT_S_D, FCVT_D_S:
		args = []string{f(in.Rd), f(in.Rs1)}
	case FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S, FMADD_D, FMSUB_D, FNMSUB_D, FNMADD_D:
		args = []string{f(in.Rd), f(in.Rs1), f(in.Rs2), f(in.Rs3)}
	case FEQ_S, FLT_S, FLE_S, FEQ_D, FLT_D, FLE_D:
		args = []string{x(in.Rd), f(in.Rs1), f(in.Rs2)}
	case FCLASS_S, FCLASS_D, FMV_X_W, FMV_X_D, FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S,
		FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D:
		args = []string{x(in.Rd), f(in.Rs1)}
	case FMV_W_X, FMV_D_X, FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU, FCVT_D_W, FCVT_D_WU,
		FCVT_D_L, FCVT_D_LU:
		args = []string{f(in.Rd), x(in.Rs1)}
	default: // three-register integer operations
		args = []string{x(in.Rd), x(in.Rs1), x(in.Rs2)}
	}
	if in.Op >= LR_W && in.Op <= AMOMAXU_D {
		name += [4]string{"", ".RL", ".AQ", ".AQRL"}[in.RM&3]
	}
	if len(args) == 0 {
		return name
	}
	return name + " " + strings.Join(args, ",")
}

func memOrder(m uint8) string {
	s := ""
	for i, c := range "iorw" {
		if m&(8>>i) != 0 {
			s += string(c)
		}
	}
	return s
}

// hint16 reports whether a 16-bit word is one of the compressed HINT
// encodings (spec, "RVC Instruction Set Listings", HINT table) that
// riscv64asm does not decode or decodes with the operand dropped; we
// decode them to their base instruction, which has no architectural
// effect.
func hint16(w uint16) bool {
	q, f3 := w&3, w>>13
	rd := w >> 7 & 31
	rs2 := w >> 2 & 31
	imm6 := w>>7&0x20 | w>>2&0x1f
	switch {
	case q == 1 && f3 == 0: // c.nop with imm != 0, c.addi with imm == 0
		return rd == 0 && imm6 != 0 || rd != 0 && imm6 == 0
	case q == 1 && f3 == 2: // c.li x0
		return rd == 0
	case q == 1 && f3 == 3: // c.lui x0
		return rd == 0 && imm6 != 0
	case q == 1 && f3 == 4: // c.srli/c.srai with shamt 0
		return w>>11&1 == 0 && imm6 == 0
	case q == 2 && f3 == 0: // c.slli x0, c.slli shamt 0
		return rd == 0 || imm6 == 0
	case q == 2 && f3 == 4: // c.mv x0 / c.add x0
		return rd == 0 && rs2 != 0
	}
	return false
}

// unimplementedRef reports whether riscv64asm's decoding is of an
// extension gemu does not implement (RV64GC + Zba/Zbb/Zbs only).
func unimplementedRef(op riscv64asm.Op) bool {
	s := op.String()
	for _, p := range []string{"AMOCAS", "CBO.", "CLMUL", "CZERO", "FLH", "FSH", "FLQ", "FSQ", "V"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	if strings.HasPrefix(s, "FSQRT") {
		return strings.HasSuffix(s, ".H") || strings.HasSuffix(s, ".Q")
	}
	return strings.HasSuffix(s, ".H") || strings.HasSuffix(s, ".Q") ||
		strings.Contains(s, ".H.") || strings.Contains(s, ".Q.")
}

// reservedRM reports whether w is an F/D instruction with a rounding-mode
// field whose static value is reserved (5 or 6). riscv64asm ignores rm;
// the spec makes these encodings reserved, and gemu decodes them as
// ILLEGAL.
func reservedRM(w uint32) bool {
	rm := w >> 12 & 7
	if rm != 5 && rm != 6 {
		return false
	}
	switch w & 0x7f {
	case 0x43, 0x47, 0x4b, 0x4f:
		return true
	case 0x53:
		switch w >> 25 {
		case 0x00, 0x01, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d, 0x2c, 0x2d,
			0x20, 0x21, 0x60, 0x61, 0x68, 0x69:
			return true
		}
	}
	return false
}

type decodeStats struct {
	same, hints, refOnly, bothUnknown int
}

// compareDecode checks one word and returns a non-empty message on
// disagreement.
func compareDecode(w uint32, st *decodeStats) string {
	var buf [4]byte
	n := 4
	if w&3 != 3 {
		n = 2
		w &= 0xffff
	}
	binary.LittleEndian.PutUint32(buf[:], w)
	ref, err := riscv64asm.Decode(buf[:n])
	ours := Decode(w)
	if int(ours.Len) != n {
		return fmt.Sprintf("%#x: length %d, want %d", w, ours.Len, n)
	}
	switch {
	case err != nil && ours.Op == ILLEGAL:
		st.bothUnknown++
	case err != nil:
		if n == 2 && hint16(uint16(w)) {
			st.hints++
			return ""
		}
		return fmt.Sprintf("%#x: we decode %q, riscv64asm does not", w, refString(ours))
	case ours.Op == ILLEGAL:
		if unimplementedRef(ref.Op) || n == 4 && reservedRM(w) || n == 2 && w == 0 {
			st.refOnly++
			return ""
		}
		return fmt.Sprintf("%#x: riscv64asm decodes %q, we do not", w, ref.String())
	default:
		got := refString(ours)
		if n == 2 && hint16(uint16(w)) {
			st.hints++ // c.nop with a nonzero immediate: riscv64asm drops it
			return ""
		}
		if got != ref.String() {
			return fmt.Sprintf("%#x: we decode %q, riscv64asm %q", w, got, ref.String())
		}
		st.same++
	}
	return ""
}

func TestDecodeAllCompressed(t *testing.T) {
	var st decodeStats
	bad := 0
	for w := uint32(0); w < 1<<16; w++ {
		if w&3 == 3 {
			continue
		}
		if msg := compareDecode(w, &st); msg != "" {
			bad++
			if bad < 30 {
				t.Error(msg)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d disagreements", bad)
	}
	t.Logf("16-bit words: %d identical, %d hints, %d only riscv64asm (c.unimp), %d reserved in both",
		st.same, st.hints, st.refOnly, st.bothUnknown)
}

// TestDecodeRandom32 compares the decoders on random 32-bit words. The
// reference decoder records coverage in a global without locking, so the
// work is split across child processes (this test binary re-executed)
// rather than goroutines.
func TestDecodeRandom32(t *testing.T) {
	if shard := os.Getenv("GEMU_DECODE_SHARD"); shard != "" {
		var k, n, total int
		fmt.Sscanf(shard, "%d/%d/%d", &k, &n, &total)
		decodeShard(k, n, total)
		return
	}
	total := *decodeWords
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "decode.words" })
	switch {
	case explicit:
	case testing.Short():
		total = 200_000
	case raceEnabled:
		total = 500_000
	}
	workers := runtime.GOMAXPROCS(0)
	outs := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestDecodeRandom32$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("GEMU_DECODE_SHARD=%d/%d/%d", k, workers, total))
			outs[k], errs[k] = cmd.Output()
		}()
	}
	wg.Wait()
	var all decodeStats
	for k := range workers {
		if errs[k] != nil {
			t.Fatalf("shard %d: %v\n%s", k, errs[k], outs[k])
		}
		seen := false
		for _, line := range strings.Split(string(outs[k]), "\n") {
			if d, ok := strings.CutPrefix(line, "decode-diff: "); ok {
				t.Error(d)
			}
			if st, ok := strings.CutPrefix(line, "decode-stats: "); ok {
				var s decodeStats
				fmt.Sscanf(st, "%d %d %d", &s.same, &s.refOnly, &s.bothUnknown)
				all.same += s.same
				all.refOnly += s.refOnly
				all.bothUnknown += s.bothUnknown
				seen = true
			}
		}
		if !seen {
			t.Fatalf("shard %d printed no statistics:\n%s", k, outs[k])
		}
	}
	if n := all.same + all.refOnly + all.bothUnknown; n != total {
		t.Fatalf("compared %d words, want %d", n, total)
	}
	t.Logf("%d random 32-bit words: %d identical, %d only riscv64asm (unimplemented extensions, reserved rm), %d unknown to both",
		total, all.same, all.refOnly, all.bothUnknown)
}

// decodeShard compares words k, k+n, k+2n, ... of the seeded sequence and
// prints the differences and statistics for the parent test.
func decodeShard(k, n, total int) {
	r := rand.New(rand.NewPCG(uint64(k), 0x9e3779b97f4a7c15))
	var st decodeStats
	diffs := 0
	for i := k; i < total; i += n {
		w := r.Uint32() | 3
		// In a quarter of the words force the rs2 field to 0-3, where
		// unary and conversion forms live.
		if i%4 == 0 {
			w = w&^(31<<20) | uint32(r.IntN(4))<<20
		}
		if msg := compareDecode(w, &st); msg != "" && diffs < 10 {
			diffs++
			fmt.Println("decode-diff: " + msg)
		}
	}
	fmt.Printf("decode-stats: %d %d %d\n", st.same, st.refOnly, st.bothUnknown)
}

// FuzzDecode compares the decoders on fuzzer-chosen words (go test
// -fuzz=FuzzDecode). Run single-process: the reference decoder is not
// goroutine-safe, so use -parallel=1.
func FuzzDecode(f *testing.F) {
	for _, w := range []uint32{0x00000013, 0x02a5f533, 0x0805c53b, 0x06b4a52f, 0x023110d3, 0x4501, 0x9002} {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, w uint32) {
		var st decodeStats
		if msg := compareDecode(w, &st); msg != "" {
			t.Fatal(msg)
		}
	})
}
