package guestmem

import (
	"bytes"
	"encoding/binary"
	"slices"

	"golang.org/x/sys/unix"
)

// Guest pages smaller than host pages (G < H). A host page then holds H/G
// guest pages, which may belong to different mappings, with different
// protections, files and offsets, or be unmapped. The mapping set stays
// exact per guest page; the host page is one of three kinds, derived from
// the guest pages in it (planLocked):
//
//	kind         when                                        host mapping
//	-----------  ------------------------------------------  ------------------------------
//	reservation  no guest page mapped                        the window's PROT_NONE reservation
//	direct       every mapped guest page comes from one      the file (or memory file, or shm
//	             file at one file offset for the host page,  segment) at that offset, private
//	             H-aligned, all shared or all private        or shared as the pages are
//	anonymous    everything else (all private)               private anonymous memory holding
//	                                                         the contents; private file pages
//	                                                         are read into it
//
// A shared page can only be direct: its stores must reach the file. So a
// mapping that would put a shared guest page in a host page that cannot be
// direct (a file offset not congruent to the address modulo H, or a host
// page shared with another mapping's pages) is refused with EINVAL, as no
// host mapping can hold it (s.refused counts these). A read-only shared
// mapping is refused too: a copy would not see later writes to the file.
//
// The host protection of a host page is the most restrictive of its guest
// pages' (an unmapped guest page, and in an anonymous copy a file page
// wholly past end of file, count as PROT_NONE). So the host MMU still
// catches every access the guest may not make; an access the guest may
// make but the host page forbids faults too, and HandleFault answers
// Emulate: the CPU makes it with LoadSlow, StoreSlow or FetchSlow. A host
// page of private memory moves on its first such access into a slot of a
// memory file of the Space's own, mapped a second time outside the window
// (slots.go): its slow accesses are then plain copies through that alias.
// Other private pages (a private file mapped directly) go through
// /proc/self/mem; stores to shared pages write the backing file at the
// page's offset (the host refuses forced writes to shared mappings), or an
// alias of the shm segment outside the window. Only mixed host pages cost
// anything: a host page wholly inside one mapping has that mapping's own
// protection.
//
// Operations make host calls for the host pages wholly inside their ranges
// as with G >= H (host_linux.go clips them), and note the host pages at the
// edges, with what the call meant for each guest page there (keep its
// contents, fresh contents, or given bytes: srcKeep, srcFresh, srcData).
// When the operation is done, settleLocked rebuilds each noted host page
// from the mapping set: it saves the contents of the guest pages that keep
// them (through /proc/self/mem, so protections do not matter), maps a new
// host page of the right kind, writes them back, fills fresh pages (zeros
// need nothing; private file pages are read from the file), and sets the
// host protection and lock. A host page whose kind did not change and whose
// pages all keep their contents only gets its protection and lock set.

// pageSrc says where a guest page's contents come from when its host page
// is rebuilt.
type pageSrc uint8

const (
	// srcKeep: the page keeps what it holds (or is unmapped).
	srcKeep pageSrc = iota
	// srcFresh: the page is new: zeros for anonymous memory, the file's
	// contents for a private file page; a shared page's live in its file.
	srcFresh
	// srcData: the page receives dirtyPage.data (an mremap move).
	srcData
)

// dirtyPage is a host page noted for rebuilding.
type dirtyPage struct {
	// old is the host page's kind before the operation changed anything.
	old hostPlan
	// src and data describe the guest pages whose contents change.
	src  map[Addr]pageSrc
	data map[Addr][]byte
	// populate holds the guest pages to fault in once rebuilt
	// (MAP_POPULATE, MADV_POPULATE_*, mlock), true for a write fault.
	populate map[Addr]bool
}

// hostPlan is what a host page must be, derived from the mapping set.
type hostPlan struct {
	// mapped is true when at least one guest page in it is mapped.
	mapped bool
	// file is the backing mapped directly (nil: anonymous memory) at file
	// offset base (the host's offset, offBias applied).
	file *backing
	base uint64
	// shared is true for a shared direct mapping.
	shared bool
	// prot is the host protection.
	prot int
	// locked is true when a guest page in it is locked; onFault when
	// every such lock is on fault only.
	locked, onFault bool
	// conflict is true when no host mapping can hold the guest pages
	// (shared pages that cannot be direct): the operations that would
	// make one are refused.
	conflict bool
}

// small reports whether guest pages are smaller than host pages.
func (s *Space) small() bool { return s.guestPage < s.hostPage }

// interior returns the host pages wholly inside r (possibly empty).
func (s *Space) interior(r Range) Range {
	lo := Addr(alignUp(uint64(r.Start), s.hostPage))
	hi := Addr(alignDown(uint64(r.End), s.hostPage))
	if lo >= hi {
		return Range{}
	}
	return Range{lo, hi}
}

// hostSpan returns r widened to whole host pages.
func (s *Space) hostSpan(r Range) Range {
	return Range{Addr(alignDown(uint64(r.Start), s.hostPage)), Addr(alignUp(uint64(r.End), s.hostPage))}
}

// edgePages returns the host pages that r covers only in part (at most two).
func (s *Space) edgePages(r Range) []Addr {
	if r.empty() {
		return nil
	}
	h := Addr(s.hostPage)
	var out []Addr
	first := Addr(alignDown(uint64(r.Start), s.hostPage))
	if first < r.Start || first+h > r.End {
		out = append(out, first)
	}
	last := Addr(alignDown(uint64(r.End-1), s.hostPage))
	if last != first && last+h > r.End {
		out = append(out, last)
	}
	return out
}

// dirtyLocked returns the dirty record of host page hp, making it (with
// the host page's current kind) on first use.
func (s *Space) dirtyLocked(hp Addr) *dirtyPage {
	if d, ok := s.dirty[hp]; ok {
		return d
	}
	for _, w := range s.whole {
		if w.Contains(hp) {
			// Already right: notes about it go nowhere.
			return &dirtyPage{src: map[Addr]pageSrc{}, data: map[Addr][]byte{}, populate: map[Addr]bool{}}
		}
	}
	if s.dirty == nil {
		s.dirty = make(map[Addr]*dirtyPage)
	}
	d := &dirtyPage{old: s.planLocked(hp), src: map[Addr]pageSrc{}, data: map[Addr][]byte{}, populate: map[Addr]bool{}}
	s.dirty[hp] = d
	return d
}

// noteEdgesLocked notes the host pages r covers in part, with src for the
// guest pages of r in them. srcKeep never overrides what an earlier call of
// the same operation said.
// Preconditions: s.mu is held for writing; nothing has changed yet in the
// bookkeeping of those host pages in this operation.
func (s *Space) noteEdgesLocked(r Range, src pageSrc) {
	s.noteEdgesFuncLocked(r, func(Addr) pageSrc { return src })
}

func (s *Space) noteEdgesFuncLocked(r Range, src func(g Addr) pageSrc) {
	g := Addr(s.guestPage)
	for _, hp := range s.edgePages(r) {
		d := s.dirtyLocked(hp)
		piece := r.Intersect(Range{hp, hp + Addr(s.hostPage)})
		for p := piece.Start; p < piece.End; p += g {
			if k := src(p); k != srcKeep {
				d.src[p] = k
				delete(d.data, p)
			}
		}
	}
}

// notePopulateLocked notes that the guest pages of r in host pages r
// covers in part are to be faulted in, with a write fault where write is
// set and the page is private and writable (as MAP_POPULATE, mlock and
// MADV_POPULATE_WRITE do: a private file page is then copied). It returns
// EFAULT if one of them lies wholly past end of file, as populating it
// would.
func (s *Space) notePopulateLocked(r Range, write bool) unix.Errno {
	var err unix.Errno
	for _, hp := range s.edgePages(r) {
		d := s.dirtyLocked(hp)
		piece := r.Intersect(Range{hp, hp + Addr(s.hostPage)})
		for p := piece.Start; p < piece.End; p += Addr(s.guestPage) {
			d.populate[p] = d.populate[p] || write
			if v := s.vmas.find(p); v != nil && v.file != nil && s.pastEOF(v, p) {
				err = unix.EFAULT
			}
		}
	}
	return err
}

// noteDataLocked notes that guest page p receives data.
func (s *Space) noteDataLocked(p Addr, data []byte) {
	d := s.dirtyLocked(Addr(alignDown(uint64(p), s.hostPage)))
	d.src[p] = srcData
	d.data[p] = data
}

// sameFile reports whether a and b are the same file for a host mapping.
func sameFile(a, b *backing) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.anonShared || b.anonShared || a.isShm || b.isShm {
		return false
	}
	return a.dev == b.dev && a.ino == b.ino && a.offBias == b.offBias
}

// directBase returns the host file offset at which host page hp would map
// v's file so that v's guest pages in hp show the right offsets, if the
// host can map it there (an H-aligned offset, not below 0).
func (s *Space) directBase(v *vma, hp Addr) (uint64, bool) {
	if v.file == nil || (v.file.devZero && !v.shared) {
		return 0, false
	}
	off := v.off - v.file.offBias
	if v.start > hp {
		d := uint64(v.start - hp)
		if off < d {
			return 0, false
		}
		off -= d
	} else {
		off += uint64(hp - v.start)
	}
	return off, off%s.hostPage == 0
}

// isCopy reports whether v is a private file mapping whose host pages are
// anonymous copies (its offsets are not congruent to its addresses).
func (s *Space) isCopy(v *vma) bool {
	return s.small() && v.file != nil && !v.shared && !v.file.devZero &&
		(uint64(v.start)-v.off)%s.hostPage != 0
}

// eofStart returns the first guest page of file mapping v wholly past end
// of file (v.end if none).
func (s *Space) eofStart(v *vma) Addr {
	var st unix.Stat_t
	if unix.Fstat(v.file.fd, &st) != nil {
		return v.start
	}
	size := alignUp(uint64(st.Size), s.guestPage)
	if size <= v.off {
		return v.start
	}
	if size-v.off >= uint64(v.end-v.start) {
		return v.end
	}
	return v.start + Addr(size-v.off)
}

// planLocked derives what host page hp must be from the mapping set.
func (s *Space) planLocked(hp Addr) hostPlan {
	var p hostPlan
	end := hp + Addr(s.hostPage)
	prot := unix.PROT_READ | unix.PROT_WRITE
	var mapped uint64
	direct, first := true, true
	anyShared, anyPrivate, pastEOF := false, false, false
	p.onFault = true
	for v := s.vmas.lowerBound(hp); v != nil && v.start < end; v = v.next {
		piece := v.rng().Intersect(Range{hp, end})
		p.mapped = true
		mapped += piece.Len()
		prot &= hostProt(v.prot)
		if v.flags&vmLocked != 0 {
			p.locked = true
			if v.flags&vmLockOnFault == 0 {
				p.onFault = false
			}
		}
		if v.shared {
			anyShared = true
		} else {
			anyPrivate = true
		}
		base, ok := s.directBase(v, hp)
		switch {
		case !ok:
			direct = false
		case first:
			p.file, p.base = v.file, base
		case !sameFile(v.file, p.file) || base != p.base:
			direct = false
		}
		first = false
		if v.file != nil && !v.shared && !v.file.devZero && s.eofStart(v) < piece.End {
			pastEOF = true
		}
	}
	if !p.mapped {
		return hostPlan{}
	}
	for g := hp; g < end; g += Addr(s.guestPage) {
		if _, ok := s.codePages[g]; ok {
			prot &^= unix.PROT_WRITE
		}
	}
	if mapped < s.hostPage {
		prot = unix.PROT_NONE
	}
	if anyShared && (anyPrivate || !direct) {
		p.conflict = true
	}
	p.shared = anyShared && !p.conflict
	if !direct || p.conflict {
		p.file, p.base = nil, 0
		if pastEOF {
			prot = unix.PROT_NONE
		}
	}
	if !p.locked {
		p.onFault = false
	}
	p.prot = prot
	return p
}

// settleLocked rebuilds the host pages the operation noted.
// Preconditions: s.mu is held for writing.
func (s *Space) settleLocked() {
	pages := make([]Addr, 0, len(s.dirty))
	for hp := range s.dirty {
		pages = append(pages, hp)
	}
	slices.Sort(pages)
	for _, hp := range pages {
		s.rebuildLocked(hp, s.dirty[hp])
	}
	s.dirty = nil
}

// rebuildLocked makes host page hp what the mapping set says, keeping the
// contents d says to keep.
func (s *Space) rebuildLocked(hp Addr, d *dirtyPage) {
	r := Range{hp, hp + Addr(s.hostPage)}
	np := s.planLocked(hp)
	if !np.mapped {
		if d.old.mapped {
			if e := s.rawReserve(r); e != 0 {
				s.debugf("guestmem: returning host page %v to the reservation: %v", r, e)
			}
		}
		return
	}
	if np.conflict {
		// Refused before it could happen; the guest pages keep
		// whatever host page they have.
		s.debugf("guestmem: host page %v holds pages no host mapping can: left as it was", r)
		return
	}
	if np.shared {
		same := d.old.mapped && d.old.shared && d.old.file == np.file && d.old.base == np.base
		if !same {
			if np.file.isShm {
				s.debugf("guestmem: host page %v: a shm segment cannot be mapped again here", r)
			} else if e := s.rawMmap(r, np.prot, unix.MAP_SHARED, np.file.fd, np.base); e != 0 {
				s.debugf("guestmem: mapping host page %v: %v", r, e)
				return
			}
		}
		s.finishHostPage(r, np)
		s.populateLocked(d)
		return
	}
	fresh := false
	for _, k := range d.src {
		if k == srcFresh {
			fresh = true
		}
	}
	// Reservation is zero-filled anonymous memory already; a host page
	// of the same kind whose pages keep their contents stays.
	reuse := (!d.old.mapped && np.file == nil) ||
		(!fresh && d.old.mapped && !d.old.shared && d.old.file == np.file && d.old.base == np.base)
	if _, slotted := s.slotOf(hp); slotted {
		// Private anonymous memory again (a later slow access may slot
		// it anew).
		reuse = false
	}
	g := s.guestPage
	type save struct {
		p    Addr
		data []byte
	}
	var saves []save
	for p := hp; p < r.End; p += Addr(g) {
		if s.vmas.find(p) == nil {
			continue
		}
		switch d.src[p] {
		case srcKeep:
			if reuse || !d.old.mapped {
				continue
			}
			if v := s.vmas.find(p); v.file != nil && s.pastEOF(v, p) {
				continue // faults: holds nothing
			}
			if d.old.file == nil && !s.residentLocked(p) {
				continue // anonymous and never touched: zeros
			}
			if v := s.vmas.find(p); d.old.file != nil && !d.old.shared && np.file == d.old.file && np.base == d.old.base &&
				!v.shared && !s.cowedLocked(p) {
				continue // a private file page never written: the new host page shows the file too
			}
			b := make([]byte, g)
			if s.memRead(p, b) != nil {
				continue // past end of file: nothing to keep
			}
			saves = append(saves, save{p, b})
		case srcData:
			saves = append(saves, save{p, d.data[p]})
		}
	}
	if !reuse {
		var e unix.Errno
		if np.file == nil {
			e = s.rawMmap(r, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
		} else {
			e = s.rawMmap(r, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE, np.file.fd, np.base)
		}
		if e != 0 {
			s.debugf("guestmem: mapping host page %v: %v", r, e)
			return
		}
	}
	for _, sv := range saves {
		s.memWrite(sv.p, sv.data)
	}
	if np.file == nil {
		// Fresh private file pages of an anonymous copy: read the file.
		for p := hp; p < r.End; p += Addr(g) {
			if d.src[p] != srcFresh {
				continue
			}
			v := s.vmas.find(p)
			if v == nil || v.file == nil || v.shared || v.file.devZero {
				continue
			}
			b := make([]byte, g)
			n := s.preadFile(v.file.fd, b, v.off+uint64(p-v.start))
			if n > 0 && !allZero(b) {
				s.memWrite(p, b)
			}
		}
	}
	s.finishHostPage(r, np)
	s.populateLocked(d)
}

// populateLocked faults in the guest pages d says to, as a read through
// /proc/self/mem does (mapping the zero page or the file's page).
//
// A write fault on a private file page held directly is a forced store of
// the byte just read: it copies the page, as the guest kernel's populate
// does. (A guest store to that byte from another thread in between would
// be lost; only a guest racing its own mlock or populate with stores to
// the same page could see it.)
func (s *Space) populateLocked(d *dirtyPage) {
	b := make([]byte, 1)
	for p, write := range d.populate {
		v := s.vmas.find(p)
		if v == nil || hostProt(v.prot) == unix.PROT_NONE || (v.file != nil && s.pastEOF(v, p)) {
			continue
		}
		if s.memRead(p, b) != nil {
			continue
		}
		if write && v.prot&ProtWrite != 0 && !v.shared && v.file != nil && !v.file.devZero && !s.isCopy(v) && !s.cowedLocked(p) {
			s.memWrite(p, b)
		}
	}
}

// finishHostPage sets the protection and lock of host page r.
func (s *Space) finishHostPage(r Range, np hostPlan) {
	if e := s.rawProtect(r, np.prot); e != 0 {
		s.debugf("guestmem: protecting host page %v: %v", r, e)
	}
	if !np.locked {
		s.rawMunlock(r)
		return
	}
	// The host locks the whole host page without faulting it in: the
	// guest pages a lock faults in are noted by smallMlock.
	s.rawMlock(r, unix.MLOCK_ONFAULT)
}

// smallMlock is hostMlock with G < H. The host pages at the edges are
// locked when rebuilt; the error is the one locking their guest pages
// would give: ENOMEM if one cannot be faulted in (inaccessible, or past end
// of file).
func (s *Space) smallMlock(r Range, flags int) unix.Errno {
	s.noteEdgesLocked(r, srcKeep)
	in := s.interior(r)
	s.unslotRangeLocked(in)
	if flags&unix.MLOCK_ONFAULT != 0 || s.lockFailed {
		if !in.empty() {
			s.rawMlock(in, unix.MLOCK_ONFAULT)
		}
		return 0
	}
	// Fault the pages in in address order, stopping at the first that
	// cannot be (inaccessible, or past end of file), as Linux does.
	edge := func(piece Range) bool {
		for p := piece.Start; p < piece.End; p += Addr(s.guestPage) {
			v := s.vmas.find(p)
			if v != nil && (v.prot == ProtNone || (v.file != nil && s.pastEOF(v, p))) {
				s.lockFailed = true
				return false
			}
			s.notePopulateLocked(Range{p, p + Addr(s.guestPage)}, true)
		}
		return true
	}
	head, tail := r, Range{}
	if !in.empty() {
		head, tail = Range{r.Start, in.Start}, Range{in.End, r.End}
	}
	if !edge(head) {
		if !in.empty() {
			s.rawMlock(in, unix.MLOCK_ONFAULT)
		}
		return unix.ENOMEM
	}
	if !in.empty() {
		if e := s.rawMlock(in, 0); e != 0 {
			s.lockFailed = true
			return e
		}
	}
	if !edge(tail) {
		return unix.ENOMEM
	}
	return 0
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// residentLocked reports whether guest page p is resident on the host (any
// real host page of it).
func (s *Space) residentLocked(p Addr) bool {
	lo := alignDown(uint64(p), s.realHostPage)
	hi := alignUp(uint64(p)+s.guestPage, s.realHostPage)
	vec := make([]byte, (hi-lo)/s.realHostPage)
	if s.hostMincoreRaw(Range{Addr(lo), Addr(hi)}, vec) != 0 {
		return true
	}
	for _, b := range vec {
		if b&1 != 0 {
			return true
		}
	}
	return false
}

// cowedLocked reports whether guest page p of a private file mapping held
// directly (not as a copy) has been written, that is, whether any real
// host page of it is now private anonymous memory (present but not a file
// page in /proc/self/pagemap, or swapped out). In a slot, it is private
// memory once resident.
func (s *Space) cowedLocked(p Addr) bool {
	if r, slotted := s.slotResidentLocked(p); slotted {
		// Private memory of the Space's own: a copy once touched.
		return r
	}
	n := alignUp(s.guestPage, s.realHostPage) / s.realHostPage
	buf := make([]byte, 8*n)
	off := int64(s.hostAddr(Addr(alignDown(uint64(p), s.realHostPage)))/uintptr(s.realHostPage)) * 8
	if k, err := unix.Pread(s.pagemapFD, buf, off); err != nil || k != len(buf) {
		return true // unknown: keep the bytes
	}
	for i := uint64(0); i < n; i++ {
		e := binary.LittleEndian.Uint64(buf[8*i:])
		const present, swapped, filePage = 1 << 63, 1 << 62, 1 << 61
		if e&swapped != 0 || (e&present != 0 && e&filePage == 0) {
			return true
		}
	}
	return false
}

// memRead and memWrite access guest memory through /proc/self/mem, which
// ignores protections (and breaks copy-on-write for private pages).
func (s *Space) memRead(a Addr, b []byte) error {
	n, err := unix.Pread(s.memFD, b, int64(s.hostAddr(a)))
	if err == nil && n != len(b) {
		err = unix.EIO
	}
	return err
}

func (s *Space) memWrite(a Addr, b []byte) error {
	n, err := unix.Pwrite(s.memFD, b, int64(s.hostAddr(a)))
	if err == nil && n != len(b) {
		err = unix.EIO
	}
	return err
}

// smallMmap is hostMmap with G < H.
func (s *Space) smallMmap(r Range, prot, flags, fd int, off uint64) unix.Errno {
	s.noteEdgesLocked(r, srcFresh)
	if flags&unix.MAP_POPULATE != 0 {
		s.notePopulateLocked(r, true)
	}
	in := s.interior(r)
	if in.empty() {
		return 0
	}
	ioff := off + uint64(in.Start-r.Start)
	var e unix.Errno
	switch {
	case flags&unix.MAP_ANONYMOUS != 0:
		e = s.rawMmap(in, prot, flags, fd, 0)
	case ioff%s.hostPage == 0:
		e = s.rawMmap(in, prot, flags, fd, ioff)
	case flags&unix.MAP_SHARED != 0:
		e = unix.EINVAL // refused before (smallConflictLocked)
	default:
		e = s.copyFileLocked(in, prot, fd, ioff)
	}
	if e == 0 {
		// The new mapping is all these host pages hold.
		s.wholeLocked(in)
	}
	return e
}

// copyFileLocked makes in (H-aligned) an anonymous copy of the file at
// off, with protection prot; host pages holding a guest page wholly past
// end of file stay inaccessible, so touching it faults (and ClassifyFault
// says SIGBUS).
func (s *Space) copyFileLocked(in Range, prot, fd int, off uint64) unix.Errno {
	if e := s.rawMmap(in, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0); e != 0 {
		return e
	}
	buf := hostBytes(s.hostAddr(in.Start), in.Len())
	n := uint64(0)
	for n < uint64(len(buf)) {
		k, err := unix.Pread(fd, buf[n:], int64(off+n))
		if err != nil || k <= 0 {
			break
		}
		n += uint64(k)
	}
	s.eofTail(fd, buf, off, n)
	cut := in.End
	if n < in.Len() {
		cut = min(in.End, Addr(alignDown(uint64(in.Start)+alignUp(n, s.guestPage), s.hostPage)))
	}
	if cut > in.Start {
		if e := s.rawProtect(Range{in.Start, cut}, prot); e != 0 {
			return e
		}
	}
	if cut < in.End {
		return s.rawProtect(Range{cut, in.End}, unix.PROT_NONE)
	}
	return 0
}

// preadFile reads file fd from off into b as a mapping of the file shows
// it, and returns how many bytes lie before end of file (see eofTail).
func (s *Space) preadFile(fd int, b []byte, off uint64) int {
	n, err := unix.Pread(fd, b, int64(off))
	if err != nil || n < 0 {
		return 0
	}
	s.eofTail(fd, b, off, uint64(n))
	return n
}

// eofTail completes b, read from file fd at off, whose first n bytes lie
// before end of file: the rest of the real host page that holds end of
// file shows, in a mapping, what the page cache holds there (zeros, or
// what stores through a shared mapping of that page left, which Linux
// keeps until the page is dropped), so a copy takes it from a mapping.
func (s *Space) eofTail(fd int, b []byte, off, n uint64) {
	eof := off + n
	if n >= uint64(len(b)) || eof%s.realHostPage == 0 {
		return
	}
	lo := alignDown(eof, s.realHostPage)
	m, e := hostMmapAnywhere(s.realHostPage, unix.PROT_READ, unix.MAP_SHARED, fd, lo)
	if e != 0 {
		return
	}
	defer hostMunmapOutside(m, s.realHostPage)
	end := min(uint64(len(b)), lo+s.realHostPage-off)
	copy(b[n:end], hostBytes(m+uintptr(eof-lo), end-n))
}

// smallProtect is hostProtect with G < H.
func (s *Space) smallProtect(r Range, prot int) unix.Errno {
	s.noteEdgesLocked(r, srcKeep)
	in := s.interior(r)
	if in.empty() {
		return 0
	}
	s.unslotRangeLocked(in)
	if v := s.vmas.find(in.Start); v != nil && s.isCopy(v) {
		// Host pages with guest pages past end of file stay inaccessible.
		cut := Addr(alignDown(uint64(s.eofStart(v)), s.hostPage))
		if cut <= in.Start {
			return 0
		}
		in.End = min(in.End, cut)
	}
	return s.rawProtect(in, prot)
}

// smallMadvise is hostMadvise with G < H. Advice that discards contents
// gives the edge guest pages fresh contents when they are private;
// MADV_REMOVE punches them out of their file. Other advice concerns the
// host pages wholly inside r only.
func (s *Space) smallMadvise(r Range, advice int) unix.Errno {
	in := s.interior(r)
	s.unslotRangeLocked(in)
	switch advice {
	case MadvDontNeed, MadvDontNeedLocked:
		s.noteEdgesFuncLocked(r, func(p Addr) pageSrc {
			if v := s.vmas.find(p); v != nil && !v.shared {
				return srcFresh
			}
			return srcKeep
		})
		if in.empty() {
			return 0
		}
		if v := s.vmas.find(in.Start); v != nil && s.isCopy(v) {
			return s.refillCopyLocked(v, in)
		}
	case MadvPopulateRead, MadvPopulateWrite:
		// MADV_FREE needs nothing at the edges: the guest pages keep
		// their contents, as Linux's do until the host reclaims them.
		e := s.notePopulateLocked(r, advice == MadvPopulateWrite)
		if !in.empty() {
			if v := s.vmas.find(in.Start); v != nil && s.isCopy(v) {
				// Past end of file the copy is inaccessible: populating
				// fails there, as it does on the file.
				if cut := Addr(alignDown(uint64(s.eofStart(v)), s.hostPage)); cut < in.End {
					if cut > in.Start {
						s.rawMadvise(Range{in.Start, cut}, advice)
					}
					return unix.EFAULT
				}
			}
			if e2 := s.rawMadvise(in, advice); e2 != 0 {
				return e2
			}
		}
		return e
	case MadvRemove:
		for _, hp := range s.edgePages(r) {
			piece := r.Intersect(Range{hp, hp + Addr(s.hostPage)})
			for p := piece.Start; p < piece.End; p += Addr(s.guestPage) {
				v := s.vmas.find(p)
				if v == nil || !v.shared || v.file == nil || v.file.isShm {
					continue
				}
				off := v.off - v.file.offBias + uint64(p-v.start)
				unix.Fallocate(v.file.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(off), int64(s.guestPage))
			}
		}
	}
	if in.empty() {
		return 0
	}
	return s.rawMadvise(in, advice)
}

// refillCopyLocked gives the anonymous copy in (H-aligned, inside v) the
// file's contents again, as discarding a private file page does.
func (s *Space) refillCopyLocked(v *vma, in Range) unix.Errno {
	off := v.off + uint64(in.Start-v.start)
	buf := make([]byte, min(in.Len(), 1<<20))
	for a := in.Start; a < in.End; {
		n := min(uint64(len(buf)), uint64(in.End-a))
		b := buf[:n]
		clear(b)
		k := s.preadFile(v.file.fd, b, off+uint64(a-in.Start))
		w := min(n, alignUp(uint64(k), s.guestPage))
		if w > 0 {
			s.memWrite(a, b[:w])
		}
		if w < n {
			break // the rest is past end of file
		}
		a += Addr(n)
	}
	return 0
}

// smallConflictLocked reports whether mapping r with backing b (nil for
// private anonymous memory; a backing of its own for a new shared object)
// at file offset off would need a host page no host mapping can make: a
// shared page whose file offset is not congruent to its address modulo H,
// or a host page holding shared pages and pages of another mapping. What
// r covers now is replaced, and so are the pages in gone (the source of a
// move).
// Preconditions: s.mu is held.
func (s *Space) smallConflictLocked(r Range, b *backing, off uint64, shared bool, gone ...Range) bool {
	if !s.small() {
		return false
	}
	var hoff uint64
	if shared {
		hoff = off - b.offBias
		if (uint64(r.Start)-hoff)%s.hostPage != 0 {
			return true
		}
	}
	g := Addr(s.guestPage)
	for _, hp := range s.edgePages(r) {
		end := hp + Addr(s.hostPage)
		for w := s.vmas.lowerBound(hp); w != nil && w.start < end; w = w.next {
			if !shared && !w.shared {
				continue
			}
			piece := w.rng().Intersect(Range{hp, end})
			stays := false
			for p := piece.Start; p < piece.End && !stays; p += g {
				stays = !r.Contains(p)
				for _, x := range gone {
					stays = stays && !x.Contains(p)
				}
			}
			if !stays {
				continue
			}
			if shared != w.shared || !sameFile(w.file, b) {
				return true
			}
			wb, ok := s.directBase(w, hp)
			rb := hoff + uint64(hp) - uint64(r.Start) // wraps as r.Start > hp allows
			if !ok || wb != rb {
				return true
			}
		}
	}
	return false
}

// refuseLocked counts a refusal of an operation no host mapping can hold.
func (s *Space) refuseLocked() unix.Errno {
	s.refused++
	return unix.EINVAL
}

// errProbe is what an operation answers, in probe mode, where it would
// start changing the address space (see gateLocked).
const errProbe = unix.Errno(1 << 12)

// gateLocked is where an operation that may be refused with G < H decides:
// EINVAL if conflict (counted in s.refused), errProbe if s.probe is set
// (tests use it to learn whether an operation would be refused without
// making it), else 0 (go on).
func (s *Space) gateLocked(conflict bool) unix.Errno {
	if conflict {
		return s.refuseLocked()
	}
	if s.probe {
		return errProbe
	}
	return 0
}

// wholeLocked records that the host pages of r (H-aligned) are already
// what the mapping set will say at the end of the operation.
// Preconditions: s.mu is held for writing.
func (s *Space) wholeLocked(r Range) {
	if r.empty() {
		return
	}
	for hp := range s.dirty {
		if r.Contains(hp) {
			delete(s.dirty, hp)
		}
	}
	s.whole = append(s.whole, r)
}

// smallMoveLocked moves the private pages of src (inside v) to dst with
// G < H, leaving src's pages mapped (the caller unmaps or empties them).
// Where src and dst are congruent modulo H, the host pages wholly inside
// move with their page tables and the edge pages' contents are copied;
// otherwise every page is copied into host pages of the kind the moved
// mapping needs at dst.
func (s *Space) smallMoveLocked(v *vma, src Range, dst Addr, off uint64) unix.Errno {
	to := Range{dst, dst + Addr(src.Len())}
	g := s.guestPage
	s.noteEdgesLocked(to, srcKeep)
	// Private /dev/zero is anonymous memory.
	anonLike := v.file == nil || v.file.devZero
	// What a guest page of src holds, to be given to its place at dst.
	// A private file page never written still shows the file: at dst it
	// is the file's page again, not a copy of what it holds now (b).
	// Written means, for a page held directly, that the host copied it on
	// write; for a page of an anonymous copy, that it no longer equals the
	// file's page.
	fileView := func(p Addr, b []byte) bool {
		if v.file == nil || anonLike || v.shared {
			return false
		}
		if !s.isCopy(v) {
			return !s.cowedLocked(p)
		}
		f := make([]byte, g)
		n := s.preadFile(v.file.fd, f, v.off+uint64(p-v.start))
		return n > 0 && bytes.Equal(f, b)
	}
	grab := func(p Addr) {
		q := dst + (p - src.Start)
		if (v.file != nil && s.pastEOF(v, p)) || (anonLike && !s.residentLocked(p)) {
			// Nothing to carry: past end of file (it faults at dst as
			// well), or anonymous and never touched.
			s.noteEdgesLocked(Range{q, q + Addr(g)}, srcFresh)
			return
		}
		b := make([]byte, g)
		if s.memRead(p, b) != nil {
			return // past end of file: the new page faults as well
		}
		if fileView(p, b) {
			s.noteEdgesLocked(Range{q, q + Addr(g)}, srcFresh)
			return
		}
		s.noteDataLocked(q, b)
	}
	if uint64(dst-src.Start)%s.hostPage == 0 {
		in := s.interior(src)
		for _, hp := range s.edgePages(src) {
			piece := src.Intersect(Range{hp, hp + Addr(s.hostPage)})
			for p := piece.Start; p < piece.End; p += Addr(g) {
				grab(p)
			}
		}
		if in.empty() {
			return 0
		}
		var around []hostSeg
		if v.flags&vmLocked != 0 {
			around, _ = readHostMaps(s.hostAddr(in.Start), s.hostAddr(in.End))
		}
		if e := s.hostMove(in, dst+(in.Start-src.Start)); e != 0 {
			return e
		}
		s.wholeLocked(Range{dst + (in.Start - src.Start), dst + (in.End - src.Start)})
		// The host's move unlocks the whole host mappings it moved from,
		// which may hold other locked guest mappings: lock them again.
		for _, seg := range around {
			lo, hi := Addr(seg.start-s.base), Addr(seg.end-s.base)
			for w := s.vmas.lowerBound(lo); w != nil && w.start < hi; w = w.next {
				if w.flags&vmLocked != 0 {
					s.hostMlock(w.rng().Intersect(Range{lo, hi}), unix.MLOCK_ONFAULT)
				}
			}
		}
		return 0
	}
	// Incongruent: copy everything. The edges at dst get their bytes
	// through the rebuild; the host pages wholly inside dst are made here.
	ti := s.interior(to)
	for _, hp := range s.edgePages(to) {
		piece := to.Intersect(Range{hp, hp + Addr(s.hostPage)})
		for q := piece.Start; q < piece.End; q += Addr(g) {
			grab(src.Start + (q - dst))
		}
	}
	if ti.empty() {
		return 0
	}
	nv := &vma{start: to.Start, end: to.End, prot: v.prot, shared: false, file: v.file, off: off}
	prot := hostProt(v.prot)
	ioff := off + uint64(ti.Start-to.Start)
	var e unix.Errno
	if v.file != nil && !v.file.devZero && !s.isCopy(nv) {
		e = s.rawMmap(ti, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE, v.file.fd, ioff)
	} else {
		e = s.rawMmap(ti, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	}
	if e != 0 {
		return e
	}
	buf := make([]byte, g)
	for q := ti.Start; q < ti.End; q += Addr(g) {
		from := src.Start + (q - dst)
		if anonLike && !s.residentLocked(from) {
			continue
		}
		if v.file != nil && s.pastEOF(v, from) {
			continue
		}
		if s.memRead(from, buf) != nil {
			continue
		}
		if !s.isCopy(nv) && fileView(from, buf) {
			continue // the direct mapping at dst shows the file
		}
		s.memWrite(q, buf)
	}
	cut := ti.End
	if s.isCopy(nv) {
		nv.file = v.file
		cut = max(ti.Start, min(ti.End, Addr(alignDown(uint64(s.eofStart(nv)), s.hostPage))))
	}
	if cut > ti.Start {
		s.rawProtect(Range{ti.Start, cut}, prot)
	}
	if cut < ti.End {
		s.rawProtect(Range{cut, ti.End}, unix.PROT_NONE)
	}
	s.wholeLocked(ti)
	return 0
}

// slowSmallLocked makes a guest access of buf at a, already checked
// against the guest's protections, without the host MMU: per guest page,
// through /proc/self/mem, or for a store to a shared page through its file
// (or an alias of its shm segment); pages of private memory in a slot
// through the slot's alias, slotting them first if create is set (see
// slots.go).
// Preconditions: s.mu is held, for writing if create is set.
func (s *Space) slowSmallLocked(a Addr, buf []byte, write, create bool) unix.Errno {
	for done := uint64(0); done < uint64(len(buf)); {
		p := a + Addr(done)
		n := min(uint64(len(buf))-done, s.guestPage-uint64(p)%s.guestPage)
		chunk := buf[done : done+n]
		v := s.vmas.find(p)
		if v == nil {
			return unix.EFAULT
		}
		if v.file != nil && s.pastEOF(v, p) {
			return unix.EFAULT
		}
		if !(v.file != nil && v.file.isShm) && s.slotAccess(p, chunk, write, create) {
			done += n
			continue
		}
		var err error
		switch {
		case write && v.shared && v.file.isShm:
			err = s.shmAliasWrite(p, chunk)
		case write && v.shared:
			err = s.fileAliasWrite(v.file.fd, v.off-v.file.offBias+uint64(p-v.start), chunk)
		case write:
			err = s.memWrite(p, chunk)
		default:
			err = s.memRead(p, chunk)
		}
		if err != nil {
			return unix.EFAULT
		}
		done += n
	}
	return 0
}

// fileAliasWrite stores b at file offset off of fd, through a shared
// mapping of the host page holding it made outside the window: a store to
// the page cache, as the guest's store would be (pwrite could extend the
// file past a partial last page, and appends on an O_APPEND descriptor).
func (s *Space) fileAliasWrite(fd int, off uint64, b []byte) error {
	base := alignDown(off, s.hostPage)
	alias, e := hostMmapAnywhere(s.hostPage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd, base)
	if e != 0 {
		return e
	}
	defer hostMunmapOutside(alias, s.hostPage)
	copy(hostBytes(alias+uintptr(off-base), uint64(len(b))), b)
	return nil
}

// shmAliasWrite stores b at guest address a, in a shared shm page the
// window does not let the host write: the host duplicates the window's
// mapping of that page outside the window, writably, for the store.
func (s *Space) shmAliasWrite(a Addr, b []byte) error {
	page := Addr(alignDown(uint64(a), s.realHostPage))
	alias, e := hostMremap(s.hostAddr(page), 0, s.realHostPage, unix.MREMAP_MAYMOVE, 0)
	if e != 0 {
		return e
	}
	defer hostMunmapOutside(alias, s.realHostPage)
	if _, _, e := unix.Syscall(unix.SYS_MPROTECT, alias, uintptr(s.realHostPage), unix.PROT_READ|unix.PROT_WRITE); e != 0 {
		return e
	}
	copy(hostBytes(alias+uintptr(a-page), uint64(len(b))), b)
	return nil
}
