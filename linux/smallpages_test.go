package linux

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/riscv"
)

// smallProcess is testProcess with 4 KiB guest pages on 16 KiB host pages,
// and the address of a 16 KiB host page whose first guest page is
// read-write and whose second is prot2: the host page takes the stricter
// protection.
func smallProcess(t *testing.T, prot2 int) (*Process, uint64) {
	t.Helper()
	sp, err := guestmem.New(guestmem.Config{GuestPageSize: 4096, HostPageSize: 16384})
	if err != nil {
		t.Fatalf("guestmem.New: %v", err)
	}
	t.Cleanup(func() { sp.Close() })
	p := &Process{
		space: sp, cpu: riscv.NewCPU(), pid: unix.Getpid(), tid: unix.Getpid(),
		ownFDs: map[int]bool{}, g: newGroup(),
		stack: &Stack{Auxv: []uint64{atPagesz, 4096, atNull, 0}},
	}
	p.initSignals()
	r, errno := sp.Mmap(0, 2*16384, guestmem.ProtRead|guestmem.ProtWrite, guestmem.MapPrivate|guestmem.MapAnonymous, -1, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	a := alignUp(uint64(r), 16384)
	if errno := sp.Mprotect(guestmem.Addr(a+4096), 4096, prot2); errno != 0 {
		t.Fatal(errno)
	}
	return p, a
}

// TestFutexUnreadableHostPage waits on a futex word whose host page the
// host cannot read (beside an inaccessible guest page): the wait goes to
// gemu's own queue, and wakes, timeouts and value checks behave as the
// host's.
func TestFutexUnreadableHostPage(t *testing.T) {
	p, a := smallProcess(t, guestmem.ProtNone)
	word := a + 64
	if p.space.HostAllows(guestmem.Addr(word), 4, guestmem.AccessRead) {
		t.Fatal("the host page is readable: the test needs one that is not")
	}
	put := func(v uint32) {
		var b [4]byte
		putU32(b[:], v)
		if errno := p.copyOut(word, b[:]); errno != 0 {
			t.Fatal(errno)
		}
	}
	const wait, wake = futexWait | futexPrivateFlag, futexWake | futexPrivateFlag
	put(1)
	if r := call(p, sysFutex, word, wait, 2, 0); r != -int64(unix.EAGAIN) {
		t.Errorf("wait for a value the word does not hold: %d, want EAGAIN", r)
	}
	tmo := a + 128
	var ts [16]byte
	put64(ts[8:], uint64(20*time.Millisecond))
	p.copyOut(tmo, ts[:])
	start := time.Now()
	if r := call(p, sysFutex, word, wait, 1, tmo); r != -int64(unix.ETIMEDOUT) || time.Since(start) < 20*time.Millisecond {
		t.Errorf("wait with a 20 ms timeout: %d after %v, want ETIMEDOUT after 20 ms", r, time.Since(start))
	}
	if n := p.g.futexes.n.Load(); n != 0 {
		t.Errorf("%d waiters left in the queue", n)
	}

	// A second thread waits; this one stores and wakes it.
	done := waitInThread(p, word, wait, 1)
	for p.g.futexes.n.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("the waiter returned %d before the wake", r)
	default:
	}
	put(2)
	if r := call(p, sysFutex, word, wake, 1); r != 1 {
		t.Errorf("wake: %d, want 1", r)
	}
	expectWoken(t, done)
}

// waitInThread makes a futex wait (op) for val on word in a second guest
// thread of p, and returns the channel its result arrives on.
func waitInThread(p *Process, word, op, val uint64) <-chan int64 {
	t2 := &Process{space: p.space, cpu: riscv.NewCPU(), pid: p.pid, ownFDs: p.ownFDs, g: p.g, stack: p.stack}
	t2.initSignals()
	done := make(chan int64)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		done <- call(t2, sysFutex, word, op, val, 0)
	}()
	return done
}

// expectWoken waits for the result of a wait made by waitInThread, which
// a wake has just ended: 0 within 10 s.
func expectWoken(t *testing.T, done <-chan int64) {
	t.Helper()
	select {
	case r := <-done:
		if r != 0 {
			t.Errorf("the woken wait returned %d", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter was not woken")
	}
}

// TestSharedFutexAcrossSlot waits with a shared (non-private) futex on a
// word of private memory whose host page (beside a read-only guest page,
// so readable on the host) is in the address space's memory file when the
// wait starts (a slow store to it made the slot), and leaves it during the
// wait (an mprotect in the same host page rebuilds it): a shared wake
// afterwards must still find the waiter, as it does on Linux, where
// nothing about the word's page changed.
func TestSharedFutexAcrossSlot(t *testing.T) {
	p, a := smallProcess(t, guestmem.ProtRead)
	word := a + 64
	if !p.space.HostAllows(guestmem.Addr(word), 4, guestmem.AccessRead) {
		t.Fatal("the host page is not readable: the test needs a host wait")
	}
	var b [4]byte
	putU32(b[:], 1)
	if errno := p.space.StoreSlow(guestmem.Addr(word), b[:]); errno != 0 {
		t.Fatal(errno)
	}
	done := waitInThread(p, word, futexWait, 1)
	time.Sleep(50 * time.Millisecond) // let the waiter reach the host's wait
	if errno := p.space.Mprotect(guestmem.Addr(a+2*4096), 4096, guestmem.ProtRead); errno != 0 {
		t.Fatal(errno)
	}
	putU32(b[:], 2)
	if errno := p.copyOut(word, b[:]); errno != 0 {
		t.Fatal(errno)
	}
	if r := call(p, sysFutex, word, futexWake, 1); r != 1 {
		t.Errorf("wake: %d, want 1", r)
		call(p, sysFutex, word, futexWake|futexPrivateFlag, 1) // let the waiter go
	}
	expectWoken(t, done)
}

// TestBounceBuffers makes host calls on buffers in a page whose host page
// the host may not write (beside a read-only guest page) or not even read
// (beside an inaccessible one): they go through bounce buffers, and a
// read copies back only the bytes read.
func TestBounceBuffers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prot2 int
	}{{"beside read-only", guestmem.ProtRead}, {"beside inaccessible", guestmem.ProtNone}} {
		t.Run(tc.name, func(t *testing.T) {
			p, a := smallProcess(t, tc.prot2)
			if p.space.HostAllows(guestmem.Addr(a), 4096, guestmem.AccessWrite) {
				t.Fatal("the host page is writable: the test needs one that is not")
			}
			fds := a + 16
			if r := call(p, sysPipe2, fds, 0); r != 0 {
				t.Fatalf("pipe2: %d", r)
			}
			var fb [8]byte
			p.copyIn(fb[:], fds)
			rfd, wfd := uint64(le32(fb[:])), uint64(le32(fb[4:]))
			defer unix.Close(int(rfd))
			defer unix.Close(int(wfd))

			out, in := a+256, a+512
			p.copyOut(out, []byte("hello, bounce"))
			if r := call(p, sysWrite, wfd, out, 13); r != 13 {
				t.Fatalf("write: %d", r)
			}
			pattern := bytes.Repeat([]byte{0xee}, 32)
			p.copyOut(in, pattern)
			if r := call(p, sysRead, rfd, in, 5); r != 5 {
				t.Fatalf("read: %d", r)
			}
			got := make([]byte, 32)
			p.copyIn(got, in)
			if want := append([]byte("hello"), pattern[5:]...); !bytes.Equal(got, want) {
				t.Errorf("after reading 5 bytes into a 32-byte pattern: %q", got)
			}
			// readv into two buffers, one on the page, one far from it.
			far := guestAlloc(t, p, 4096, guestmem.ProtRead|guestmem.ProtWrite)
			iov := a + 1024
			var v [32]byte
			put64(v[0:], in)
			put64(v[8:], 3)
			put64(v[16:], far)
			put64(v[24:], 10)
			p.copyOut(iov, v[:])
			if r := call(p, sysReadv, rfd, iov, 2); r != 8 {
				t.Fatalf("readv: %d", r)
			}
			p.copyIn(got[:3], in)
			far8 := make([]byte, 6)
			p.copyIn(far8, far)
			if string(got[:3]) != ", b" || string(far8) != "ounce\x00" {
				t.Errorf("readv: %q %q", got[:3], far8)
			}
			ts := a + 2048
			if r := call(p, sysClockGettime, unix.CLOCK_MONOTONIC, ts); r != 0 {
				t.Fatalf("clock_gettime: %d", r)
			}
			p.copyIn(fb[:], ts)
			if le64(fb[:]) == 0 {
				t.Errorf("clock_gettime wrote no seconds")
			}
			// The read-only page itself stays read-only for the host
			// call: EFAULT.
			if r := call(p, sysRead, rfd, a+4096, 4); tc.prot2 == guestmem.ProtRead && r != -int64(unix.EFAULT) {
				t.Errorf("read into the read-only page: %d, want EFAULT", r)
			}
		})
	}
}

// TestPlacementSmallPages checks, through the system calls, where the
// address space places mappings without MAP_FIXED when guest pages are
// smaller than host pages (see guestmem/findfree.go): file and shared
// mappings, and anonymous ones of whole host pages, in host pages of their
// own at an address congruent to their offset modulo the host page, small
// anonymous mappings packed but never in a shared mapping's host pages.
// Each call must succeed where Linux on 4 KiB pages would, and file
// mappings must keep seeing the file.
func TestPlacementSmallPages(t *testing.T) {
	p, _ := smallProcess(t, guestmem.ProtRead)
	const h = 16384
	fd, err := unix.MemfdCreate("gemu-placement", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	unix.Ftruncate(fd, 4*h)
	const rw = guestmem.ProtRead | guestmem.ProtWrite
	// hostPagesOf returns the host pages [a, a+n) touches.
	hostPagesOf := func(a, n int64) (int64, int64) { return a &^ (h - 1), (a + n + h - 1) &^ (h - 1) }
	// alone checks that the host pages of [a, a+n) hold no other mapping.
	alone := func(what string, a, n int64) {
		t.Helper()
		lo, hi := hostPagesOf(a, n)
		for _, m := range p.space.Mappings() {
			if int64(m.End) > lo && int64(m.Start) < hi && (int64(m.Start) < a || int64(m.End) > a+n) {
				t.Errorf("%s at %#x: its host pages hold %v too", what, a, m.Range)
			}
		}
	}
	congruent := func(what string, a int64, off uint64) {
		t.Helper()
		if (uint64(a)-off)%h != 0 {
			t.Errorf("%s at %#x: not congruent to offset %#x modulo the host page", what, a, off)
		}
	}

	shared := call(p, sysMmap, 0, 4096, rw, guestmem.MapShared, uint64(fd), 4096)
	if shared < 0 {
		t.Fatalf("shared mapping: %d", shared)
	}
	congruent("shared mapping", shared, 4096)
	alone("shared mapping", shared, 4096)

	// Small anonymous mappings: packed, outside the shared mapping's host
	// page (the host could not hold them there).
	var anon []int64
	for i := range 8 {
		a := call(p, sysMmap, 0, 4096, rw, guestmem.MapPrivate|guestmem.MapAnonymous, ^uint64(0), 0)
		if a < 0 {
			t.Fatalf("anonymous page %d: %d", i, a)
		}
		if i > 0 && a != anon[i-1]-4096 {
			t.Errorf("anonymous page %d at %#x, want %#x (packed below the previous one)", i, a, anon[i-1]-4096)
		}
		anon = append(anon, a)
	}
	alone("shared mapping", shared, 4096)
	// A hint inside the shared mapping's host page is not honoured.
	lo, _ := hostPagesOf(shared, 4096)
	if a := call(p, sysMmap, uint64(lo), 4096, rw, guestmem.MapPrivate|guestmem.MapAnonymous, ^uint64(0), 0); a < 0 || a == lo {
		t.Errorf("anonymous page hinted into the shared mapping's host page: %#x", a)
	}

	// A private file mapping is held by the host directly: it sees later
	// writes to the file.
	priv := call(p, sysMmap, 0, 2*4096, guestmem.ProtRead, guestmem.MapPrivate, uint64(fd), 2*4096)
	if priv < 0 {
		t.Fatalf("private file mapping: %d", priv)
	}
	congruent("private file mapping", priv, 2*4096)
	alone("private file mapping", priv, 2*4096)
	p.copyIn(make([]byte, 1), uint64(priv))
	unix.Pwrite(fd, []byte("F"), 2*4096+4096+7)
	got := make([]byte, 1)
	p.copyIn(got, uint64(priv)+4096+7)
	if string(got) != "F" {
		t.Errorf("the private file mapping does not see a later write to the file: %q", got)
	}

	// Anonymous memory of whole host pages gets whole host pages.
	big := call(p, sysMmap, 0, 2*h, rw, guestmem.MapPrivate|guestmem.MapAnonymous, ^uint64(0), 0)
	if big < 0 || big%h != 0 {
		t.Errorf("anonymous mapping of two host pages at %#x: want host-page-aligned", big)
	}

	// A SysV segment starts a host page and has its host pages alone.
	id := call(p, sysShmget, 0, 4096, unix.IPC_CREAT|0o600)
	if id < 0 {
		t.Fatalf("shmget: %d", id)
	}
	defer unix.SysvShmCtl(int(id), unix.IPC_RMID, nil)
	seg := call(p, sysShmat, uint64(id), 0, 0)
	if seg < 0 {
		t.Fatalf("shmat: %d", seg)
	}
	congruent("shm segment", seg, 0)
	alone("shm segment", seg, 4096)

	// Grow the lowest anonymous page, which the others keep from growing
	// in place: the move is packed like any small anonymous mapping.
	p.copyOut(uint64(anon[7]), []byte("moved"))
	moved := call(p, sysMremap, uint64(anon[7]), 4096, 3*4096, guestmem.MremapMayMove, 0)
	if moved < 0 {
		t.Fatalf("mremap: %d", moved)
	}
	got = make([]byte, 5)
	p.copyIn(got, uint64(moved))
	if string(got) != "moved" {
		t.Errorf("moved contents %q", got)
	}

	// Grow the shared mapping where it cannot grow in place: it moves to
	// host pages of its own, congruent to its offset.
	if r := call(p, sysMmap, uint64(shared)+4096, 4096, guestmem.ProtRead, guestmem.MapShared|guestmem.MapFixed, uint64(fd), 2*4096); r < 0 {
		t.Fatalf("shared blocker: %d", r)
	}
	sm := call(p, sysMremap, uint64(shared), 4096, 3*4096, guestmem.MremapMayMove, 0)
	if sm < 0 {
		t.Fatalf("mremap of the shared mapping: %d", sm)
	}
	congruent("moved shared mapping", sm, 4096)
	alone("moved shared mapping", sm, 3*4096)
	// It still reaches the file.
	p.copyOut(uint64(sm)+10, []byte("S"))
	var b [1]byte
	unix.Pread(fd, b[:], 4096+10)
	if b[0] != 'S' {
		t.Errorf("a store to the shared mapping did not reach the file: %q", b[:])
	}
}
