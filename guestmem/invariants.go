package guestmem

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CheckInvariants verifies the bookkeeping's own invariants and that it
// agrees with the host's /proc/self/maps for the window. Tests call it after
// every operation. The invariants:
//   - the list and the tree hold the same mappings, in address order, not
//     overlapping, non-empty and G-aligned; count is their number;
//   - the tree is an AVL tree whose gap aggregates are exact;
//   - no two neighbours could merge;
//   - every backing's reference count is the number of mappings using it;
//   - every host page of the window has the host protection of its guest
//     page (reservation PROT_NONE private anonymous where unmapped; code
//     pages without write), is shared exactly where the guest page is, and
//     shows the guest page's file (the fill past end of file aside).
func (s *Space) CheckInvariants() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkSetLocked(); err != nil {
		return err
	}
	return s.checkHostLocked()
}

func (s *Space) checkSetLocked() error {
	t := &s.vmas
	n := 0
	refs := map[*backing]int{}
	var prev *vma
	for v := t.first; v != nil; v = v.next {
		n++
		if v.prev != prev {
			return fmt.Errorf("list: %v has a wrong prev link", v.rng())
		}
		if v.start >= v.end || !s.pageAligned(uint64(v.start)) || !s.pageAligned(uint64(v.end)) {
			return fmt.Errorf("mapping %v empty or not G-aligned", v.rng())
		}
		if uint64(v.end) > s.size {
			return fmt.Errorf("mapping %v past the window", v.rng())
		}
		if prev != nil && prev.end > v.start {
			return fmt.Errorf("mappings %v and %v overlap or are out of order", prev.rng(), v.rng())
		}
		if prev != nil && canMerge(prev, v) {
			return fmt.Errorf("mappings %v and %v should have merged", prev.rng(), v.rng())
		}
		if lo, gap := t.gapOf(v); v.gap != gap || v.gapLo != lo {
			return fmt.Errorf("mapping %v: gap %d at %#x, want %d at %#x", v.rng(), v.gap, v.gapLo, gap, lo)
		}
		if v.file != nil {
			refs[v.file]++
		}
		if t.find(v.start) != v || t.find(v.end-1) != v {
			return fmt.Errorf("tree lookup of %v fails", v.rng())
		}
		prev = v
	}
	if prev != t.last {
		return fmt.Errorf("list: last is wrong")
	}
	if n != t.count {
		return fmt.Errorf("count %d, list holds %d", t.count, n)
	}
	if c, err := checkNode(t.root, 0, Addr(s.size)); err != nil {
		return err
	} else if c != n {
		return fmt.Errorf("tree holds %d mappings, list %d", c, n)
	}
	for b, c := range refs {
		if b.refs != c {
			return fmt.Errorf("backing %s: %d references, %d users", b.path, b.refs, c)
		}
	}
	for _, b := range s.files {
		if refs[b] == 0 {
			return fmt.Errorf("backing %s kept with no user", b.path)
		}
	}
	return nil
}

func checkNode(n *vma, lo, hi Addr) (int, error) {
	if n == nil {
		return 0, nil
	}
	if n.start < lo || n.start >= hi {
		return 0, fmt.Errorf("tree order broken at %v", n.rng())
	}
	l, err := checkNode(n.left, lo, n.start)
	if err != nil {
		return 0, err
	}
	r, err := checkNode(n.right, n.start+1, hi)
	if err != nil {
		return 0, err
	}
	if d := height(n.left) - height(n.right); d > 1 || d < -1 {
		return 0, fmt.Errorf("tree unbalanced at %v", n.rng())
	}
	if n.height != 1+max(height(n.left), height(n.right)) {
		return 0, fmt.Errorf("height wrong at %v", n.rng())
	}
	if n.maxGap != max(n.gap, maxGap(n.left), maxGap(n.right)) {
		return 0, fmt.Errorf("gap aggregate wrong at %v", n.rng())
	}
	return l + r + 1, nil
}

// procmapQuery is Linux's struct procmap_query (6.11+), for the
// PROCMAP_QUERY ioctl on /proc/self/maps: one host mapping per call, no
// text to parse.
type procmapQuery struct {
	size, queryFlags, queryAddr   uint64
	vmaStart, vmaEnd, vmaFlags    uint64
	vmaPageSize, vmaOffset, inode uint64
	devMajor, devMinor            uint32
	vmaNameSize, buildIDSize      uint32
	vmaNameAddr, buildIDAddr      uint64
}

const (
	procmapQueryIoctl        = 0xC0686611 // _IOWR('f', 17, struct procmap_query)
	procmapQueryCoveringNext = 0x10
	procmapVMARead           = 1
	procmapVMAWrite          = 2
	procmapVMAExec           = 4
	procmapVMAShared         = 8
)

// perms is the mapping's permissions in /proc/self/maps form ("rw-p").
func (q *procmapQuery) perms() string {
	b := []byte("---p")
	if q.vmaFlags&procmapVMARead != 0 {
		b[0] = 'r'
	}
	if q.vmaFlags&procmapVMAWrite != 0 {
		b[1] = 'w'
	}
	if q.vmaFlags&procmapVMAExec != 0 {
		b[2] = 'x'
	}
	if q.vmaFlags&procmapVMAShared != 0 {
		b[3] = 's'
	}
	return string(b)
}

// queryHostMaps lists the host mappings overlapping [lo, hi) with
// PROCMAP_QUERY, falling back to parsing /proc/self/maps on kernels
// without it.
func queryHostMaps(lo, hi uintptr) ([]hostSeg, error) {
	fd, err := unix.Open("/proc/self/maps", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var segs []hostSeg
	for a := lo; a < hi; {
		q := procmapQuery{size: uint64(unsafe.Sizeof(procmapQuery{})), queryFlags: procmapQueryCoveringNext, queryAddr: uint64(a)}
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), procmapQueryIoctl, uintptr(unsafe.Pointer(&q)))
		if e == unix.ENOENT {
			break
		}
		if e != 0 {
			return readHostMaps(lo, hi)
		}
		if uintptr(q.vmaStart) >= hi {
			break
		}
		segs = append(segs, hostSeg{start: uintptr(q.vmaStart), end: uintptr(q.vmaEnd), perms: q.perms(), off: q.vmaOffset, ino: q.inode})
		a = uintptr(q.vmaEnd)
	}
	return segs, nil
}

// hostSeg is one line of the host's /proc/self/maps.
type hostSeg struct {
	start, end uintptr
	perms      string
	off        uint64
	ino        uint64
	path       string
	locked     bool // from smaps only
}

func readHostMaps(lo, hi uintptr) ([]hostSeg, error) {
	return readHostMapsFile("/proc/self/maps", lo, hi)
}

// readHostMapsFile parses /proc/self/maps or /proc/self/smaps (whose
// VmFlags lines set locked).
func readHostMapsFile(name string, lo, hi uintptr) ([]hostSeg, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var segs []hostSeg
	inRange := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			if inRange {
				segs[len(segs)-1].locked = strings.Contains(flags, " lo")
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 || !strings.Contains(f[0], "-") {
			continue
		}
		inRange = false
		se := strings.SplitN(f[0], "-", 2)
		a, _ := strconv.ParseUint(se[0], 16, 64)
		b, _ := strconv.ParseUint(se[1], 16, 64)
		if uintptr(b) <= lo || uintptr(a) >= hi {
			continue
		}
		inRange = true
		off, _ := strconv.ParseUint(f[2], 16, 64)
		ino, _ := strconv.ParseUint(f[4], 10, 64)
		seg := hostSeg{start: uintptr(a), end: uintptr(b), perms: f[1], off: off, ino: ino}
		if len(f) > 5 {
			seg.path = strings.Join(f[5:], " ")
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

// checkHostLocked compares the bookkeeping with the host's view of the
// window, host page by host page, run-length: each host segment is split at
// guest mapping boundaries and each piece compared once.
func (s *Space) checkHostLocked() error {
	return s.checkHostSegsLocked(false)
}

// CheckHostLocks is CheckInvariants plus a comparison of every mapping's
// lock state with the host's (from /proc/self/smaps, which is slow to read).
func (s *Space) CheckHostLocks() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkHostSegsLocked(true)
}

func (s *Space) checkHostSegsLocked(locks bool) error {
	var segs []hostSeg
	var err error
	if locks {
		segs, err = readHostMapsFile("/proc/self/smaps", s.base, s.base+uintptr(s.size))
	} else {
		segs, err = queryHostMaps(s.base, s.base+uintptr(s.size))
	}
	if err != nil {
		return err
	}
	cursor := s.base
	for _, seg := range segs {
		if seg.start != cursor && cursor < seg.start {
			return fmt.Errorf("host window has a hole at guest %#x", cursor-s.base)
		}
		start := max(seg.start, s.base)
		end := min(seg.end, s.base+uintptr(s.size))
		if s.small() {
			if err := s.checkSmallSegLocked(start, end, seg, locks); err != nil {
				return err
			}
			cursor = seg.end
			continue
		}
		for a := start; a < end; {
			g := Addr(a - s.base)
			v := s.vmas.find(g)
			pieceEnd := end
			if v == nil {
				if n := s.vmas.lowerBound(g); n != nil && s.hostAddr(n.start) < pieceEnd {
					pieceEnd = s.hostAddr(n.start)
				}
				if seg.perms != "---p" || seg.ino != 0 || seg.locked {
					return fmt.Errorf("unmapped guest %#x: host shows %s inode %d locked %v", uint64(g), seg.perms, seg.ino, seg.locked)
				}
			} else {
				pieceEnd = min(pieceEnd, s.hostAddr(v.end))
				if err := s.checkPiece(v, g, Addr(pieceEnd-s.base), seg, locks); err != nil {
					return err
				}
			}
			a = pieceEnd
		}
		cursor = seg.end
	}
	if cursor < s.base+uintptr(s.size) {
		return fmt.Errorf("host window ends early at guest %#x", cursor-s.base)
	}
	return nil
}

func (s *Space) checkPiece(v *vma, lo, hi Addr, seg hostSeg, locks bool) error {
	want := hostPerms(hostProt(v.prot), v.shared)
	inFill := v.eofFill.Contains(lo)
	if inFill {
		want = hostPerms(hostProt(v.prot), false)
	}
	got := seg.perms
	if _, code := s.codePages[Addr(alignDown(uint64(lo), s.guestPage))]; code {
		want = hostPerms(codeProt(v.prot), v.shared)
	}
	if got != want {
		return fmt.Errorf("guest %v (mapping %v prot %d): host shows %s, want %s", Range{lo, hi}, v.rng(), v.prot, got, want)
	}
	if guestLocked := v.flags&vmLocked != 0; locks && seg.locked != guestLocked {
		return fmt.Errorf("guest %v (mapping %v): host locked %v, guest %v", Range{lo, hi}, v.rng(), seg.locked, guestLocked)
	}
	if v.file != nil && v.file.devZero {
		// Private /dev/zero: anonymous memory the host names /dev/zero,
		// with an offset of its own choosing.
	} else if v.file != nil && !inFill {
		if seg.ino != v.file.ino {
			return fmt.Errorf("guest %v: host shows inode %d, want %d", Range{lo, hi}, seg.ino, v.file.ino)
		}
		wantOff := v.off - v.file.offBias + uint64(lo-v.start)
		gotOff := seg.off + uint64(s.hostAddr(lo)-seg.start)
		if gotOff != wantOff {
			return fmt.Errorf("guest %v: host file offset %#x, want %#x", Range{lo, hi}, gotOff, wantOff)
		}
	} else if seg.ino != 0 {
		return fmt.Errorf("guest %v: anonymous, host shows inode %d", Range{lo, hi}, seg.ino)
	}
	return nil
}

func hostPerms(p int, shared bool) string {
	b := []byte("---p")
	if p&unix.PROT_READ != 0 {
		b[0] = 'r'
	}
	if p&unix.PROT_WRITE != 0 {
		b[1] = 'w'
	}
	if shared {
		b[3] = 's'
	}
	return string(b)
}

// checkSmallSegLocked compares the part [start, end) of host segment seg
// with the bookkeeping when G < H: runs of host pages wholly inside one
// mapping (and without code pages) must look as that mapping alone would
// make them, runs of host pages with no mapping must be reservation, and
// every other host page must be what planLocked says.
func (s *Space) checkSmallSegLocked(start, end uintptr, seg hostSeg, locks bool) error {
	h := Addr(s.hostPage)
	for a := start; a < end; {
		g := Addr(a - s.base)
		hp := Addr(alignDown(uint64(g), s.hostPage))
		v := s.vmas.find(hp)
		if _, slotted := s.slotOf(hp); slotted && !s.slotWorthy(hp, s.planLocked(hp)) {
			return fmt.Errorf("host page %v is in a slot but holds no mapping boundary of private memory", Range{hp, hp + h})
		}
		if view, ok := s.slots.view[hp]; ok {
			if err := s.checkView(hp, view); err != nil {
				return err
			}
		}
		if v != nil && v.end >= hp+h && !s.hasCodePageLocked(hp) {
			runEnd := min(end, s.hostAddr(Addr(alignDown(uint64(v.end), s.hostPage))))
			if s.isCopy(v) {
				cut := s.hostAddr(Addr(alignDown(uint64(s.eofStart(v)), s.hostPage)))
				want := hostPerms(hostProt(v.prot), false)
				if a >= cut {
					want = "---p"
				} else {
					runEnd = min(runEnd, cut)
				}
				if seg.perms != want || seg.ino != 0 {
					return fmt.Errorf("guest %v (copy of a file, mapping %v prot %d): host shows %s inode %d, want %s inode 0",
						Range{g, Addr(runEnd - s.base)}, v.rng(), v.prot, seg.perms, seg.ino, want)
				}
				if guestLocked := v.flags&vmLocked != 0; locks && seg.locked != guestLocked {
					return fmt.Errorf("guest %v (mapping %v): host locked %v, guest %v", Range{g, Addr(runEnd - s.base)}, v.rng(), seg.locked, guestLocked)
				}
			} else if err := s.checkPiece(v, g, Addr(runEnd-s.base), seg, locks); err != nil {
				return err
			}
			a = runEnd
			continue
		}
		if n := s.vmas.lowerBound(hp); n == nil || n.start >= hp+h {
			runEnd := end
			if n != nil {
				runEnd = min(end, s.hostAddr(Addr(alignDown(uint64(n.start), s.hostPage))))
			}
			if seg.perms != "---p" || seg.ino != 0 || seg.locked {
				return fmt.Errorf("unmapped guest %#x: host shows %s inode %d locked %v", uint64(g), seg.perms, seg.ino, seg.locked)
			}
			a = runEnd
			continue
		}
		// A mixed host page: guest page by guest page.
		p := s.planLocked(hp)
		if p.conflict {
			return fmt.Errorf("host page %v holds pages no host mapping can", Range{hp, hp + h})
		}
		pageEnd := min(end, s.hostAddr(hp+h))
		if _, slotted := s.slotOf(hp); slotted {
			if err := s.checkSlotSeg(hp, p, seg); err != nil {
				return err
			}
			if locks && seg.locked != p.locked {
				return fmt.Errorf("host page %v in a slot: host locked %v, want %v", Range{hp, hp + h}, seg.locked, p.locked)
			}
			a = pageEnd
			continue
		}
		want := hostPerms(p.prot, p.shared)
		for q := g; s.hostAddr(q) < pageEnd; q += Addr(s.guestPage) {
			if s.vmas.find(q) == nil {
				// An unmapped guest page of a shared host page may show
				// the reservation (past a shm segment's end).
				if seg.perms[:3] != want[:3] || (seg.ino != 0 && (p.file == nil || seg.ino != p.file.ino)) {
					return fmt.Errorf("unmapped guest %#x in host page %v: host shows %s inode %d, want %s", uint64(q), Range{hp, hp + h}, seg.perms, seg.ino, want)
				}
				continue
			}
			if seg.perms != want {
				return fmt.Errorf("guest %#x in host page %v: host shows %s, want %s", uint64(q), Range{hp, hp + h}, seg.perms, want)
			}
			if p.file == nil {
				if seg.ino != 0 {
					return fmt.Errorf("guest %#x in host page %v: anonymous, host shows inode %d", uint64(q), Range{hp, hp + h}, seg.ino)
				}
				continue
			}
			if seg.ino != p.file.ino {
				return fmt.Errorf("guest %#x in host page %v: host shows inode %d, want %d", uint64(q), Range{hp, hp + h}, seg.ino, p.file.ino)
			}
			wantOff := p.base + uint64(q-hp)
			gotOff := seg.off + uint64(s.hostAddr(q)-seg.start)
			if gotOff != wantOff {
				return fmt.Errorf("guest %#x in host page %v: host file offset %#x, want %#x", uint64(q), Range{hp, hp + h}, gotOff, wantOff)
			}
		}
		a = pageEnd
	}
	return nil
}

// checkSlotSeg checks that slotted host page hp, of plan p, is its slot of
// the slots' memory file, with the plan's protection.
func (s *Space) checkSlotSeg(hp Addr, p hostPlan, seg hostSeg) error {
	var st unix.Stat_t
	if err := unix.Fstat(s.slots.fd, &st); err != nil {
		return err
	}
	want := hostPerms(p.prot, true)
	got := seg.off + uint64(s.hostAddr(hp)) - uint64(seg.start) // the file offset the host maps at hp
	if seg.start > s.hostAddr(hp) || seg.perms != want || seg.ino != st.Ino || got != s.slots.off[hp] {
		return fmt.Errorf("host page %v in a slot at %#x: host shows %s inode %d offset %#x from %#x, want %s inode %d",
			Range{hp, hp + Addr(s.hostPage)}, s.slots.off[hp], seg.perms, seg.ino, got, seg.start, want, st.Ino)
	}
	return nil
}

// checkView checks that the view of host page hp (slots.go) maps the file
// page the window maps there.
func (s *Space) checkView(hp Addr, view uintptr) error {
	p := s.planLocked(hp)
	if !p.mapped || !p.shared || p.file == nil || p.file.isShm {
		// (A view outlives the mapping boundary that made it worth
		// having while the window maps the same file page.)
		return fmt.Errorf("host page %v has a view but is not a shared file page", Range{hp, hp + Addr(s.hostPage)})
	}
	segs, err := readHostMaps(view, view+uintptr(s.hostPage))
	if err != nil {
		return err
	}
	if len(segs) != 1 || segs[0].ino != p.file.ino || segs[0].off+uint64(view-segs[0].start) != p.base {
		return fmt.Errorf("the view of host page %v at %#x shows %+v, want inode %d offset %#x", Range{hp, hp + Addr(s.hostPage)}, view, segs, p.file.ino, p.base)
	}
	return nil
}

// hasCodePageLocked reports whether host page hp holds a code page.
func (s *Space) hasCodePageLocked(hp Addr) bool {
	if len(s.codePages) == 0 {
		return false
	}
	for g := hp; g < hp+Addr(s.hostPage); g += Addr(s.guestPage) {
		if _, ok := s.codePages[g]; ok {
			return true
		}
	}
	return false
}
