package riscv

import (
	"math"
	"syscall"
	"testing"
)

// Benchmarks of tight guest loops. Each reports guest instructions per
// second as the MIPS metric.

func benchLoop(b *testing.B, body []uint32, setup func(c *CPU)) {
	w := newWindow(b)
	// x31 counts down the iterations; the loop ends with
	// addi x31, x31, -1; bnez x31, start.
	n := len(body)
	prog := append(append([]uint32{}, body...), addi(31, 31, -1), encB(int32(-4*(n+1)), 0, 31, 1))
	c := w.load(prog...)
	setup(c)
	const iters = 1 << 20
	perIter := uint64(n + 2)
	b.ResetTimer()
	var insts uint64
	for b.Loop() {
		c.PC = w.code
		c.X[31] = iters
		e := c.Run(&w.m, 0)
		if e.Kind != ExitEbreak {
			b.Fatal(e)
		}
		insts += iters*perIter + 1
	}
	b.ReportMetric(float64(insts)/b.Elapsed().Seconds()/1e6, "MIPS")
}

func BenchmarkIntegerLoop(b *testing.B) {
	benchLoop(b, []uint32{
		opR(0, 0)(5, 5, 6),       // add x5, x5, x6
		opR(0, 4)(7, 7, 5),       // xor x7, x7, x5
		encI(3, 5, 1, 8, 0x13),   // slli x8, x5, 3
		opR(0x20, 0)(9, 8, 7),    // sub x9, x8, x7
		opR(1, 0)(10, 9, 6),      // mul x10, x9, x6
		encI(8, 2, 3, 11, 0x03),  // ld x11, 8(x2)
		encS(16, 10, 2, 3, 0x23), // sd x10, 16(x2)
		opR(0x10, 4)(12, 10, 11), // sh2add x12, x10, x11
	}, func(c *CPU) {
		c.X[2], c.X[6] = 0x8000, 12345
	})
}

func BenchmarkFPLoop(b *testing.B) {
	benchLoop(b, []uint32{
		opFP(0x01, RNE, 1, 1, 2),  // fadd.d f1, f1, f2
		opFP(0x09, RNE, 3, 1, 2),  // fmul.d f3, f1, f2
		opFP(0x0d, RNE, 4, 3, 5),  // fdiv.d f4, f3, f5
		opFP(0x00, DYN, 6, 6, 7),  // fadd.s f6, f6, f7
		opFP(0x08, RNE, 8, 6, 7),  // fmul.s f8, f6, f7
		opFP(0x51, 1, 9, 1, 3),    // flt.d x9, f1, f3
		opFP(0x2d, RNE, 10, 4, 0), // fsqrt.d f10, f4
	}, func(c *CPU) {
		c.F[1], c.F[2], c.F[5] = math.Float64bits(1.5), math.Float64bits(1.0000001), math.Float64bits(3.7)
		c.F[6], c.F[7] = box32(uint64(math.Float32bits(0.5))), box32(uint64(math.Float32bits(1.25)))
	})
}

func BenchmarkFMALoop(b *testing.B) {
	benchLoop(b, []uint32{
		3<<27 | 1<<25 | 2<<20 | 1<<15 | 4<<7 | 0x43, // fmadd.d f4, f1, f2, f3
		opFP(0x01, RNE, 3, 4, 5),                    // fadd.d f3, f4, f5
	}, func(c *CPU) {
		c.F[1], c.F[2], c.F[5] = math.Float64bits(0.999), math.Float64bits(1.001), math.Float64bits(-0.5)
	})
}

// BenchmarkEmulatedStore is the CPU's own part of a store the host refuses
// (see Emulate), on a test SlowMemory that copies through a second mapping
// (the memory manager's part is not measured): "fault" takes a host fault
// and Emulate at every store (stores rotate over three host pages, one
// more than the slow blocks remember), "block" is the steady state where
// the run loop emulates at once. Reported as ns per store.
func BenchmarkEmulatedStore(b *testing.B) {
	for _, tc := range []struct {
		name   string
		stride int32
	}{{"fault", 0x4000}, {"block", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			w := newSlowWindow(b)
			w.m.SlowBlock = 0x4000
			for p := uint64(0x20000); p < 0x2c000; p += 0x4000 {
				w.hostProtect(b, p, syscall.PROT_READ)
			}
			// x5 walks 0x20000, +stride, +2*stride; x10 counts down.
			prog := []uint32{
				encS(0, 10, 5, 3, 0x23), // sd x10, 0(x5)
				addi(5, 5, 0),           // x5 += stride (patched below)
				encS(0, 10, 5, 3, 0x23), // sd x10, 0(x5)
				addi(5, 5, 0),
				encS(0, 10, 5, 3, 0x23), // sd x10, 0(x5)
				addi(5, 5, 0),
				addi(10, 10, -1),
				encB(-28, 0, 10, 1), // bnez x10, start
			}
			// addi's 12-bit immediate cannot hold 0x4000: use x6.
			prog[1], prog[3] = opR(0, 0)(5, 5, 6), opR(0, 0)(5, 5, 6)
			prog[5] = opR(0x20, 0)(5, 5, 7) // x5 -= 2*stride
			c := w.load(prog...)
			c.X[5], c.X[6], c.X[7] = 0x20000, uint64(tc.stride), 2*uint64(tc.stride)
			c.X[10] = uint64(b.N+2) / 3
			b.ResetTimer()
			if _, e := runEmulating(b, c, w); e.Kind != ExitEbreak {
				b.Fatal(e)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(3*((b.N+2)/3)), "ns/store")
		})
	}
}
