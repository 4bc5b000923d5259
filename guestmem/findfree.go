package guestmem

// Free-range search. Both directions walk the gap-augmented tree of vma.go:
// a subtree whose largest gap is too small is skipped whole, so a search
// costs O(log n) whatever the number of mappings.
//
// With G < H the free space the search sees stops at the host pages that
// hold a shared mapping's pages: no other mapping can share such a host
// page (see mixed.go), so its free guest pages are no place for anything.

// usedStart returns where the space v takes starts: v.start, or with
// G < H the start of its first host page if v is shared.
func (t *vmaSet) usedStart(v *vma) Addr {
	if t.hostPage != 0 && v.shared {
		return Addr(alignDown(uint64(v.start), t.hostPage))
	}
	return v.start
}

// usedEnd returns where the space v takes ends: v.end, or with G < H the
// end of its last host page if v is shared.
func (t *vmaSet) usedEnd(v *vma) Addr {
	if t.hostPage != 0 && v.shared {
		return Addr(alignUp(uint64(v.end), t.hostPage))
	}
	return v.end
}

// gapBounds returns the free gap below v as the search sees it (vma.gapLo
// and vma.gap keep it): from the end of the space the previous mapping
// takes to the highest address usable below v (freeTop).
func (t *vmaSet) gapBounds(v *vma) (lo, top Addr) {
	if v.prev != nil {
		lo = t.usedEnd(v.prev)
	}
	return lo, t.freeTop(v)
}

// tailLo returns the lowest address of the gap above the last mapping.
func (t *vmaSet) tailLo() Addr {
	if t.last == nil {
		return 0
	}
	return t.usedEnd(t.last)
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
	return t.guardBelow(v, v.start)
}

// freeTop is gapTop for the search: with G < H, below the host pages of a
// shared v.
func (t *vmaSet) freeTop(v *vma) Addr {
	return t.guardBelow(v, t.usedStart(v))
}

// guardBelow returns hi, lowered by the guard gap if v grows down.
func (t *vmaSet) guardBelow(v *vma, hi Addr) Addr {
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
	if a, ok := fitDown(max(t.tailLo(), lo), min(top, hi), length, align); ok {
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
		if a, ok := fitDown(max(n.gapLo, lo), min(n.gapLo+Addr(n.gap), hi), length, align); ok {
			return a, true
		}
		// Gaps in the left subtree lie below n.gapLo.
		if n.gapLo <= lo {
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
	return fitUp(max(t.tailLo(), lo), min(top, hi), length, align)
}

func (t *vmaSet) findUpIn(n *vma, length, align uint64, lo, hi Addr) (Addr, bool) {
	for n != nil && n.maxGap >= length {
		if n.gapLo > lo && maxGap(n.left) >= length {
			if a, ok := t.findUpIn(n.left, length, align, lo, hi); ok {
				return a, true
			}
		}
		if a, ok := fitUp(max(n.gapLo, lo), min(n.gapLo+Addr(n.gap), hi), length, align); ok {
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
// guard gaps of its neighbours (Linux's test for honouring a hint), and
// with G < H lies outside the host pages of shared mappings.
func (t *vmaSet) rangeFree(a Addr, length uint64) bool {
	end := a + Addr(length)
	next := t.lowerBound(a)
	if next != nil {
		if next.start < end || end > t.freeTop(next) {
			return false
		}
	}
	if t.hostPage != 0 {
		prev := t.last
		if next != nil {
			prev = next.prev
		}
		if prev != nil && t.usedEnd(prev) > a {
			return false
		}
	}
	return true
}

func alignDown(x, a uint64) uint64 { return x &^ (a - 1) }

// alignUp rounds x up to a multiple of a; it wraps to a small value on
// overflow, which callers check for.
func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }

// Address choice for a mapping without a fixed address (mmap without
// MAP_FIXED, a moving mremap, shmat without an address). Linux's default
// layout: the hint if the range is free, else the highest free range below
// the mmap base, else the lowest free range above a third of the address
// space (legacyBase).
//
// With G < H the place also decides how the host can hold the mapping
// (see mixed.go): a shared page is held only by a direct host page, which
// needs the page's file offset congruent to its address modulo H and no
// other mapping's pages in the host page; a private file page seen through
// a direct host page sees later writes to the file, as on Linux, while one
// held in an anonymous copy does not. So the mappings that want direct
// host pages get them, and the rest are packed as on a G-page kernel:
//
//	mapping                                  place
//	---------------------------------------  --------------------------------------------
//	shared: file, anonymous, /dev/zero, shm  host pages of its own: the highest free
//	private file (not /dev/zero)             H-aligned run of span bytes, span = lead +
//	private anonymous or /dev/zero whose     length rounded up to H, found as any free
//	length is a multiple of H                range is; the address is run + lead
//	any other private anonymous              G-granular, as with G == H (small anonymous
//	                                         mappings stay packed: same-protection
//	                                         neighbours in one host page cost nothing)
//
// lead is the host file offset of the first page modulo H (0 for
// anonymous memory and shm); for a move, that of the first page moved,
// and the new length decides. Free ranges never include the host pages of
// shared mappings (the gaps of vma.go leave them out), which no other
// mapping can share. A hint is honoured when its range is free and, for a
// mapping that gets host pages of its own, when it is congruent to lead
// and its host pages hold no other mapping; otherwise the search decides.
// (An anonymous mapping of a multiple of the PMD size is PMD-aligned, so
// it has whole host pages anyway.) With G >= H none of this applies.

// placeReq is what the address choice needs to know of a mapping besides
// its length.
type placeReq struct {
	// hint is the caller's address (G-aligned), or 0.
	hint Addr
	// align is the alignment of the address: G, or SHMLBA for shm.
	align uint64
	// thp is set for an anonymous mmap without a hint: Linux places one
	// whose length is a multiple of the PMD size PMD-aligned.
	thp bool
	// own is set when, with G < H, the mapping gets whole host pages of
	// its own, its address congruent to lead modulo H.
	own  bool
	lead uint64
}

// hostPlace returns the own and lead of a placeReq (see above) for a
// mapping of length bytes, shared or not, of a file (privFile: a private
// mapping of a file other than /dev/zero) at host file offset hoff.
func (s *Space) hostPlace(shared, privFile bool, hoff, length uint64) (own bool, lead uint64) {
	if !s.small() {
		return false, 0
	}
	if shared || privFile {
		return true, hoff % s.hostPage
	}
	return length%s.hostPage == 0, 0
}

// mmapPlace describes an mmap without a fixed address of length bytes
// (G-aligned) at hint addr with the given flags, file and offset.
func (s *Space) mmapPlace(addr Addr, length uint64, flags int, fi *fileInfo, offset uint64) placeReq {
	anon := flags&MapAnonymous != 0
	p := placeReq{hint: addr, align: s.guestPage, thp: anon && addr == 0}
	var shared bool
	switch t := flags & MapTypeMask; {
	case t == MapShared, t == MapSharedValidate && !anon:
		shared = true
	case t == MapPrivate, t == mapDroppable && anon:
	default:
		return p // refused once placed
	}
	switch {
	case anon:
		p.own, p.lead = s.hostPlace(shared, false, 0, length)
	case fi.isDevZero():
		// Shared /dev/zero is shared anonymous memory, mapped by the
		// host at an offset congruent to the guest's (see zeroBias);
		// private is anonymous memory.
		p.own, p.lead = s.hostPlace(shared, false, offset, length)
	default:
		p.own, p.lead = s.hostPlace(shared, !shared, offset, length)
	}
	return p
}

// movePlace describes the target of a move of [addr, addr+length) of v,
// with hint (or 0).
func (s *Space) movePlace(v *vma, addr Addr, length uint64, hint Addr) placeReq {
	p := placeReq{hint: hint, align: s.guestPage}
	privFile := v.file != nil && !v.shared && !v.file.devZero
	hoff := uint64(0)
	if v.file != nil && (v.shared || privFile) {
		hoff = v.off - v.file.offBias + uint64(addr-v.start)
	}
	p.own, p.lead = s.hostPlace(v.shared, privFile, hoff, length)
	return p
}

// placeLocked chooses the address of a mapping of length bytes (see
// above).
// Preconditions: s.mu is held; length is G-aligned and not 0.
func (s *Space) placeLocked(length uint64, p placeReq) (Addr, bool) {
	top := s.stackTop
	if h := p.hint; h != 0 && uint64(top)-length >= uint64(h) && h >= s.minAddr && s.vmas.rangeFree(h, length) {
		if !p.own {
			return h, true
		}
		lo := alignDown(uint64(h), s.hostPage)
		if lo+p.lead == uint64(h) && s.vmas.rangeFree(Addr(lo), alignUp(uint64(h)+length, s.hostPage)-lo) {
			return h, true
		}
	}
	if p.thp && length%s.pmdSize() == 0 {
		// Linux 6.8+: anonymous mappings of a multiple of the PMD size
		// are placed PMD-aligned (padding the search by one PMD).
		pmd := s.pmdSize()
		if a, ok := s.findLocked(length+pmd, s.guestPage); ok {
			sub := (-uint64(a)) & (pmd - 1)
			if sub == 0 {
				return a + Addr(pmd), true
			}
			return a + Addr(sub), true
		}
	}
	if p.own {
		span := alignUp(p.lead+length, s.hostPage)
		if span < length {
			return 0, false
		}
		a, ok := s.findLocked(span, s.hostPage)
		return a + Addr(p.lead), ok
	}
	return s.findLocked(length, p.align)
}

// findLocked is Linux's vm_unmapped_area with the top-down policy and its
// bottom-up fallback.
func (s *Space) findLocked(length, align uint64) (Addr, bool) {
	if a, ok := s.vmas.findDown(length, align, s.minAddr, s.mmapBase, s.stackTop); ok {
		return a, true
	}
	return s.vmas.findUp(length, align, s.legacyBase, s.stackTop, s.stackTop)
}
