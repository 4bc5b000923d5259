package guestmem

// Bookkeeping edits shared by the operations: split, carve, merge.

// splitAt splits v at a (v.start < a < v.end) and returns the upper part,
// which is inserted after v.
// Preconditions: s.mu is held for writing.
func (s *Space) splitAt(v *vma, a Addr) *vma {
	u := &vma{
		start:   a,
		end:     v.end,
		prot:    v.prot,
		maxProt: v.maxProt,
		shared:  v.shared,
		flags:   v.flags,
		file:    v.file,
		name:    v.name,
		eofFill: v.eofFill.Intersect(Range{a, v.end}),
	}
	if v.file != nil {
		u.off = v.off + uint64(a-v.start)
	}
	refBacking(v.file)
	v.eofFill = v.eofFill.Intersect(Range{v.start, a})
	s.vmas.setEnd(v, a)
	s.vmas.insert(u)
	return u
}

// splitsNeeded counts the new mappings that cutting r out of the set would
// create (a cut strictly inside one mapping makes one more).
func (s *Space) splitsNeeded(r Range) int {
	v := s.vmas.find(r.Start)
	if v != nil && v.start < r.Start && v.end > r.End {
		return 1
	}
	return 0
}

// carveLocked removes r from the bookkeeping: mappings inside r go,
// mappings straddling its ends are trimmed. The host is not touched.
// Preconditions: s.mu is held for writing; r is G-aligned.
func (s *Space) carveLocked(r Range) {
	v := s.vmas.lowerBound(r.Start)
	for v != nil && v.start < r.End {
		if v.start < r.Start {
			if v.end > r.End {
				// r is inside v: split off the part above r first.
				s.splitAt(v, r.End)
			}
			s.trimEnd(v, r.Start)
			v = v.next
			continue
		}
		if v.end > r.End {
			s.trimStart(v, r.End)
			return
		}
		next := v.next
		s.vmas.remove(v)
		s.unrefBacking(v.file)
		v = next
	}
}

// trimEnd shortens v to end at e.
func (s *Space) trimEnd(v *vma, e Addr) {
	v.eofFill = v.eofFill.Intersect(Range{v.start, e})
	s.vmas.setEnd(v, e)
}

// trimStart shortens v to start at a.
func (s *Space) trimStart(v *vma, a Addr) {
	if v.file != nil {
		v.off += uint64(a - v.start)
	}
	v.eofFill = v.eofFill.Intersect(Range{a, v.end})
	s.vmas.setStart(v, a)
}

// mergeAround merges v with its neighbours where nothing observable
// distinguishes them, and returns the mapping that now holds v's range.
// Preconditions: s.mu is held for writing.
func (s *Space) mergeAround(v *vma) *vma {
	if n := v.next; n != nil && canMerge(v, n) {
		v.flags &^= vmPristine &^ n.flags
		end := n.end
		s.vmas.remove(n)
		s.unrefBacking(n.file)
		s.vmas.setEnd(v, end)
	}
	if p := v.prev; p != nil && canMerge(p, v) {
		p.flags &^= vmPristine &^ v.flags
		end := v.end
		s.vmas.remove(v)
		s.unrefBacking(v.file)
		s.vmas.setEnd(p, end)
		v = p
	}
	return v
}

// mergeRange merges mappings across the boundaries inside and at the edges
// of r, after an operation changed attributes there.
func (s *Space) mergeRange(r Range) {
	v := s.vmas.lowerBound(r.Start)
	if v != nil && v.prev != nil {
		v = v.prev
	}
	for v != nil && v.start <= r.End {
		v = s.mergeAround(v)
		v = v.next
	}
}
