package riscv

import "unsafe"

// Host atomics on guest memory (hostatomic_amd64.s). All are sequentially
// consistent (LOCK-prefixed or XCHG); loads are plain MOVs, which x86
// orders as acquire loads.

//go:noescape
func xadd32(p unsafe.Pointer, v uint32) uint32

//go:noescape
func xadd64(p unsafe.Pointer, v uint64) uint64

//go:noescape
func xchg32(p unsafe.Pointer, v uint32) uint32

//go:noescape
func xchg64(p unsafe.Pointer, v uint64) uint64

//go:noescape
func cas32(p unsafe.Pointer, old, new uint32) bool

//go:noescape
func cas64(p unsafe.Pointer, old, new uint64) bool

//go:noescape
func load32(p unsafe.Pointer) uint32

//go:noescape
func load64(p unsafe.Pointer) uint64

func fence()
