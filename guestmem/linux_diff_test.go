package guestmem

// The Linux-differential test: seeded random sequences of memory operations
// run against the host kernel on a scratch region of this process and against
// a Space, compared after every operation.
//
// # Setup
//
// The oracle region is N host pages at a fixed host address X (16 TiB + i
// TiB, far from Go's heap arenas at 0xc000000000 and from the mmap area near
// 0x7f...). The host range [X-1GiB, X+2^37+1GiB) around it must be free, and
// the harness checks after every operation that it still is; no operation it
// generates can act on the host outside that range. The Space has the guest
// region [G0, G0+N*4K) with MinAddr G0 and MmapBase G0+N*4K, so its top-down
// address choice starts at the region's top; guest address G0+off corresponds
// to host address X+off. Address arguments are relative to the region
// (possibly below or above it, where both sides have nothing), or one of a
// few absolute values (0, 2^47, 2^63, ...) given to both sides unchanged.
//
// # Comparisons after every operation
//
//   - the result and errno of both sides;
//   - s.CheckInvariants();
//   - the layout, per 4 KiB page of the region: mapped or not, protection,
//     shared or private, backing (private anonymous, shared anonymous object,
//     or which test file) and file/object offset, from the kernel's
//     /proc/self/maps and from Space.Mappings(). Pages, not mapping
//     boundaries, are compared: the kernel declines to merge neighbours for
//     reasons guestmem cannot see (anon_vma identity, VM_ACCOUNT, ...), so
//     its VMAs are a finer partition than guestmem's may be. Shared anonymous
//     objects are compared as a bijection (two pages share an object on one
//     side iff they do on the other). Every flushEvery operations, and after
//     operations that change them, the VmFlags Mapping reports (lo, gd, dc,
//     wf, dd) are compared too, from /proc/self/smaps (slow to read), and
//     the Space's WriteProcMaps output per page;
//   - the contents of every readable page (a page that faults on read on one
//     side must fault on the other). Private anonymous pages that pagemap
//     shows absent read as zero without being touched, so that reading does
//     not make them resident and mincore stays meaningful;
//   - the test files' contents, every flushEvery operations and at the end.
//
// # What the kernel cannot answer directly: address choice
//
// The kernel would place a non-fixed mmap or a moving mremap near its own
// mmap base, not in the region. The harness computes where Linux's top-down
// allocator (mm/vma.c unmapped_area_topdown, with the stack guard gap below
// MAP_GROWSDOWN mappings) would place it in the region, given the kernel's
// layout there, and the Space must choose exactly that address; then the
// oracle is placed there with MAP_FIXED_NOREPLACE (or mremap
// MAYMOVE|FIXED), which must succeed. A hint is honoured when the range at
// the hint (rounded down to G) is free and clear of guard gaps. At G == H
// the model is itself checked against the kernel: a hinted mmap is first
// given to the kernel as it is, and whether the kernel honoured the hint must
// match the model. A moving mremap is first tried in place on the kernel
// (without MAYMOVE): success or an error other than ENOMEM is the answer;
// ENOMEM means "cannot grow in place", and the move goes to the model's
// address. When the model finds no room in the region the operation is
// skipped (counted), since the guest kernel would then look elsewhere.
//
// # Guest page size G > host page size (4 KiB)
//
// The oracle is the kernel plus a model of the page-size difference:
// arguments are generated in 4 KiB units and translated into the host call
// that makes the 4 KiB kernel behave as a G-page kernel would:
//   - an address that must be page-aligned (mmap with MAP_FIXED, munmap,
//     mprotect, mremap old address, mremap new address with FIXED or
//     DONTUNMAP, madvise, msync, mincore) but is not G-aligned is passed
//     one byte off, so the kernel fails it with EINVAL at its own alignment
//     check, in its own order among the other checks; likewise a file offset
//     that is not G-aligned;
//   - lengths round up to G (a length that overflows when rounded is passed
//     as 2^64-1, which overflows the kernel's own rounding the same way);
//     mremap's lengths keep their raw (in)equality, which
//     MREMAP_DONTUNMAP checks before rounding;
//   - mlock/munlock round the start down and the end up to G;
//   - a hint is rounded down to G; the stack guard gap is 256 guest pages;
//   - non-fixed results are G-aligned (they come from the model);
//   - mincore: a guest page is resident if any of its host pages is (the
//     kernel is asked about the rounded range, and the host pages' bits are
//     OR-ed per guest page).
// The test files' sizes are multiples of 64 KiB so that no guest page is
// partly past end of file (that case, backed by anonymous memory in
// guestmem, is not the kernel's behaviour at 4 KiB and is not modelled here).
//
// # Guest page size 4 KiB on host pages of 16 KiB and 64 KiB (G < H)
//
// TestLinuxDiff/H16K and H64K give the Space
// Config.HostPageSize 16 KiB or 64 KiB; the kernel is the oracle as it is,
// G being its page size. Address choice follows the Space's rule for
// G < H (findfree.go), which the placement model applies to the kernel's
// layout:
//   - the host pages that hold a shared mapping's pages are never free
//     (no other mapping can share them);
//   - shared mappings (file, anonymous, /dev/zero), private file mappings,
//     and private anonymous ones (or private /dev/zero) whose length is a
//     multiple of H get whole host pages of their own: the highest free
//     run of whole host pages of lead+length bytes (rounded up to H), at
//     run+lead, lead being the file offset modulo H (0 for anonymous
//     memory); a moved mapping by the offset of its first moved page and
//     its new length; a hint is honoured only if it is congruent to lead
//     and its host pages hold nothing else;
//   - other private anonymous mappings are placed as a 4 KiB kernel would.
// Two rules of the Space are named, not divergences:
//   - an mmap or mremap the Space refuses with EINVAL because no host
//     mapping could hold it (a shared page whose file offset is not
//     congruent to its address modulo H, or that would share a host page
//     with another mapping's pages) is skipped on both sides: the Space is
//     asked first in probe mode (Space.probe), which stops before changing
//     anything, and the refusal is counted under "skip: G < H refuses ...".
//     An mmap without MAP_FIXED is never refused: the Space chose its
//     place, and refusing it is a divergence;
//   - stale copies: a private file page the Space holds in an anonymous
//     copy (an offset not congruent modulo H, or a host page shared with
//     other mappings; Space.copiesIn) does not see writes made to the
//     file after it was copied; nor does it once its host page is direct
//     again, since the page keeps the copy's bytes (the Space cannot tell
//     whether it was written). So a page held in a copy after an
//     operation is marked (diffRunner.copied) until it is replaced. When
//     a write reaches a test file's page (a store through a shared
//     mapping, or MADV_REMOVE punching a hole) while a marked page of
//     that file page exists and the kernel's page still reads the file
//     (pagemap shows no anonymous page: never written), that page is
//     stale (diffRunner.stale): its contents are not compared, counted
//     under "compare-skip: G < H: stale copy ...", until it is replaced
//     (munmap, mmap over it, MADV_DONTNEED, the source of a move). A move
//     carries both marks to the page's new place.
// Contents of guest pages whose host page forbids a read are read as a CPU
// would, through HandleFault and LoadSlow.
//
// # Known differences that are not divergences
//
//   - Operations whose outcome depends on a kernel VMA boundary between two
//     pages that agree in everything Mapping reports (mremap of a range that
//     spans it, mprotect with PROT_GROWSDOWN reaching it) are skipped: the
//     kernel splits VMAs for reasons outside guestmem's API (anon_vma
//     identity, VM_ACCOUNT, VM_NORESERVE, THP and KSM advice, ...).
//   - Pages given MADV_FREE may be reclaimed (read as zero) on one side and
//     not the other: until the page is zapped or replaced, each byte must be
//     equal on both sides or zero on one, and its mincore bit is not
//     compared.
//   - Pages of PROT_EXEC-only mappings: the host kernel makes them unreadable
//     with protection keys (as riscv Linux does; x86 without PKU would not),
//     while guestmem's host mapping is readable; their contents are not
//     compared, and on a host without PKU CopyIn is not tried on them.
//   - Memory is only ever touched on pages the kernel layout shows mapped: an
//     access just below a MAP_GROWSDOWN mapping would grow it on the host,
//     and stack growth is the CPU's fault path's business, not CopyIn's.
//   - A private mapping of /dev/zero is anonymous in Linux
//     (vma_set_anonymous); its offset column shows vm_pgoff, which a move of
//     an unfaulted anonymous VMA resets to the (host) address. Its offset is
//     not compared.
//   - mremap may move several mappings at once since Linux 6.17; the test
//     requires a 6.17+ host, whose behaviour guestmem follows.
//   - When the test files are not on tmpfs, mincore of file pages is the
//     page cache state of two different files (readahead, reclaim) and only
//     anonymous pages' bits are compared.
//
// # Not generated
//
// MAP_HUGETLB, MAP_DROPPABLE, MADV_HWPOISON/SOFT_OFFLINE (they would poison
// host pages), mlockall, madvise and msync with lengths that reach past the
// safe host range (the kernel walks every VMA in range), fixed mappings
// outside the region.
//
// # Failures
//
// A divergence prints the seed, the step, what each side did, and a
// delta-debugged operation sequence (fresh Space, fresh oracle) that still
// diverges, in a readable form. Flags: -diff.ops (default 200000 for G == H,
// 15% of that for each of G = 16 KiB and 64 KiB), -diff.seed, -diff.episode,
// -diff.shrinktime.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// diffTrace (environment DIFF_TRACE=1) prints every operation and compares
// everything after each, to find the step that diverges.
var diffTrace = os.Getenv("DIFF_TRACE") != ""

var (
	diffOps        = flag.Int("diff.ops", 200000, "operations of the G == H Linux-differential run; G = 16 KiB and 64 KiB each run 15% of this, G = 4 KiB on H = 16 KiB and 64 KiB 55% of it (so that with skips both compare over 200,000)")
	diffSeed       = flag.Uint64("diff.seed", 0, "base seed of the Linux-differential runs (0: time-based, printed)")
	diffFrom       = flag.Int("diff.from", 0, "first episode to run (to replay a reported one with its -diff.seed)")
	diffEpisode    = flag.Int("diff.episode", 500, "operations per episode (each episode starts from an empty Space and oracle region)")
	diffShrinkTime = flag.Duration("diff.shrinktime", 30*time.Second, "time limit for shrinking one diverging sequence")
	diffMaxFail    = flag.Int("diff.maxfail", 3, "distinct divergences to report before stopping")
)

const (
	diffHostPage   = orcPage
	diffG0         = Addr(0x40000000) // G0
	diffSafeBelow  = 1 << 30          // free host bytes required below the region
	diffSafeAbove  = 1<<37 + 1<<30    // and above its start
	diffFlushEvery = 16               // smaps/procmaps/file comparison period
	diffOracleBase = uintptr(0x100000000000)
)

// diffRegion returns the host address X of oracle region i; regions are 1 TiB
// apart, so parallel tests never share one.
func diffRegion(i int) uintptr { return diffOracleBase + uintptr(i)<<40 }

// Region slots: one per concurrently running test.
const (
	diffSlotG4K = iota
	diffSlotG16K
	diffSlotG64K
	diffSlotSelfOracle
	diffSlotSelfTarget
	diffSlotFuzz
	diffSlotTable
	diffSlotH16K
	diffSlotH64K
)

// diffCase is the static configuration of one differential run.
type diffCase struct {
	g       uint64  // guest page size G
	h       uint64  // host page size H given to the Space (0: the real one)
	pages   uint64  // region size in host pages (N)
	x       uintptr // host address of the region
	gap     uint64  // stack guard gap in bytes, for the model
	pku     bool
	tmpfs   bool // test files on tmpfs: mincore of file pages is compared
	fileSz  [2]int
	newSpan func(c *diffCase, p *orcProc) (diffTarget, error)
}

func (c *diffCase) size() uint64 { return c.pages * diffHostPage }

// --- operations ---------------------------------------------------------

type diffOpKind uint8

const (
	dopMmap diffOpKind = iota
	dopMunmap
	dopMprotect
	dopMremap
	dopMsync
	dopMadvise
	dopMincore
	dopMlock
	dopMunlock
	dopWrite
	dopRead
)

var diffOpNames = [...]string{"mmap", "munmap", "mprotect", "mremap", "msync", "madvise", "mincore", "mlock2", "munlock", "write", "read"}

// diffAddr is an address argument: relative to the region (both sides add
// their own base), or absolute (given to both sides unchanged).
type diffAddr struct {
	abs bool
	v   int64
}

// diffLen is a length: v itself, or (wrap) 2^64 - addr + v, the length that
// makes the range end wrap around the address space by v bytes; each side
// computes it from its own address.
type diffLen struct {
	wrap bool
	v    uint64
}

type diffOp struct {
	kind    diffOpKind
	addr    diffAddr // mmap: hint or fixed address; abs 0 is NULL
	length  diffLen
	prot    int
	flags   int // mmap, mremap, msync and mlock2 flags; madvise advice
	fd      int // slot in the fd table
	off     uint64
	newLen  diffLen  // mremap
	newAddr diffAddr // mremap
	data    byte     // write: pattern seed
}

func (a diffAddr) String() string {
	if a.abs {
		return fmt.Sprintf("%#x", uint64(a.v))
	}
	if a.v < 0 {
		return fmt.Sprintf("R-%#x", -a.v)
	}
	return fmt.Sprintf("R+%#x", a.v)
}

func (l diffLen) String() string {
	if l.wrap {
		return fmt.Sprintf("-addr+%#x", l.v)
	}
	return fmt.Sprintf("%#x", l.v)
}

func diffFlagString(v int, names []string, bits []int) string {
	var s []string
	for i, b := range bits {
		if b != 0 && v&b == b {
			s = append(s, names[i])
			v &^= b
		}
	}
	if v != 0 || len(s) == 0 {
		s = append(s, fmt.Sprintf("%#x", v))
	}
	return strings.Join(s, "|")
}

func diffProtString(p int) string {
	return diffFlagString(p, []string{"PROT_READ", "PROT_WRITE", "PROT_EXEC", "PROT_GROWSDOWN", "PROT_GROWSUP"},
		[]int{ProtRead, ProtWrite, ProtExec, ProtGrowsDown, ProtGrowsUp})
}

func diffMmapFlags(f int) string {
	t := f & MapTypeMask
	var typ string
	switch t {
	case MapShared:
		typ = "MAP_SHARED"
	case MapPrivate:
		typ = "MAP_PRIVATE"
	case MapSharedValidate:
		typ = "MAP_SHARED_VALIDATE"
	default:
		typ = fmt.Sprintf("type(%#x)", t)
	}
	rest := f &^ MapTypeMask
	if rest == 0 {
		return typ
	}
	return typ + "|" + diffFlagString(rest,
		[]string{"MAP_FIXED", "MAP_ANONYMOUS", "MAP_GROWSDOWN", "MAP_DENYWRITE", "MAP_EXECUTABLE", "MAP_LOCKED", "MAP_NORESERVE", "MAP_POPULATE", "MAP_NONBLOCK", "MAP_STACK", "MAP_HUGETLB", "MAP_SYNC", "MAP_FIXED_NOREPLACE", "MAP_UNINITIALIZED"},
		[]int{MapFixed, MapAnonymous, MapGrowsDown, MapDenyWrite, MapExecutable, MapLocked, MapNoReserve, MapPopulate, MapNonBlock, MapStack, MapHugeTLB, MapSync, MapFixedNoReplace, MapUninitialized})
}

var diffMadvNames = map[int]string{
	MadvNormal: "MADV_NORMAL", MadvRandom: "MADV_RANDOM", MadvSequential: "MADV_SEQUENTIAL", MadvWillNeed: "MADV_WILLNEED",
	MadvDontNeed: "MADV_DONTNEED", MadvFree: "MADV_FREE", MadvRemove: "MADV_REMOVE", MadvDontFork: "MADV_DONTFORK",
	MadvDoFork: "MADV_DOFORK", MadvMergeable: "MADV_MERGEABLE", MadvUnmergeable: "MADV_UNMERGEABLE", MadvHugePage: "MADV_HUGEPAGE",
	MadvNoHugePage: "MADV_NOHUGEPAGE", MadvDontDump: "MADV_DONTDUMP", MadvDoDump: "MADV_DODUMP", MadvWipeOnFork: "MADV_WIPEONFORK",
	MadvKeepOnFork: "MADV_KEEPONFORK", MadvCold: "MADV_COLD", MadvPageOut: "MADV_PAGEOUT", MadvPopulateRead: "MADV_POPULATE_READ",
	MadvPopulateWrite: "MADV_POPULATE_WRITE", MadvDontNeedLocked: "MADV_DONTNEED_LOCKED", MadvCollapse: "MADV_COLLAPSE",
}

func (o diffOp) String() string {
	switch o.kind {
	case dopMmap:
		return fmt.Sprintf("mmap(%v, %v, %s, %s, fd[%s], %#x)", o.addr, o.length, diffProtString(o.prot), diffMmapFlags(o.flags), orcFdNames[o.fd], o.off)
	case dopMunmap:
		return fmt.Sprintf("munmap(%v, %v)", o.addr, o.length)
	case dopMprotect:
		return fmt.Sprintf("mprotect(%v, %v, %s)", o.addr, o.length, diffProtString(o.prot))
	case dopMremap:
		return fmt.Sprintf("mremap(%v, %v, %v, %s, %v)", o.addr, o.length, o.newLen,
			diffFlagString(o.flags, []string{"MREMAP_MAYMOVE", "MREMAP_FIXED", "MREMAP_DONTUNMAP"}, []int{MremapMayMove, MremapFixed, MremapDontUnmap}), o.newAddr)
	case dopMsync:
		return fmt.Sprintf("msync(%v, %v, %s)", o.addr, o.length, diffFlagString(o.flags, []string{"MS_ASYNC", "MS_INVALIDATE", "MS_SYNC"}, []int{MsAsync, MsInvalidate, MsSync}))
	case dopMadvise:
		n, ok := diffMadvNames[o.flags]
		if !ok {
			n = fmt.Sprintf("%d", o.flags)
		}
		return fmt.Sprintf("madvise(%v, %v, %s)", o.addr, o.length, n)
	case dopMincore:
		return fmt.Sprintf("mincore(%v, %v, vec)", o.addr, o.length)
	case dopMlock:
		return fmt.Sprintf("mlock2(%v, %v, %#x)", o.addr, o.length, o.flags)
	case dopMunlock:
		return fmt.Sprintf("munlock(%v, %v)", o.addr, o.length)
	case dopWrite:
		return fmt.Sprintf("write(%v, %#x bytes, pattern %#02x)", o.addr, o.length.v, o.data)
	case dopRead:
		return fmt.Sprintf("read(%v, %#x bytes)", o.addr, o.length.v)
	}
	return "?"
}

func diffFormatOps(ops []diffOp) string {
	var b strings.Builder
	for i, o := range ops {
		fmt.Fprintf(&b, "\t%3d: %v\n", i, o)
	}
	return b.String()
}

// --- results -------------------------------------------------------------

// diffDivergence is a difference between the kernel (with the model) and the
// Space. harnessError is a failure of the harness's own checks (its model
// disagreeing with the kernel, the host range no longer free): a bug here,
// not in guestmem.
type diffDivergence struct{ msg string }

func (d *diffDivergence) Error() string { return d.msg }

type diffHarnessError struct{ msg string }

func (h *diffHarnessError) Error() string { return "harness: " + h.msg }

var errDiffSkip = errors.New("operation not comparable; skipped")

func diffDiverge(format string, args ...any) error {
	return &diffDivergence{fmt.Sprintf(format, args...)}
}
func diffHarnessErr(format string, args ...any) error {
	return &diffHarnessError{fmt.Sprintf(format, args...)}
}

// --- the placement model -------------------------------------------------

// diffPlaceModel is Linux's choice of address for a mapping whose caller gives no
// fixed address, as a G-page guest kernel would make it in the region: the
// hint if [hint, hint+len) is free and ends at or below the guard gap of the
// next mapping if that one grows down; otherwise the highest free range that
// ends at or below MmapBase (the region's top) and at or below the guard gap
// of the mapping above it (unmapped_area_topdown). Nothing is placed below
// MinAddr (the region's bottom).
//
// With G < H (h != 0) it is the Space's rule (see the package comment): the
// host pages of shared mappings are never free, and a mapping of the kind
// that gets host pages of its own (diffPlaceKind.own) goes to the highest
// run of whole free host pages that holds it at its lead.
type diffPlaceModel struct {
	x    uintptr // host address of the region
	size uint64
	g    uint64 // guest page size
	gap  uint64 // stack guard gap in bytes
	h    uint64 // host page size given to the Space when G < H, else 0
}

// diffPlaceKind is what the G < H rule needs to know of a mapping: whether
// it gets whole host pages of its own, and then the file offset of its
// first page modulo H (lead).
type diffPlaceKind struct {
	own  bool
	lead uint64
}

// place returns the guest address for a mapping of length bytes (a multiple
// of G) of kind k with the given hint (G-aligned, or 0), from the kernel's
// VMAs in the region (which must carry VmFlags when a growsdown mapping may
// exist).
func (m *diffPlaceModel) place(vmas []orcVMA, length uint64, hint Addr, k diffPlaceKind) (Addr, bool) {
	size := m.size
	if length == 0 || length > size {
		return 0, false
	}
	h := m.h
	// The space a VMA takes, relative to the region: with G < H a shared
	// one takes its host pages whole.
	used := func(v orcVMA) (uint64, uint64) {
		s, e := uint64(v.start-m.x), uint64(v.end-m.x)
		if h != 0 && v.perms[3] == 's' {
			s, e = s&^(h-1), (e+h-1)&^(h-1)
		}
		return s, e
	}
	startGap := func(v orcVMA) uint64 { // vm_start_gap, relative to the region
		s, _ := used(v)
		if v.flags&kfGrowsDown != 0 {
			if s < m.gap {
				return 0
			}
			return s - m.gap
		}
		return s
	}
	// free reports whether [a, a+n) (relative) is free and clear of guard gaps.
	free := func(a, n uint64) bool {
		if a+n > size {
			return false
		}
		for _, v := range vmas {
			if _, e := used(v); e > a { // first VMA ending above a
				return a+n <= startGap(v)
			}
		}
		return true
	}
	if hint != 0 && hint >= diffG0 {
		a := uint64(hint - diffG0)
		if !k.own {
			if free(a, length) {
				return hint, true
			}
		} else if lo := a &^ (h - 1); lo+k.lead == a && free(lo, (a+length+h-1)&^(h-1)-lo) {
			return hint, true
		}
	}
	align, n, lead := m.g, length, uint64(0)
	if k.own {
		align, n, lead = h, (k.lead+length+h-1)&^(h-1), k.lead
	}
	// Free ranges from the top down.
	top := size
	for i := len(vmas); i >= 0; i-- {
		lo := uint64(0)
		if i > 0 {
			_, lo = used(vmas[i-1])
		}
		hi := size
		if i < len(vmas) {
			hi = startGap(vmas[i])
		}
		hi = min(hi, top)
		hi &^= align - 1
		if hi >= lo+n && hi-n >= lo {
			return diffG0 + Addr(hi-n+lead), true
		}
		if i > 0 {
			top = uint64(vmas[i-1].start - m.x)
		}
	}
	return 0, false
}

// --- the runner ----------------------------------------------------------

// diffPage describes one host page of the region on one side.
type diffPage struct {
	mapped bool
	prot   int
	shared bool
	obj    int    // objNone (private anonymous), a file, or a shared object
	off    uint64 // file or object offset (0 for private anonymous)
	flags  kFlags
}

func (p diffPage) String() string {
	if !p.mapped {
		return "unmapped"
	}
	s := "p"
	if p.shared {
		s = "s"
	}
	obj := "anon"
	switch {
	case p.obj == orcObjFile0:
		obj = "file0"
	case p.obj == orcObjFile1:
		obj = "file1"
	case p.obj == orcObjDevZero:
		obj = "/dev/zero"
	case p.obj >= orcObjFirstShm:
		obj = fmt.Sprintf("shm#%d", p.obj-orcObjFirstShm)
	case p.obj < 0:
		obj = fmt.Sprintf("unknown-inode#%d", -p.obj)
	}
	return fmt.Sprintf("%s%s %s@%#x %v", diffProtLetters(p.prot), s, obj, p.off, p.flags)
}

func diffProtLetters(p int) string {
	b := []byte("---")
	if p&ProtRead != 0 {
		b[0] = 'r'
	}
	if p&ProtWrite != 0 {
		b[1] = 'w'
	}
	if p&ProtExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

type diffRunner struct {
	c        *diffCase
	model    diffPlaceModel
	proc     *orcProc
	sp       diffTarget
	kf, sf   *orcFiles
	kvmas    []orcVMA // kernel VMAs in the region after the last operation
	gd       bool     // a MAP_GROWSDOWN mapping was made this episode
	lazy     []bool   // pages given MADV_FREE (see the package comment)
	copied   []bool   // G < H: pages the Space holds or held in a copy (see diffSkipStale)
	stale    []bool   // G < H: stale copies (see diffSkipStale)
	kdesc    []diffPage
	sdesc    []diffPage
	kpres    []bool
	spres    []bool
	kbuf     []byte
	sbuf     []byte
	steps    int
	checkAll bool // compare VmFlags, procmaps and files after every operation (when shrinking)
	hung     bool // an operation did not return: the Space is abandoned
	stats    map[string]int
}

func newDiffRunner(c *diffCase, proc *orcProc, kf, sf *orcFiles) *diffRunner {
	n := int(c.pages)
	return &diffRunner{
		c: c, proc: proc, kf: kf, sf: sf,
		model: diffPlaceModel{x: c.x, size: c.size(), g: c.g, gap: c.gap, h: c.h},
		lazy:  make([]bool, n), stale: make([]bool, n), copied: make([]bool, n), kdesc: make([]diffPage, n), sdesc: make([]diffPage, n),
		kpres: make([]bool, n), spres: make([]bool, n),
		kbuf: make([]byte, 2*diffHostPage), sbuf: make([]byte, 2*diffHostPage),
		stats: map[string]int{},
	}
}

// start begins an episode: empty oracle region, reset files, new Space.
func (r *diffRunner) start() error {
	if e := orcMunmap(r.c.x, r.c.size()); e != 0 {
		return diffHarnessErr("munmap region: %v", e)
	}
	if err := r.kf.reset(); err != nil {
		return err
	}
	if err := r.sf.reset(); err != nil {
		return err
	}
	sp, err := r.c.newSpan(r.c, r.proc)
	if err != nil {
		return err
	}
	r.sp = sp
	r.gd = false
	clear(r.lazy)
	clear(r.stale)
	clear(r.copied)
	clear(r.kdesc)
	r.steps = 0
	return r.readKernel(false)
}

func (r *diffRunner) finish() {
	if r.hung {
		r.sp = nil // still in use by the hung goroutine
		return
	}
	if r.sp != nil {
		r.sp.Close()
		r.sp = nil
	}
	orcMunmap(r.c.x, r.c.size())
}

// readKernel refreshes r.kvmas, checking that nothing else appeared in the
// safe host range around the region.
func (r *diffRunner) readKernel(withFlags bool) error {
	lo, hi := r.c.x-diffSafeBelow, r.c.x+diffSafeAbove
	vs, err := r.proc.vmasIn(lo, hi, withFlags)
	if err != nil {
		return err
	}
	r.kvmas = r.kvmas[:0]
	for _, v := range vs {
		if v.start < r.c.x || v.end > r.c.x+uintptr(r.c.size()) {
			return diffHarnessErr("host mapping %#x-%#x %s %s outside the region but inside its safe range", v.start, v.end, v.perms, v.path)
		}
		r.kvmas = append(r.kvmas, v)
	}
	return nil
}

// vmasForModel returns the kernel's region VMAs with growsdown information
// when it matters.
func (r *diffRunner) vmasForModel() ([]orcVMA, error) {
	if r.gd {
		if err := r.readKernel(true); err != nil {
			return nil, err
		}
	}
	return r.kvmas, nil
}

func (r *diffRunner) g() uint64 { return r.c.g }

func (r *diffRunner) guestAddr(a diffAddr) Addr {
	if a.abs {
		return Addr(a.v)
	}
	return diffG0 + Addr(a.v)
}

func (r *diffRunner) hostAddr(a diffAddr) uintptr {
	if a.abs {
		return uintptr(a.v)
	}
	return r.c.x + uintptr(a.v)
}

// hostAligned is hostAddr for an argument the kernel requires page-aligned:
// if the guest address is not G-aligned but the host address is 4K-aligned,
// it is passed one byte off so that the kernel fails it at its own
// alignment check (the G > H model).
func (r *diffRunner) hostAligned(a diffAddr) uintptr {
	h := r.hostAddr(a)
	if uint64(r.guestAddr(a))%r.g() != 0 && h%diffHostPage == 0 {
		h++
	}
	return h
}

func (r *diffRunner) hostOff(off uint64) uint64 {
	if off%r.g() != 0 && off%diffHostPage == 0 {
		return off | 1
	}
	return off
}

func (r *diffRunner) guestLen(l diffLen, a Addr) uint64 {
	if l.wrap {
		return -uint64(a) + l.v
	}
	return l.v
}

// roundG rounds a length up to G; one that overflows becomes 2^64-1, which
// overflows the kernel's rounding to 4 KiB the same way.
func (r *diffRunner) roundG(n uint64) uint64 {
	if r.g() == diffHostPage || n == 0 {
		return n
	}
	x := (n + r.g() - 1) &^ (r.g() - 1)
	if x == 0 {
		return ^uint64(0)
	}
	return x
}

func (r *diffRunner) hostLen(l diffLen, h uintptr) uint64 {
	if l.wrap {
		return -uint64(h) + r.roundG(l.v)
	}
	return r.roundG(l.v)
}

// pageLen is the length a G-page kernel uses after rounding, or 0 if it
// overflows.
func (r *diffRunner) pageLen(n uint64) uint64 { return (n + r.g() - 1) &^ (r.g() - 1) }

func (r *diffRunner) toGuest(h uintptr) Addr { return diffG0 + Addr(h-r.c.x) }
func (r *diffRunner) toHost(a Addr) uintptr  { return r.c.x + uintptr(a-diffG0) }

func (r *diffRunner) inRegion(h uintptr, n uint64) bool {
	return h >= r.c.x && n <= r.c.size() && uint64(h-r.c.x)+n <= r.c.size()
}

// safeRange reports whether an operation on the host range [h, h+n) that
// walks VMAs stays inside the safe range, or cannot act at all (the range
// wraps around the address space, which every call rejects, or is empty).
func (r *diffRunner) safeRange(h uintptr, n uint64) bool {
	if n == 0 || uint64(h)+n < uint64(h) {
		return true
	}
	lo, hi := r.c.x-diffSafeBelow, r.c.x+diffSafeAbove
	if h >= lo && uint64(h)+n <= uint64(hi) {
		return true
	}
	// Nothing is mapped in [0, 64 KiB) (mmap_min_addr) nor at or above
	// 2^47 (x86-64's user address space ends below it).
	end := uint64(h) + n
	return end <= 1<<16 || uint64(h) >= 1<<47
}

func diffErrString(e unix.Errno) string {
	if e == 0 {
		return "ok"
	}
	return unix.ErrnoName(e)
}

// step runs one operation on both sides and compares.
func (r *diffRunner) step(o diffOp) error {
	var err error
	if os.Getenv("DIFF_TRACE") == "2" {
		if sp, ok := r.sp.(*Space); ok {
			fmt.Fprintf(os.Stderr, "before %v:\n%s", o, sp.ProcMaps())
		}
	}
	switch o.kind {
	case dopMmap:
		err = r.doMmap(o)
	case dopMunmap:
		err = r.doRange(o, func(h uintptr, n uint64) unix.Errno {
			e := orcMunmap(h, n)
			if e == 0 {
				r.unstale(h, n)
			}
			return e
		}, func(a Addr, n uint64) unix.Errno { return r.sp.Munmap(a, n) }, false)
	case dopMprotect:
		if o.prot&ProtGrowsDown != 0 {
			if skip, err := r.growsDownSplit(r.hostAddr(o.addr)); err != nil {
				return err
			} else if skip {
				r.stats["skip: mprotect PROT_GROWSDOWN at a kernel-only VMA boundary"]++
				return errDiffSkip
			}
		}
		err = r.doRange(o, func(h uintptr, n uint64) unix.Errno { return orcMprotect(h, n, o.prot) },
			func(a Addr, n uint64) unix.Errno { return r.sp.Mprotect(a, n, o.prot) }, false)
	case dopMsync:
		err = r.doRange(o, func(h uintptr, n uint64) unix.Errno { return orcMsync(h, n, o.flags) },
			func(a Addr, n uint64) unix.Errno { return r.sp.Msync(a, n, o.flags) }, true)
	case dopMadvise:
		err = r.doMadvise(o)
	case dopMremap:
		err = r.doMremap(o)
	case dopMincore:
		err = r.doMincore(o)
	case dopMlock, dopMunlock:
		err = r.doMlock(o)
	case dopWrite:
		err = r.doWrite(o)
	case dopRead:
		err = r.doRead(o)
	}
	if err != nil {
		return err
	}
	r.noteCopies()
	r.steps++
	if diffTrace {
		fmt.Fprintf(os.Stderr, "step %d %v\n", r.steps, o)
	}
	return r.compareState(o)
}

// doRange runs an operation on an address range whose start must be
// page-aligned and whose length rounds up to a page.
func (r *diffRunner) doRange(o diffOp, k func(uintptr, uint64) unix.Errno, s func(Addr, uint64) unix.Errno, walksAll bool) error {
	ga := r.guestAddr(o.addr)
	h := r.hostAligned(o.addr)
	hl := r.hostLen(o.length, h)
	if !r.safeRange(h, hl) {
		r.stats["skip: range outside the safe host range"]++
		return errDiffSkip
	}
	ke := k(h, hl)
	se := s(ga, r.guestLen(o.length, ga))
	if ke != se {
		return diffDiverge("kernel %s, guestmem %s", diffErrString(ke), diffErrString(se))
	}
	return nil
}

func (r *diffRunner) doMadvise(o diffOp) error {
	if (o.flags == MadvPopulateRead || o.flags == MadvPopulateWrite) && r.populatesExecOnly(o) {
		r.stats["skip: populate of an exec-only page under PKU"]++
		return errDiffSkip
	}
	var kerr unix.Errno
	var missed []int
	err := r.doRange(o, func(h uintptr, n uint64) unix.Errno {
		if o.flags == MadvRemove {
			// Punching holes in the file is a write to it. (A call that
			// fails may have punched some before it stopped.)
			missed = r.missedBy(h, n)
		}
		kerr = orcMadvise(h, n, o.flags)
		return kerr
	}, func(a Addr, n uint64) unix.Errno { return r.sp.Madvise(a, n, o.flags) }, true)
	if err != nil {
		return err
	}
	r.markStale(missed)
	// Track MADV_FREE (tolerated) and what ends it (zapping).
	h := r.hostAligned(o.addr)
	n := r.hostLen(o.length, h)
	if h%diffHostPage != 0 || n == 0 || uint64(h)+n < uint64(h) {
		return nil
	}
	lo, hi := max(uint64(h), uint64(r.c.x)), min(uint64(h)+((n+diffHostPage-1)&^(diffHostPage-1)), uint64(r.c.x)+r.c.size())
	for p := lo; p < hi; p += diffHostPage {
		i := (p - uint64(r.c.x)) / diffHostPage
		switch o.flags {
		case MadvFree:
			// Read-only pages too: what was written before they lost
			// PROT_WRITE is freed lazily all the same.
			// A private mapping of /dev/zero is anonymous memory too.
			if d := r.kdesc[i]; d.mapped && !d.shared && (d.obj == orcObjNone || d.obj == orcObjDevZero) {
				r.lazy[i] = true
			}
		case MadvDontNeed, MadvDontNeedLocked:
			// Zapped, if the call succeeded (a failure may have zapped
			// some mappings before the one it stopped at: they stay
			// tolerated). MADV_REMOVE applies to shared pages only,
			// which are never lazily freed. A private file page zapped
			// shows the file again on both sides.
			if kerr == 0 {
				r.lazy[i] = false
				r.stale[i], r.copied[i] = false, false
			}
		}
	}
	return nil
}

// growsDownSplit reports whether mprotect(PROT_GROWSDOWN) at host address h
// would reach a kernel VMA boundary between pages that agree in everything
// Mapping reports (so guestmem may have merged them; see the package
// comment).
func (r *diffRunner) growsDownSplit(h uintptr) (bool, error) {
	if err := r.readKernel(true); err != nil {
		return false, err
	}
	for i, v := range r.kvmas {
		if h >= v.start && h < v.end {
			if i > 0 && r.kvmas[i-1].end == v.start && diffSameVisible(r.kvmas[i-1], v) {
				return true, nil
			}
			return false, nil
		}
	}
	return false, nil
}

// sameVisible reports whether adjacent kernel VMAs a and b (a below b) agree
// in everything Mapping reports, so that only kernel-internal state keeps
// them apart.
func diffSameVisible(a, b orcVMA) bool {
	if a.perms != b.perms || a.inode != b.inode || a.flags != b.flags || a.path != b.path {
		return false
	}
	// A private /dev/zero mapping's offset is not compared (see the
	// package comment): it does not make two pieces visibly different.
	devZero := a.path == "/dev/zero" && strings.HasSuffix(a.perms, "p")
	if a.inode != 0 && !devZero && a.off+uint64(a.end-a.start) != b.off {
		return false
	}
	return true
}

// splitInside reports whether a kernel VMA boundary between two
// visibly-identical VMAs lies strictly inside [lo, hi).
func (r *diffRunner) splitInside(lo, hi uintptr) (bool, error) {
	cand := false
	for i := 1; i < len(r.kvmas); i++ {
		a, b := r.kvmas[i-1], r.kvmas[i]
		if a.end == b.start && b.start > lo && b.start < hi && a.perms == b.perms && a.inode == b.inode {
			cand = true
		}
	}
	if !cand {
		return false, nil
	}
	if err := r.readKernel(true); err != nil {
		return false, err
	}
	for i := 1; i < len(r.kvmas); i++ {
		a, b := r.kvmas[i-1], r.kvmas[i]
		if a.end == b.start && b.start > lo && b.start < hi && diffSameVisible(a, b) {
			return true, nil
		}
	}
	return false, nil
}

// smallRefused asks the Space, in probe mode, whether it would refuse the
// operation op makes because no host mapping could hold what it asks for
// (G < H, see mixed.go). Such an operation is made on neither side and is
// counted under the rule's name; it is the only difference allowed.
func (r *diffRunner) smallRefused(rule string, op func(sp *Space)) bool {
	sp, ok := r.sp.(*Space)
	if !ok || r.c.h == 0 {
		return false
	}
	sp.mu.Lock()
	sp.probe = true
	before := sp.refused
	sp.mu.Unlock()
	op(sp)
	sp.mu.Lock()
	sp.probe = false
	refused := sp.refused != before
	sp.mu.Unlock()
	if refused {
		r.stats["skip: G < H refuses "+rule]++
	}
	return refused
}

func (r *diffRunner) doMmap(o diffOp) error {
	g := r.g()
	fixed := o.flags&(MapFixed|MapFixedNoReplace) != 0
	kfd, sfd := r.kf.fds[o.fd], r.sf.fds[o.fd]
	ga := r.guestAddr(o.addr)
	gl := r.guestLen(o.length, ga)
	if r.smallRefused("mmap needing a host page no host mapping can make (a shared page at an offset not congruent modulo H, or in a host page with other mappings' pages)", func(sp *Space) {
		sp.Mmap(ga, gl, o.prot, o.flags, sfd, int64(o.off))
	}) {
		if !fixed {
			// The Space chose the place: it must be one the host can hold.
			return diffDiverge("guestmem refuses (EINVAL) a mmap without MAP_FIXED at a place of its own choosing")
		}
		return errDiffSkip
	}
	hoff := r.hostOff(o.off)
	var kres uintptr
	var kerr unix.Errno
	if fixed {
		h := r.hostAligned(o.addr)
		hl := r.hostLen(o.length, h)
		if hl != 0 && uint64(h)+hl > uint64(h) && hl < 1<<47 && !r.inRegion(h&^(diffHostPage-1), (hl+diffHostPage-1)&^(diffHostPage-1)) {
			r.stats["skip: fixed mmap outside the region"]++
			return errDiffSkip
		}
		kres, kerr = orcMmap(h, hl, o.prot, o.flags, kfd, hoff)
		if kerr == 0 && !r.inRegion(kres, hl) {
			return diffHarnessErr("fixed mmap landed outside the region at %#x", kres)
		}
	} else {
		hl := r.hostLen(o.length, 0)
		rl := r.pageLen(gl)
		hint := ga &^ Addr(g-1)
		if ga != 0 && (o.addr.abs || uint64(hint) < uint64(diffG0) || uint64(hint-diffG0)+rl > r.c.size()) {
			r.stats["skip: hint outside the region"]++
			return errDiffSkip
		}
		valid := gl != 0 && rl != 0 && rl <= r.c.size()
		if !valid {
			// Fails on the kernel before any address is chosen (or would be
			// outside the region, which the generator avoids).
			kres, kerr = orcMmap(0, hl, o.prot, o.flags&^MapFixed, kfd, hoff)
			if kerr == 0 {
				orcMunmap(kres, hl)
				if rl != 0 && rl > r.c.size() {
					r.stats["skip: non-fixed mmap larger than the region"]++
					return errDiffSkip
				}
				return diffHarnessErr("kernel accepted mmap with length %#x", hl)
			}
		} else {
			vmas, err := r.vmasForModel()
			if err != nil {
				return err
			}
			e, ok := r.model.place(vmas, rl, hint, r.mmapKind(o, rl))
			placed := false
			if ga != 0 && g == diffHostPage && r.c.h == 0 {
				// Check the model against the kernel's own hint handling
				// (with G < H the Space's rule is not the kernel's).
				hh := r.hostAddr(o.addr)
				kres, kerr = orcMmap(hh, hl, o.prot, o.flags, kfd, hoff)
				if kerr == 0 {
					atHint := kres == r.toHost(hint)
					modelHint := ok && e == hint
					if atHint != modelHint {
						orcMunmap(kres, hl)
						return diffHarnessErr("placement model says hint %#x is %v but the kernel placed at %#x", uint64(hint), modelHint, kres)
					}
					if atHint {
						placed = true
					} else {
						if r.inRegion(kres, 1) {
							return diffHarnessErr("kernel placed a hinted mapping in the region at %#x, not at the hint", kres)
						}
						orcMunmap(kres, hl)
					}
				} else if !ok {
					// The kernel failed a later check; guestmem, whose
					// space is the region, runs out of room first.
					r.stats["skip: non-fixed mmap with no room in the region"]++
					return errDiffSkip
				} else {
					placed = true // the error is the answer
				}
			}
			if !placed {
				if !ok {
					// The guest kernel would look outside the region.
					kres, kerr = orcMmap(0, hl, o.prot, o.flags, kfd, hoff)
					if kerr == 0 {
						orcMunmap(kres, hl)
						a, se := r.sp.Mmap(ga, gl, o.prot, o.flags, sfd, int64(o.off))
						if se == 0 {
							if a >= diffG0 && uint64(a-diffG0) < r.c.size() {
								return diffDiverge("no room in the region for %#x bytes (model), but guestmem placed the mapping at %#x inside it", rl, uint64(a))
							}
							r.sp.Munmap(a, gl)
						}
						r.stats["skip: non-fixed mmap with no room in the region"]++
						return errDiffSkip
					}
				} else {
					// MAP_FIXED, not MAP_FIXED_NOREPLACE: Linux refuses
					// MAP_SHARED_VALIDATE|MAP_FIXED_NOREPLACE with
					// EOPNOTSUPP (it is not in LEGACY_MAP_MASK).
					if !orcFree(vmas, r.toHost(e), rl) {
						return diffHarnessErr("model address %#x for %#x bytes is not free on the kernel", uint64(e), rl)
					}
					kres, kerr = orcMmap(r.toHost(e), hl, o.prot, o.flags|MapFixed, kfd, hoff)
				}
			}
		}
	}
	sres, serr := r.sp.Mmap(ga, gl, o.prot, o.flags, sfd, int64(o.off))
	if kerr != serr {
		return diffDiverge("kernel %s, guestmem %s (at %#x)", diffErrString(kerr), diffErrString(serr), uint64(sres))
	}
	if kerr == 0 {
		if want := r.toGuest(kres); sres != want {
			return diffDiverge("kernel (model) mapped at %#x, guestmem at %#x", uint64(want), uint64(sres))
		}
		r.unstale(kres, gl)
		if o.flags&MapGrowsDown != 0 {
			r.gd = true
		}
	}
	return nil
}

// mmapKind is the placement kind (G < H) of a non-fixed mmap of length
// bytes: shared mappings and private file mappings get host pages of their
// own at their file offset's lead, and so do private anonymous ones (or
// private /dev/zero, which is anonymous memory) of whole host pages.
// Anonymous memory starts at offset 0; shared /dev/zero at its offset. A
// mapping type Linux refuses is placed as any other.
func (r *diffRunner) mmapKind(o diffOp, length uint64) diffPlaceKind {
	h := r.c.h
	if h == 0 || r.c.g >= h {
		return diffPlaceKind{}
	}
	anon := o.flags&MapAnonymous != 0
	typ := o.flags & MapTypeMask
	shared := typ == MapShared || (typ == MapSharedValidate && !anon)
	private := typ == MapPrivate || (typ == mapDroppable && anon)
	if !shared && !private {
		return diffPlaceKind{}
	}
	switch {
	case anon && shared:
		return diffPlaceKind{own: true}
	case (anon || o.fd == orcFdDevZero) && !shared:
		return diffPlaceKind{own: length%h == 0}
	}
	return diffPlaceKind{own: true, lead: o.off % h}
}

// moveKind is the placement kind (G < H) of a move of length bytes out of
// the kernel's mapping at host address hold, as mmapKind from the page's
// description before the move.
func (r *diffRunner) moveKind(hold uintptr, length uint64) diffPlaceKind {
	h := r.c.h
	if h == 0 || r.c.g >= h || !r.inRegion(hold, 1) {
		return diffPlaceKind{}
	}
	d := r.kdesc[(hold-r.c.x)/diffHostPage]
	if !d.shared && (d.obj == orcObjNone || d.obj == orcObjDevZero) {
		return diffPlaceKind{own: length%h == 0}
	}
	return diffPlaceKind{own: true, lead: d.off % h}
}

// mremapLens translates mremap's lengths: rounded up to G (Linux 6.18
// rounds both before any check, MREMAP_DONTUNMAP's equality test included).
func (r *diffRunner) mremapLens(o diffOp, hold uintptr) (uint64, uint64) {
	return r.hostLen(o.length, hold), r.roundG(o.newLen.v)
}

func (r *diffRunner) doMremap(o diffOp) error {
	g := r.g()
	gold := r.guestAddr(o.addr)
	goldLen := r.guestLen(o.length, gold)
	gnewLen := o.newLen.v
	gnew := r.guestAddr(o.newAddr)
	hold := r.hostAligned(o.addr)
	holdLen, hnewLen := r.mremapLens(o, hold)
	hnew := r.hostAligned(o.newAddr)
	flags := o.flags
	if r.smallRefused("mremap needing a host page no host mapping can make (a shared page at an offset not congruent modulo H, or in a host page with other mappings' pages)", func(sp *Space) {
		sp.Mremap(gold, goldLen, gnewLen, flags, gnew)
	}) {
		return errDiffSkip
	}
	if !r.safeRange(hold, holdLen) {
		r.stats["skip: range outside the safe host range"]++
		return errDiffSkip
	}
	// Boundaries the kernel keeps and guestmem may not.
	if hold%diffHostPage == 0 && holdLen != 0 && uint64(hold)+holdLen > uint64(hold) {
		if split, err := r.splitInside(hold, hold+uintptr(min(holdLen, r.c.size()+diffSafeAbove))); err != nil {
			return err
		} else if split {
			r.stats["skip: mremap across a kernel-only VMA boundary"]++
			return errDiffSkip
		}
	}
	if sp, ok := r.sp.(*Space); ok && flags&MremapDontUnmap != 0 {
		// DONTUNMAP unlocks the whole mapping it moves from: where the
		// kernel keeps that mapping in pieces guestmem merges, the
		// outcome depends on the kernel's own boundaries.
		if m, ok := sp.Lookup(gold); ok && m.Locked {
			if split, err := r.splitInside(r.toHost(m.Start), r.toHost(m.End)); err != nil {
				return err
			} else if split {
				r.stats["skip: mremap DONTUNMAP of a locked mapping the kernel keeps in pieces"]++
				return errDiffSkip
			}
			if flags&MremapFixed != 0 && dontUnmapMergesBack(m, gnew, r.pageLen(gnewLen)) {
				r.stats[diffSkipMergeBack]++
				return errDiffSkip
			}
		}
	}
	rl := r.pageLen(gnewLen)
	// Can the kernel's parameter checks pass (check_mremap_params)? If not,
	// the kernel fails the call before choosing any address.
	implies := flags&(MremapFixed|MremapDontUnmap) != 0
	paramsOK := flags&^(MremapMayMove|MremapFixed|MremapDontUnmap) == 0 && uint64(gold)%g == 0 && rl != 0 &&
		(!implies || (uint64(gnew)%g == 0 && flags&MremapMayMove != 0)) &&
		(flags&MremapDontUnmap == 0 || r.pageLen(holdLen) == r.pageLen(hnewLen))
	kernelChooses := paramsOK && flags&MremapMayMove != 0 && flags&MremapFixed == 0
	if paramsOK && flags&MremapFixed == 0 && rl < 1<<47 && !r.inRegion(hold, rl) {
		// Growing in place would leave the region (on both sides).
		r.stats["skip: mremap could grow past the region"]++
		return errDiffSkip
	}
	var kres uintptr
	var kerr unix.Errno
	if !kernelChooses {
		if flags&MremapFixed != 0 && paramsOK && rl < 1<<47 && !r.inRegion(hnew, rl) {
			r.stats["skip: mremap target outside the region"]++
			return errDiffSkip
		}
		kres, kerr = orcMremap(hold, holdLen, hnewLen, flags, hnew)
		if kerr == 0 && !r.inRegion(kres, rl) {
			return diffHarnessErr("mremap result %#x outside the region", kres)
		}
	} else {
		tryMove := true
		hint := Addr(0)
		if flags&MremapDontUnmap == 0 {
			kres, kerr = orcMremap(hold, holdLen, hnewLen, 0, 0)
			tryMove = kerr == unix.ENOMEM
		} else {
			// The kernel's own call decides the errors (it checks the hint
			// against the old range, and allows no multi-mapping move
			// without MREMAP_FIXED); then the moved pages go to the
			// model's address.
			if err := r.dontUnmapMove(o, hold, holdLen, hnewLen, hnew, gnew, rl, &kres, &kerr); err != nil {
				return err
			}
			tryMove = false
		}
		if tryMove {
			if rl > r.c.size() {
				r.stats["skip: mremap move larger than the region"]++
				return errDiffSkip
			}
			vmas, err := r.vmasForModel()
			if err != nil {
				return err
			}
			if hint != 0 && (uint64(hint) < uint64(diffG0) || uint64(hint-diffG0)+rl > r.c.size()) {
				r.stats["skip: mremap hint outside the region"]++
				return errDiffSkip
			}
			e, ok := r.model.place(vmas, rl, hint, r.moveKind(hold, rl))
			if !ok {
				r.stats["skip: mremap move with no room in the region"]++
				return errDiffSkip
			}
			if !orcFree(vmas, r.toHost(e), rl) {
				return diffHarnessErr("model address %#x for %#x bytes is not free on the kernel", uint64(e), rl)
			}
			kres, kerr = orcMremap(hold, holdLen, hnewLen, flags|MremapFixed, r.toHost(e))
		}
	}
	sres, serr := r.sp.Mremap(gold, goldLen, gnewLen, flags, gnew)
	if kerr != serr {
		return diffDiverge("kernel %s, guestmem %s (at %#x)", diffErrString(kerr), diffErrString(serr), uint64(sres))
	}
	if kerr == 0 {
		if want := r.toGuest(kres); sres != want {
			return diffDiverge("kernel (model) remapped to %#x, guestmem to %#x", uint64(want), uint64(sres))
		}
		r.moveStale(hold, kres, r.pageLen(goldLen), rl)
		// MADV_FREE state moves with the pages.
		if kres != hold && r.inRegion(hold, 1) {
			n := min(r.pageLen(goldLen), rl) / diffHostPage
			i0, j0 := uint64(hold-r.c.x)/diffHostPage, uint64(kres-r.c.x)/diffHostPage
			moved := make([]bool, n)
			for k := range n {
				if i0+k < uint64(len(r.lazy)) {
					moved[k] = r.lazy[i0+k]
					r.lazy[i0+k] = false
				}
			}
			for k := range n {
				if j0+k < uint64(len(r.lazy)) {
					r.lazy[j0+k] = moved[k]
				}
			}
		}
	}
	return nil
}

// dontUnmapMove runs mremap(MAYMOVE|DONTUNMAP) without MREMAP_FIXED: the
// kernel's call as the guest made it, then, if it moved the pages anywhere
// but where the model places them, a move there with MREMAP_FIXED.
// diffSkipMergeBack names the rule of dontUnmapMergesBack.
const diffSkipMergeBack = "skip: mremap DONTUNMAP of a locked anonymous mapping to a place touching it (the kernel may merge the moved pages back into the mapping moved from, which it then unlocks whole, depending on whether any page was ever faulted in: anon_vma)"

// dontUnmapMergesBack reports whether a MREMAP_DONTUNMAP move out of
// locked mapping m to [dst, dst+n) may end, in the kernel, with the moved
// pages merged into the very mapping they left, which DONTUNMAP then
// unlocks as a whole. The kernel merges them only if m is private
// anonymous memory none of whose pages was ever faulted in (it then gives
// the moved pages their new address as page offset, which makes them
// mergeable with anything around): state the kernel keeps to itself.
func dontUnmapMergesBack(m Mapping, dst Addr, n uint64) bool {
	return m.Locked && m.Anonymous && !m.Shared && dst <= m.End && m.Start <= dst+Addr(n)
}

func (r *diffRunner) dontUnmapMove(o diffOp, hold uintptr, holdLen, hnewLen uint64, hnew uintptr, gnew Addr, rl uint64, kres *uintptr, kerr *unix.Errno) error {
	if gnew != 0 && (uint64(gnew) < uint64(diffG0) || uint64(gnew-diffG0)+rl > r.c.size()) {
		r.stats["skip: mremap hint outside the region"]++
		return errDiffSkip
	}
	vmas, err := r.vmasForModel()
	if err != nil {
		return err
	}
	e, ok := r.model.place(vmas, rl, gnew, r.moveKind(hold, rl))
	if sp, isSpace := r.sp.(*Space); ok && isSpace {
		if m, found := sp.Lookup(r.guestAddr(o.addr)); found && dontUnmapMergesBack(m, e, rl) {
			r.stats[diffSkipMergeBack]++
			return errDiffSkip
		}
	}
	if !ok {
		// The guest kernel would move the pages out of the region. Moving
		// them back afterwards would not undo everything (DONTUNMAP
		// unlocks the source), so the call is not made.
		r.stats["skip: mremap move with no room in the region"]++
		return errDiffSkip
	}
	if gnew == 0 {
		hnew = 0
	}
	k, ke := orcMremap(hold, holdLen, hnewLen, o.flags, hnew)
	if ke != 0 {
		*kerr = ke
		return nil
	}
	if r.g() == diffHostPage && r.c.h == 0 && gnew != 0 {
		atHint, modelHint := k == r.toHost(gnew), ok && e == gnew
		if atHint != modelHint {
			return diffHarnessErr("placement model says mremap hint %#x is %v but the kernel moved to %#x", uint64(gnew), modelHint, k)
		}
	}
	if !ok {
		// The guest kernel would have moved the pages out of the region: put
		// them back and skip.
		if _, e := orcMremap(k, rl, rl, MremapMayMove|MremapFixed, hold); e != 0 {
			return diffHarnessErr("moving pages back from %#x: %v", k, e)
		}
		r.stats["skip: mremap move with no room in the region"]++
		return errDiffSkip
	}
	want := r.toHost(e)
	if k != want {
		if r.inRegion(k, 1) && k < want+uintptr(rl) && want < k+uintptr(rl) {
			// Overlapping source and target: go through a scratch place.
			tmp := r.c.x + uintptr(r.c.size()) + 1<<30
			if _, e := orcMremap(k, rl, rl, MremapMayMove|MremapFixed, tmp); e != 0 {
				return diffHarnessErr("moving pages to scratch: %v", e)
			}
			k = tmp
		}
		if _, e := orcMremap(k, rl, rl, MremapMayMove|MremapFixed, want); e != 0 {
			return diffHarnessErr("moving pages from %#x to the model's %#x: %v", k, want, e)
		}
	}
	*kres = want
	return nil
}

func (r *diffRunner) doMincore(o diffOp) error {
	g := r.g()
	ga := r.guestAddr(o.addr)
	gl := r.guestLen(o.length, ga)
	h := r.hostAligned(o.addr)
	hl := r.hostLen(o.length, h)
	if gl > r.c.size()+diffSafeBelow || hl > r.c.size()+diffSafeBelow {
		r.stats["skip: mincore longer than the vector"]++
		return errDiffSkip
	}
	gp := (gl + g - 1) / g
	hp := (hl + diffHostPage - 1) / diffHostPage
	kvec := make([]byte, hp)
	svec := make([]byte, gp)
	ke := orcMincore(h, hl, kvec)
	se := r.sp.Mincore(ga, gl, svec)
	if ke != se {
		return diffDiverge("kernel %s, guestmem %s", diffErrString(ke), diffErrString(se))
	}
	if ke != 0 {
		return nil
	}
	per := g / diffHostPage
	for i := range gp {
		want := byte(0)
		compare := true
		for j := i * per; j < (i+1)*per && j < hp; j++ {
			want |= kvec[j] & 1
			hpAddr := uint64(h) + j*diffHostPage
			if r.inRegion(uintptr(hpAddr), 1) {
				idx := (hpAddr - uint64(r.c.x)) / diffHostPage
				if r.lazy[idx] || (!r.c.tmpfs && (r.kdesc[idx].obj != orcObjNone && r.kdesc[idx].obj < orcObjFirstShm)) ||
					(r.c.pku && r.execOnly(uintptr(hpAddr), 1)) {
					compare = false
				}
			}
		}
		if compare && svec[i]&1 != want {
			return diffDiverge("mincore: guest page %#x: kernel (model) resident=%d, guestmem %d", uint64(ga)+i*g, want, svec[i]&1)
		}
	}
	return nil
}

func (r *diffRunner) doMlock(o diffOp) error {
	g := r.g()
	ga := r.guestAddr(o.addr)
	gl := r.guestLen(o.length, ga)
	h := r.hostAddr(o.addr)
	hl := r.guestLen(o.length, Addr(h)) // same wrap relation from the host address
	if g != diffHostPage {
		// The G-page kernel: len = PAGE_ALIGN(len + offset_in_page(start)),
		// start &= PAGE_MASK; pass the rounded pair.
		in := uint64(ga) % g
		nl := gl + in
		nl = (nl + g - 1) &^ (g - 1)
		h -= uintptr(in)
		if o.length.wrap {
			hl = -uint64(h) + (nl + uint64(ga) - in) // keep the wrap relative to the host start
		} else {
			hl = nl
		}
	}
	if !r.safeRange(h&^(diffHostPage-1), hl) {
		r.stats["skip: range outside the safe host range"]++
		return errDiffSkip
	}
	if o.kind == dopMlock && o.flags&MlockOnFault == 0 && r.populatesExecOnly(o) {
		r.stats["skip: populate of an exec-only page under PKU"]++
		return errDiffSkip
	}
	var ke, se unix.Errno
	if o.kind == dopMlock {
		ke = orcMlock(h, hl, o.flags)
		se = r.sp.Mlock(ga, gl, o.flags)
	} else {
		ke = orcMunlock(h, hl)
		se = r.sp.Munlock(ga, gl)
	}
	if ke != se {
		return diffDiverge("kernel %s, guestmem %s", diffErrString(ke), diffErrString(se))
	}
	return nil
}

// touchable reports whether the host pages of [h, h+n) are all mapped in
// the kernel layout (the harness never touches unmapped memory).
func (r *diffRunner) touchable(h uintptr, n uint64) bool {
	return r.touchablePrefix(h, n) == n
}

// touchablePrefix is how many bytes from h on lie in mapped pages of the
// region: the kernel-side copy touches those and stops at the first
// unmapped page (touching that could grow a grows-down mapping).
func (r *diffRunner) touchablePrefix(h uintptr, n uint64) uint64 {
	if !r.inRegion(h, 1) {
		return 0
	}
	for p := h &^ (diffHostPage - 1); p < h+uintptr(n); p += diffHostPage {
		if !r.inRegion(p, 1) || !r.kdesc[(p-r.c.x)/diffHostPage].mapped {
			return uint64(max(p, h) - h)
		}
	}
	return n
}

// populatesExecOnly reports whether o's range (as far as it lies in the
// region) holds an exec-only page on a host with protection keys. Populating
// such a page (mlock, MADV_POPULATE_*) fails on x86 with PKU, where riscv
// Linux populates it (FOLL_FORCE): the kernel here cannot answer for the
// guest.
func (r *diffRunner) populatesExecOnly(o diffOp) bool {
	if !r.c.pku || o.length.wrap {
		return false
	}
	h := r.hostAddr(o.addr) &^ (diffHostPage - 1)
	n := min(o.length.v+diffHostPage, r.c.size()+diffSafeBelow)
	lo, hi := max(uint64(h), uint64(r.c.x)), min(uint64(h)+n, uint64(r.c.x)+r.c.size())
	return lo < hi && r.execOnly(uintptr(lo), hi-lo)
}

func (r *diffRunner) execOnly(h uintptr, n uint64) bool {
	for p := h &^ (diffHostPage - 1); p < h+uintptr(n); p += diffHostPage {
		if r.inRegion(p, 1) {
			if d := r.kdesc[(p-r.c.x)/diffHostPage]; d.mapped && d.prot&(ProtRead|ProtWrite) == 0 && d.prot&ProtExec != 0 {
				return true
			}
		}
	}
	return false
}

func diffPattern(buf []byte, seed byte) {
	x := uint32(seed)*2654435761 + 1
	for i := range buf {
		x = x*1103515245 + 12345
		buf[i] = byte(x >> 16)
	}
}

func (r *diffRunner) doWrite(o diffOp) error {
	ga := r.guestAddr(o.addr)
	h := r.hostAddr(o.addr)
	n := o.length.v
	buf := r.kbuf[:n]
	diffPattern(buf, o.data)
	pre := r.touchablePrefix(h, n)
	missed := r.missedBy(h, pre)
	kok := orcWrite(h, buf[:pre]) && pre == n
	r.markStale(missed)
	var se unix.Errno
	if sp, ok := r.sp.(*Space); ok && r.c.h != 0 && o.data&1 != 0 {
		se = r.cpuWrite(sp, ga, buf)
	} else {
		se = r.sp.CopyOut(ga, buf)
	}
	if kok != (se == 0) {
		ks := "ok"
		if !kok {
			ks = "EFAULT"
		}
		return diffDiverge("kernel write %s, guestmem CopyOut %s", ks, diffErrString(se))
	}
	return nil
}

func (r *diffRunner) doRead(o diffOp) error {
	ga := r.guestAddr(o.addr)
	h := r.hostAddr(o.addr)
	n := o.length.v
	if !r.c.pku && r.execOnly(h, n) {
		r.stats["skip: read of exec-only page without PKU"]++
		return errDiffSkip
	}
	kb, sb := r.kbuf[:n], r.sbuf[:n]
	// Like a system call's copy, both sides copy up to the first bad page.
	pre := r.touchablePrefix(h, n)
	kok := orcRead(kb[:pre], h) && pre == n
	se := r.sp.CopyIn(sb, ga)
	if kok != (se == 0) {
		ks := "ok"
		if !kok {
			ks = "EFAULT"
		}
		return diffDiverge("kernel read %s, guestmem CopyIn %s", ks, diffErrString(se))
	}
	if kok && !bytes.Equal(kb, sb) {
		// MADV_FREE tolerance, per byte; a stale copy (G < H), per page.
		counted := map[uintptr]bool{}
		for i := range kb {
			if kb[i] != sb[i] {
				p := (h + uintptr(i)) &^ (diffHostPage - 1)
				idx := (p - r.c.x) / diffHostPage
				if r.lazy[idx] && (kb[i] == 0 || sb[i] == 0) {
					continue
				}
				if !r.stale[idx] {
					return diffDiverge("CopyIn data differs at %#x: kernel %#02x, guestmem %#02x", uint64(ga)+uint64(i), kb[i], sb[i])
				}
				if !counted[p] {
					counted[p] = true
					r.stats[diffSkipStale]++
				}
			}
		}
	}
	return nil
}

// --- state comparison ----------------------------------------------------

func (r *diffRunner) flagsDue(o diffOp) bool {
	if r.steps%diffFlushEvery == 0 || r.checkAll || diffTrace {
		return true
	}
	switch o.kind {
	case dopMlock, dopMunlock, dopMremap:
		return true
	case dopMadvise:
		switch o.flags {
		case MadvDontFork, MadvDoFork, MadvWipeOnFork, MadvKeepOnFork, MadvDontDump, MadvDoDump:
			return true
		}
	case dopMmap:
		return o.flags&(MapLocked|MapGrowsDown) != 0
	}
	return false
}

func (r *diffRunner) compareState(o diffOp) error {
	withFlags := r.flagsDue(o)
	check := r.sp.CheckInvariants
	if sp, ok := r.sp.(*Space); ok && (r.steps%diffFlushEvery == 0 || r.checkAll || diffTrace) {
		check = sp.CheckHostLocks
	}
	if err := check(); err != nil {
		return diffDiverge("CheckInvariants: %v", err)
	}
	if err := r.readKernel(withFlags); err != nil {
		return err
	}
	r.kernelDesc(withFlags)
	if err := r.spaceDesc(withFlags); err != nil {
		return err
	}
	if err := r.compareLayout(); err != nil {
		return err
	}
	if withFlags {
		if err := r.compareProcMaps(); err != nil {
			return err
		}
		if err := orcSameFiles(r.kf, r.sf); err != nil {
			return diffDiverge("%v", err)
		}
	}
	return r.compareContents(withFlags)
}

func (r *diffRunner) kernelDesc(withFlags bool) {
	clear(r.kdesc)
	shm := map[orcFileID]int{}
	for _, v := range r.kvmas {
		d := diffPage{mapped: true, shared: v.perms[3] == 's'}
		for i, c := range []int{ProtRead, ProtWrite, ProtExec} {
			if v.perms[i] != '-' {
				d.prot |= c
			}
		}
		if withFlags {
			d.flags = v.flags
		}
		anon := v.inode == 0
		if !anon {
			id := orcFileID{v.dev, v.inode}
			if obj, ok := r.kf.objOf[id]; ok && v.path != "/dev/zero (deleted)" {
				d.obj = obj
			} else if v.path == "/dev/zero (deleted)" {
				n, ok := shm[id]
				if !ok {
					n = orcObjFirstShm + len(shm)
					shm[id] = n
				}
				d.obj = n
			} else {
				d.obj = -int(v.inode)
			}
		}
		for p := v.start; p < v.end; p += diffHostPage {
			dd := d
			if !anon && d.obj != orcObjDevZero {
				dd.off = v.off + uint64(p-v.start)
			}
			r.kdesc[(p-r.c.x)/diffHostPage] = dd
		}
	}
}

func (r *diffRunner) spaceDesc(withFlags bool) error {
	clear(r.sdesc)
	shm := map[orcFileID]int{}
	lo, hi := diffG0, diffG0+Addr(r.c.size())
	for _, m := range r.sp.Mappings() {
		if m.End <= lo || m.Start >= hi {
			return diffDiverge("guestmem has a mapping outside the region: %v", m.Range)
		}
		d := diffPage{mapped: true, shared: m.Shared, prot: m.Prot & (ProtRead | ProtWrite | ProtExec)}
		if withFlags {
			for _, f := range []struct {
				b bool
				v kFlags
			}{{m.Locked, kfLocked}, {m.GrowsDown, kfGrowsDown}, {m.DontFork, kfDontFork}, {m.WipeOnFork, kfWipeOnFork}, {m.DontDump, kfDontDump}} {
				if f.b {
					d.flags |= f.v
				}
			}
		}
		switch {
		case m.Anonymous && !m.Shared:
		case m.Anonymous && m.Shared:
			id := orcFileID{m.Dev, m.Inode}
			n, ok := shm[id]
			if !ok {
				n = orcObjFirstShm + len(shm)
				shm[id] = n
			}
			d.obj = n
		default:
			if obj, ok := r.sf.objOf[orcFileID{m.Dev, m.Inode}]; ok {
				d.obj = obj
			} else {
				d.obj = -int(m.Inode)
			}
		}
		s, e := max(m.Start, lo), min(m.End, hi)
		for a := s; a < e; a += diffHostPage {
			dd := d
			if d.obj != orcObjNone && d.obj != orcObjDevZero {
				dd.off = m.Offset + uint64(a-m.Start)
			}
			r.sdesc[(a-lo)/diffHostPage] = dd
		}
	}
	return nil
}

// describeRuns renders the layout of pages [i, j) on both sides, merging
// equal neighbours.
func (r *diffRunner) describeRuns(descs []diffPage, lo, hi int) string {
	var b strings.Builder
	for i := lo; i < hi; {
		j := i + 1
		for j < hi && diffContinues(descs[j-1], descs[j]) {
			j++
		}
		fmt.Fprintf(&b, "\t\t[%#x, %#x) %v\n", uint64(diffG0)+uint64(i)*diffHostPage, uint64(diffG0)+uint64(j)*diffHostPage, descs[i])
		i = j
	}
	return b.String()
}

// next reports whether page b continues page a's description.
func diffContinues(a, b diffPage) bool {
	bb := b
	if a.obj != orcObjNone {
		bb.off -= diffHostPage
	}
	return a == bb
}

func (r *diffRunner) compareLayout() error {
	first, last := -1, -1
	for i := range r.kdesc {
		if r.kdesc[i] != r.sdesc[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	lo, hi := max(0, first-4), min(len(r.kdesc), last+5)
	return diffDiverge("layout differs at guest page %#x (%v on the kernel, %v in guestmem):\n\tkernel:\n%s\tguestmem:\n%s",
		uint64(diffG0)+uint64(first)*diffHostPage, r.kdesc[first], r.sdesc[first],
		r.describeRuns(r.kdesc, lo, hi), r.describeRuns(r.sdesc, lo, hi))
}

// compareProcMaps checks the Space's /proc/self/maps text against the
// kernel's, per page: permissions, offset, inode (as a backing identity) and
// path (the test files under their own names).
func (r *diffRunner) compareProcMaps() error {
	var b bytes.Buffer
	if err := r.sp.WriteProcMaps(&b); err != nil {
		return diffDiverge("WriteProcMaps: %v", err)
	}
	type line struct {
		perms, path string
		off         uint64
		obj         int
	}
	n := len(r.kdesc)
	klines, slines := make([]line, n), make([]line, n)
	fill := func(dst []line, vs []orcVMA, base uint64, objOf map[orcFileID]int, paths [2]string) {
		shm := map[orcFileID]int{}
		for _, v := range vs {
			l := line{perms: v.perms, path: v.path}
			switch {
			case v.inode == 0:
			case v.path == "/dev/zero (deleted)":
				id, ok := shm[orcFileID{v.dev, v.inode}]
				if !ok {
					id = orcObjFirstShm + len(shm)
					shm[orcFileID{v.dev, v.inode}] = id
				}
				l.obj = id
			default:
				l.obj = objOf[orcFileID{v.dev, v.inode}]
				if l.obj == 0 {
					l.obj = -1
				}
			}
			for i, p := range paths {
				if v.path == p {
					l.path = fmt.Sprintf("file%d", i)
				}
			}
			s, e := max(uint64(v.start), base), min(uint64(v.end), base+r.c.size())
			for a := s; a < e; a += diffHostPage {
				ll := l
				ll.off = v.off + (a - uint64(v.start))
				if v.inode == 0 || l.obj == orcObjDevZero {
					ll.off = 0
				}
				dst[(a-base)/diffHostPage] = ll
			}
		}
	}
	fill(klines, r.kvmas, uint64(r.c.x), r.kf.objOf, r.kf.paths)
	var svmas []orcVMA
	for _, s := range strings.Split(b.String(), "\n") {
		if s == "" {
			continue
		}
		v, ok := orcParseMapsLine(s)
		if !ok {
			return diffDiverge("WriteProcMaps: bad line %q", s)
		}
		if uint64(v.end) > uint64(diffG0) && uint64(v.start) < uint64(diffG0)+r.c.size() {
			svmas = append(svmas, v)
		}
	}
	fill(slines, svmas, uint64(diffG0), r.sf.objOf, r.sf.paths)
	for i := range klines {
		if klines[i] != slines[i] {
			return diffDiverge("/proc/self/maps differs at guest page %#x: kernel %+v, guestmem %+v\n\tguestmem's maps:\n%s",
				uint64(diffG0)+uint64(i)*diffHostPage, klines[i], slines[i], b.String())
		}
	}
	return nil
}

// pastEOF reports whether d is a page of a test file wholly past its end
// (reading it raises SIGBUS).
func (r *diffRunner) pastEOF(d diffPage) bool {
	var size uint64
	switch d.obj {
	case orcObjFile0:
		size = uint64(r.c.fileSz[0])
	case orcObjFile1:
		size = uint64(r.c.fileSz[1])
	default:
		return false
	}
	return d.off >= (size+diffHostPage-1)&^(diffHostPage-1)
}

func (r *diffRunner) compareContents(full bool) error {
	n := len(r.kdesc)
	if err := r.proc.present(r.c.x, n, r.kpres); err != nil {
		return err
	}
	sbase, ok := r.sp.Translate(diffG0, r.c.size())
	if !ok {
		return diffDiverge("Translate(%#x, %#x) failed", uint64(diffG0), r.c.size())
	}
	if err := r.proc.present(sbase, n, r.spres); err != nil {
		return err
	}
	if sp, ok := r.sp.(*Space); ok {
		// A page in a slot holds what was written through the alias.
		for i := range n {
			r.spres[i] = r.spres[i] || sp.slotResident(diffG0+Addr(i)*diffHostPage)
		}
	}
	for i := range n {
		d := r.kdesc[i]
		if !d.mapped || d.prot&(ProtRead|ProtWrite) == 0 {
			continue // PROT_NONE or exec-only: see the package comment
		}
		kh := r.c.x + uintptr(i)*diffHostPage
		sh := sbase + uintptr(i)*diffHostPage
		privAnon := !d.shared && d.obj == orcObjNone
		kzero := privAnon && !r.kpres[i]
		szero := privAnon && !r.spres[i]
		if kzero && szero {
			continue
		}
		if !full && !d.shared && r.pastEOF(d) {
			continue // faults on both sides; probed on the periodic full check
		}
		kf, sf := false, false
		if !kzero {
			kf = orcProbe(kh)
		}
		var sslow []byte
		if !szero {
			sf = orcProbe(sh)
			if sf {
				sslow, sf = r.emulatedRead(sh)
			}
		}
		if kf != sf {
			return diffDiverge("reading guest page %#x: kernel faulted=%v, guestmem faulted=%v", uint64(diffG0)+uint64(i)*diffHostPage, kf, sf)
		}
		if kf {
			continue
		}
		var kb, sb []byte
		zero := make([]byte, 0)
		if kzero {
			kb = diffZeroPage[:]
		} else {
			kb = orcBytes(kh, diffHostPage)
		}
		switch {
		case szero:
			sb = diffZeroPage[:]
		case sslow != nil:
			sb = sslow
		default:
			sb = orcBytes(sh, diffHostPage)
		}
		_ = zero
		if bytes.Equal(kb, sb) {
			continue
		}
		if r.stale[i] {
			r.stats[diffSkipStale]++
			continue
		}
		for j := range kb {
			if kb[j] != sb[j] && (!r.lazy[i] || (kb[j] != 0 && sb[j] != 0)) {
				return diffDiverge("contents of guest page %#x differ at offset %#x: kernel %#02x, guestmem %#02x (%v)",
					uint64(diffG0)+uint64(i)*diffHostPage, j, kb[j], sb[j], d)
			}
		}
	}
	return nil
}

var diffZeroPage [diffHostPage]byte

// diffSkipStale names the rule of diffRunner.stale.
const diffSkipStale = "compare-skip: G < H: stale copy (a private file page the Space holds, or held, in an anonymous copy missed a later write to the file)"

// missedBy returns the pages that a write to [h, h+n) is about to leave
// stale (G < H): private pages of a test file that the Space holds, or
// held since they were last replaced, in an anonymous copy (r.copied) and
// the kernel still reads from the file (never written, pagemap shows no
// anonymous page), whose file page the write reaches through a shared
// mapping of [h, h+n). Called before the write: a page the write itself
// then copies on the kernel side is included, which only ever tolerates
// more.
func (r *diffRunner) missedBy(h uintptr, n uint64) []int {
	if r.c.h == 0 || n == 0 {
		return nil
	}
	type filePage struct {
		obj int
		off uint64
	}
	written := map[filePage]bool{}
	for p := max(h, r.c.x) &^ (diffHostPage - 1); p < h+uintptr(n) && r.inRegion(p, 1); p += diffHostPage {
		if d := r.kdesc[(p-r.c.x)/diffHostPage]; d.mapped && d.shared && (d.obj == orcObjFile0 || d.obj == orcObjFile1) {
			written[filePage{d.obj, d.off}] = true
		}
	}
	if len(written) == 0 {
		return nil
	}
	var out []int
	for i, d := range r.kdesc {
		if !d.mapped || d.shared || !written[filePage{d.obj, d.off}] || r.stale[i] {
			continue
		}
		if r.copied[i] && !r.kernelCopied(r.c.x+uintptr(i)*diffHostPage) {
			out = append(out, i)
		}
	}
	return out
}

// noteCopies marks, after an operation, the pages the Space now holds in
// an anonymous copy (G < H). They stay marked until replaced: when its
// host page is direct again, a page keeps the copy's bytes (the Space
// cannot tell whether it was written), so it still misses writes to the
// file.
func (r *diffRunner) noteCopies() {
	sp, ok := r.sp.(*Space)
	if !ok || r.c.h == 0 {
		return
	}
	now := make([]bool, len(r.copied))
	sp.copiesIn(diffG0, now)
	for i, c := range now {
		r.copied[i] = r.copied[i] || c
	}
}

// markStale marks the pages missedBy returned.
func (r *diffRunner) markStale(pages []int) {
	for _, i := range pages {
		r.stale[i] = true
	}
}

// kernelCopied reports whether the kernel's private file page at h has
// been copied on write: pagemap shows it present (or swapped) and not a
// file page.
func (r *diffRunner) kernelCopied(h uintptr) bool {
	var b [8]byte
	if _, err := r.proc.pagemap.ReadAt(b[:], int64(h/diffHostPage)*8); err != nil {
		return true // unknown: tolerate nothing
	}
	e := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	const present, swapped, file = 1 << 63, 1 << 62, 1 << 61
	return e&swapped != 0 || (e&present != 0 && e&file == 0)
}

// unstale ends the copy and stale states of the pages of [h, h+n): they
// were unmapped or mapped anew.
func (r *diffRunner) unstale(h uintptr, n uint64) {
	lo, hi := uint64(h)&^(diffHostPage-1), uint64(h)+n
	if hi < lo {
		hi = ^uint64(0)
	}
	lo, hi = max(lo, uint64(r.c.x)), min(hi, uint64(r.c.x)+r.c.size())
	for p := lo; p < hi; p += diffHostPage {
		i := (p - uint64(r.c.x)) / diffHostPage
		r.stale[i], r.copied[i] = false, false
	}
}

// moveStale carries the copy and stale states of the pages an mremap moved
// from hold (oldLen bytes) to kres (newLen bytes): the moved pages keep
// them, the pages left behind (unmapped, or empty again with DONTUNMAP)
// and the grown part lose them. Where several mappings moved at once, the
// target pages facing the gaps between them keep what they had.
func (r *diffRunner) moveStale(hold, kres uintptr, oldLen, newLen uint64) {
	if kres == hold {
		if oldLen > newLen {
			r.unstale(hold+uintptr(newLen), oldLen-newLen)
		}
		return
	}
	n := int(min(oldLen, newLen) / diffHostPage)
	type state struct{ mapped, stale, copied bool }
	moved := make([]state, n)
	for k := range n {
		if p := hold + uintptr(k)*diffHostPage; r.inRegion(p, 1) {
			i := (p - r.c.x) / diffHostPage
			moved[k] = state{r.kdesc[i].mapped, r.stale[i], r.copied[i]}
		}
	}
	r.unstale(hold, oldLen)
	for k := 0; uint64(k)*diffHostPage < newLen; k++ {
		p := kres + uintptr(k)*diffHostPage
		if !r.inRegion(p, 1) {
			continue
		}
		i := (p - r.c.x) / diffHostPage
		switch {
		case k >= n:
			r.stale[i], r.copied[i] = false, false
		case moved[k].mapped:
			r.stale[i], r.copied[i] = moved[k].stale, moved[k].copied
		}
	}
}

// copiesIn sets out[i] for each guest page i from start that is a private
// file page held in an anonymous copy (G < H), and clears the others.
func (s *Space) copiesIn(start Addr, out []bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	clear(out)
	g, h := Addr(s.guestPage), Addr(s.hostPage)
	end := start + Addr(len(out))*g
	for v := s.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.file == nil || v.shared || v.file.devZero {
			continue
		}
		r := v.rng().Intersect(Range{start, end})
		for hp := r.Start &^ (h - 1); hp < r.End; hp += h {
			piece := r.Intersect(Range{hp, hp + h})
			// A host page wholly inside v is direct unless v is a copy.
			copied := s.isCopy(v)
			if piece.Len() < uint64(h) {
				copied = s.planLocked(hp).file == nil
			}
			for p := piece.Start; p < piece.End && copied; p += g {
				out[(p-start)/g] = true
			}
		}
	}
}

// heldAsCopy reports whether the private file page at a is held in an
// anonymous copy (G < H).
func (s *Space) heldAsCopy(a Addr) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.vmas.find(a)
	if !s.small() || v == nil || v.file == nil || v.shared || v.file.devZero {
		return false
	}
	return s.planLocked(Addr(alignDown(uint64(a), s.hostPage))).file == nil
}

// cpuWrite writes buf at guest address a as a CPU's stores would with
// G < H (for writes whose pattern seed is odd): guest page by guest page
// in address order, directly where the host page allows it, else (where
// the host store would fault) through HandleFault and, if it says
// Emulate, StoreSlow, which may move the host page into a slot. The first
// piece that faults ends the write with EFAULT, as CopyOut's would.
func (r *diffRunner) cpuWrite(sp *Space, a Addr, buf []byte) unix.Errno {
	g := r.g()
	for done := uint64(0); done < uint64(len(buf)); {
		p := a + Addr(done)
		n := min(uint64(len(buf))-done, g-uint64(p)%g)
		piece := buf[done : done+n]
		if e := sp.CheckAccess(p, n, AccessWrite); e != 0 {
			// A fault the guest sees (and no stack growth: the
			// harness never touches pages the kernel shows unmapped).
			return e
		}
		if sp.HostAllows(p, n, AccessWrite) {
			if e := sp.CopyOut(p, piece); e != 0 {
				return e
			}
		} else if f, _ := sp.HandleFault(sp.Base()+uintptr(p), AccessWrite); !f.Emulate || sp.StoreSlow(p, piece) != 0 {
			return unix.EFAULT
		} else {
			r.countSlot(sp, p)
		}
		done += n
	}
	return 0
}

// emulatedRead reads the guest page at host address sh, whose host read
// faulted, as a CPU would with G < H: HandleFault, and if it says Emulate,
// LoadSlow. It returns the page and false, or nil and true (a fault the
// guest sees).
func (r *diffRunner) emulatedRead(sh uintptr) ([]byte, bool) {
	sp, ok := r.sp.(*Space)
	if !ok || r.c.h == 0 {
		return nil, true
	}
	f, _ := sp.HandleFault(sh, AccessRead)
	if !f.Emulate {
		return nil, true
	}
	b := make([]byte, diffHostPage)
	if sp.LoadSlow(Addr(sh-sp.Base()), b) != 0 {
		return nil, true
	}
	r.countSlot(sp, Addr(sh-sp.Base()))
	return b, false
}

// countSlot counts a slow access at a by the way it went: through a slot
// or a view (slots.go), or neither.
func (r *diffRunner) countSlot(sp *Space, a Addr) {
	hp := Addr(alignDown(uint64(a), sp.hostPage))
	sp.mu.RLock()
	_, slot := sp.slotOf(hp)
	_, view := sp.slots.view[hp]
	sp.mu.RUnlock()
	switch {
	case slot:
		r.stats["slow accesses through a slot"]++
	case view:
		r.stats["slow accesses through a view"]++
	default:
		r.stats["slow accesses through neither"]++
	}
}

// --- generation ----------------------------------------------------------

// diffGen generates operations, looking at the kernel layout to aim at
// interesting places (mapping edges, mapped pages).
type diffGen struct {
	rng *rand.Rand
	r   *diffRunner
}

func (g *diffGen) n(k int) int           { return g.rng.IntN(k) }
func (g *diffGen) chance(p float64) bool { return g.rng.Float64() < p }

// pagesOf the region in 4 KiB units, and the guest page in them.
func (g *diffGen) regionPages() int64 { return int64(g.r.c.pages) }
func (g *diffGen) gp() int64          { return int64(g.r.g() / diffHostPage) }

// point returns an interesting page index in the region: a VMA edge (±1
// guest page), a mapped page, or any page.
func (g *diffGen) point() int64 {
	vs := g.r.kvmas
	N := g.regionPages()
	gp := g.gp()
	var p int64
	switch {
	case len(vs) > 0 && g.chance(0.5):
		v := vs[g.n(len(vs))]
		s, e := int64(v.start-g.r.c.x)/diffHostPage, int64(v.end-g.r.c.x)/diffHostPage
		switch g.n(4) {
		case 0:
			p = s
		case 1:
			p = e
		case 2:
			p = s + int64(g.n(int(e-s)))
		default:
			p = s + int64(g.n(3)-1)*gp
		}
	default:
		p = int64(g.n(int(N)))
	}
	if gp > 1 && !g.chance(0.2) {
		p &^= gp - 1
	}
	return max(0, min(p, N-1))
}

// addr returns an address argument for a range operation.
func (g *diffGen) addr() diffAddr {
	switch x := g.n(100); {
	case x < 3:
		abs := []uint64{0, 4096, 1 << 47, 1 << 63, ^uint64(0) &^ 0xffff, ^uint64(0)}
		return diffAddr{abs: true, v: int64(abs[g.n(len(abs))])}
	case x < 6:
		return diffAddr{v: -int64(1+g.n(64)) * diffHostPage * g.gp()}
	case x < 9:
		return diffAddr{v: (g.regionPages() + int64(g.n(64))) * diffHostPage}
	case x < 13:
		return diffAddr{v: g.point()*diffHostPage + int64(1+g.n(diffHostPage-1))}
	}
	return diffAddr{v: g.point() * diffHostPage}
}

// length returns a length for an operation at a (which matters for
// absolute addresses: they only get short or wrapping lengths).
func (g *diffGen) length(a diffAddr, big bool) diffLen {
	gp := g.gp()
	N := g.regionPages()
	x := g.n(100)
	switch {
	case x < 4:
		return diffLen{}
	case x < 8:
		return diffLen{wrap: true, v: uint64(g.n(3)) * diffHostPage}
	case x < 11:
		huge := []uint64{^uint64(0), ^uint64(0) - 4095, ^uint64(0) - 0xffff, 1 << 63}
		if big {
			huge = append(huge, 1<<47, 1<<62)
		}
		return diffLen{v: huge[g.n(len(huge))]}
	case x < 13 && big && !a.abs:
		return diffLen{v: 1 << (30 + g.n(7))}
	}
	var pages int64
	switch y := g.n(10); {
	case y < 6:
		pages = 1 + int64(g.n(4))*gp
	case y < 9:
		pages = 1 + int64(g.n(int(N/8)))
	default:
		// To the end of the VMA holding a, or of the region.
		if !a.abs && a.v >= 0 {
			p := a.v / diffHostPage
			end := N
			for _, v := range g.r.kvmas {
				s, e := int64(v.start-g.r.c.x)/diffHostPage, int64(v.end-g.r.c.x)/diffHostPage
				if p >= s && p < e {
					end = e
				}
			}
			pages = max(1, end-p)
		} else {
			pages = 1
		}
	}
	if gp > 1 && g.chance(0.6) {
		pages = (pages + gp - 1) &^ (gp - 1)
	}
	l := uint64(pages) * diffHostPage
	if g.chance(0.1) {
		l -= uint64(1 + g.n(diffHostPage-1))
	}
	return diffLen{v: l}
}

func (g *diffGen) prot() int {
	if g.chance(0.08) {
		bad := []int{0x8, 0x10, ProtGrowsDown | ProtRead, ProtGrowsUp | ProtRead, ProtGrowsDown | ProtGrowsUp, 0xff, ProtGrowsDown | ProtRead | ProtWrite}
		return bad[g.n(len(bad))]
	}
	ps := []int{ProtRead | ProtWrite, ProtRead | ProtWrite, ProtRead | ProtWrite, ProtRead, ProtRead, ProtNone, ProtRead | ProtExec, ProtRead | ProtWrite | ProtExec, ProtWrite, ProtExec}
	return ps[g.n(len(ps))]
}

// mappedPages counts pages mapped in the kernel layout.
func (g *diffGen) mappedPages() int64 {
	var n int64
	for _, v := range g.r.kvmas {
		n += int64(v.end-v.start) / diffHostPage
	}
	return n
}

func (g *diffGen) fileSize(slot int) int64 {
	switch slot {
	case orcFdFile0RW, orcFdFile0RO, orcFdFile0WO, orcFdFile0Append:
		return int64(g.r.c.fileSz[0])
	case orcFdFile1RW, orcFdFile1RO:
		return int64(g.r.c.fileSz[1])
	}
	return 64 * diffHostPage
}

func (g *diffGen) mmap() diffOp {
	o := diffOp{kind: dopMmap, prot: g.prot(), fd: orcFdBadNeg}
	N := g.regionPages()
	gp := g.gp()
	full := g.mappedPages() > N/3
	// Type and flags.
	switch x := g.n(100); {
	case x < 55:
		o.flags = MapPrivate
	case x < 85:
		o.flags = MapShared
	case x < 94:
		o.flags = MapSharedValidate
	default:
		o.flags = []int{0, 4, 0xf, 0x7}[g.n(4)]
	}
	anon := g.chance(0.6)
	if anon {
		o.flags |= MapAnonymous
		if g.chance(0.2) {
			o.fd = g.n(orcNumFds)
		}
	} else {
		o.fd = []int{orcFdFile0RW, orcFdFile0RW, orcFdFile0RO, orcFdFile1RW, orcFdFile1RO, orcFdFile0WO, orcFdFile0Append, orcFdPipe, orcFdDir, orcFdDevZero, orcFdBadNeg, orcFdBadHigh}[g.n(12)]
		sz := g.fileSize(o.fd) / diffHostPage
		switch x := g.n(100); {
		case x < 80:
			o.off = uint64(g.n(int(sz))) * diffHostPage
		case x < 90:
			o.off = uint64(sz+int64(g.n(8))) * diffHostPage
		case x < 95:
			o.off = uint64(g.n(int(sz)))*diffHostPage + uint64(1+g.n(diffHostPage-1))
		default:
			o.off = []uint64{1 << 62, 1<<63 - diffHostPage, ^uint64(0) &^ 0xffff}[g.n(3)]
		}
		if gp > 1 && g.chance(0.7) {
			o.off &^= uint64(gp*diffHostPage - 1)
		}
	}
	for _, f := range []struct {
		p float64
		v int
	}{{0.1, MapPopulate}, {0.1, MapNoReserve}, {0.03, MapLocked}, {0.04, MapGrowsDown}, {0.03, MapStack},
		{0.02, MapNonBlock}, {0.02, MapDenyWrite | MapExecutable}, {0.02, MapSync}, {0.01, MapUninitialized},
		{0.03, []int{0x200, 0x400, 0x400000, 0x800000}[g.n(4)]}} {
		if g.chance(f.p) {
			o.flags |= f.v
		}
	}
	// Placement.
	switch x := g.n(100); {
	case x < 45:
		o.flags |= MapFixed
	case x < 55:
		o.flags |= MapFixedNoReplace
	case x < 58:
		o.flags |= MapFixed | MapFixedNoReplace
	}
	fixed := o.flags&(MapFixed|MapFixedNoReplace) != 0
	maxPages := N / 8
	if full {
		maxPages = N / 32
	}
	pages := 1 + int64(g.n(int(max(1, maxPages))))
	if g.chance(0.5) {
		pages = 1 + int64(g.n(4))*gp
	}
	if gp > 1 && g.chance(0.6) {
		pages = (pages + gp - 1) &^ (gp - 1)
	}
	if fixed {
		p := g.point()
		if gp > 1 && g.chance(0.8) {
			p &^= gp - 1
		}
		pages = min(pages, N-p)
		pages = min(pages, (N-p)&^(gp-1))
		if pages <= 0 {
			p, pages = 0, gp
		}
		o.addr = diffAddr{v: p * diffHostPage}
		if g.chance(0.03) {
			o.addr.v += int64(1 + g.n(diffHostPage-1))
		}
	} else if g.chance(0.3) {
		p := int64(g.n(int(max(1, N-pages))))
		o.addr = diffAddr{v: p*diffHostPage + int64(g.n(2))*int64(g.n(diffHostPage))}
		if gp > 1 && g.chance(0.5) {
			o.addr.v &^= gp*diffHostPage - 1
		}
		// Keep hint+len inside the region after rounding.
		if (o.addr.v/diffHostPage+gp-1)&^(gp-1)+((pages+gp-1)&^(gp-1)) > N {
			o.addr = diffAddr{abs: true}
		}
	} else {
		o.addr = diffAddr{abs: true}
	}
	l := uint64(pages) * diffHostPage
	if g.chance(0.1) {
		l -= uint64(1 + g.n(diffHostPage-1))
	}
	o.length = diffLen{v: l}
	if g.chance(0.04) {
		o.length = []diffLen{{}, {v: ^uint64(0)}, {v: ^uint64(0) - 4095}, {v: 1 << 63}, {wrap: true}}[g.n(5)]
	}
	return o
}

func (g *diffGen) mremap() diffOp {
	o := diffOp{kind: dopMremap}
	gp := g.gp()
	N := g.regionPages()
	// Old range: usually (part of) a VMA.
	if len(g.r.kvmas) > 0 && g.chance(0.85) {
		v := g.r.kvmas[g.n(len(g.r.kvmas))]
		s, e := int64(v.start-g.r.c.x)/diffHostPage, int64(v.end-g.r.c.x)/diffHostPage
		a, b := s, e
		if g.chance(0.4) {
			a = s + int64(g.n(int(e-s)))
			b = a + 1 + int64(g.n(int(e-a)))
		}
		if gp > 1 && g.chance(0.8) {
			a &^= gp - 1
			b = (b + gp - 1) &^ (gp - 1)
		}
		if g.chance(0.05) {
			b += gp
		}
		o.addr = diffAddr{v: a * diffHostPage}
		o.length = diffLen{v: uint64(max(b-a, 1)) * diffHostPage}
	} else {
		o.addr = g.addr()
		o.length = g.length(o.addr, false)
	}
	if g.chance(0.05) {
		o.length = diffLen{} // old_size 0: duplicate a shared mapping
	}
	old := int64(o.length.v / diffHostPage)
	room := N - o.addr.v/diffHostPage // keep growth in place inside the region
	switch x := g.n(100); {
	case x < 30:
		o.newLen = diffLen{v: uint64(max(1, old-int64(1+g.n(int(max(1, old))))*1)) * diffHostPage}
	case x < 70:
		o.newLen = diffLen{v: uint64(max(1, min(room, max(1, old)+int64(1+g.n(int(max(2, N/16))))))) * diffHostPage}
	case x < 90:
		o.newLen = o.length
	case x < 95:
		o.newLen = diffLen{v: uint64(old+int64(g.n(3)))*diffHostPage - uint64(g.n(2)*g.n(diffHostPage))}
	default:
		o.newLen = []diffLen{{}, {v: ^uint64(0)}, {v: 1 << 63}, {v: 1 << 47}}[g.n(4)]
	}
	if gp > 1 && g.chance(0.6) {
		o.newLen.v = (o.newLen.v + uint64(gp*diffHostPage) - 1) &^ uint64(gp*diffHostPage-1)
	}
	switch x := g.n(100); {
	case x < 25:
		o.flags = 0
	case x < 60:
		o.flags = MremapMayMove
	case x < 80:
		o.flags = MremapMayMove | MremapFixed
	case x < 90:
		o.flags = MremapMayMove | MremapDontUnmap
		if g.chance(0.8) {
			o.newLen = o.length
		}
	case x < 95:
		o.flags = MremapMayMove | MremapFixed | MremapDontUnmap
		if g.chance(0.8) {
			o.newLen = o.length
		}
	default:
		o.flags = []int{MremapFixed, MremapDontUnmap, 8, MremapFixed | MremapDontUnmap}[g.n(4)]
	}
	if o.flags&(MremapFixed|MremapDontUnmap) != 0 {
		np := int64(o.newLen.v / diffHostPage)
		if np > N {
			np = 1
		}
		p := int64(g.n(int(max(1, N-np))))
		if gp > 1 && g.chance(0.85) {
			p &^= gp - 1
		}
		o.newAddr = diffAddr{v: p * diffHostPage}
		if o.flags&MremapFixed == 0 && g.chance(0.5) {
			o.newAddr = diffAddr{abs: true}
		}
		if g.chance(0.03) {
			o.newAddr.v += int64(1 + g.n(100))
		}
	}
	return o
}

var diffAdvices = []int{MadvDontNeed, MadvDontNeed, MadvFree, MadvFree, MadvRemove, MadvWillNeed, MadvDontFork, MadvDoFork,
	MadvWipeOnFork, MadvKeepOnFork, MadvDontDump, MadvDoDump, MadvHugePage, MadvNoHugePage, MadvCold, MadvPageOut,
	MadvNormal, MadvRandom, MadvSequential, MadvPopulateRead, MadvPopulateWrite, MadvDontNeedLocked,
	-1, 26, 99, 200, 1000}

func (g *diffGen) next() diffOp {
	full := g.mappedPages() > g.regionPages()/3
	x := g.n(100)
	if full && x < 40 {
		a := diffAddr{v: g.point() * diffHostPage}
		return diffOp{kind: dopMunmap, addr: a, length: g.length(a, false)}
	}
	switch {
	case x < 22:
		return g.mmap()
	case x < 30:
		a := g.addr()
		return diffOp{kind: dopMunmap, addr: a, length: g.length(a, true)}
	case x < 40:
		a := g.addr()
		return diffOp{kind: dopMprotect, addr: a, length: g.length(a, true), prot: g.prot()}
	case x < 50:
		return g.mremap()
	case x < 54:
		a := g.addr()
		fl := []int{MsAsync, MsSync, MsInvalidate, MsAsync | MsInvalidate, MsSync | MsInvalidate, 0, MsAsync | MsSync, 8}[g.n(8)]
		return diffOp{kind: dopMsync, addr: a, length: g.length(a, false), flags: fl}
	case x < 65:
		a := g.addr()
		return diffOp{kind: dopMadvise, addr: a, length: g.length(a, false), flags: diffAdvices[g.n(len(diffAdvices))]}
	case x < 70:
		a := g.addr()
		return diffOp{kind: dopMincore, addr: a, length: g.length(a, false)}
	case x < 75:
		a := g.addr()
		k := dopMlock
		if g.chance(0.5) {
			k = dopMunlock
		}
		fl := 0
		if g.chance(0.3) {
			fl = []int{MlockOnFault, 2, MlockOnFault | 2}[g.n(3)]
		}
		if k == dopMunlock {
			fl = 0
		}
		l := g.length(a, false)
		if !l.wrap && l.v > 64*diffHostPage*uint64(g.gp()) && l.v < 1<<47 {
			l.v = 64 * diffHostPage
		}
		return diffOp{kind: k, addr: a, length: l, flags: fl}
	case x < 90:
		p := g.point()
		in := int64(g.n(diffHostPage))
		n := 1 + g.n(int(diffHostPage-in))
		return diffOp{kind: dopWrite, addr: diffAddr{v: p*diffHostPage + in}, length: diffLen{v: uint64(n)}, data: byte(g.n(256))}
	default:
		p := g.point()
		in := int64(g.n(diffHostPage))
		n := 1 + g.n(2*diffHostPage-int(in))
		if p == g.regionPages()-1 {
			n = min(n, diffHostPage-int(in))
		}
		return diffOp{kind: dopRead, addr: diffAddr{v: p*diffHostPage + in}, length: diffLen{v: uint64(n)}}
	}
}

// --- episodes, shrinking and the tests ------------------------------------

// diffHangTimeout bounds one operation; guestmem taking longer is reported
// as a hang.
const diffHangTimeout = 20 * time.Second

// stepTimed runs r.step in another goroutine, so that a hang or a panic in
// guestmem is reported as a divergence instead of stopping the test binary.
// After a hang the runner must not be used again (r.hung).
func (r *diffRunner) stepTimed(o diffOp) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- diffDiverge("panic: %v\n%s", p, debug.Stack())
			}
		}()
		done <- r.step(o)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(diffHangTimeout):
		r.hung = true
		return diffDiverge("no answer within %v (hang)", diffHangTimeout)
	}
}

// runOps runs ops in a fresh episode and returns the index of the first
// diverging operation (or -1) and the error.
func (r *diffRunner) runOps(ops []diffOp) (int, error) {
	if err := r.start(); err != nil {
		return -1, err
	}
	defer r.finish()
	for i, o := range ops {
		err := r.stepTimed(o)
		if err == errDiffSkip {
			continue
		}
		if err != nil {
			return i, err
		}
	}
	return -1, nil
}

// runEpisode generates and runs n operations from seed; on divergence it
// returns the operations up to and including the failing one.
func (r *diffRunner) runEpisode(seed uint64, n int) (ops []diffOp, err error) {
	if err := r.start(); err != nil {
		return nil, err
	}
	defer r.finish()
	g := &diffGen{rng: rand.New(rand.NewPCG(seed, seed^0x5bd1e995)), r: r}
	for range n {
		o := g.next()
		ops = append(ops, o)
		err := r.stepTimed(o)
		if err == errDiffSkip {
			r.stats["skipped"]++
			continue
		}
		r.stats["ops"]++
		r.stats[diffOpNames[o.kind]]++
		if err != nil {
			return ops, err
		}
	}
	return nil, nil
}

// shrink delta-debugs ops (ddmin, then single removals) to a shorter
// sequence that still diverges (with any divergence, not a harness error).
func (r *diffRunner) shrink(ops []diffOp, first error, limit time.Duration) ([]diffOp, error) {
	deadline := time.Now().Add(limit)
	r.checkAll = true
	defer func() { r.checkAll = false }()
	want := diffKind(ops[len(ops)-1], first)
	var hungOps []diffOp
	fails := func(c []diffOp) (int, error, bool) {
		if r.hung {
			return -1, nil, false
		}
		i, err := r.runOps(c)
		if r.hung {
			hungOps = c
		}
		var d *diffDivergence
		return i, err, errors.As(err, &d) && diffKind(c[i], err) == want
	}
	_, lastErr, _ := fails(ops)
	n := 2
	for len(ops) >= 2 && time.Now().Before(deadline) {
		chunk := (len(ops) + n - 1) / n
		reduced := false
		for start := 0; start < len(ops) && time.Now().Before(deadline); start += chunk {
			cand := append(append([]diffOp{}, ops[:start]...), ops[min(len(ops), start+chunk):]...)
			if i, err, ok := fails(cand); ok {
				ops, lastErr = cand[:i+1], err
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if n >= len(ops) {
				break
			}
			n = min(len(ops), 2*n)
		}
	}
	if hungOps != nil {
		return hungOps, lastErr
	}
	return ops, lastErr
}

// diffNewSpace is diffCase.newSpan for guestmem.
func diffNewSpace(c *diffCase, _ *orcProc) (diffTarget, error) {
	return New(Config{
		GuestPageSize: c.g,
		HostPageSize:  c.h,
		AddressBits:   38,
		MinAddr:       diffG0,
		MmapBase:      diffG0 + Addr(c.size()),
	})
}

// diffEnv is what the differential tests share: the /proc files, the test
// files of both sides, and checks of the host.
type diffEnv struct {
	proc   *orcProc
	kf, sf *orcFiles
	tmpfs  bool
}

func setupDiff(t testing.TB, c *diffCase) *diffEnv {
	t.Helper()
	if os.Getpagesize() != diffHostPage {
		t.Skipf("the differential test needs a 4 KiB host page; this host has %d", os.Getpagesize())
	}
	if !orcKernelAtLeast(6, 17) {
		t.Skip("the differential test follows Linux 6.17+ (mremap moves across mappings); this host kernel is older")
	}
	proc, err := orcOpenProc()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Close)
	if err := orcRegionFree(proc, c.x-diffSafeBelow, c.x+diffSafeAbove); err != nil {
		t.Skipf("oracle region unavailable: %v", err)
	}
	dir, tmpfs := "", false
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		var sfs unix.Statfs_t
		if unix.Statfs("/dev/shm", &sfs) == nil && sfs.Type == unix.TMPFS_MAGIC {
			if d, err := os.MkdirTemp("/dev/shm", "gemu-diff-"); err == nil {
				dir, tmpfs = d, true
				t.Cleanup(func() { os.RemoveAll(d) })
			}
		}
	}
	if dir == "" {
		dir = t.TempDir()
	}
	env := &diffEnv{proc: proc, tmpfs: tmpfs}
	mk := func(name string) *orcFiles {
		d := dir + "/" + name
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		fs, err := orcNewFiles(d, c.fileSz, 42)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fs.Close)
		return fs
	}
	env.kf, env.sf = mk("kernel"), mk("guestmem")
	c.tmpfs = tmpfs
	return env
}

func newDiffCase(slot int, g uint64) *diffCase {
	c := &diffCase{g: g, x: diffRegion(slot), pku: orcHasPKU(), newSpan: diffNewSpace}
	gapPages := orcGuardGapPages()
	switch g {
	case diffHostPage:
		c.pages = 1024
		c.fileSz = [2]int{16 * diffHostPage, 5*diffHostPage + 1000}
		c.gap = gapPages * diffHostPage
	default:
		c.pages = 256 * g / diffHostPage
		c.fileSz = [2]int{4 << 16, 2 << 16}
		c.gap = gapPages * g // 256 guest pages on a G-page kernel
	}
	return c
}

var diffSeedOnce sync.Once
var diffBaseSeed uint64

func diffGetSeed(t testing.TB) uint64 {
	diffSeedOnce.Do(func() {
		diffBaseSeed = *diffSeed
		if diffBaseSeed == 0 {
			diffBaseSeed, _ = strconv.ParseUint(os.Getenv("GEMU_DIFF_SEED"), 0, 64)
		}
		if diffBaseSeed == 0 {
			diffBaseSeed = uint64(time.Now().UnixNano())
		}
	})
	return diffBaseSeed
}

// runDiff runs the differential test for one configuration.
func runDiff(t *testing.T, c *diffCase, total int) {
	env := setupDiff(t, c)
	base := diffGetSeed(t)
	if total < 1 {
		total = 1
	}
	if testing.Short() {
		total = max(1, total/10)
	}
	r := newDiffRunner(c, env.proc, env.kf, env.sf)
	if err := r.start(); err != nil {
		var h *diffHarnessError
		if !errors.As(err, &h) {
			t.Skipf("cannot create a Space (guestmem not implemented yet?): %v", err)
		}
		t.Fatal(err)
	}
	r.finish()
	t0 := time.Now()
	ep := *diffEpisode
	seen := map[string]bool{}
	for i := *diffFrom; r.stats["ops"]+r.stats["skipped"] < total && len(seen) < *diffMaxFail; i++ {
		seed := base + uint64(i)*0x9e3779b97f4a7c15 + c.g
		n := min(ep, total-r.stats["ops"]-r.stats["skipped"])
		ops, err := r.runEpisode(seed, n)
		if err == nil {
			continue
		}
		var h *diffHarnessError
		if errors.As(err, &h) {
			t.Fatalf("G=%d seed %#x (-diff.seed=%d, episode %d), step %d: %v\n\tsequence:\n%s", c.g, seed, base, i, len(ops)-1, err, diffFormatOps(ops))
		}
		var d *diffDivergence
		if !errors.As(err, &d) {
			t.Fatalf("G=%d seed %#x: %v", c.g, seed, err)
		}
		last := ops[len(ops)-1]
		key := diffKind(last, err)
		if seen[key] {
			continue
		}
		seen[key] = true
		if r.hung {
			t.Fatalf("HANG G=%d seed %#x (-diff.seed=%d, episode %d) at step %d: %v\n\t%v\n\tsequence:\n%s",
				c.g, seed, base, i, len(ops)-1, err, last, diffFormatOps(ops))
		}
		small, serr := r.shrink(ops, err, *diffShrinkTime)
		if r.hung {
			t.Fatalf("DIVERGENCE G=%d seed %#x (-diff.seed=%d, episode %d) at step %d: %v\n\t%v\n\tshrinking stopped: a replay hung guestmem (%v) with:\n%s",
				c.g, seed, base, i, len(ops)-1, err, last, serr, diffFormatOps(small))
		}
		t.Errorf("DIVERGENCE G=%d seed %#x (-diff.seed=%d, episode %d) at step %d: %v\n\t%v\n\tshrunk to %d operations (%v):\n%s",
			c.g, seed, base, i, len(ops)-1, err, last, len(small), serr, diffFormatOps(small))
	}
	var keys []string
	for k := range r.stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, r.stats[k])
	}
	nmaps := 0
	if m, err := os.ReadFile("/proc/self/maps"); err == nil {
		nmaps = bytes.Count(m, []byte("\n"))
	}
	t.Logf("G=%d H=%d: %d operations compared in %v (base seed %d; %d host mappings at the end):%s", c.g, c.h, r.stats["ops"], time.Since(t0).Round(time.Millisecond), base, nmaps, b.String())
}

var diffNumbers = regexp.MustCompile(`0x[0-9a-f]+|[0-9]+`)

// diffKind names a divergence for de-duplication: the operation and the
// message without numbers.
func diffKind(o diffOp, err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return diffOpNames[o.kind] + ": " + diffNumbers.ReplaceAllString(msg, "N")
}

// TestLinuxDiff compares Space with the host kernel: G == H with -diff.ops
// operations, G = 16 KiB and 64 KiB with 15% of that each, G = 4 KiB on
// H = 16 KiB and 64 KiB with 55% of it each (over 200,000 compared in all).
func TestLinuxDiff(t *testing.T) {
	for _, tc := range []struct {
		name string
		slot int
		g    uint64
		frac float64
	}{
		{"G4K", diffSlotG4K, 4 << 10, 1},
		{"G16K", diffSlotG16K, 16 << 10, 0.15},
		{"G64K", diffSlotG64K, 64 << 10, 0.15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runDiff(t, newDiffCase(tc.slot, tc.g), int(float64(*diffOps)*tc.frac))
		})
	}
	// G = 4 KiB on host pages of 16 KiB and 64 KiB: the kernel is the
	// oracle as it is (G is its page size); the Space makes every host
	// call in whole host pages. Operations the Space refuses because no
	// host mapping could hold them are skipped (see diffRunner.smallRefused).
	for _, tc := range []struct {
		name string
		slot int
		h    uint64
	}{
		{"H16K", diffSlotH16K, 16 << 10},
		{"H64K", diffSlotH64K, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newDiffCase(tc.slot, diffHostPage)
			c.h = tc.h
			runDiff(t, c, *diffOps*11/20)
		})
	}
}

// TestLinuxDiffSelfCheck runs the harness with the kernel on both sides
// (kernelTarget): any divergence is a bug in the harness, not in guestmem.
func TestLinuxDiffSelfCheck(t *testing.T) {
	t.Parallel()
	c := newDiffCase(diffSlotSelfOracle, diffHostPage)
	tx := diffRegion(diffSlotSelfTarget)
	c.newSpan = func(c *diffCase, p *orcProc) (diffTarget, error) {
		if err := orcRegionFree(p, tx-diffSafeBelow, tx+diffSafeAbove); err != nil {
			return nil, diffHarnessErr("%v", err)
		}
		m := &diffPlaceModel{x: tx, size: c.size(), g: diffHostPage, gap: c.gap}
		return &orcKernelTarget{base: tx, g0: diffG0, size: c.size(), proc: p, placer: m}, nil
	}
	runDiff(t, c, max(2000, *diffOps/40))
}

// TestLinuxDiffStaleCopy runs, with G < H, the cases the stale-copy rule
// (diffSkipStale) is for: a private file page held in an anonymous copy
// (MAP_FIXED at an address not congruent to its offset modulo H, or a
// host page shared with another mapping) misses a store to the file
// through a shared mapping, then the guest writes the private page, whose
// kernel copy includes the store. The page is not compared until
// MADV_DONTNEED makes both sides read the file again; and without the
// store through the shared mapping nothing is skipped.
func TestLinuxDiffStaleCopy(t *testing.T) {
	c := newDiffCase(diffSlotTable, diffHostPage)
	c.h = 64 << 10
	env := setupDiff(t, c)
	r := newDiffRunner(c, env.proc, env.kf, env.sf)
	const rw = ProtRead | ProtWrite
	at := func(v int64) diffAddr { return diffAddr{v: v} }
	ops := []diffOp{
		{kind: dopMmap, addr: at(0x1000), length: diffLen{v: 0x1000}, prot: rw, flags: MapPrivate | MapFixed, fd: orcFdFile0RW},
		{kind: dopRead, addr: at(0x1000), length: diffLen{v: 16}},
		{kind: dopMmap, addr: at(0x20000), length: diffLen{v: 0x1000}, prot: rw, flags: MapShared | MapFixed, fd: orcFdFile0RW},
		{kind: dopWrite, addr: at(0x20010), length: diffLen{v: 16}, data: 1},
		{kind: dopWrite, addr: at(0x1800), length: diffLen{v: 16}, data: 2},
		{kind: dopRead, addr: at(0x1000), length: diffLen{v: 0x1000}},
		{kind: dopMadvise, addr: at(0x1000), length: diffLen{v: 0x1000}, flags: MadvDontNeed},
		{kind: dopRead, addr: at(0x1000), length: diffLen{v: 0x1000}},
	}
	// A private file page at an address congruent to its offset, held in
	// a copy while another mapping shares its host page, keeps the copy's
	// bytes once that one goes: it is still a copy.
	back := []diffOp{
		{kind: dopMmap, addr: at(0x11000), length: diffLen{v: 0x1000}, prot: rw, flags: MapPrivate | MapFixed, fd: orcFdFile0RW, off: 0x1000},
		{kind: dopRead, addr: at(0x11000), length: diffLen{v: 16}},
		{kind: dopMmap, addr: at(0x10000), length: diffLen{v: 0x1000}, prot: rw, flags: MapPrivate | MapFixed | MapAnonymous, fd: orcFdBadNeg},
		{kind: dopMunmap, addr: at(0x10000), length: diffLen{v: 0x1000}},
		{kind: dopMmap, addr: at(0x20000), length: diffLen{v: 0x2000}, prot: rw, flags: MapShared | MapFixed, fd: orcFdFile0RW},
		{kind: dopWrite, addr: at(0x21010), length: diffLen{v: 16}, data: 1},
		{kind: dopWrite, addr: at(0x11800), length: diffLen{v: 16}, data: 2},
		{kind: dopRead, addr: at(0x11000), length: diffLen{v: 0x1000}},
	}
	for _, tc := range []struct {
		name  string
		ops   []diffOp
		skips bool
	}{
		{"store through a shared mapping", ops, true},
		{"no store to the file", append(append([]diffOp{}, ops[:3]...), ops[4:]...), false},
		{"copy back in a direct host page", back, true},
	} {
		r.stats = map[string]int{}
		if i, err := r.runOps(tc.ops); err != nil {
			t.Fatalf("%s: operation %d: %v\n%s", tc.name, i, err, diffFormatOps(tc.ops))
		}
		if got := r.stats[diffSkipStale] > 0; got != tc.skips {
			t.Errorf("%s: stale-copy skips %d, want some: %v", tc.name, r.stats[diffSkipStale], tc.skips)
		}
		if tc.name != "copy back in a direct host page" && slices.Contains(r.stale, true) {
			t.Errorf("%s: pages still marked stale after MADV_DONTNEED", tc.name)
		}
	}
}
