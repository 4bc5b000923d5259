package guestmem

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// touch stores b at guest address a straight through the window, as a CPU
// does, and reports whether the host faulted.
func touch(s *Space, a Addr, b byte) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			faulted = true
		}
	}()
	p := (*byte)(unsafe.Add(hostPointer(s.Base()), uintptr(a)))
	*p = b
	return false
}

// TestConcurrentThreads runs guest "threads" that map, unmap, protect,
// remap and touch memory at once, each in a region of its own plus shared
// top-down address choice, while readers look up and check ranges across
// the whole space. Under -race it proves the locking; the invariants and
// each thread's view of its own memory prove the bookkeeping.
func TestConcurrentThreads(t *testing.T) {
	s := newTestSpace(t, Config{})
	var invalidations atomic.Int64
	s.OnInvalidate(func(Range) { invalidations.Add(1) })
	const (
		threads = 4
		pages   = 64
	)
	ops := 3000
	if testing.Short() {
		ops = 600
	}
	g := Addr(4096)
	var wg sync.WaitGroup
	var stop atomic.Bool
	errs := make(chan string, threads)
	for th := 0; th < threads; th++ {
		wg.Add(1)
		go func(th int) {
			defer wg.Done()
			runtime.LockOSThread()
			rng := rand.New(rand.NewPCG(uint64(th), 7))
			base := Addr(0x40000000) + Addr(th)*Addr(2*pages)*g
			// prot[i] is what this thread believes page i holds: -1 unmapped.
			prot := make([]int, pages)
			for i := range prot {
				prot[i] = -1
			}
			for i := 0; i < ops; i++ {
				p := rng.IntN(pages)
				n := 1 + rng.IntN(min(8, pages-p))
				a := base + Addr(p)*g
				switch rng.IntN(6) {
				case 0:
					pr := []int{ProtNone, ProtRead, ProtRead | ProtWrite}[rng.IntN(3)]
					if _, e := s.Mmap(a, uint64(n)*4096, pr, anonRW|MapFixed, -1, 0); e != 0 {
						errs <- "mmap: " + e.Error()
						return
					}
					for k := p; k < p+n; k++ {
						prot[k] = pr
					}
				case 1:
					s.Munmap(a, uint64(n)*4096)
					for k := p; k < p+n; k++ {
						prot[k] = -1
					}
				case 2:
					pr := []int{ProtNone, ProtRead, ProtRead | ProtWrite}[rng.IntN(3)]
					e := s.Mprotect(a, uint64(n)*4096, pr)
					// Linux changes the mappings before a hole even when
					// it then fails with ENOMEM: model each page as
					// changed if it was mapped and lies before the first
					// hole.
					for k := p; k < p+n && prot[k] >= 0; k++ {
						prot[k] = pr
					}
					if (e == 0) != (prot[p] >= 0 && allMapped(prot[p:p+n])) {
						errs <- "mprotect result disagrees with the thread's view: " + e.Error()
						return
					}
				case 3:
					// Non-fixed mappings come from the shared top-down search.
					b, e := s.Mmap(0, uint64(n)*4096, ProtRead|ProtWrite, anonRW, -1, 0)
					if e != 0 {
						errs <- "mmap(NULL): " + e.Error()
						return
					}
					if touch(s, b, 1) {
						errs <- "fresh mapping faulted"
						return
					}
					s.Munmap(b, uint64(n)*4096)
				default:
					faulted := touch(s, a, byte(i))
					want := prot[p] != ProtRead|ProtWrite
					if faulted != want {
						errs <- "store faulted/succeeded against the thread's own view"
						return
					}
					if faulted {
						f, _ := s.ClassifyFault(s.Base()+uintptr(a), AccessWrite)
						if f.Signal != SIGSEGV {
							errs <- "fault not classified SIGSEGV"
							return
						}
					}
				}
			}
		}(th)
	}
	var rwg sync.WaitGroup
	for r := 0; r < 2; r++ {
		rwg.Add(1)
		go func(r int) {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 99))
			for !stop.Load() {
				a := Addr(0x40000000) + Addr(rng.IntN(threads*2*pages))*g
				s.Lookup(a)
				s.CheckAccess(a, 100, AccessRead)
				buf := make([]byte, 8)
				s.CopyIn(buf, a)
			}
		}(r)
	}
	wg.Wait()
	stop.Store(true)
	rwg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	mustInvariants(t, s)
	if invalidations.Load() == 0 {
		t.Error("no invalidation was announced")
	}
}

func allMapped(prot []int) bool {
	for _, p := range prot {
		if p < 0 {
			return false
		}
	}
	return true
}
