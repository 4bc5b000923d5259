package linux

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// Futexes. A guest futex word is a word of guest memory, and the host's
// futex works on it where it is, through the window: a private futex is
// keyed by its address, so waits and wakes meet across the guest threads
// (all in this host process), and the host checks the word's value
// atomically with queueing the waiter, as the guest's kernel would.
//
// With guest pages smaller than host pages, the word's host page may not
// be readable even though the guest page is: a host page shared with an
// inaccessible guest page is PROT_NONE on the host. The host's FUTEX_WAIT
// would fail with EFAULT reading the word (FUTEX_WAKE of a private futex
// reads no memory and works). gemu then makes the wait itself, in
// futexTable: under the table's lock it reads the word through the
// address space's slow path, compares it with the expected value and
// queues the waiter; the waiter then sleeps in a host futex wait on a word
// of its own, with the guest's timeout and clock, so it times out and is
// interrupted exactly as a host wait is. Every wake first wakes the
// matching waiters of the table, then the host's with what remains of its
// count. A guest store to the word (emulated: its host page is not
// writable) happens before the waker's system call, and the waiter reads
// the word after announcing itself (a full barrier on both sides), so a
// wake cannot be lost between a waiter's check and its sleep.
//
// A wait whose host page becomes unreadable during the host's own wait
// cannot be moved to the table; it is woken by the host wake that every
// wake also makes. A shared (non-private) futex whose host page is not
// readable cannot be keyed by the host at all: gemu waits for it in the
// table, which serves this process's threads only.

// futex operations (the low seven bits of op) and flags.
const (
	futexWait          = 0
	futexWake          = 1
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexCmdMask       = 0x7f
	futexBitsetAll     = 0xffffffff
)

// futexTable holds the waiters of the waits gemu makes itself.
type futexTable struct {
	// n counts the waiters queued or about to be; wakes look at the
	// table only when it is not zero.
	n  atomic.Int32
	mu sync.Mutex
	// waiters are the queued waiters by guest address, in arrival
	// order. Guarded by mu.
	waiters map[uint64][]*futexWaiter
}

// futexWaiter is one waiting guest thread. It sleeps in a host futex wait
// on woken (0 while waiting), which a wake sets to 1.
type futexWaiter struct {
	bitset uint32
	woken  uint32
}

// sysFutexImpl runs the futex on the host, on the guest word's host
// address, or in the table when the host cannot read the word.
func sysFutexImpl(p *Process, a *sysArgs) (uint64, unix.Errno) {
	op := a[1] & futexCmdMask
	switch op {
	case futexWait, futexWake, futexWaitBitset, futexWakeBitset:
	default:
		return 0, unix.ENOSYS
	}
	if errno := p.space.CheckAccess(guestmem.Addr(a[0]), 4, guestmem.AccessRead); errno != 0 {
		return 0, errno
	}
	if a[0]%4 != 0 {
		return 0, unix.EINVAL
	}
	bitset := uint32(futexBitsetAll)
	if op == futexWaitBitset || op == futexWakeBitset {
		if bitset = uint32(a[5]); bitset == 0 {
			return 0, unix.EINVAL
		}
	}
	if op == futexWake || op == futexWakeBitset {
		return p.futexWake(a[0], a[1], int(int32(a[2])), bitset)
	}
	var tmo uintptr
	if a[3] != 0 {
		t, errno := p.timespecArg(a[3], guestmem.AccessRead)
		if errno != 0 {
			return 0, errno
		}
		tmo = t
	}
	word := guestmem.Addr(a[0])
	if p.space.HostAllows(word, 4, guestmem.AccessRead) {
		r, _, e := unix.Syscall6(unix.SYS_FUTEX, p.space.Base()+uintptr(word), uintptr(p.hostFutexOp(a[0], a[1])), uintptr(a[2]), tmo, 0, uintptr(a[5]))
		if e != unix.EFAULT {
			return uint64(r), e
		}
		// The host page stopped being readable (a neighbour's
		// mprotect): wait in the table.
	}
	return p.g.futexes.wait(p.space, uint64(word), uint32(a[2]), a[1], tmo, bitset)
}

// hostFutexOp is the futex op to give the host for guest op on the word
// at a. A shared (non-private) futex on a private guest mapping is made
// private: only this process's threads can reach the word, and the host
// keys a shared futex by what backs the word's page at the time of the
// call (its file and offset for a page of a file, the address for an
// anonymous page). With guest pages smaller than host pages, what backs a
// private page can change under a waiter (a mixed host page moves into
// and out of the address space's memory file: see guestmem's slots), and
// a wake would then miss it; the private key, the address, stays.
func (p *Process) hostFutexOp(a, op uint64) uint64 {
	if op&futexPrivateFlag != 0 {
		return op
	}
	if m, ok := p.space.Lookup(guestmem.Addr(a)); ok && !m.Shared {
		return op | futexPrivateFlag
	}
	return op
}

// futexWake wakes up to n waiters on the guest word at a (op is the
// guest's futex op: its private and bitset forms are kept for the host).
// The table's waiters are woken first.
func (p *Process) futexWake(a, op uint64, n int, bitset uint32) (uint64, unix.Errno) {
	// Linux wakes one waiter for a count of zero or less.
	limit := max(n, 1)
	woken := p.g.futexes.wake(a, limit, bitset)
	if woken >= limit {
		return uint64(woken), 0
	}
	r, _, e := unix.Syscall6(unix.SYS_FUTEX, p.space.Base()+uintptr(a), uintptr(p.hostFutexOp(a, op)), uintptr(uint32(n-woken)), 0, 0, uintptr(bitset))
	if e != 0 {
		if woken > 0 || e == unix.EFAULT {
			// The host cannot key a shared futex on a page it
			// cannot read; its waiters are all in the table.
			return uint64(woken), 0
		}
		return 0, e
	}
	return uint64(woken) + uint64(r), 0
}

// wait queues the calling thread on guest word a if it holds val, and
// sleeps until a wake, the timeout or a signal. op is the guest's futex op
// (its command and clock say how tmo is read).
func (t *futexTable) wait(sp *guestmem.Space, a uint64, val uint32, op uint64, tmo uintptr, bitset uint32) (uint64, unix.Errno) {
	w := &futexWaiter{bitset: bitset}
	// Announce the waiter before reading the word (a full barrier): a
	// waker that stored the word and then saw no waiter did so before
	// this read, which then sees its store.
	t.n.Add(1)
	t.mu.Lock()
	var b [4]byte
	if errno := sp.CopyIn(b[:], guestmem.Addr(a)); errno != 0 {
		t.mu.Unlock()
		t.n.Add(-1)
		return 0, errno
	}
	if le32(b[:]) != val {
		t.mu.Unlock()
		t.n.Add(-1)
		return 0, unix.EAGAIN
	}
	if t.waiters == nil {
		t.waiters = map[uint64][]*futexWaiter{}
	}
	t.waiters[a] = append(t.waiters[a], w)
	t.mu.Unlock()

	// Sleep on w.woken with the guest's own timeout semantics: a
	// relative timeout for FUTEX_WAIT, an absolute one on the guest's
	// clock for FUTEX_WAIT_BITSET.
	hostOp := op&(futexCmdMask|futexClockRealtime) | futexPrivateFlag
	for {
		_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&w.woken)), uintptr(hostOp), 0, tmo, 0, futexBitsetAll)
		if atomic.LoadUint32(&w.woken) != 0 {
			return 0, 0
		}
		if e == 0 || e == unix.EAGAIN {
			continue
		}
		// Timed out or interrupted: leave the queue, unless a wake
		// took the waiter meanwhile.
		if t.remove(a, w) {
			return 0, e
		}
		return 0, 0
	}
}

// remove takes w off the queue of a; false if a wake already did.
func (t *futexTable) remove(a uint64, w *futexWaiter) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.waiters[a]
	for i, x := range q {
		if x == w {
			t.dequeueLocked(a, q, i)
			return true
		}
	}
	return false
}

// dequeueLocked removes q[i], the queue of a.
// Preconditions: t.mu is held.
func (t *futexTable) dequeueLocked(a uint64, q []*futexWaiter, i int) {
	q = append(q[:i], q[i+1:]...)
	if len(q) == 0 {
		delete(t.waiters, a)
	} else {
		t.waiters[a] = q
	}
	t.n.Add(-1)
}

// wake wakes up to n of the table's waiters on a whose bitset meets
// bitset, oldest first, and returns how many it woke.
func (t *futexTable) wake(a uint64, n int, bitset uint32) int {
	// An atomic read-modify-write: a full barrier between the guest's
	// store to the word and this look at the waiters.
	if t.n.Add(0) == 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	woken := 0
	q := t.waiters[a]
	for i := 0; i < len(q) && woken < n; {
		w := q[i]
		if w.bitset&bitset == 0 {
			i++
			continue
		}
		t.dequeueLocked(a, q, i)
		q = t.waiters[a]
		atomic.StoreUint32(&w.woken, 1)
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&w.woken)), futexWake|futexPrivateFlag, 1, 0, 0, 0)
		woken++
	}
	return woken
}
