package linux

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/riscv"
)

// fakeRegs is a register file for calling Dispatch without a CPU.
type fakeRegs [32]uint64

func (r *fakeRegs) Reg(n int) uint64 { return r[n] }
func (r *fakeRegs) SetReg(n int, v uint64) {
	if n != 0 {
		r[n] = v
	}
}

// testProcess is a Process with an address space and no program.
func testProcess(t *testing.T) *Process {
	t.Helper()
	sp := newSpace(t)
	p := &Process{
		space: sp, cpu: riscv.NewCPU(), pid: unix.Getpid(), tid: unix.Getpid(),
		ownFDs: map[int]bool{}, g: newGroup(),
		stack: &Stack{Auxv: []uint64{atPagesz, 4096, atNull, 0}},
	}
	p.initSignals()
	return p
}

// call runs one system call and returns a0 as a signed value.
func call(p *Process, nr uint64, args ...uint64) int64 {
	var r fakeRegs
	r[17] = nr
	for i, a := range args {
		r[10+i] = a
	}
	p.Dispatch(&r)
	return int64(r[10])
}

// guestAlloc maps n bytes with prot and returns their address.
func guestAlloc(t *testing.T, p *Process, n uint64, prot int) uint64 {
	t.Helper()
	a, errno := p.space.Mmap(0, n, prot, guestmem.MapPrivate|guestmem.MapAnonymous, -1, 0)
	if errno != 0 {
		t.Fatalf("mmap: %v", errno)
	}
	return uint64(a)
}

func guestString(t *testing.T, p *Process, a uint64, s string) uint64 {
	t.Helper()
	if errno := p.space.CopyOut(guestmem.Addr(a), append([]byte(s), 0)); errno != 0 {
		t.Fatal(errno)
	}
	return a
}

func TestDispatchErrors(t *testing.T) {
	p := testProcess(t)
	var trace bytes.Buffer
	p.cfg.Strace = &trace
	rw := guestAlloc(t, p, 4096, guestmem.ProtRead|guestmem.ProtWrite)
	ro := guestAlloc(t, p, 4096, guestmem.ProtRead)
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"unknown syscall", 4000, nil, -int64(unix.ENOSYS)},
		{"rseq", sysRseq, []uint64{0, 0, 0, 0}, -int64(unix.ENOSYS)},
		{"write from unmapped", sysWrite, []uint64{uint64(fds[1]), 16, 1}, -int64(unix.EFAULT)},
		{"write bad fd", sysWrite, []uint64{9999, rw, 1}, -int64(unix.EBADF)},
		{"read into read-only", sysRead, []uint64{uint64(fds[0]), ro, 1}, -int64(unix.EFAULT)},
		{"openat bad path pointer", sysOpenat, []uint64{uint64(atFdcwd & 0xffffffff), 8, 0, 0}, -int64(unix.EFAULT)},
		{"clock_gettime to read-only", sysClockGettime, []uint64{0, ro}, -int64(unix.EFAULT)},
		{"rt_sigaction bad sigsetsize", sysRtSigaction, []uint64{10, 0, 0, 4}, -int64(unix.EINVAL)},
		{"rt_sigaction SIGKILL", sysRtSigaction, []uint64{9, rw, 0, 8}, -int64(unix.EINVAL)},
		{"rt_sigprocmask bad how", sysRtSigprocmask, []uint64{7, rw, 0, 8}, -int64(unix.EINVAL)},
		{"sigaltstack too small", sysSigaltstack, []uint64{rw, 0}, -int64(unix.ENOMEM)},
		{"mmap length 0", sysMmap, []uint64{0, 0, 3, 0x22, ^uint64(0), 0}, -int64(unix.EINVAL)},
		{"munmap unaligned", sysMunmap, []uint64{rw + 1, 4096}, -int64(unix.EINVAL)},
		{"mincore bad vector", sysMincore, []uint64{rw, 4096, 16}, -int64(unix.EFAULT)},
		{"prctl unknown", sysPrctl, []uint64{9999}, -int64(unix.EINVAL)},
	} {
		if got := call(p, c.nr, c.args...); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
	if !strings.Contains(trace.String(), "Unknown syscall 4000") {
		t.Errorf("-strace did not report the unknown syscall:\n%s", trace.String())
	}
}

func TestDispatchIO(t *testing.T) {
	p := testProcess(t)
	buf := guestAlloc(t, p, 8192, guestmem.ProtRead|guestmem.ProtWrite)
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	guestString(t, p, buf, "hello guest")
	if n := call(p, sysWrite, uint64(fds[1]), buf, 11); n != 11 {
		t.Fatalf("write = %d", n)
	}
	got := make([]byte, 11)
	unix.Read(fds[0], got)
	if string(got) != "hello guest" {
		t.Errorf("pipe got %q", got)
	}

	// A read into a buffer that runs into an unmapped page is cut there,
	// as the kernel's copy stops at the first bad page.
	unix.Write(fds[1], bytes.Repeat([]byte{'x'}, 100))
	p.space.Munmap(guestmem.Addr(buf+4096), 4096)
	if n := call(p, sysRead, uint64(fds[0]), buf+4096-10, 100); n != 10 {
		t.Errorf("read across the end of the mapping = %d, want 10", n)
	}
	unix.Read(fds[0], make([]byte, 90))

	// writev gathers.
	iov := buf + 1024
	var raw [32]byte
	put64(raw[0:], buf)
	put64(raw[8:], 5)
	put64(raw[16:], buf+6)
	put64(raw[24:], 5)
	p.space.CopyOut(guestmem.Addr(iov), raw[:])
	if n := call(p, sysWritev, uint64(fds[1]), iov, 2); n != 10 {
		t.Fatalf("writev = %d", n)
	}
	got = make([]byte, 10)
	unix.Read(fds[0], got)
	if string(got) != "helloguest" {
		t.Errorf("writev wrote %q", got)
	}

	// uname says riscv64.
	if r := call(p, sysUname, buf); r != 0 {
		t.Fatalf("uname = %d", r)
	}
	u := make([]byte, 65)
	p.space.CopyIn(u, guestmem.Addr(buf+4*65))
	if m := string(u[:bytes.IndexByte(u, 0)]); m != "riscv64" {
		t.Errorf("uname machine %q", m)
	}

	// newfstatat fills the riscv64 struct stat: st_size at 48.
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, make([]byte, 12345), 0o600)
	guestString(t, p, buf+2048, file)
	if r := call(p, sysNewfstatat, uint64(atFdcwd&0xffffffff), buf+2048, buf, 0); r != 0 {
		t.Fatalf("newfstatat = %d", r)
	}
	st := make([]byte, statSize)
	p.space.CopyIn(st, guestmem.Addr(buf))
	if size := le64(st[48:]); size != 12345 {
		t.Errorf("st_size %d", size)
	}
	if mode := le32(st[16:]); mode&0o777 != 0o600 || mode&unix.S_IFMT != unix.S_IFREG {
		t.Errorf("st_mode %o", mode)
	}

	// /proc/self/maps is the guest's.
	guestString(t, p, buf+2048, "/proc/self/maps")
	fd := call(p, sysOpenat, uint64(atFdcwd&0xffffffff), buf+2048, 0, 0)
	if fd < 0 {
		t.Fatalf("open /proc/self/maps = %d", fd)
	}
	defer unix.Close(int(fd))
	maps := make([]byte, 1<<16)
	n, _ := unix.Read(int(fd), maps)
	if !bytes.Equal(maps[:n], p.space.ProcMaps()) {
		t.Errorf("/proc/self/maps:\n%s\nwant:\n%s", maps[:n], p.space.ProcMaps())
	}
}

// TestSignalFrame delivers a signal to a handler, changes the saved
// context as a handler may, and returns through rt_sigreturn.
func TestSignalFrame(t *testing.T) {
	p := testProcess(t)
	stack := guestAlloc(t, p, 1<<16, guestmem.ProtRead|guestmem.ProtWrite)
	act := guestAlloc(t, p, 4096, guestmem.ProtRead|guestmem.ProtWrite)
	var b [sigActionSize]byte
	put64(b[0:], 0x10000)          // handler
	put64(b[8:], saSiginfo)        // flags
	put64(b[16:], sigBit(sigUSR2)) // sa_mask
	p.space.CopyOut(guestmem.Addr(act), b[:])
	if r := call(p, sysRtSigaction, sigUSR1, act, 0, 8); r != 0 {
		t.Fatalf("rt_sigaction = %d", r)
	}
	c := p.cpu
	c.X[2] = stack + 1<<16 - 8
	c.PC = 0x5000
	c.X[10], c.X[9] = 77, 99
	c.F[3] = 0x4008000000000000
	p.forceSignal(sigInfo{signo: sigSEGV, code: segvMaperr, addr: 0xdead})
	if !p.exited || p.g.status.Signal != sigSEGV {
		t.Fatalf("SIGSEGV without a handler: exited=%v %v", p.exited, p.g.status)
	}
	p.exited = false

	p.queueSignal(sigInfo{signo: sigUSR1, code: siTkill, pid: 5})
	p.deliverSignals()
	if c.PC != 0x10000 || c.X[10] != sigUSR1 || c.X[1] != uint64(p.sigtramp) {
		t.Fatalf("handler entry: pc %#x a0 %d ra %#x", c.PC, c.X[10], c.X[1])
	}
	frame := c.X[2]
	if frame%16 != 0 || c.X[11] != frame || c.X[12] != frame+ucontextOffset {
		t.Fatalf("frame %#x a1 %#x a2 %#x", frame, c.X[11], c.X[12])
	}
	if p.sig.mask != sigBit(sigUSR1)|sigBit(sigUSR2) {
		t.Errorf("mask in handler %#x", p.sig.mask)
	}
	info := make([]byte, siginfoSize)
	p.space.CopyIn(info, guestmem.Addr(frame))
	if int32(le32(info[0:])) != sigUSR1 || int32(le32(info[8:])) != siTkill || le32(info[16:]) != 5 {
		t.Errorf("siginfo % x", info[:24])
	}
	// The handler moves the saved pc on and changes s1, as a guest
	// handler may.
	mc := guestmem.Addr(frame + ucontextOffset + ucMcontextOffset)
	var w [8]byte
	p.space.CopyIn(w[:], mc)
	if le64(w[:]) != 0x5000 {
		t.Errorf("saved pc %#x", le64(w[:]))
	}
	put64(w[:], 0x5004)
	p.space.CopyOut(mc, w[:])
	put64(w[:], 1234)
	p.space.CopyOut(mc+8*9, w[:])
	c.X[10], c.X[9], c.F[3] = 0, 0, 0

	var r fakeRegs
	r[17] = sysRtSigreturn
	if !p.Dispatch(&r) {
		t.Fatal("rt_sigreturn wrote a return value")
	}
	if c.PC != 0x5004 || c.X[9] != 1234 || c.X[10] != 77 || c.F[3] != 0x4008000000000000 || c.X[2] != stack+1<<16-8 {
		t.Errorf("after sigreturn: pc %#x s1 %d a0 %d f3 %#x sp %#x", c.PC, c.X[9], c.X[10], c.F[3], c.X[2])
	}
	if p.sig.mask != 0 {
		t.Errorf("mask after sigreturn %#x", p.sig.mask)
	}
}
