package guestmem

// Free-range search. Both directions walk the gap-augmented tree of vma.go:
// a subtree whose largest gap is too small is skipped whole, so a search
// costs O(log n) whatever the number of mappings.

// gapLo returns the lowest address of the gap below v.
func gapLo(v *vma) Addr {
	if v.prev == nil {
		return 0
	}
	return v.prev.end
}

// fitDown returns the highest align-aligned a with [a, a+length) inside
// [lo, hi), if any.
func fitDown(lo, hi Addr, length, align uint64) (Addr, bool) {
	if hi <= lo || uint64(hi-lo) < length {
		return 0, false
	}
	a := Addr(alignDown(uint64(hi)-length, align))
	if a < lo {
		return 0, false
	}
	return a, true
}

// fitUp returns the lowest align-aligned a with [a, a+length) inside
// [lo, hi), if any.
func fitUp(lo, hi Addr, length, align uint64) (Addr, bool) {
	a := alignUp(uint64(lo), align)
	if a < uint64(lo) || a > uint64(hi) || uint64(hi)-a < length {
		return 0, false
	}
	return Addr(a), true
}

// gapTop is the highest address usable in the gap below v (the guard gap
// under a grows-down mapping excluded).
func (t *vmaSet) gapTop(v *vma) Addr {
	hi := v.start
	if v.flags&vmGrowsDown != 0 {
		if uint64(hi) < t.guard {
			return 0
		}
		hi -= Addr(t.guard)
	}
	return hi
}

// findDown returns the highest free, align-aligned range of length bytes
// within [lo, hi), where top is the end of the address space.
func (t *vmaSet) findDown(length, align uint64, lo, hi, top Addr) (Addr, bool) {
	// The gap above the last mapping is not stored in any node.
	tailLo := Addr(0)
	if t.last != nil {
		tailLo = t.last.end
	}
	if a, ok := fitDown(max(tailLo, lo), min(top, hi), length, align); ok {
		return a, true
	}
	return t.findDownIn(t.root, length, align, lo, hi)
}

func (t *vmaSet) findDownIn(n *vma, length, align uint64, lo, hi Addr) (Addr, bool) {
	for n != nil && n.maxGap >= length {
		// Gaps in the right subtree lie above n.end.
		if n.end < hi && maxGap(n.right) >= length {
			if a, ok := t.findDownIn(n.right, length, align, lo, hi); ok {
				return a, true
			}
		}
		if a, ok := fitDown(max(gapLo(n), lo), min(t.gapTop(n), hi), length, align); ok {
			return a, true
		}
		// Gaps in the left subtree lie below gapLo(n).
		if gapLo(n) <= lo {
			return 0, false
		}
		n = n.left
	}
	return 0, false
}

// findUp returns the lowest free, align-aligned range of length bytes
// within [lo, hi), where top is the end of the address space.
func (t *vmaSet) findUp(length, align uint64, lo, hi, top Addr) (Addr, bool) {
	if a, ok := t.findUpIn(t.root, length, align, lo, hi); ok {
		return a, true
	}
	tailLo := Addr(0)
	if t.last != nil {
		tailLo = t.last.end
	}
	return fitUp(max(tailLo, lo), min(top, hi), length, align)
}

func (t *vmaSet) findUpIn(n *vma, length, align uint64, lo, hi Addr) (Addr, bool) {
	for n != nil && n.maxGap >= length {
		if gapLo(n) > lo && maxGap(n.left) >= length {
			if a, ok := t.findUpIn(n.left, length, align, lo, hi); ok {
				return a, true
			}
		}
		if a, ok := fitUp(max(gapLo(n), lo), min(t.gapTop(n), hi), length, align); ok {
			return a, true
		}
		if n.end >= hi {
			return 0, false
		}
		n = n.right
	}
	return 0, false
}

// rangeFree reports whether [a, a+length) touches no mapping and keeps the
// guard gaps of its neighbours (Linux's test for honouring a hint).
func (t *vmaSet) rangeFree(a Addr, length uint64) bool {
	end := a + Addr(length)
	next := t.lowerBound(a)
	if next != nil {
		if next.start < end || end > t.gapTop(next) {
			return false
		}
	}
	return true
}

func alignDown(x, a uint64) uint64 { return x &^ (a - 1) }

// alignUp rounds x up to a multiple of a; it wraps to a small value on
// overflow, which callers check for.
func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }
