package guestmem

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestSysVShm(t *testing.T) {
	for _, g := range []uint64{4096, 65536} {
		s := newTestSpace(t, Config{GuestPageSize: g})
		id, e := s.Shmget(0, 10000, IPCCreat|0o600)
		if e != 0 {
			t.Fatalf("shmget: %v", e)
		}
		defer s.Shmctl(id, IPCRmid, nil)
		a, e := s.Shmat(id, 0, 0)
		if e != 0 {
			t.Fatalf("shmat: %v", e)
		}
		if uint64(a)%s.shmlba() != 0 {
			t.Fatalf("attached at %#x, not SHMLBA-aligned", a)
		}
		mustInvariants(t, s)
		b, e := s.Shmat(id, 0, ShmRdonly)
		if e != 0 {
			t.Fatalf("second shmat: %v", e)
		}
		if e := s.CopyOut(a+100, []byte("shared")); e != 0 {
			t.Fatal(e)
		}
		buf := make([]byte, 6)
		if e := s.CopyIn(buf, b+100); e != 0 || string(buf) != "shared" {
			t.Fatalf("read through the second attachment: %q %v", buf, e)
		}
		if e := s.CopyOut(b, []byte("x")); e != unix.EFAULT {
			t.Fatalf("write to a read-only attachment: %v", e)
		}
		if e := s.Mprotect(b, 4096, ProtRead|ProtWrite); e != unix.EACCES {
			t.Fatalf("mprotect of a read-only attachment to writable: %v", e)
		}
		var ds ShmidDS
		if e := s.Shmctl(id, IPCStat, &ds); e != 0 || ds.Nattch != 2 || ds.Segsz != 10000 {
			t.Fatalf("IPC_STAT: %v nattch %d size %d", e, ds.Nattch, ds.Segsz)
		}
		if m, _ := s.Lookup(a); m.Len() != alignUp(10000, g) || !m.Shared {
			t.Fatalf("attachment mapping %+v", m)
		}
		// Fixed address: in use without SHM_REMAP is EINVAL; with it, replaced.
		if _, e := s.Shmat(id, a, 0); e != unix.EINVAL {
			t.Fatalf("shmat over a mapping: %v", e)
		}
		if _, e := s.Shmat(id, a+1, 0); e != unix.EINVAL {
			t.Fatalf("shmat at an unaligned address: %v", e)
		}
		if _, e := s.Shmat(id, 0, ShmRemap); e != unix.EINVAL {
			t.Fatalf("SHM_REMAP without an address: %v", e)
		}
		c, e := s.Shmat(id, a+1, ShmRnd|ShmRemap)
		if e != 0 || c != a {
			t.Fatalf("SHM_RND|SHM_REMAP: %#x %v", c, e)
		}
		mustInvariants(t, s)
		// mremap moves an attachment; the move keeps its pages.
		d, e := s.Mremap(b, alignUp(10000, g), alignUp(10000, g), MremapMayMove|MremapFixed, a+Addr(1<<24))
		if e != 0 {
			t.Fatalf("mremap of an attachment: %v", e)
		}
		if e := s.CopyIn(buf, d+100); e != 0 || string(buf) != "shared" {
			t.Fatalf("read after mremap: %q %v", buf, e)
		}
		mustInvariants(t, s)
		// shmdt detaches by the attach address, split pieces included.
		s.Mprotect(c, 4096, ProtRead)
		if e := s.Shmdt(c); e != 0 {
			t.Fatalf("shmdt: %v", e)
		}
		if _, ok := s.Lookup(c); ok {
			t.Fatal("attachment still mapped after shmdt")
		}
		if e := s.Shmdt(c); e != unix.EINVAL {
			t.Fatalf("second shmdt: %v", e)
		}
		if e := s.Shmdt(d); e != 0 {
			t.Fatalf("shmdt of the moved attachment: %v", e)
		}
		if e := s.Shmctl(id, IPCStat, &ds); e != 0 || ds.Nattch != 0 {
			t.Fatalf("nattch after detaching all: %d %v", ds.Nattch, e)
		}
		mustInvariants(t, s)
	}
}

// TestSysVShmSmallPages attaches a segment whose end shares a host page with
// unmapped guest pages (G = 4 KiB, H = 16 KiB): the host page is
// inaccessible, accesses to the segment there are emulated, and what no
// host mapping can hold (an attachment not starting a host page, a move) is
// refused with EINVAL.
func TestSysVShmSmallPages(t *testing.T) {
	const h = 16 << 10
	s := newTestSpace(t, Config{GuestPageSize: 4096, HostPageSize: h})
	id, e := s.Shmget(0, 10000, IPCCreat|0o600)
	if e != 0 {
		t.Fatalf("shmget: %v", e)
	}
	defer s.Shmctl(id, IPCRmid, nil)
	a, e := s.Shmat(id, 0, 0)
	if e != 0 {
		t.Fatalf("shmat: %v", e)
	}
	if uint64(a)%h != 0 {
		t.Fatalf("attached at %#x, not SHMLBA-aligned", a)
	}
	mustInvariants(t, s)
	b, e := s.Shmat(id, 0, ShmRdonly)
	if e != 0 {
		t.Fatalf("second shmat: %v", e)
	}
	if e := s.CopyOut(a+100, []byte("shared")); e != 0 {
		t.Fatal(e)
	}
	buf := make([]byte, 6)
	if e := s.CopyIn(buf, b+100); e != 0 || string(buf) != "shared" {
		t.Fatalf("read through the second attachment: %q %v", buf, e)
	}
	// A store and a load as the CPU makes them: the host page is
	// inaccessible (its fourth guest page is unmapped), so both are
	// emulated.
	if _, f := cpuAccess(s, a+2*4096+5, true, 0x5a); f != nil {
		t.Fatalf("store to the segment: %+v", *f)
	}
	if v, f := cpuAccess(s, b+2*4096+5, false, 0); f != nil || v != 0x5a {
		t.Fatalf("load through the second attachment: %#x %+v", v, f)
	}
	if _, f := cpuAccess(s, b+5, true, 1); f == nil || f.Signal != SIGSEGV || f.Code != SegvAccErr {
		t.Fatalf("store to the read-only attachment: %+v", f)
	}
	if _, f := cpuAccess(s, a+3*4096, false, 0); f == nil || f.Signal != SIGSEGV || f.Code != SegvMapErr {
		t.Fatalf("load past the segment: %+v", f)
	}
	mustInvariants(t, s)
	free, e := s.Mmap(0, 4*h, ProtNone, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	s.Munmap(free, 4*h)
	target := Addr(alignUp(uint64(free), h)) + 4096
	before := s.refused
	if _, e := s.Shmat(id, target, 0); e != unix.EINVAL || s.refused != before+1 {
		t.Fatalf("shmat in the middle of a host page: %v (refusals %d)", e, s.refused-before)
	}
	if _, e := s.Mremap(b, alignUp(10000, 4096), alignUp(10000, 4096), MremapMayMove|MremapFixed, target-4096); e != unix.EINVAL {
		t.Fatalf("mremap of an attachment: %v", e)
	}
	mustInvariants(t, s)
	for _, at := range []Addr{a, b} {
		if e := s.Shmdt(at); e != 0 {
			t.Fatalf("shmdt: %v", e)
		}
	}
	var ds ShmidDS
	if e := s.Shmctl(id, IPCStat, &ds); e != 0 || ds.Nattch != 0 {
		t.Fatalf("nattch after detaching all: %d %v", ds.Nattch, e)
	}
	mustInvariants(t, s)
}
