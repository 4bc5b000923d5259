package guestmem

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestPlaceSmallPages checks the address choice with G < H (findfree.go):
// G = 4 KiB, H = 16 KiB, and the mmap base at top. Each case maps what it
// needs with MAP_FIXED, then makes one mapping without a fixed address and
// says where it must go. Every result must also be a place the host can
// hold: the call succeeds, and a shared mapping or a private file mapping
// is held directly.
func TestPlaceSmallPages(t *testing.T) {
	const (
		g    = 4 << 10
		h    = 16 << 10
		base = Addr(0x40000000)
		top  = base + 1<<20
		rw   = ProtRead | ProtWrite
		anon = MapPrivate | MapAnonymous
	)
	fixed := func(s *Space, a Addr, n uint64, flags, fd int, off int64) {
		t.Helper()
		if _, e := s.Mmap(a, n, rw, flags|MapFixed, fd, off); e != 0 {
			t.Fatalf("fixed mmap at %#x: %v", a, e)
		}
	}
	for _, tc := range []struct {
		name string
		// setup maps with MAP_FIXED; place makes the mapping placed.
		setup func(s *Space, fd int)
		place func(s *Space, fd int) (Addr, unix.Errno)
		want  Addr
	}{
		{
			name:  "shared file: whole host pages at its offset's lead",
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(0, g, rw, MapShared, fd, g) },
			want:  top - h + g,
		},
		{
			name:  "private file: lead+length rounded up to H",
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(0, 2*g, ProtRead, MapPrivate, fd, 3*g) },
			want:  top - 2*h + 3*g,
		},
		{
			name:  "small private anonymous: packed",
			setup: func(s *Space, fd int) { fixed(s, top-g, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(0, g, rw, anon, -1, 0) },
			want:  top - 2*g,
		},
		{
			name:  "private anonymous of whole host pages: whole free host pages",
			setup: func(s *Space, fd int) { fixed(s, top-g, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(0, h, rw, anon, -1, 0) },
			want:  top - 2*h,
		},
		{
			name:  "private /dev/zero of whole host pages: as anonymous memory",
			setup: func(s *Space, fd int) { fixed(s, top-g, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				z, err := unix.Open("/dev/zero", unix.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(z)
				return s.Mmap(0, h, rw, MapPrivate, z, 5*g)
			},
			want: top - 2*h,
		},
		{
			name:  "small private anonymous: not in a shared mapping's host page",
			setup: func(s *Space, fd int) { fixed(s, top-h, g, MapShared, fd, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(0, g, rw, anon, -1, 0) },
			want:  top - h - g,
		},
		{
			name:  "hint in a shared mapping's host page: not honoured",
			setup: func(s *Space, fd int) { fixed(s, top-h, g, MapShared, fd, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(top-g, g, rw, anon, -1, 0) },
			want:  top - h - g,
		},
		{
			name:  "hint free for a small anonymous mapping: honoured",
			setup: func(s *Space, fd int) { fixed(s, top-h, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(top-g, g, rw, anon, -1, 0) },
			want:  top - g,
		},
		{
			name:  "hint congruent, host pages free: honoured",
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(top-4*h+g, g, rw, MapShared, fd, g) },
			want:  top - 4*h + g,
		},
		{
			name:  "hint not congruent: searched",
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(top-4*h, g, rw, MapShared, fd, g) },
			want:  top - h + g,
		},
		{
			name:  "hint congruent in a host page with another mapping: searched",
			setup: func(s *Space, fd int) { fixed(s, top-4*h, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(top-4*h+g, g, ProtRead, MapPrivate, fd, g) },
			want:  top - h + g,
		},
		{
			name:  "shared anonymous: whole host pages",
			setup: func(s *Space, fd int) { fixed(s, top-g, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) { return s.Mmap(0, 2*g, rw, MapShared|MapAnonymous, -1, 3*g) },
			want:  top - 2*h,
		},
		{
			name: "shared /dev/zero past its size: lead of its offset",
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				z, err := unix.Open("/dev/zero", unix.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(z)
				return s.Mmap(0, g, rw, MapShared, z, 1<<30+2*g)
			},
			want: top - h + 2*g,
		},
		{
			name:  "shm segment: whole host pages",
			setup: func(s *Space, fd int) { fixed(s, top-g, g, anon, -1, 0) },
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				id, e := s.Shmget(0, 10000, IPCCreat|0o600)
				if e != 0 {
					t.Fatalf("shmget: %v", e)
				}
				defer s.Shmctl(id, IPCRmid, nil)
				return s.Shmat(id, 0, 0)
			},
			want: top - 2*h,
		},
		{
			name: "moved shared mapping: lead of the moved page's offset",
			setup: func(s *Space, fd int) {
				fixed(s, base+h, 2*g, MapShared, fd, 0)
				fixed(s, base+h+2*g, g, MapShared, fd, 2*g)
			},
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				return s.Mremap(base+h+g, g, 2*g, MremapMayMove, 0)
			},
			want: top - h + g,
		},
		{
			name: "moved private file mapping: lead by its new length",
			setup: func(s *Space, fd int) {
				fixed(s, top-g, g, anon, -1, 0)
				fixed(s, base+2*g, g, MapPrivate, fd, 2*g)
				fixed(s, base+3*g, g, anon, -1, 0)
			},
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				return s.Mremap(base+2*g, g, 3*g, MremapMayMove, 0)
			},
			want: top - 3*h + 2*g,
		},
		{
			name: "moved small anonymous mapping: packed",
			setup: func(s *Space, fd int) {
				fixed(s, top-g, g, anon, -1, 0)
				fixed(s, base, g, anon, -1, 0)
				fixed(s, base+g, g, MapPrivate|MapAnonymous, -1, 0)
				s.Mprotect(base+g, g, ProtRead)
			},
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				return s.Mremap(base, g, 2*g, MremapMayMove, 0)
			},
			want: top - 3*g,
		},
		{
			name: "DONTUNMAP hint not congruent: searched",
			setup: func(s *Space, fd int) {
				fixed(s, base, g, MapShared, fd, 0)
			},
			place: func(s *Space, fd int) (Addr, unix.Errno) {
				return s.Mremap(base, g, g, MremapMayMove|MremapDontUnmap, base+4*h+g)
			},
			want: top - h,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSpace(t, Config{GuestPageSize: g, HostPageSize: h, MinAddr: base, MmapBase: top})
			fd, err := unix.MemfdCreate("gemu-place", 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			unix.Ftruncate(fd, 16*g)
			if tc.setup != nil {
				tc.setup(s, fd)
			}
			refused := s.refused
			a, e := tc.place(s, fd)
			if e != 0 || a != tc.want {
				t.Fatalf("placed at %#x (%v), want %#x", a, e, tc.want)
			}
			if s.refused != refused {
				t.Errorf("the Space refused %d operations", s.refused-refused)
			}
			if v := s.vmas.find(a); v != nil && (v.shared || (v.file != nil && !v.file.devZero)) {
				if p := s.planLocked(Addr(alignDown(uint64(a), h))); p.file == nil {
					t.Errorf("the mapping at %#x is not held directly", a)
				}
			}
			mustInvariants(t, s)
		})
	}
}
