package guestmem

// Guest pages and host pages. With G == H every guest page is one host
// page. With G > H a guest page is several host pages, and the one case
// that needs care is a file mapping whose last guest page runs past end of
// file: Linux with G-byte pages reads zeros up to the end of that guest page
// and raises SIGBUS only on guest pages wholly past end of file, while the
// host would raise SIGBUS on every host page past end of file. So the host
// pages past end of file inside that last guest page are mapped with
// anonymous zero memory (v.eofFill). The size of the file is taken when the
// mapping is made; a later truncate or extension does not move the fill.

// fillPastEOFLocked maps anonymous memory over the host pages of v that lie
// past end of file but inside the guest page holding end of file.
// Preconditions: s.mu is held for writing; v's host mapping is in place.
func (s *Space) fillPastEOFLocked(v *vma, fileSize uint64) {
	if s.guestPage <= s.hostPage {
		return
	}
	hostEOF := alignUp(fileSize, s.hostPage)
	guestEOF := alignUp(fileSize, s.guestPage)
	if hostEOF >= guestEOF {
		return
	}
	// File offsets [hostEOF, guestEOF) inside the mapping.
	lo := max(hostEOF, v.off)
	hi := min(guestEOF, v.off+uint64(v.end-v.start))
	if lo >= hi {
		return
	}
	fill := Range{v.start + Addr(lo-v.off), v.start + Addr(hi-v.off)}
	if e := s.hostMapAnon(fill, hostProt(v.prot), 0); e != 0 {
		s.debugf("guestmem: mapping zeros past end of file at %v: %v", fill, e)
		return
	}
	v.eofFill = fill
}
