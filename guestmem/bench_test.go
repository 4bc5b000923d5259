package guestmem

// Benchmarks. Each syscall case runs the same operations through a Space
// and directly on the host kernel in the same benchmark, and reports
// gemu-ns/op, native-ns/op and their ratio x-native. Run with
//
//	go test ./guestmem -run '^$' -bench . -benchtime 2000x
//
// The cases with 65,000 live mappings need the host's vm.max_map_count
// raised (each guest mapping costs the host up to two VMAs, and the native
// side holds its own 65,000): as root the benchmark raises it to 1,000,000
// itself and says so; otherwise it skips.

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pair times body on the Space and on the host, b.N times each, and reports
// the figures.
func pair(b *testing.B, gemu, native func()) {
	b.Helper()
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		gemu()
	}
	g := time.Since(t0)
	t0 = time.Now()
	for i := 0; i < b.N; i++ {
		native()
	}
	n := time.Since(t0)
	b.StopTimer()
	b.ReportMetric(float64(g.Nanoseconds())/float64(b.N), "gemu-ns/op")
	b.ReportMetric(float64(n.Nanoseconds())/float64(b.N), "native-ns/op")
	b.ReportMetric(float64(g)/float64(n), "x-native")
}

func nativeMmap(addr uintptr, n uint64, prot, flags int) uintptr {
	r, _, e := unix.Syscall6(unix.SYS_MMAP, addr, uintptr(n), uintptr(prot), uintptr(flags), ^uintptr(0), 0)
	if e != 0 {
		panic(e)
	}
	return r
}

func nativeMunmap(a uintptr, n uint64) {
	unix.Syscall(unix.SYS_MUNMAP, a, uintptr(n), 0)
}

func benchMapUnmap(b *testing.B, length uint64, prot int) {
	s := newTestSpace(b, Config{})
	gp := prot
	hp := hostProt(prot)
	pair(b, func() {
		a, e := s.Mmap(0, length, gp, MapPrivate|MapAnonymous, -1, 0)
		if e != 0 {
			b.Fatal(e)
		}
		s.Munmap(a, length)
	}, func() {
		a := nativeMmap(0, length, hp, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		nativeMunmap(a, length)
	})
}

func BenchmarkMmapMunmap4K(b *testing.B) { benchMapUnmap(b, 4096, ProtRead|ProtWrite) }
func BenchmarkMmapMunmap1M(b *testing.B) { benchMapUnmap(b, 1<<20, ProtRead|ProtWrite) }
func BenchmarkMmapMunmap1GProtNone(b *testing.B) {
	benchMapUnmap(b, 1<<30, ProtNone)
}

func BenchmarkMprotectToggle64M(b *testing.B) {
	const size = 64 << 20
	s := newTestSpace(b, Config{})
	a, e := s.Mmap(0, size, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		b.Fatal(e)
	}
	n := nativeMmap(0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	defer nativeMunmap(n, size)
	mid := Addr(size / 2)
	pair(b, func() {
		s.Mprotect(a+mid, 4096, ProtRead)
		s.Mprotect(a+mid, 4096, ProtRead|ProtWrite)
	}, func() {
		unix.Syscall(unix.SYS_MPROTECT, n+uintptr(mid), 4096, unix.PROT_READ)
		unix.Syscall(unix.SYS_MPROTECT, n+uintptr(mid), 4096, unix.PROT_READ|unix.PROT_WRITE)
	})
}

func BenchmarkMremapDoubling(b *testing.B) {
	const top = 64 << 20
	s := newTestSpace(b, Config{})
	pair(b, func() {
		a, e := s.Mmap(0, 4096, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
		if e != 0 {
			b.Fatal(e)
		}
		for n := uint64(4096); n < top; n *= 2 {
			if a, e = s.Mremap(a, n, 2*n, MremapMayMove, 0); e != 0 {
				b.Fatal(e)
			}
		}
		s.Munmap(a, top)
	}, func() {
		a := nativeMmap(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		for n := uint64(4096); n < top; n *= 2 {
			r, err := hostMremap(a, n, 2*n, unix.MREMAP_MAYMOVE, 0)
			if err != 0 {
				b.Fatal(err)
			}
			a = r
		}
		nativeMunmap(a, top)
	})
}

func BenchmarkBrk4K(b *testing.B) {
	const span = 4096 * 1024
	s := newTestSpace(b, Config{})
	base := Addr(0x10000000)
	s.SetBrkBase(base)
	hostStart, _, _ := unix.Syscall(unix.SYS_BRK, 0, 0, 0)
	gcur, hcur := base, hostStart
	pair(b, func() {
		if gcur+4096 > base+span {
			gcur = s.Brk(base)
		}
		gcur = s.Brk(gcur + 4096)
	}, func() {
		if hcur+4096 > hostStart+span {
			hcur, _, _ = unix.Syscall(unix.SYS_BRK, hostStart, 0, 0)
		}
		hcur, _, _ = unix.Syscall(unix.SYS_BRK, hcur+4096, 0, 0)
	})
	unix.Syscall(unix.SYS_BRK, hostStart, 0, 0)
}

// raiseMapCount makes room for n more host VMAs, as root; it reports false
// when it cannot.
func raiseMapCount(b *testing.B, n int) bool {
	const path = "/proc/sys/vm/max_map_count"
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	cur, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if cur >= n {
		return true
	}
	if os.WriteFile(path, []byte(strconv.Itoa(n)), 0) != nil {
		return false
	}
	b.Logf("raised vm.max_map_count from %d to %d for this benchmark", cur, n)
	return true
}

// populate creates n one-page mappings with one-page holes between them in
// the Space and on the host (inside a private reservation of the same
// shape), and returns the host region to free.
func populate(b *testing.B, s *Space, n int) (uintptr, uint64) {
	if n > 30000 && !raiseMapCount(b, 1000000) {
		b.Skipf("%d mappings need vm.max_map_count raised (run as root)", n)
	}
	g := Addr(4096)
	base := s.MmapBase() - Addr(2*n+2)*g
	for i := 0; i < n; i++ {
		if _, e := s.Mmap(base+Addr(2*i)*g, 4096, ProtRead, MapPrivate|MapAnonymous|MapFixed, -1, 0); e != 0 {
			b.Fatalf("mapping %d: %v", i, e)
		}
	}
	size := uint64(2*n+2) * 4096
	region := nativeMmap(0, size, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	nativeMunmap(region, size)
	for i := 0; i < n; i++ {
		nativeMmap(region+uintptr(2*i)*4096, 4096, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED)
	}
	return region, size
}

func benchMmapWithLive(b *testing.B, n int) {
	s := newTestSpace(b, Config{})
	region, size := populate(b, s, n)
	defer nativeMunmap(region, size)
	pair(b, func() {
		a, e := s.Mmap(0, 4096, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
		if e != 0 {
			b.Fatal(e)
		}
		s.Munmap(a, 4096)
	}, func() {
		a := nativeMmap(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		nativeMunmap(a, 4096)
	})
}

func BenchmarkMmapLive10000(b *testing.B) { benchMmapWithLive(b, 10000) }
func BenchmarkMmapLive65000(b *testing.B) { benchMmapWithLive(b, 65000) }

// BenchmarkFindFree times the free-range search alone, with 100 and with
// 65,000 live mappings below the mmap base, and reports their ratio
// (x-at-100): O(log n) search keeps it small.
func BenchmarkFindFree(b *testing.B) {
	timeFind := func(n int) float64 {
		s := newTestSpace(b, Config{})
		g := Addr(4096)
		// Mappings fill the space below the mmap base densely, one-page
		// holes between them too small for the 8 KiB request, so the
		// search must look past all of them.
		base := s.MmapBase() - Addr(2*n)*g
		for i := 0; i < n; i++ {
			s.Mmap(base+Addr(2*i)*g, 4096, ProtRead, MapPrivate|MapAnonymous|MapFixed, -1, 0)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		t0 := time.Now()
		for i := 0; i < b.N; i++ {
			if _, ok := s.findLocked(8192, 4096); !ok {
				b.Fatal("no free range")
			}
		}
		return float64(time.Since(t0).Nanoseconds()) / float64(b.N)
	}
	b.ResetTimer()
	small := timeFind(100)
	large := timeFind(65000)
	b.StopTimer()
	b.ReportMetric(small, "ns-at-100")
	b.ReportMetric(large, "ns-at-65000")
	b.ReportMetric(large/small, "x-at-100")
}

func benchLookups(b *testing.B, check bool) {
	const n = 65000
	s := newTestSpace(b, Config{})
	g := Addr(4096)
	base := s.MmapBase() - Addr(2*n+2)*g
	for i := 0; i < n; i++ {
		if _, e := s.Mmap(base+Addr(2*i)*g, 4096, ProtRead, MapPrivate|MapAnonymous|MapFixed, -1, 0); e != 0 {
			b.Skipf("mapping %d: %v (host vm.max_map_count too low?)", i, e)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	addrs := make([]Addr, 4096)
	for i := range addrs {
		addrs[i] = base + Addr(2*rng.IntN(n))*g + Addr(rng.IntN(4000))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := addrs[i&4095]
		if check {
			if s.CheckAccess(a, 64, AccessRead) != 0 {
				b.Fatal("range check failed")
			}
		} else if _, ok := s.Lookup(a); !ok {
			b.Fatal("lookup failed")
		}
	}
}

func BenchmarkLookup65000(b *testing.B)     { benchLookups(b, false) }
func BenchmarkRangeCheck65000(b *testing.B) { benchLookups(b, true) }

// BenchmarkSmallPages runs the syscall cases with G = 4 KiB on host pages
// of 16 KiB and 64 KiB (G < H), against the 4 KiB host kernel natively,
// and times an access the CPU must emulate on a mixed host page
// (emulated-ns/op: HandleFault and LoadSlow or StoreSlow after the host
// fault; direct-ns/op: the same access when the host page allows it).
func BenchmarkSmallPages(b *testing.B) {
	for _, h := range []uint64{16 << 10, 64 << 10} {
		cfg := Config{GuestPageSize: 4096, HostPageSize: h}
		name := "H" + strconv.Itoa(int(h>>10)) + "K"
		b.Run(name+"/MmapMunmap4K", func(b *testing.B) {
			s := newTestSpace(b, cfg)
			pair(b, func() {
				a, e := s.Mmap(0, 4096, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
				if e != 0 {
					b.Fatal(e)
				}
				s.Munmap(a, 4096)
			}, func() {
				a := nativeMmap(0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
				nativeMunmap(a, 4096)
			})
		})
		b.Run(name+"/MmapMunmap1M", func(b *testing.B) {
			s := newTestSpace(b, cfg)
			pair(b, func() {
				a, e := s.Mmap(0, 1<<20, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
				if e != 0 {
					b.Fatal(e)
				}
				s.Munmap(a, 1<<20)
			}, func() {
				a := nativeMmap(0, 1<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
				nativeMunmap(a, 1<<20)
			})
		})
		b.Run(name+"/MprotectOneGuestPage", func(b *testing.B) {
			// One guest page inside a written 1 MiB mapping: its host page
			// becomes mixed and is rebuilt each time.
			s := newTestSpace(b, cfg)
			a, e := s.Mmap(0, 1<<20, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
			if e != 0 {
				b.Fatal(e)
			}
			s.CopyOut(a, make([]byte, 1<<20))
			n := nativeMmap(0, 1<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			defer nativeMunmap(n, 1<<20)
			p := a + 1<<19 + 4096
			i, j := 0, 0
			pair(b, func() {
				s.Mprotect(p, 4096, []int{ProtRead, ProtRead | ProtWrite}[i&1])
				i++
			}, func() {
				unix.Syscall(unix.SYS_MPROTECT, n+1<<19+4096, 4096, uintptr([]int{unix.PROT_READ, unix.PROT_READ | unix.PROT_WRITE}[j&1]))
				j++
			})
		})
		for _, store := range []bool{false, true} {
			op := "Load"
			if store {
				op = "Store"
			}
			b.Run(name+"/Emulated"+op, func(b *testing.B) {
				s := newTestSpace(b, cfg)
				a, e := s.Mmap(0, 2*h, ProtRead|ProtWrite, MapPrivate|MapAnonymous, -1, 0)
				if e != 0 {
					b.Fatal(e)
				}
				hp := Addr(alignUp(uint64(a), h))
				// The first guest page of host page hp is read-only (for
				// stores) or inaccessible (for loads), so the host page is
				// too, and accesses to the second guest page are emulated.
				s.Mprotect(hp, 4096, ProtRead)
				target := hp + 4096
				if !store {
					s.Mprotect(hp, 4096, ProtNone)
				}
				direct := a
				if direct >= hp {
					direct = hp + Addr(h)
				}
				b.ResetTimer()
				t0 := time.Now()
				for i := 0; i < b.N; i++ {
					if _, f := cpuAccess(s, target, store, byte(i)); f != nil {
						b.Fatalf("%+v", *f)
					}
				}
				em := time.Since(t0)
				t0 = time.Now()
				for i := 0; i < b.N; i++ {
					if _, f := cpuAccess(s, direct, store, byte(i)); f != nil {
						b.Fatalf("%+v", *f)
					}
				}
				d := time.Since(t0)
				b.StopTimer()
				b.ReportMetric(float64(em.Nanoseconds())/float64(b.N), "emulated-ns/op")
				b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "direct-ns/op")
			})
		}
	}
}
