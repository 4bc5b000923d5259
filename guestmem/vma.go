package guestmem

// The mapping set. Mappings are kept in an AVL tree keyed by start address
// and, beside it, in a doubly linked list in address order, so that
// neighbours are O(1) and lookups O(log n). Each node also carries the size
// of the free gap just below it and the largest such gap in its subtree, so
// that the free-range search (findfree.go) is O(log n).
//
// No ordered-set library is used: the maintained Go B-trees and skip lists
// (google/btree, tidwall/btree) offer no way to keep a per-subtree
// aggregate up to date through their rebalancing, and the gap aggregate is
// what makes address choice O(log n) instead of a scan over every mapping.

// vmFlags are per-mapping attributes that do not change the guest's view of
// memory contents but are reported or inherited (madvise and mlock state).
type vmFlags uint32

const (
	vmLocked vmFlags = 1 << iota
	vmLockOnFault
	vmGrowsDown
	vmDontFork
	vmWipeOnFork
	vmDontDump
	vmHugePage
	vmNoHugePage
	vmRandom
	vmSequential
	vmMergeable
	vmNoReserve
	// vmPristine marks private anonymous memory that has been PROT_NONE
	// since it was mapped: it holds no data, so the host reservation under
	// it needs no work to map or unmap. It is not an attribute the guest
	// can see, so merging ignores it.
	vmPristine
)

// backing is a host file that backs guest mappings: a regular file (or
// device) opened by the guest, or an emulator-private memory file for a
// shared anonymous mapping or a SysV shm segment. It is reference counted by
// the mappings that use it; the host descriptor is closed with the last one.
type backing struct {
	// fd is the Space's own duplicate of the guest's descriptor (close on
	// exec), used for host mmaps made after the guest's mmap returned
	// (mremap growth, duplication, copies).
	fd int
	// dev, ino, path identify the file as /proc/self/maps shows it.
	dev, ino uint64
	path     string
	// anonShared marks the memory file of a shared anonymous mapping.
	anonShared bool
	// offBias is subtracted from guest file offsets to give the host's
	// (shared /dev/zero mapped past its size, see mmap.go).
	offBias uint64
	// devZero marks /dev/zero, whose private mappings are anonymous memory
	// that /proc/self/maps still names /dev/zero.
	devZero bool
	// writable is true when fd was opened for writing (VM_MAYWRITE for
	// shared mappings).
	writable bool
	// isShm marks a SysV shm attachment (fd is -1 then): shmID is the
	// host segment, shmSize its size in bytes. Each attachment has its
	// own backing, as each has its own file in Linux.
	isShm   bool
	shmID   int
	shmSize uint64
	// refs counts the vmas that point here. Guarded by Space.mu.
	refs int
	// key is this backing's key in Space.files ("" for private ones).
	key fileKey
}

type fileKey struct {
	dev, ino uint64
	writable bool
}

// vma is one guest mapping, and its own tree node. The fields a lookup
// reads (start, end, left, right) come first, in one cache line.
type vma struct {
	start, end Addr
	// Tree and list links. Guarded by Space.mu.
	left, right *vma
	prev, next  *vma
	// gap is the free space below this mapping and above the previous one
	// (guard gap of a grows-down mapping excluded, and with G < H the
	// host pages of shared mappings), starting at gapLo; maxGap is the
	// largest gap in this subtree.
	gap, maxGap uint64
	gapLo       Addr
	height      int8

	// prot is the guest protection (ProtRead|ProtWrite|ProtExec).
	prot int
	// maxProt is what mprotect may grant (Linux's VM_MAY* bits).
	maxProt int
	shared  bool
	flags   vmFlags
	// file backs the mapping, nil for private anonymous memory.
	file *backing
	// off is the file offset of start (meaningless without file).
	off uint64
	// name is "[stack]", "[vdso]", an anonymous mapping's name, or "".
	name string
	// eofFill, when not empty, is the part of this mapping past end of file
	// but inside the last guest page that holds end of file, when G > H:
	// the host maps anonymous zero memory there instead of the file (see
	// hostpages.go).
	eofFill Range
}

func (v *vma) rng() Range { return Range{v.start, v.end} }

// sameAttrs reports whether a and b could be one mapping: merging them
// changes nothing the guest can observe.
func sameAttrs(a, b *vma) bool {
	if a.prot != b.prot || a.maxProt != b.maxProt || a.shared != b.shared ||
		a.flags&^vmPristine != b.flags&^vmPristine || a.file != b.file || a.name != b.name {
		return false
	}
	if !a.eofFill.empty() || !b.eofFill.empty() {
		return false
	}
	return true
}

// canMerge reports whether a, directly followed by b, can be merged.
func canMerge(a, b *vma) bool {
	if a.end != b.start || !sameAttrs(a, b) {
		return false
	}
	// A private mapping of /dev/zero is anonymous memory: its page offset
	// is only a name (Linux even renumbers it when it moves), so it does
	// not keep neighbours apart.
	if a.file != nil && !a.file.devZero && a.off+uint64(a.end-a.start) != b.off {
		return false
	}
	return true
}

func (r Range) empty() bool { return r.Start >= r.End }

// vmaSet is the ordered set of mappings.
type vmaSet struct {
	root        *vma
	first, last *vma
	count       int
	// guard is the stack guard gap kept free below grows-down mappings.
	guard uint64
	// hostPage is H when guest pages are smaller (G < H), else 0: the
	// gaps then leave out the host pages of shared mappings (see
	// findfree.go).
	hostPage uint64
}

func height(n *vma) int8 {
	if n == nil {
		return 0
	}
	return n.height
}

func maxGap(n *vma) uint64 {
	if n == nil {
		return 0
	}
	return n.maxGap
}

// pull recomputes n's height and aggregate from its children.
func pull(n *vma) {
	n.height = 1 + max(height(n.left), height(n.right))
	n.maxGap = max(n.gap, maxGap(n.left), maxGap(n.right))
}

func rotateRight(n *vma) *vma {
	l := n.left
	n.left = l.right
	l.right = n
	pull(n)
	pull(l)
	return l
}

func rotateLeft(n *vma) *vma {
	r := n.right
	n.right = r.left
	r.left = n
	pull(n)
	pull(r)
	return r
}

func rebalance(n *vma) *vma {
	pull(n)
	switch bf := height(n.left) - height(n.right); {
	case bf > 1:
		if height(n.left.left) < height(n.left.right) {
			n.left = rotateLeft(n.left)
		}
		return rotateRight(n)
	case bf < -1:
		if height(n.right.right) < height(n.right.left) {
			n.right = rotateRight(n.right)
		}
		return rotateLeft(n)
	}
	return n
}

func insertNode(n, v *vma) *vma {
	if n == nil {
		v.left, v.right = nil, nil
		pull(v)
		return v
	}
	if v.start < n.start {
		n.left = insertNode(n.left, v)
	} else {
		n.right = insertNode(n.right, v)
	}
	return rebalance(n)
}

// removeMin detaches the leftmost node of the subtree n.
func removeMin(n *vma) (root, min *vma) {
	if n.left == nil {
		return n.right, n
	}
	n.left, min = removeMin(n.left)
	return rebalance(n), min
}

func removeNode(n, v *vma) *vma {
	if n == nil {
		return nil
	}
	switch {
	case v.start < n.start:
		n.left = removeNode(n.left, v)
	case v.start > n.start:
		n.right = removeNode(n.right, v)
	default:
		if n.right == nil {
			return n.left
		}
		right, succ := removeMin(n.right)
		succ.left, succ.right = n.left, right
		return rebalance(succ)
	}
	return rebalance(n)
}

// refresh recomputes the aggregates on the path from the root to the node
// keyed at key (after that node's gap changed).
func refresh(n *vma, key Addr) {
	var path [96]*vma
	depth := 0
	for n != nil {
		path[depth] = n
		depth++
		if key == n.start {
			break
		}
		if key < n.start {
			n = n.left
		} else {
			n = n.right
		}
	}
	for i := depth - 1; i >= 0; i-- {
		pull(path[i])
	}
}

// gapOf computes the free gap below v (as the search sees it: see
// findfree.go): where it starts, and its size.
func (t *vmaSet) gapOf(v *vma) (Addr, uint64) {
	lo, hi := t.gapBounds(v)
	if hi <= lo {
		return lo, 0
	}
	return lo, uint64(hi - lo)
}

// fixGap recomputes v's gap and the aggregates above it.
func (t *vmaSet) fixGap(v *vma) {
	if v == nil {
		return
	}
	v.gapLo, v.gap = t.gapOf(v)
	refresh(t.root, v.start)
}

// find returns the mapping containing a, or nil.
func (t *vmaSet) find(a Addr) *vma {
	n := t.root
	for n != nil {
		switch {
		case a < n.start:
			n = n.left
		case a >= n.end:
			n = n.right
		default:
			return n
		}
	}
	return nil
}

// lowerBound returns the first mapping that ends above a, or nil.
func (t *vmaSet) lowerBound(a Addr) *vma {
	var best *vma
	n := t.root
	for n != nil {
		if n.end > a {
			best = n
			n = n.left
		} else {
			n = n.right
		}
	}
	return best
}

// insert adds v, which must not overlap any mapping.
func (t *vmaSet) insert(v *vma) {
	next := t.lowerBound(v.start)
	var prev *vma
	if next != nil {
		prev = next.prev
	} else {
		prev = t.last
	}
	v.prev, v.next = prev, next
	if prev != nil {
		prev.next = v
	} else {
		t.first = v
	}
	if next != nil {
		next.prev = v
	} else {
		t.last = v
	}
	v.gapLo, v.gap = t.gapOf(v)
	t.root = insertNode(t.root, v)
	t.count++
	t.fixGap(next)
}

// remove takes v out of the set.
func (t *vmaSet) remove(v *vma) {
	t.root = removeNode(t.root, v)
	prev, next := v.prev, v.next
	if prev != nil {
		prev.next = next
	} else {
		t.first = next
	}
	if next != nil {
		next.prev = prev
	} else {
		t.last = prev
	}
	v.prev, v.next, v.left, v.right = nil, nil, nil, nil
	t.count--
	t.fixGap(next)
}

// setStart moves v's start to s without passing a neighbour.
func (t *vmaSet) setStart(v *vma, s Addr) {
	if s == v.start {
		return
	}
	// The key changes but the order does not, so the tree stays a search
	// tree; refresh by the new key.
	v.start = s
	t.fixGap(v)
}

// setEnd moves v's end to e without passing a neighbour.
func (t *vmaSet) setEnd(v *vma, e Addr) {
	v.end = e
	t.fixGap(v.next)
}
