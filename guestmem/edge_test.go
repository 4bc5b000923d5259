package guestmem

// Edge cases the Linux-differential harness cannot reach: limits of the
// window and of the map count, brk, stack growth, the CPU hooks, and the
// /proc/self/maps text.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

const anonRW = MapPrivate | MapAnonymous

func TestLimits(t *testing.T) {
	s := newTestSpace(t, Config{AddressBits: 32, MaxMapCount: 100})
	g := Addr(4096)
	cases := []struct {
		name  string
		addr  Addr
		len   uint64
		flags int
		want  unix.Errno
	}{
		{"fixed past the end of the space", 1<<32 - g, 2 * 4096, anonRW | MapFixed, unix.ENOMEM},
		{"fixed below mmap_min_addr", 4096, 4096, anonRW | MapFixed, unix.EPERM},
		{"longer than the space", 0, 1 << 33, anonRW, unix.ENOMEM},
		{"fixed unaligned", 0x10000001, 4096, anonRW | MapFixed, unix.EINVAL},
		{"length overflows when rounded", 0, ^uint64(0) - 10, anonRW, unix.ENOMEM},
		{"zero length", 0, 0, anonRW, unix.EINVAL},
		{"no mapping type", 0, 4096, MapAnonymous, unix.EINVAL},
		{"shared grows-down", 0, 4096, MapShared | MapAnonymous | MapGrowsDown, unix.EINVAL},
		{"anonymous huge pages (none reserved)", 0, 4096, anonRW | MapHugeTLB, unix.ENOMEM},
	}
	for _, c := range cases {
		if _, e := s.Mmap(c.addr, c.len, ProtRead, c.flags, -1, 0); e != c.want {
			t.Errorf("%s: got %v, want %v", c.name, e, c.want)
		}
	}
	mustInvariants(t, s)
	// The map count: mappings one page apart never merge.
	base := Addr(0x10000000)
	var e unix.Errno
	n := 0
	for ; n < 200; n++ {
		if _, e = s.Mmap(base+Addr(2*n)*g, 4096, ProtRead, anonRW|MapFixed, -1, 0); e != 0 {
			break
		}
	}
	if e != unix.ENOMEM || n != 101 {
		t.Fatalf("map count limit: %d mappings made, then %v; want 101 then ENOMEM", n, e)
	}
	// Splitting one more is refused too, and changes nothing.
	before := s.ProcMaps()
	if e := s.Munmap(base+Addr(2*n+100)*g, 4096); e != 0 {
		t.Fatalf("munmap of nothing: %v", e)
	}
	if e := s.Mprotect(base, 4096, ProtRead|ProtWrite); e != 0 {
		t.Fatalf("mprotect of a whole mapping needs no split: %v", e)
	}
	s.Mprotect(base, 4096, ProtRead)
	if got := s.ProcMaps(); string(got) != string(before) {
		t.Fatalf("maps changed:\n%s\nwant\n%s", got, before)
	}
	mustInvariants(t, s)
}

func TestBrk(t *testing.T) {
	s := newTestSpace(t, Config{})
	if got := s.Brk(0); got != 0 {
		t.Fatalf("brk before SetBrkBase: %#x", got)
	}
	start := Addr(0x200000)
	s.SetBrkBase(start)
	if got := s.Brk(0); got != start {
		t.Fatalf("brk(0) = %#x, want %#x", got, start)
	}
	if got := s.Brk(start + 10); got != start+10 {
		t.Fatalf("brk grow: %#x", got)
	}
	if e := s.CopyOut(start, []byte("heap")); e != 0 {
		t.Fatalf("write to heap: %v", e)
	}
	if e := s.CopyOut(start+4096, []byte("x")); e != unix.EFAULT {
		t.Fatalf("write past the break's page: %v", e)
	}
	if !strings.Contains(string(s.ProcMaps()), "[heap]") {
		t.Fatalf("no [heap] in\n%s", s.ProcMaps())
	}
	if got := s.Brk(start - 4096); got != start+10 {
		t.Fatalf("brk below start: %#x", got)
	}
	// A mapping in the way stops growth at one page plus guard... for a
	// plain mapping, one page below it.
	if _, e := s.Mmap(start+0x10000, 4096, ProtRead, anonRW|MapFixed, -1, 0); e != 0 {
		t.Fatal(e)
	}
	if got := s.Brk(start + 0x10000); got != start+10 {
		t.Fatalf("brk into a mapping: %#x", got)
	}
	if got := s.Brk(start + 0xf000); got != start+0xf000 {
		t.Fatalf("brk up to one page below a mapping: %#x", got)
	}
	// The heap grew its own mapping: one mapping, writable to its end.
	if m, ok := s.Lookup(start); !ok || m.Start != start || m.End != start+0xf000 {
		t.Fatalf("heap mapping after growth: %+v", m)
	}
	if e := s.CopyOut(start+0xeffc, []byte("tail")); e != 0 {
		t.Fatalf("write to the grown heap: %v", e)
	}
	mustInvariants(t, s)
	if got := s.Brk(start); got != start {
		t.Fatalf("shrink: %#x", got)
	}
	if e := s.CheckAccess(start, 1, AccessRead); e != unix.EFAULT {
		t.Fatalf("heap still readable after shrinking: %v", e)
	}
	// Growing again gives zeros.
	s.Brk(start + 4096)
	buf := make([]byte, 4)
	s.CopyIn(buf, start)
	if string(buf) != "\x00\x00\x00\x00" {
		t.Fatalf("regrown heap holds %q", buf)
	}
	mustInvariants(t, s)
}

func TestStackGrowth(t *testing.T) {
	s := newTestSpace(t, Config{})
	top := s.StackTop()
	stk, e := s.Mmap(top-0x20000, 0x20000, ProtRead|ProtWrite, anonRW|MapFixed|MapGrowsDown, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	s.SetName(Range{stk, top}, "[stack]")
	below := stk - 0x3000
	f, retry := s.HandleFault(s.Base()+uintptr(below), AccessWrite)
	if !retry {
		t.Fatalf("fault below the stack not resolved: %+v", f)
	}
	m, ok := s.Lookup(below)
	if !ok || m.Start != below || m.End != top || m.Name != "[stack]" {
		t.Fatalf("stack after growth: %+v", m)
	}
	if e := s.CopyOut(below, []byte("x")); e != 0 {
		t.Fatal(e)
	}
	mustInvariants(t, s)
	// Far below, past the stack limit: a plain SIGSEGV.
	f, retry = s.HandleFault(s.Base()+uintptr(top-64<<20), AccessRead)
	if retry || f.Signal != SIGSEGV || f.Code != SegvMapErr {
		t.Fatalf("fault past the stack limit: %+v %v", f, retry)
	}
	// Address choice keeps the guard gap below a grows-down mapping.
	a, e := s.Mmap(below-0x10000, 0x1000, ProtRead, anonRW, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if a+0x1000 > below-Addr(s.vmas.guard) {
		t.Fatalf("hint inside the stack guard gap honoured: %#x", a)
	}
}

func TestFaultsAndCodeHooks(t *testing.T) {
	s := newTestSpace(t, Config{})
	var inv []Range
	s.OnInvalidate(func(r Range) { inv = append(inv, r) })
	a, _ := s.Mmap(0, 3*4096, ProtRead|ProtWrite|ProtExec, anonRW, -1, 0)
	s.Mprotect(a+4096, 4096, ProtRead)
	cases := []struct {
		addr Addr
		acc  Access
		sig  int
		code int
	}{
		{a, AccessWrite, 0, 0},
		{a + 4096, AccessWrite, SIGSEGV, SegvAccErr},
		{a + 4096, AccessExec, SIGSEGV, SegvAccErr},
		{a + 4096, AccessRead, 0, 0},
		{a + 3*4096, AccessRead, SIGSEGV, SegvMapErr},
	}
	for _, c := range cases {
		f, ok := s.ClassifyFault(s.Base()+uintptr(c.addr), c.acc)
		if !ok || f.Addr != c.addr || f.Signal != c.sig || (c.sig != 0 && f.Code != c.code) {
			t.Errorf("classify %#x %v: %+v", c.addr, c.acc, f)
		}
	}
	if _, ok := s.ClassifyFault(s.Base()-1, AccessRead); ok {
		t.Error("an address below the window was classified")
	}
	// Self-modifying code: the page stays guest-writable, the host
	// write-protects it, a store faults and is resolved.
	inv = nil
	s.ProtectCode(Range{a, a + 4096})
	mustInvariants(t, s)
	if m, _ := s.Lookup(a); m.Prot&ProtWrite == 0 {
		t.Fatal("code page lost guest write permission")
	}
	if !s.ResolveCodeWrite(s.Base() + uintptr(a) + 8) {
		t.Fatal("store to a code page not resolved")
	}
	if len(inv) != 1 || inv[0] != (Range{a, a + 4096}) {
		t.Fatalf("invalidations after a code write: %v", inv)
	}
	if s.ResolveCodeWrite(s.Base() + uintptr(a) + 8) {
		t.Fatal("resolved twice")
	}
	mustInvariants(t, s)
	// CopyOut onto protected code releases it first.
	s.ProtectCode(Range{a, a + 4096})
	if e := s.CopyOut(a, []byte{1, 2, 3}); e != 0 {
		t.Fatal(e)
	}
	mustInvariants(t, s)
	// Unmap and dropping EXEC invalidate.
	inv = nil
	s.Mprotect(a+2*4096, 4096, ProtRead|ProtWrite)
	s.Munmap(a, 4096)
	if len(inv) != 2 {
		t.Fatalf("invalidations: %v", inv)
	}
}

func TestProcMapsFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data")
	os.WriteFile(path, make([]byte, 3*4096), 0o644)
	f, _ := os.Open(path)
	defer f.Close()
	var st unix.Stat_t
	unix.Fstat(int(f.Fd()), &st)
	s := newTestSpace(t, Config{})
	a, e := s.Mmap(0, 2*4096, ProtRead, MapPrivate, int(f.Fd()), 4096)
	if e != 0 {
		t.Fatal(e)
	}
	b, _ := s.Mmap(0, 4096, ProtRead|ProtWrite, MapShared|MapAnonymous, -1, 0)
	c, _ := s.Mmap(0, 4096, ProtNone, anonRW, -1, 0)
	lines := strings.Split(strings.TrimSuffix(string(s.ProcMaps()), "\n"), "\n")
	want := []string{
		fmt.Sprintf("%08x-%08x ---p 00000000 00:00 0 ", uint64(c), uint64(c)+4096),
		fmt.Sprintf("%08x-%08x rw-s 00000000 00:01 ", uint64(b), uint64(b)+4096),
		fmt.Sprintf("%08x-%08x r--p 00001000 %02x:%02x %d", uint64(a), uint64(a)+8192, unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino),
	}
	if len(lines) != 3 {
		t.Fatalf("maps:\n%s", s.ProcMaps())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want prefix %q", i, lines[i], w)
		}
	}
	// Names start at column 74 (1-based), as Linux pads them.
	if !strings.HasSuffix(lines[2], path) || strings.Index(lines[2], path) != 73 {
		t.Errorf("file line %q: path not at column 73", lines[2])
	}
	if !strings.HasSuffix(lines[1], "/dev/zero (deleted)") {
		t.Errorf("shared anonymous line %q", lines[1])
	}
}

func TestExecOnly(t *testing.T) {
	s := newTestSpace(t, Config{})
	a, e := s.Mmap(0, 4096, ProtRead|ProtWrite, anonRW, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	code := []byte{0x13, 0x05, 0x10, 0x00} // addi a0, zero, 1
	s.CopyOut(a, code)
	s.Mprotect(a, 4096, ProtExec)
	mustInvariants(t, s)
	buf := make([]byte, 4)
	if e := s.CopyIn(buf, a); e != unix.EFAULT {
		t.Fatalf("read of an execute-only page: %v", e)
	}
	if !touchFaults(s, a) {
		t.Fatal("a host load from an execute-only page did not fault")
	}
	f, retry := s.HandleFault(s.Base()+uintptr(a), AccessExec)
	if retry || f.Signal != 0 || !f.Emulate {
		t.Fatalf("fetch fault on an execute-only page: %+v retry %v", f, retry)
	}
	if e := s.FetchSlow(a, buf); e != 0 || string(buf) != string(code) {
		t.Fatalf("FetchSlow: %x %v", buf, e)
	}
	f, _ = s.HandleFault(s.Base()+uintptr(a), AccessRead)
	if f.Signal != SIGSEGV || f.Code != SegvAccErr {
		t.Fatalf("load fault on an execute-only page: %+v", f)
	}
	if e := s.LoadSlow(a, buf); e != unix.EFAULT {
		t.Fatalf("LoadSlow of an execute-only page: %v", e)
	}
}

// touchFaults reports whether a host load at guest address a faults.
func touchFaults(s *Space, a Addr) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		faulted = recover() != nil
	}()
	p := (*byte)(unsafe.Add(hostPointer(s.Base()), uintptr(a)))
	loadSink = *p
	return false
}

var loadSink byte

// TestSharedMoveKeepsPageTables moves shared anonymous pages with mremap
// (with and without MREMAP_DONTUNMAP) and then gives MADV_PAGEOUT to the
// old and the new range: which mapping holds a page in its page tables is
// visible through what MADV_PAGEOUT can drop, so the Space must move page
// tables as the kernel does. The kernel, doing the same on plain host
// memory, gives the expected residency.
func TestSharedMoveKeepsPageTables(t *testing.T) {
	const n = 8
	pg := uint64(os.Getpagesize())
	for _, flags := range []int{MremapMayMove, MremapMayMove | MremapDontUnmap} {
		for _, adviseOld := range []bool{true, false} {
			name := fmt.Sprintf("flags%#x/adviseOld=%v", flags, adviseOld)
			t.Run(name, func(t *testing.T) {
				// The kernel's answer.
				ka, e := orcMmap(0, n*pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS, -1, 0)
				if e != 0 {
					t.Fatal(e)
				}
				defer orcMunmap(ka, n*pg)
				for i := uintptr(0); i < n; i++ {
					orcProbe(ka + i*uintptr(pg)) // read-fault every page in
				}
				kn, e := orcMremap(ka, n*pg, n*pg, flags, 0)
				if e != 0 {
					t.Fatal(e)
				}
				defer orcMunmap(kn, n*pg)
				kt := kn
				if adviseOld && flags&MremapDontUnmap != 0 {
					kt = ka
				}
				orcMadvise(kt, n*pg, MadvPageOut)
				want := make([]byte, n)
				orcMincore(kn, n*pg, want)

				s, err := New(Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				sa, e := s.Mmap(0, n*pg, ProtRead|ProtWrite, MapShared|MapAnonymous, -1, 0)
				if e != 0 {
					t.Fatal(e)
				}
				buf := make([]byte, n*pg)
				if e := s.CopyIn(buf, sa); e != 0 {
					t.Fatal(e)
				}
				sn, e := s.Mremap(sa, n*pg, n*pg, flags, 0)
				if e != 0 {
					t.Fatal(e)
				}
				st := sn
				if adviseOld && flags&MremapDontUnmap != 0 {
					st = sa
				}
				if e := s.Madvise(st, n*pg, MadvPageOut); e != 0 {
					t.Fatal(e)
				}
				got := make([]byte, n)
				if e := s.Mincore(sn, n*pg, got); e != 0 {
					t.Fatal(e)
				}
				for i := range got {
					if got[i]&1 != want[i]&1 {
						t.Fatalf("page %d of the moved range: resident %d, kernel %d (kernel %v, Space %v)", i, got[i]&1, want[i]&1, want, got)
					}
				}
			})
		}
	}
}
