// Package riscv is gemu's CPU: a decoder and an interpreter for user-level
// RV64GC (RV64IMAFDC, Zicsr, Zifencei) plus the Zba, Zbb and Zbs
// bit-manipulation extensions of the RVA22 profile. It knows nothing of
// Linux: ecall, ebreak, illegal instructions and faults make Run return,
// and the caller (package linux) decides what they mean.
//
// # Pieces
//
//   - decode.go: Decode turns an instruction word into an Inst (operation,
//     registers, immediate, rounding mode, length). It is pure and
//     position independent, so a cache of decoded blocks or a JIT can
//     reuse it. Compressed instructions decode to the base instruction
//     they expand to. Reserved encodings decode to ILLEGAL.
//   - exec.go, exec_fp.go, csr.go: the interpreter, one switch over Op.
//   - fpu.go: IEEE 754 arithmetic with all five rounding modes and exact
//     fflags, on raw bits (see the comment there for the method).
//   - cpu.go: the State, the CPU, the Memory it runs on, Run and fetch.
//   - emulate.go: Emulate, which completes in software an access the host
//     MMU refused but the guest may make; codecopy.go: the copies of code
//     the host cannot read.
//   - hostatomic_amd64.s (and hostatomic_other.go elsewhere): the host
//     atomic operations on guest memory.
//
// # Memory
//
// Guest memory is one contiguous host window (Memory): guest address a is
// host address Base+a, for a < Size. A load or store checks a+n <= Size
// and then accesses the host directly; it takes no lock. Addresses outside
// the window fault without touching the host. Inside the window the host
// MMU enforces the guest's protections: a host fault arrives as a Go panic
// (runtime/debug.SetPanicOnFault, set once per Run call) that Run recovers
// and turns into ExitLoadFault, ExitStoreFault or ExitFetchFault with the
// guest address, the PC of the faulting instruction and Host=true.
//
// Host READ does not imply guest EXEC (the memory manager maps guest EXEC
// as host READ), so fetches also ask Memory.CanExec, caching the answer as
// one executable range. The memory manager calls CPU.Invalidate when
// mappings change; the cache is dropped before the next fetch.
//
// The host's protection may also be stricter than the guest's: an
// execute-only guest page is PROT_NONE on the host, and a host page shared
// by guest pages of different protections (guest pages smaller than host
// pages) has the most restrictive of them. A host fault is then not always
// a guest fault; the caller asks its memory manager, and if the guest may
// make the access, CPU.Emulate completes the instruction through
// Memory.Slow (loads, stores, FP loads and stores, LR, SC, AMOs;
// misaligned accesses across two pages included) by running it through
// the same executor with its memory access redirected (emulate.go). After
// that the CPU sends the accesses of that kind to the same host page (the
// last two such pages) straight to the slow path, without a host fault,
// until Invalidate. Code the host cannot read is copied through
// Memory.Slow a 4 KiB chunk at a time and fetched from the copy until
// Invalidate reports a change there (codecopy.go); a memory manager that
// writes guest memory behind the host MMU (slow stores) reports those
// writes with CPU.CodeWritten.
//
// Every instruction fetch reads guest memory; decoded instructions are
// cached by PC (CPU.icache) but an entry is used only if the word just
// fetched is the one it was decoded from. Modified code therefore runs as
// soon as it is written and FENCE.I has nothing to flush. (A future cache
// of decoded blocks or a JIT, which would skip the fetch, will hook
// Invalidate and FENCE.I.)
//
// # Run loop and exits
//
//	c := riscv.NewCPU()
//	c.PC, c.X[2] = entry, sp
//	for {
//		e := c.Run(&mem, 0)
//		switch e.Kind {
//		case riscv.ExitEcall:
//			... syscall number in c.X[17], arguments in c.X[10..15] ...
//			c.X[10] = result
//			c.PC += 4
//		case riscv.ExitInterrupted: ... deliver a signal ...
//		default: ... SIGSEGV, SIGBUS, SIGILL, SIGTRAP ...
//		}
//	}
//
// On every exit except ExitStepLimit and ExitInterrupted, Exit.PC is the
// PC of the instruction concerned and the State is the architectural state
// before it: the instruction has had no effect. Exit.Inst and Exit.Len
// give its bits (for SIGILL's si_addr and for ebreak's length).
//
// Exit kinds: ExitEcall, ExitEbreak, ExitIllegal (unknown or reserved
// encoding, reserved rounding mode, unknown CSR, write to a read-only
// CSR), ExitFetchFault, ExitLoadFault, ExitStoreFault (stores, SC and
// AMOs), ExitMisaligned (LR/SC/AMO not naturally aligned, or an odd PC),
// ExitStepLimit and ExitInterrupted (after CPU.Interrupt, from any
// goroutine, for signals and thread exit). Ordinary loads and stores may
// be misaligned, as Linux allows.
//
// # State
//
// State (embedded in CPU) is plain data: X, F, PC, FCSR and the LR/SC
// reservation. The Linux layer copies it to build a signal frame or a new
// thread, and assigns it back on sigreturn. It should clear Res.Valid when
// it delivers a signal or switches context, as a trap does on hardware,
// so that an interrupted LR/SC sequence fails its SC. FP single values are
// NaN-boxed in F as the spec requires. CPU.Instret counts retired
// instructions (an ecall that exits has not retired); cycle and instret
// read it, time reads CPU.Time (default: a 10 MHz clock).
//
// # Atomics
//
// AMOs are host atomic instructions on the host address (LOCK XADD,
// XCHG, CMPXCHG loops on amd64; sync/atomic elsewhere), so they are atomic
// between guest threads running on different host threads. On amd64 they
// are written in assembly: in race-detector builds sync/atomic runs the
// operation inside the C race runtime, where a host fault cannot be
// recovered. LR records the address
// and the value it loaded; SC is a compare-and-swap from that value
// (QEMU's method). An intervening store of the same value by another hart
// (ABA) is not detected; RISC-V software relies on LR/SC only as a
// compare-and-swap, and the spec allows SC to succeed in that case only if
// no store intervened, which the emulation approximates. FENCE (any
// pred/succ, FENCE.TSO, PAUSE) is a full host barrier (MFENCE on amd64).
//
// # Tests
//
//   - decode_test.go: Decode agrees with golang.org/x/arch/riscv64/riscv64asm
//     on all 16-bit words and on 10^7 seeded random 32-bit words
//     (-decode.words), apart from the documented exceptions (compressed
//     HINTs, c.unimp, reserved rounding modes, extensions gemu lacks).
//   - exec_test.go, system_test.go, fp_test.go: tables of expected results
//     worked out from the spec, for every instruction and its edge cases.
//   - fp_oracle_test.go, fp_rat_test.go: FP results and flags against
//     math/big: big.Float rounding in the normal range, and an independent
//     rounding of exact big.Rat results over the whole range (subnormals,
//     overflow, cancellation).
//   - concurrency_test.go: AMO, LR/SC and lock-protected counters shared by
//     several CPUs on several goroutines (run it with -race).
//   - qemu_diff_test.go: random programs built with riscv64-linux-gnu-gcc
//     and run under qemu-riscv64 and this CPU; register files, fcsr and
//     memory must match (TestQemuBisect narrows down a difference).
//   - emulate_test.go: every load, store and atomic executed directly and
//     emulated (misaligned across pages, either side emulated) must give
//     the same state and memory; faults of the slow path, code copies,
//     slow blocks, atomics from several CPUs on an emulated page.
//   - bench_test.go: guest MIPS of integer, FP and FMA loops; the CPU's
//     own cost of an emulated store.
//
// # Concurrency
//
// A CPU belongs to one goroutine; only Invalidate, CodeWritten and
// Interrupt may be called from others. Many CPUs may share one Memory; CanExec must then be
// safe for concurrent use.
package riscv
