package guestmem

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"testing"

	"golang.org/x/sys/unix"
)

// Guest accesses on mixed host pages (G < H), made as a CPU makes them: a
// load or store straight to the host address, and on a host fault,
// HandleFault, then the slow path it asks for or the guest's signal.

// hostFault is a load or store at host address a that faulted.
type hostFault struct{ addr uintptr }

// directAccess loads (store false) or stores v at host address a, and
// returns the byte loaded, or the fault.
func directAccess(a uintptr, store bool, v byte) (got byte, fault *hostFault) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			e, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			fault = &hostFault{e.Addr()}
		}
	}()
	p := (*byte)(hostPointer(a))
	if store {
		*p = v
		return v, nil
	}
	return *p, nil
}

// cpuAccess is one guest access as a CPU makes it: directly, and on a host
// fault through HandleFault (retrying, or emulating with LoadSlow /
// StoreSlow). It returns the byte loaded, or the fault the guest sees.
func cpuAccess(s *Space, a Addr, store bool, v byte) (byte, *Fault) {
	return cpuAccessCounted(s, a, store, v, nil)
}

// accessCounts counts how accesses went.
type accessCounts struct{ direct, emulated, faults int }

func cpuAccessCounted(s *Space, a Addr, store bool, v byte, n *accessCounts) (byte, *Fault) {
	if n == nil {
		n = &accessCounts{}
	}
	acc := AccessRead
	if store {
		acc = AccessWrite
	}
	for try := 0; try < 4; try++ {
		got, hf := directAccess(s.Base()+uintptr(a), store, v)
		if hf == nil {
			n.direct++
			return got, nil
		}
		f, retry := s.HandleFault(hf.addr, acc)
		if retry {
			continue
		}
		if !f.Emulate {
			n.faults++
			return 0, &f
		}
		n.emulated++
		b := []byte{v}
		var e unix.Errno
		if store {
			e = s.StoreSlow(a, b)
		} else {
			e = s.LoadSlow(a, b)
		}
		if e != 0 {
			return 0, &Fault{Addr: a, Signal: -1}
		}
		return b[0], nil
	}
	return 0, &Fault{Addr: a, Signal: -2}
}

// TestMixedHostPages makes random protection patterns per guest page in
// host pages of 16 KiB and 64 KiB (private anonymous pages, shared memory
// file pages, private file pages held as anonymous copies, unmapped pages)
// and checks every load and store: allowed ones succeed with the right
// contents, forbidden ones fault at the right guest address with the right
// si_code (SIGBUS past end of file).
func TestMixedHostPages(t *testing.T) {
	for _, h := range []uint64{16 << 10, 64 << 10} {
		t.Run(fmt.Sprintf("H%dK", h>>10), func(t *testing.T) {
			testMixedHostPages(t, h)
		})
	}
}

func testMixedHostPages(t *testing.T, h uint64) {
	const g = 4096
	s, err := New(Config{GuestPageSize: g, HostPageSize: h})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A file of 5.5 host pages for private mappings at an offset not
	// congruent modulo H (anonymous copies, with pages past end of file).
	f, err := os.CreateTemp(t.TempDir(), "mixed")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fileSize := int(5*h + h/2)
	content := make([]byte, fileSize)
	for i := range content {
		content[i] = byte(i*7 + i>>12)
	}
	if _, err := f.Write(content); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, h))
	const hostPages = 8
	size := hostPages * h
	base, e := s.Mmap(0, size, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	base = Addr(alignUp(uint64(base), h))
	var counts accessCounts
	defer func() {
		t.Logf("%d accesses direct, %d emulated, %d faulted", counts.direct, counts.emulated, counts.faults)
		if counts.emulated == 0 || counts.faults == 0 || counts.direct == 0 {
			t.Errorf("the patterns did not exercise every path")
		}
	}()
	protChoices := []int{ProtNone, ProtRead, ProtRead | ProtWrite, ProtExec, ProtRead | ProtExec, ProtWrite}
	for round := 0; round < 40; round++ {
		// Host pages 0..3: private anonymous; 4..5: a private copy of the
		// file at an incongruent offset; 6..7: shared anonymous memory.
		region := Range{base, base + Addr(size-h)}
		s.Munmap(region.Start, region.Len())
		if _, e := s.Mmap(base, 4*h, ProtRead|ProtWrite, MapPrivate|MapAnonymous|MapFixed, -1, 0); e != 0 {
			t.Fatal(e)
		}
		fileOff := int64(g)
		if _, e := s.Mmap(base+Addr(4*h), 2*h, ProtRead|ProtWrite, MapPrivate|MapFixed, int(f.Fd()), fileOff+int64(4*h)); e != 0 {
			t.Fatal(e)
		}
		if _, e := s.Mmap(base+Addr(6*h), h, ProtRead|ProtWrite, MapShared|MapAnonymous|MapFixed, -1, 0); e != 0 {
			t.Fatal(e)
		}
		model := map[Addr]byte{}
		for p := region.Start; p < region.End; p += g {
			switch {
			case p >= base+Addr(4*h) && p < base+Addr(6*h):
				off := int(fileOff) + int(4*h) + int(p-base-Addr(4*h))
				if off < fileSize {
					for i := 0; i < g && off+i < fileSize; i++ {
						model[p+Addr(i)] = content[off+i]
					}
				}
			}
		}
		prot := map[Addr]int{}
		uniform := -1 // protection of every guest page of this host page, or -1
		for p := region.Start; p < region.End; p += g {
			if uint64(p)%h == 0 {
				uniform = -1
				if rng.IntN(3) == 0 {
					uniform = protChoices[rng.IntN(len(protChoices))]
				}
			}
			if uniform >= 0 {
				if e := s.Mprotect(p, g, uniform); e != 0 {
					t.Fatal(e)
				}
				prot[p] = uniform
				continue
			}
			if rng.IntN(8) == 0 && p < base+Addr(6*h) {
				if e := s.Munmap(p, g); e != 0 {
					t.Fatal(e)
				}
				prot[p] = -1
				continue
			}
			pr := protChoices[rng.IntN(len(protChoices))]
			if e := s.Mprotect(p, g, pr); e != 0 {
				t.Fatal(e)
			}
			prot[p] = pr
		}
		if err := s.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
		// Two hundred random accesses.
		for i := 0; i < 200; i++ {
			p := region.Start + Addr(rng.IntN(int(region.Len()/g)))*g
			a := p + Addr(rng.IntN(g))
			store := rng.IntN(2) == 0
			v := byte(rng.Uint32())
			pr := prot[p]
			pastEOF := p >= base+Addr(4*h) && p < base+Addr(6*h) && int(fileOff)+int(4*h)+int(p-base-Addr(4*h)) >= fileSize
			var want *Fault
			switch {
			case pr < 0:
				want = &Fault{Addr: a, Signal: SIGSEGV, Code: SegvMapErr}
			case !allows(pr, map[bool]Access{false: AccessRead, true: AccessWrite}[store]):
				want = &Fault{Addr: a, Signal: SIGSEGV, Code: SegvAccErr}
			case pastEOF:
				want = &Fault{Addr: a, Signal: SIGBUS, Code: BusAdrErr}
			}
			got, f := cpuAccessCounted(s, a, store, v, &counts)
			switch {
			case want == nil && f != nil:
				t.Fatalf("round %d: %s at %#x (prot %d): fault %+v, want success", round, kind(store), uint64(a), pr, *f)
			case want != nil && f == nil:
				t.Fatalf("round %d: %s at %#x (prot %d): success, want %+v", round, kind(store), uint64(a), pr, *want)
			case want != nil && *f != *want:
				t.Fatalf("round %d: %s at %#x (prot %d): fault %+v, want %+v", round, kind(store), uint64(a), pr, *f, *want)
			case want == nil && store:
				model[a] = v
			case want == nil && got != model[a]:
				t.Fatalf("round %d: load at %#x (prot %d): %#x, want %#x", round, uint64(a), pr, got, model[a])
			}
		}
		if err := s.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
}

func kind(store bool) string {
	if store {
		return "store"
	}
	return "load"
}

// TestHostAllowsAndUpdateSlow checks the two calls a CPU and a syscall
// layer need on mixed host pages: HostAllows says where a host system call
// may use guest memory directly, and UpdateSlow makes an atomic
// read-modify-write where the host page forbids the store.
func TestHostAllowsAndUpdateSlow(t *testing.T) {
	const g, h = 4096, 16 << 10
	s, err := New(Config{GuestPageSize: g, HostPageSize: h})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, e := s.Mmap(0, 5*h, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	base := Addr(alignUp(uint64(raw), h))
	// Host page 0 wholly writable; host page 1 has its second guest page
	// read-only, so the host page is read-only.
	if e := s.Mprotect(base+h+g, g, ProtRead); e != 0 {
		t.Fatal(e)
	}
	cases := []struct {
		a    Addr
		n    uint64
		acc  Access
		want bool
	}{
		{base, h, AccessWrite, true},
		{base, h, AccessRead, true},
		{base + h, g, AccessWrite, false},
		{base + h, g, AccessRead, true},
		{base, h + 1, AccessWrite, false},
		{base + h - 8, 8, AccessWrite, true},
		{base + 2*h, 2 * h, AccessWrite, true},
		{base, 4 * h, AccessRead, true},
		{base, 4 * h, AccessWrite, false},
	}
	for _, c := range cases {
		if got := s.HostAllows(c.a, c.n, c.acc); got != c.want {
			t.Errorf("HostAllows(base+%#x, %#x, %v) = %v, want %v", c.a-base, c.n, c.acc, got, c.want)
		}
	}
	// An atomic add on the writable guest page of the read-only host page:
	// the direct store faults and asks for emulation.
	word := base + h + 8
	if _, f := cpuAccess(s, word, true, 1); f != nil {
		t.Fatalf("store to a writable guest page: %+v", f)
	}
	for i := 0; i < 10; i++ {
		e := s.UpdateSlow(word, make([]byte, 8), func(b []byte) bool {
			b[0]++
			return true
		})
		if e != 0 {
			t.Fatal(e)
		}
	}
	buf := make([]byte, 1)
	if e := s.LoadSlow(word, buf); e != 0 || buf[0] != 11 {
		t.Errorf("after ten slow increments: %d (errno %v), want 11", buf[0], e)
	}
	// Declining to write leaves memory as it was; the read-only guest page
	// refuses the update altogether.
	if e := s.UpdateSlow(word, make([]byte, 8), func(b []byte) bool { b[0] = 99; return false }); e != 0 {
		t.Fatal(e)
	}
	if s.LoadSlow(word, buf); buf[0] != 11 {
		t.Errorf("a declined update wrote %d", buf[0])
	}
	if e := s.UpdateSlow(base+h+g, make([]byte, 4), func([]byte) bool { return true }); e != unix.EFAULT {
		t.Errorf("update of a read-only guest page: errno %v, want EFAULT", e)
	}
	// With G == H every allowed access is direct.
	s2, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if !s2.HostAllows(0x10000, 1<<20, AccessWrite) {
		t.Errorf("HostAllows with G == H")
	}
}

// TestMoveSeveralIntoSharedSmallPages: an mremap move of several mappings
// at once (MREMAP_FIXED, equal lengths) with G < H whose target replaces
// part of a shared mapping. Taken whole, the move leaves no host page
// mixing shared and private pages (its target is a whole host page); its
// first piece alone would, while the second piece's target still holds
// shared pages, and must not be refused for it.
func TestMoveSeveralIntoSharedSmallPages(t *testing.T) {
	const g, h = 4096, 16384
	s := newTestSpace(t, Config{GuestPageSize: g, HostPageSize: h})
	r, e := s.Mmap(0, 8*h, ProtNone, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	base := Addr(alignUp(uint64(r), h))
	shared := base + 4*h
	if _, e := s.Mmap(shared, 2*h, ProtRead, MapShared|MapAnonymous|MapFixed, -1, 0); e != 0 {
		t.Fatal(e)
	}
	// Two private anonymous mappings, one host page in all, differently
	// protected so that they stay apart.
	if _, e := s.Mmap(base+h, 2*g, ProtRead, MapPrivate|MapAnonymous|MapFixed, -1, 0); e != 0 {
		t.Fatal(e)
	}
	if _, e := s.Mmap(base+h+2*g, 2*g, ProtRead|ProtWrite, MapPrivate|MapAnonymous|MapFixed, -1, 0); e != 0 {
		t.Fatal(e)
	}
	if e := s.CopyOut(base+h+2*g, []byte("moved")); e != 0 {
		t.Fatal(e)
	}
	got, e := s.Mremap(base+h, h, h, MremapMayMove|MremapFixed, shared+h)
	if e != 0 || got != shared+h {
		t.Fatalf("mremap: %#x %v, want %#x", got, e, shared+h)
	}
	mustInvariants(t, s)
	buf := make([]byte, 5)
	if s.CopyIn(buf, shared+h+2*g); string(buf) != "moved" {
		t.Errorf("moved contents %q", buf)
	}
}

// TestCopyPastEOF: the last page of a file, past end of file, shows in a
// mapping what the page cache holds there, and Linux keeps there what a
// store through a shared mapping left. A private copy of that page (G =
// 4 KiB, H = 16 KiB, an offset not congruent modulo H) shows the same as
// a mapping of it on the host does.
func TestCopyPastEOF(t *testing.T) {
	const g, h = 4096, 16384
	s := newTestSpace(t, Config{GuestPageSize: g, HostPageSize: h})
	fd, err := unix.MemfdCreate("gemu-eof", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	const size = g + 1000 // end of file inside the second page
	unix.Pwrite(fd, bytes.Repeat([]byte{7}, size), 0)
	sh, e := s.Mmap(0, 2*g, ProtRead|ProtWrite, MapShared, fd, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if e := s.CopyOut(sh+size-10, bytes.Repeat([]byte{9}, 100)); e != 0 {
		t.Fatal(e)
	}
	// What the host shows in a fresh mapping of that page.
	want, err := unix.Mmap(fd, g, g, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(want)
	r, e := s.Mmap(0, 4*h, ProtNone, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	at := Addr(alignUp(uint64(r), h)) + g // offset 0 at an address not congruent modulo H
	if _, e := s.Mmap(at, 2*g, ProtRead, MapPrivate|MapFixed, fd, 0); e != 0 {
		t.Fatal(e)
	}
	if !s.heldAsCopy(at) {
		t.Fatal("the private mapping is not held in a copy: the test needs it to be")
	}
	got := make([]byte, g)
	if e := s.CopyIn(got, at+g); e != 0 {
		t.Fatal(e)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Errorf("the copy's last page differs from the host's mapping of it at %#x: %#x, want %#x", i, got[i], want[i])
	}
}
