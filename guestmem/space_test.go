package guestmem

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func newTestSpace(t testing.TB, cfg Config) *Space {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustInvariants(t testing.TB, s *Space) {
	t.Helper()
	if err := s.CheckInvariants(); err != nil {
		t.Fatalf("invariants: %v\nmaps:\n%s", err, s.ProcMaps())
	}
}

func TestMapProtectUnmap(t *testing.T) {
	for _, g := range []uint64{4096, 16384, 65536} {
		s := newTestSpace(t, Config{GuestPageSize: g})
		a, e := s.Mmap(0, 10*g, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
		if e != 0 {
			t.Fatalf("G=%d mmap: %v", g, e)
		}
		if uint64(a)%g != 0 || a+Addr(10*g) > s.MmapBase() {
			t.Fatalf("G=%d: mmap at %#x, base %#x", g, a, s.MmapBase())
		}
		mustInvariants(t, s)
		if e := s.CopyOut(a+5, []byte("hello")); e != 0 {
			t.Fatal(e)
		}
		if e := s.Mprotect(a+Addr(2*g), 3*g, ProtRead); e != 0 {
			t.Fatal(e)
		}
		mustInvariants(t, s)
		if got := len(s.Mappings()); got != 3 {
			t.Fatalf("G=%d: %d mappings after mprotect, want 3\n%s", g, got, s.ProcMaps())
		}
		if e := s.CopyOut(a+Addr(2*g), []byte("x")); e != unix.EFAULT {
			t.Fatalf("write to read-only: %v", e)
		}
		if e := s.Mprotect(a+Addr(2*g), 3*g, ProtRead|ProtWrite); e != 0 {
			t.Fatal(e)
		}
		mustInvariants(t, s)
		if got := len(s.Mappings()); got != 1 {
			t.Fatalf("G=%d: %d mappings after restoring, want 1\n%s", g, got, s.ProcMaps())
		}
		if e := s.Munmap(a+Addr(g), g); e != 0 {
			t.Fatal(e)
		}
		mustInvariants(t, s)
		buf := make([]byte, 5)
		if e := s.CopyIn(buf, a+5); e != 0 || string(buf) != "hello" {
			t.Fatalf("read back %q, %v", buf, e)
		}
		if e := s.CopyIn(buf, a+Addr(g)); e != unix.EFAULT {
			t.Fatalf("read of hole: %v", e)
		}
		b, e := s.Mremap(a, g, 4*g, MremapMayMove, 0)
		if e != 0 {
			t.Fatal(e)
		}
		mustInvariants(t, s)
		if e := s.CopyIn(buf, b+5); e != 0 || string(buf) != "hello" {
			t.Fatalf("after mremap read back %q, %v", buf, e)
		}
	}
}

func TestFileMappingPastEOF(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, make([]byte, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := newTestSpace(t, Config{GuestPageSize: 65536})
	a, e := s.Mmap(0, 3*65536, ProtRead, MapPrivate, int(f.Fd()), 0)
	if e != 0 {
		t.Fatal(e)
	}
	mustInvariants(t, s)
	buf := make([]byte, 1)
	// Inside the first guest page but past end of file: zeros.
	if e := s.CopyIn(buf, a+60000); e != 0 {
		t.Fatalf("read past EOF in the last guest page: %v", e)
	}
	// A wholly-past-EOF guest page faults.
	if e := s.CopyIn(buf, a+65536); e != unix.EFAULT {
		t.Fatalf("read of a page past EOF: %v", e)
	}
	f2, ok := s.ClassifyFault(s.Base()+uintptr(a)+65536+10, AccessRead)
	if !ok || f2.Signal != SIGBUS {
		t.Fatalf("classify past EOF: %+v", f2)
	}
}
