#include "textflag.h"

// Atomic operations on guest memory, in assembly so that a host fault in
// them happens in Go-managed code (and becomes a panic under
// SetPanicOnFault) even in race-detector builds, whose sync/atomic runs
// the operation inside the C race runtime.

// func xadd32(p unsafe.Pointer, v uint32) uint32
TEXT ·xadd32(SB), NOSPLIT, $0-20
	MOVQ	p+0(FP), BX
	MOVL	v+8(FP), AX
	LOCK
	XADDL	AX, 0(BX)
	MOVL	AX, ret+16(FP)
	RET

// func xadd64(p unsafe.Pointer, v uint64) uint64
TEXT ·xadd64(SB), NOSPLIT, $0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	LOCK
	XADDQ	AX, 0(BX)
	MOVQ	AX, ret+16(FP)
	RET

// func xchg32(p unsafe.Pointer, v uint32) uint32
TEXT ·xchg32(SB), NOSPLIT, $0-20
	MOVQ	p+0(FP), BX
	MOVL	v+8(FP), AX
	XCHGL	AX, 0(BX)
	MOVL	AX, ret+16(FP)
	RET

// func xchg64(p unsafe.Pointer, v uint64) uint64
TEXT ·xchg64(SB), NOSPLIT, $0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	XCHGQ	AX, 0(BX)
	MOVQ	AX, ret+16(FP)
	RET

// func cas32(p unsafe.Pointer, old, new uint32) bool
TEXT ·cas32(SB), NOSPLIT, $0-17
	MOVQ	p+0(FP), BX
	MOVL	old+8(FP), AX
	MOVL	new+12(FP), CX
	LOCK
	CMPXCHGL	CX, 0(BX)
	SETEQ	ret+16(FP)
	RET

// func cas64(p unsafe.Pointer, old, new uint64) bool
TEXT ·cas64(SB), NOSPLIT, $0-25
	MOVQ	p+0(FP), BX
	MOVQ	old+8(FP), AX
	MOVQ	new+16(FP), CX
	LOCK
	CMPXCHGQ	CX, 0(BX)
	SETEQ	ret+24(FP)
	RET

// func load32(p unsafe.Pointer) uint32
TEXT ·load32(SB), NOSPLIT, $0-12
	MOVQ	p+0(FP), BX
	MOVL	0(BX), AX
	MOVL	AX, ret+8(FP)
	RET

// func load64(p unsafe.Pointer) uint64
TEXT ·load64(SB), NOSPLIT, $0-16
	MOVQ	p+0(FP), BX
	MOVQ	0(BX), AX
	MOVQ	AX, ret+8(FP)
	RET

// func fence()
TEXT ·fence(SB), NOSPLIT, $0-0
	MFENCE
	RET
