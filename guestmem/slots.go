package guestmem

import (
	"slices"

	"golang.org/x/sys/unix"
)

// Slots and views: fast slow accesses on mixed host pages (G < H).
//
// A host page holding a mapping boundary (guest pages with different
// protections, or mapped and unmapped guest pages) takes the most
// restrictive protection of its guest pages, so the guest's accesses that
// only the host forbids are made in software (slowSmallLocked). Through
// /proc/self/mem each one costs the host kernel a page-table walk, a page
// pinned and a bounce page allocated: about 1.5 µs, and a program whose
// heap ends inside a host page makes millions of them.
//
// So the first slow access to such a host page of private memory (a
// private anonymous page, or an anonymous copy of a private file) moves
// the page into a slot: one host page of a memory file private to the
// Space, mapped shared at the host page with the same protection. The
// whole memory file is mapped a second time outside the window, readable
// and writable (the alias), and slow accesses to slotted pages are plain
// copies through the alias. The guest cannot reach the alias: only
// guestmem's slow paths use it, after checking the guest's protections.
//
// A slot behaves like the private memory it replaces in every way the
// guest can see: nothing else maps the memory file; its residency (what
// mincore reports, page cache residency for a shared mapping) is kept
// when a page moves in or out (only resident guest pages are copied);
// and a slotted page goes back to private anonymous memory before any
// host call that would treat the two differently (madvise, mprotect,
// mlock and moves of the host pages wholly inside a range: unslotRange),
// and whenever an operation rebuilds it (rebuildLocked). A host call that
// replaces a slotted page (mmap, a move's target, shmat) frees the slot
// (dropSlots), and the host gets the memory back (a hole is punched).
//
// Slots are only made for host pages holding a mapping boundary (the host
// pages wholly inside one mapping have its protection and need no slow
// access), so the host pages of one guest mapping's inside, which moves
// by page tables, are never slots.
//
// A shared host page needs no slot: its file (or shared memory file) page
// can be mapped a second time as it is. Its first slow access gives it a
// view, that page mapped outside the window, kept until the host page is
// replaced. (A SysV shm page has no descriptor to map; its slow stores
// still duplicate the window's mapping each time.)

// slotSet is the Space's memory file of slots. Guarded by Space.mu: read
// (lookups, copies through the alias) under either lock, changed under the
// write lock.
type slotSet struct {
	// fd is the memory file, -1 until the first slot is made.
	fd int
	// alias maps the memory file's first aliasLen bytes outside the
	// window, shared, readable and writable.
	alias    uintptr
	aliasLen uint64
	// size is the memory file's size: the slots handed out so far.
	size uint64
	// free holds the offsets of slots given back.
	free []uint64
	// off is the slot of each slotted host page; pages lists them sorted.
	off   map[Addr]uint64
	pages []Addr
	// view is the second mapping, outside the window, of each shared host
	// page given one (a file or shared memory file page: viewLocked);
	// viewPages lists them sorted.
	view      map[Addr]uintptr
	viewPages []Addr
}

// slotOf returns the alias address of host page hp's slot, if it has one.
func (s *Space) slotOf(hp Addr) (uintptr, bool) {
	if len(s.slots.pages) == 0 {
		return 0, false
	}
	off, ok := s.slots.off[hp]
	return s.slots.alias + uintptr(off), ok
}

// slotWorthy reports whether host page hp, of plan np, is one to slot: a
// host page of private memory holding a mapping boundary, that the host
// does not let the guest write (so no direct store from another thread
// can land in the old page while its contents are being copied).
func (s *Space) slotWorthy(hp Addr, np hostPlan) bool {
	if !np.mapped || np.file != nil || np.shared || np.conflict || np.prot&unix.PROT_WRITE != 0 {
		return false
	}
	v := s.vmas.lowerBound(hp)
	return v == nil || v.start > hp || v.end < hp+Addr(s.hostPage)
}

// newSlotLocked hands out a slot: its offset in the memory file.
// Preconditions: s.mu is held for writing.
func (s *Space) newSlotLocked() (uint64, unix.Errno) {
	ss := &s.slots
	if n := len(ss.free); n > 0 {
		off := ss.free[n-1]
		ss.free = ss.free[:n-1]
		return off, 0
	}
	if ss.fd < 0 {
		fd, err := unix.MemfdCreate("gemu-slots", unix.MFD_CLOEXEC)
		if err != nil {
			return 0, errnoFrom(err)
		}
		ss.fd = fd
		ss.off = make(map[Addr]uint64)
	}
	off := ss.size
	if err := unix.Ftruncate(ss.fd, int64(off+s.hostPage)); err != nil {
		return 0, errnoFrom(err)
	}
	if off+s.hostPage > ss.aliasLen {
		n := max(64*s.hostPage, 2*ss.aliasLen)
		var a uintptr
		var e unix.Errno
		if ss.aliasLen == 0 {
			a, e = hostMmapAnywhere(n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, ss.fd, 0)
		} else {
			a, e = hostMremap(ss.alias, ss.aliasLen, n, unix.MREMAP_MAYMOVE, 0)
		}
		if e != 0 {
			unix.Ftruncate(ss.fd, int64(off))
			return 0, e
		}
		ss.alias, ss.aliasLen = a, n
	}
	ss.size = off + s.hostPage
	return off, 0
}

func errnoFrom(err error) unix.Errno {
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

// slotLocked moves host page hp, of plan np (slotWorthy), into a slot.
// Preconditions: s.mu is held for writing; hp has no slot.
func (s *Space) slotLocked(hp Addr, np hostPlan) bool {
	off, e := s.newSlotLocked()
	if e != 0 {
		s.debugf("guestmem: no slot for host page %#x: %v", uint64(hp), e)
		return false
	}
	ss := &s.slots
	page := hostBytes(ss.alias+uintptr(off), s.hostPage)
	g := s.guestPage
	for p := hp; p < hp+Addr(s.hostPage); p += Addr(g) {
		v := s.vmas.find(p)
		if v == nil || (v.file != nil && s.pastEOF(v, p)) || !s.residentLocked(p) {
			continue // nothing to keep: unmapped, faults, or never touched
		}
		i := uint64(p - hp)
		if s.memRead(p, page[i:i+g]) != nil {
			clear(page[i : i+g])
		}
	}
	r := Range{hp, hp + Addr(s.hostPage)}
	if e := s.rawMapSlot(r, np.prot, ss.fd, off); e != 0 {
		s.debugf("guestmem: mapping a slot at host page %v: %v", r, e)
		s.freeSlotLocked(off)
		return false
	}
	i, _ := slices.BinarySearch(ss.pages, hp)
	ss.pages = slices.Insert(ss.pages, i, hp)
	ss.off[hp] = off
	s.finishHostPage(r, np)
	return true
}

// freeSlotLocked gives slot off back, and its memory to the host.
func (s *Space) freeSlotLocked(off uint64) {
	unix.Fallocate(s.slots.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(off), int64(s.hostPage))
	s.slots.free = append(s.slots.free, off)
}

// pagesIn returns the index range in pages (sorted host page addresses)
// of the host pages in r.
func pagesIn(pages []Addr, r Range, h uint64) (int, int) {
	lo, _ := slices.BinarySearch(pages, Addr(alignDown(uint64(r.Start), h)))
	hi, _ := slices.BinarySearch(pages, r.End)
	return lo, hi
}

// dropSlotsLocked forgets the slots and views of the host pages in r,
// which a host call has just replaced.
// Preconditions: s.mu is held for writing.
func (s *Space) dropSlotsLocked(r Range) {
	if r.empty() {
		return
	}
	if len(s.slots.pages) > 0 {
		lo, hi := pagesIn(s.slots.pages, r, s.hostPage)
		for _, hp := range s.slots.pages[lo:hi] {
			s.freeSlotLocked(s.slots.off[hp])
			delete(s.slots.off, hp)
		}
		s.slots.pages = slices.Delete(s.slots.pages, lo, hi)
	}
	if len(s.slots.viewPages) > 0 {
		lo, hi := pagesIn(s.slots.viewPages, r, s.hostPage)
		for _, hp := range s.slots.viewPages[lo:hi] {
			hostMunmapOutside(s.slots.view[hp], s.hostPage)
			delete(s.slots.view, hp)
		}
		s.slots.viewPages = slices.Delete(s.slots.viewPages, lo, hi)
	}
}

// unslotRangeLocked turns the slotted host pages in r back into private
// anonymous memory, with the same contents, residency, protection and
// lock, before a host call that treats the two differently.
// Preconditions: s.mu is held for writing.
func (s *Space) unslotRangeLocked(r Range) {
	if len(s.slots.pages) == 0 || r.empty() {
		return
	}
	lo, hi := pagesIn(s.slots.pages, r, s.hostPage)
	pages := slices.Clone(s.slots.pages[lo:hi])
	for _, hp := range pages {
		s.unslotLocked(hp)
	}
}

func (s *Space) unslotLocked(hp Addr) {
	off := s.slots.off[hp]
	g := s.guestPage
	slot := hostBytes(s.slots.alias+uintptr(off), s.hostPage)
	// Which real host pages of the slot are resident.
	vec := make([]byte, s.hostPage/s.realHostPage)
	unix.Syscall(unix.SYS_MINCORE, s.slots.alias+uintptr(off), uintptr(s.hostPage), uintptrOf(vec))
	saved := make(map[Addr][]byte)
	for p := hp; p < hp+Addr(s.hostPage); p += Addr(g) {
		i := uint64(p - hp)
		for k := i / s.realHostPage; k < (i+g+s.realHostPage-1)/s.realHostPage; k++ {
			if vec[k]&1 != 0 {
				saved[p] = slices.Clone(slot[i : i+g])
				break
			}
		}
	}
	r := Range{hp, hp + Addr(s.hostPage)}
	// Replacing the page frees the slot (rawMmap drops it).
	if e := s.rawMmap(r, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0); e != 0 {
		s.debugf("guestmem: taking host page %v out of its slot: %v", r, e)
		return
	}
	for p, b := range saved {
		copy(hostBytes(s.hostAddr(p), g), b)
	}
	s.finishHostPage(r, s.planLocked(hp))
}

// viewLocked gives shared host page hp, of plan np, a view: the same file
// page mapped a second time outside the window, readable, and writable if
// the file allows it. Slow accesses to shared pages then go through it
// rather than /proc/self/mem (loads) or a mapping made for each store.
// The view stays valid as long as the window maps that file page there;
// whatever replaces the host page drops it (dropSlotsLocked).
// Preconditions: s.mu is held for writing.
func (s *Space) viewLocked(hp Addr, np hostPlan) bool {
	prot := unix.PROT_READ
	if np.file.writable {
		prot |= unix.PROT_WRITE
	}
	v, e := hostMmapAnywhere(s.hostPage, prot, unix.MAP_SHARED, np.file.fd, np.base)
	if e != 0 {
		s.debugf("guestmem: no view of host page %#x: %v", uint64(hp), e)
		return false
	}
	ss := &s.slots
	if ss.view == nil {
		ss.view = make(map[Addr]uintptr)
	}
	i, _ := slices.BinarySearch(ss.viewPages, hp)
	ss.viewPages = slices.Insert(ss.viewPages, i, hp)
	ss.view[hp] = v
	return true
}

// viewWorthy reports whether host page hp, of plan np, is one to give a
// view: a direct shared host page of a file or shared memory file (not a
// shm segment, which has no descriptor) holding a mapping boundary.
func (s *Space) viewWorthy(hp Addr, np hostPlan) bool {
	if !np.mapped || !np.shared || np.file == nil || np.file.isShm || np.file.fd < 0 {
		return false
	}
	v := s.vmas.lowerBound(hp)
	return v == nil || v.start > hp || v.end < hp+Addr(s.hostPage)
}

// slotAccess makes a slow access of buf at a (inside one guest page,
// checked against the guest's protections) through host page hp's slot
// (private memory) or view (shared), making it first when the host page
// is worth one and create is set (s.mu held for writing). It reports false
// when there is neither.
func (s *Space) slotAccess(a Addr, buf []byte, write, create bool) bool {
	hp := Addr(alignDown(uint64(a), s.hostPage))
	alias, ok := s.slotOf(hp)
	if !ok {
		alias, ok = s.slots.view[hp]
	}
	if !ok {
		if !create {
			return false
		}
		np := s.planLocked(hp)
		switch {
		case s.slotWorthy(hp, np):
			if !s.slotLocked(hp, np) {
				return false
			}
			alias, _ = s.slotOf(hp)
		case s.viewWorthy(hp, np):
			if !s.viewLocked(hp, np) {
				return false
			}
			alias = s.slots.view[hp]
		default:
			return false
		}
	}
	mem := hostBytes(alias+uintptr(a-hp), uint64(len(buf)))
	if write {
		copy(mem, buf)
	} else {
		copy(buf, mem)
	}
	return true
}

// slotResidentLocked reports whether guest page p is in a slot, and
// resident there (written, or read, since it was made).
func (s *Space) slotResidentLocked(p Addr) (resident, slotted bool) {
	hp := Addr(alignDown(uint64(p), s.hostPage))
	alias, ok := s.slotOf(hp)
	if !ok {
		return false, false
	}
	lo := alignDown(uint64(p-hp), s.realHostPage)
	n := alignUp(uint64(p-hp)+s.guestPage, s.realHostPage) - lo
	vec := make([]byte, n/s.realHostPage)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, alias+uintptr(lo), uintptr(n), uintptrOf(vec)); e != 0 {
		return true, true
	}
	for _, b := range vec {
		if b&1 != 0 {
			return true, true
		}
	}
	return false, true
}

// closeSlots releases the memory file and its alias.
func (s *Space) closeSlots() {
	for _, v := range s.slots.view {
		hostMunmapOutside(v, s.hostPage)
	}
	if s.slots.fd >= 0 {
		hostMunmapOutside(s.slots.alias, s.slots.aliasLen)
		unix.Close(s.slots.fd)
	}
	s.slots = slotSet{fd: -1}
}
