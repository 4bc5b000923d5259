package guestmem

import "unsafe"

// uintptrOf returns the address of b's first byte (b must be non-empty and
// kept alive by the caller across the system call that uses it).
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// hostPointer turns a host address in the window into a pointer. The window
// is memory the Go runtime does not manage and never moves, so holding it
// as a pointer is safe; the conversion goes through memory to say so.
func hostPointer(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// hostBytes returns the host memory [p, p+n) as a slice.
func hostBytes(p uintptr, n uint64) []byte {
	return unsafe.Slice((*byte)(hostPointer(p)), n)
}
