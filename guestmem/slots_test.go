package guestmem

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// slotResident reports whether guest page a is in a slot (slots.go) and
// resident there: written through the alias, its host page in the window
// may not show it present.
func (s *Space) slotResident(a Addr) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, _ := s.slotResidentLocked(a)
	return r
}

// freeHostPage returns the address of a free host page of s (as a
// mapping of two host pages, aligned and unmapped again, leaves it).
func freeHostPage(t *testing.T, s *Space) Addr {
	t.Helper()
	h := s.HostPageSize()
	r, e := s.Mmap(0, 2*h, ProtNone, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if e := s.Munmap(r, 2*h); e != 0 {
		t.Fatal(e)
	}
	return Addr(alignUp(uint64(r), h))
}

// TestSlots follows one mixed host page of private memory into a slot and
// out again: the first slow access moves it into a slot; contents and
// residency (compared with the host kernel making the same accesses on
// 4 KiB pages) are kept; an operation that rebuilds the host page, or
// covers it whole, takes it out; unmapping gives the memory back.
func TestSlots(t *testing.T) {
	for _, h := range []uint64{16384, 65536} {
		t.Run(fmt.Sprintf("H%dK", h/1024), func(t *testing.T) { testSlots(t, h) })
	}
}

func testSlots(t *testing.T, h uint64) {
	const g = 4096
	s := newTestSpace(t, Config{GuestPageSize: g, HostPageSize: h})
	check := func(step string) {
		t.Helper()
		if err := s.CheckInvariants(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if err := s.CheckHostLocks(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	slotted := func(a Addr) bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		_, ok := s.slotOf(Addr(alignDown(uint64(a), h)))
		return ok
	}
	const rw = ProtRead | ProtWrite
	anon := MapPrivate | MapAnonymous
	// Room for two host pages, then a host page whose last guest page is
	// unmapped: its host protection is PROT_NONE.
	a := freeHostPage(t, s)
	n := h/g - 1
	if _, e := s.Mmap(a, n*g, rw, anon|MapFixed, -1, 0); e != 0 {
		t.Fatal(e)
	}
	// The same on the host kernel, for residency.
	k, ke := orcMmap(0, n*g, rw, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if ke != 0 {
		t.Fatal(ke)
	}
	defer orcMunmap(k, n*g)
	residency := func(step string) {
		t.Helper()
		want := make([]byte, n)
		if e := orcMincore(k, n*g, want); e != 0 {
			t.Fatal(e)
		}
		got := make([]byte, n)
		if e := s.Mincore(a, n*g, got); e != 0 {
			t.Fatal(e)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: mincore %v, the kernel's %v", step, got, want)
		}
	}
	if s.HostAllows(a, 1, AccessWrite) {
		t.Fatal("the host page allows stores: the test needs one that does not")
	}
	if slotted(a) {
		t.Fatal("slotted before any slow access")
	}
	// A store to guest page 1 and a load from guest page 2.
	if e := s.StoreSlow(a+g+8, []byte{0x5a}); e != 0 {
		t.Fatal(e)
	}
	orcWrite(k+g+8, []byte{0x5a})
	var b [1]byte
	if e := s.LoadSlow(a+2*g, b[:]); e != 0 || b[0] != 0 {
		t.Fatalf("load of an untouched page: %v %#x", e, b[0])
	}
	orcRead(make([]byte, 1), k+2*g)
	if !slotted(a) {
		t.Fatal("not slotted after slow accesses")
	}
	check("slotted")
	residency("slotted")
	// The store is seen through CopyIn, which does not make slots.
	if e := s.CopyIn(b[:], a+g+8); e != 0 || b[0] != 0x5a {
		t.Fatalf("CopyIn after a slow store: %v %#x", e, b[0])
	}
	// MADV_DONTNEED of guest page 1 rebuilds the host page: out of the
	// slot, page 1 zero again.
	if e := s.Madvise(a+g, g, MadvDontNeed); e != 0 {
		t.Fatal(e)
	}
	orcMadvise(k+g, g, unix.MADV_DONTNEED)
	if slotted(a) {
		t.Fatal("still slotted after a rebuild")
	}
	check("rebuilt")
	residency("rebuilt")
	if e := s.LoadSlow(a+g+8, b[:]); e != 0 || b[0] != 0 {
		t.Fatalf("load after MADV_DONTNEED: %v %#x", e, b[0])
	}
	orcRead(make([]byte, 1), k+g+8) // the kernel's page faults in too
	// Slotted again; then mprotect covering the host page whole takes it
	// out before changing the host page.
	if e := s.StoreSlow(a+8, []byte{0xa5}); e != 0 {
		t.Fatal(e)
	}
	orcWrite(k+8, []byte{0xa5})
	if !slotted(a) {
		t.Fatal("not slotted again")
	}
	// mprotect over the host page fails at the unmapped guest page, as
	// Linux's does, having made the pages before it read-only; the host
	// page, covered whole, leaves its slot before its protection changes.
	if e := s.Mprotect(a, h, ProtRead); e != unix.ENOMEM {
		t.Fatalf("mprotect over an unmapped guest page: %v, want ENOMEM", e)
	}
	if m, ok := s.Lookup(a); !ok || m.Prot != ProtRead || slotted(a) {
		t.Fatalf("after the failed mprotect: %+v %v, slotted %v", m, ok, slotted(a))
	}
	check("covered")
	if e := s.CopyIn(b[:], a+8); e != 0 || b[0] != 0xa5 {
		t.Fatalf("contents after leaving the slot: %v %#x", e, b[0])
	}
	residency("covered")
	// A writable last guest page: slotted by a store to it.
	last := a + Addr(n*g)
	if _, e := s.Mmap(last, g, rw, anon|MapFixed, -1, 0); e != 0 {
		t.Fatal(e)
	}
	if e := s.StoreSlow(last+16, []byte{1}); e != 0 || !slotted(a) {
		t.Fatalf("store to the last page: %v, slotted %v", e, slotted(a))
	}
	check("slotted at the last page")
	// One protection for the whole host page: out of the slot.
	if e := s.Mprotect(a, h, rw); e != 0 {
		t.Fatal(e)
	}
	if slotted(a) {
		t.Fatal("still slotted once the host page holds one mapping")
	}
	check("one mapping")
	if e := s.CopyIn(b[:], last+16); e != 0 || b[0] != 1 {
		t.Fatalf("contents after leaving the slot: %v %#x", e, b[0])
	}
	// Slotted once more, then unmapped: the memory file gives the memory
	// back.
	if e := s.Mprotect(last, g, ProtRead); e != 0 {
		t.Fatal(e)
	}
	if e := s.StoreSlow(a+16, []byte{1}); e != 0 || !slotted(a) {
		t.Fatalf("store: %v, slotted %v", e, slotted(a))
	}
	if e := s.Munmap(a, h); e != 0 {
		t.Fatal(e)
	}
	check("unmapped")
	var st unix.Stat_t
	if err := unix.Fstat(s.slots.fd, &st); err != nil {
		t.Fatal(err)
	}
	if slotted(a) || st.Blocks != 0 {
		t.Fatalf("after munmap: slotted %v, the memory file holds %d blocks", slotted(a), st.Blocks)
	}
}

// TestViews follows a shared file host page with a mapping boundary (its
// last guest page unmapped, so the host page is inaccessible on the host):
// the first slow access gives it a view, stores through it reach the
// file, and unmapping drops it.
func TestViews(t *testing.T) {
	for _, h := range []uint64{16384, 65536} {
		t.Run(fmt.Sprintf("H%dK", h/1024), func(t *testing.T) {
			const g = 4096
			s := newTestSpace(t, Config{GuestPageSize: g, HostPageSize: h})
			f, err := os.CreateTemp(t.TempDir(), "view")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(int64(h)); err != nil {
				t.Fatal(err)
			}
			viewed := func(a Addr) bool {
				s.mu.RLock()
				defer s.mu.RUnlock()
				_, ok := s.slots.view[Addr(alignDown(uint64(a), h))]
				return ok
			}
			n := h/g - 1
			a, e := s.Mmap(freeHostPage(t, s), n*g, ProtRead|ProtWrite, MapShared|MapFixed, int(f.Fd()), 0)
			if e != 0 {
				t.Fatal(e)
			}
			if uint64(a)%h != 0 || s.HostAllows(a, 1, AccessRead) {
				t.Fatalf("mapped at %#x, host readable %v: the test needs an inaccessible host page", uint64(a), s.HostAllows(a, 1, AccessRead))
			}
			if e := s.StoreSlow(a+g+5, []byte{0x77}); e != 0 || !viewed(a) {
				t.Fatalf("store: %v, viewed %v", e, viewed(a))
			}
			mustInvariants(t, s)
			var b [1]byte
			if _, err := f.ReadAt(b[:], g+5); err != nil || b[0] != 0x77 {
				t.Fatalf("the file holds %#x (%v) after the store, want 0x77", b[0], err)
			}
			if _, err := f.WriteAt([]byte{0x66}, 2*g); err != nil {
				t.Fatal(err)
			}
			if e := s.LoadSlow(a+2*g, b[:]); e != 0 || b[0] != 0x66 {
				t.Fatalf("load of a byte the file holds: %v %#x, want 0x66", e, b[0])
			}
			if e := s.Munmap(a, n*g); e != 0 {
				t.Fatal(e)
			}
			if viewed(a) {
				t.Fatal("the view outlived the mapping")
			}
			mustInvariants(t, s)
		})
	}
}

// TestSlotsConcurrent makes slow accesses, copies and mprotects on one
// mixed host page from several goroutines at once (run it with -race):
// slots are made and dropped under the write lock while copies read
// them, and each goroutine reads back what it last wrote at its own
// offset.
func TestSlotsConcurrent(t *testing.T) {
	const g, h = 4096, 16384
	s := newTestSpace(t, Config{GuestPageSize: g, HostPageSize: h})
	r, e := s.Mmap(0, 2*h, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	a := Addr(alignUp(uint64(r), h))
	if e := s.Mprotect(a+3*g, g, ProtRead); e != 0 {
		t.Fatal(e)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			at := a + Addr(w*64)
			for i := 0; i < 2000; i++ {
				v := []byte{byte(i + w)}
				var e unix.Errno
				if w%2 == 0 {
					e = s.StoreSlow(at, v)
				} else {
					e = s.CopyOut(at, v)
				}
				if e != 0 {
					errs <- fmt.Errorf("goroutine %d store %d: %v", w, i, e)
					return
				}
				var b [1]byte
				if w%2 == 0 {
					e = s.LoadSlow(at, b[:])
				} else {
					e = s.CopyIn(b[:], at)
				}
				if e != 0 || b[0] != v[0] {
					errs <- fmt.Errorf("goroutine %d round %d: read %#x (%v), wrote %#x", w, i, b[0], e, v[0])
					return
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 300; i++ {
			if e := s.Mprotect(a+2*g, g, []int{ProtRead, ProtRead | ProtWrite}[i%2]); e != 0 {
				errs <- fmt.Errorf("mprotect: %v", e)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mustInvariants(t, s)
}
