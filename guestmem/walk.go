package guestmem

import "golang.org/x/sys/unix"

// walkMapped visits the mapped parts of [start, end) in address order, as
// Linux's madvise walk does: holes are skipped but remembered, and the
// result is ENOMEM if there was one (and visit never failed). visit gets
// the mapping and the part of it inside the range; it may split mappings
// at the range's edges. The walk goes on from the end of each piece, so it
// survives splits and merges made by visit.
func (s *Space) walkMapped(start, end Addr, visit func(v *vma, r Range) unix.Errno) unix.Errno {
	var unmapped unix.Errno
	for start < end {
		v := s.vmas.lowerBound(start)
		if v == nil {
			return unix.ENOMEM
		}
		if start < v.start {
			unmapped = unix.ENOMEM
			start = v.start
			if start >= end {
				break
			}
		}
		r := Range{start, min(v.end, end)}
		if e := visit(v, r); e != 0 {
			return e
		}
		start = r.End
	}
	return unmapped
}

// isolate splits v so that r (inside v) is a mapping of its own, and
// returns it.
// Preconditions: s.mu is held for writing.
func (s *Space) isolate(v *vma, r Range) *vma {
	if v.start < r.Start {
		v = s.splitAt(v, r.Start)
	}
	if v.end > r.End {
		s.splitAt(v, r.End)
	}
	return v
}

// setFlagsLocked changes the flags of r (inside v) to set/clear, splitting
// as needed; no split happens when nothing changes.
func (s *Space) setFlagsLocked(v *vma, r Range, set, clear vmFlags) unix.Errno {
	nf := (v.flags &^ clear) | set
	if nf == v.flags {
		return 0
	}
	splits := 0
	if v.start < r.Start {
		splits++
	}
	if v.end > r.End {
		splits++
	}
	if splits > 0 && s.vmas.count+splits > s.maxMapCount {
		return unix.ENOMEM
	}
	v = s.isolate(v, r)
	v.flags = nf
	return 0
}
