//go:build !amd64

package riscv

import (
	"sync/atomic"
	"unsafe"
)

// Host atomics on guest memory through sync/atomic. (In race-detector
// builds a fault inside these cannot be recovered: the race runtime runs
// them in C. amd64 uses assembly instead.)

func xadd32(p unsafe.Pointer, v uint32) uint32 { return atomic.AddUint32((*uint32)(p), v) - v }
func xadd64(p unsafe.Pointer, v uint64) uint64 { return atomic.AddUint64((*uint64)(p), v) - v }
func xchg32(p unsafe.Pointer, v uint32) uint32 { return atomic.SwapUint32((*uint32)(p), v) }
func xchg64(p unsafe.Pointer, v uint64) uint64 { return atomic.SwapUint64((*uint64)(p), v) }
func cas32(p unsafe.Pointer, old, new uint32) bool {
	return atomic.CompareAndSwapUint32((*uint32)(p), old, new)
}
func cas64(p unsafe.Pointer, old, new uint64) bool {
	return atomic.CompareAndSwapUint64((*uint64)(p), old, new)
}
func load32(p unsafe.Pointer) uint32 { return atomic.LoadUint32((*uint32)(p)) }
func load64(p unsafe.Pointer) uint64 { return atomic.LoadUint64((*uint64)(p)) }

var fenceWord atomic.Uint32

func fence() { fenceWord.Add(1) }
