package linux

import (
	"math/rand"
	"testing"

	"gemu.dev/gemu/guestmem"
)

// TestDispatchRobust calls every system call in the table with arguments
// drawn from awkward values (null, unmapped, read-only, misaligned and huge
// pointers, bad descriptors, all-ones) and requires that gemu never panics
// and that the address space stays consistent. Calls that would block, end
// the test process or change its descriptors and limits are left out; the
// guest buffers hold zeros, so every path is the empty path, and the test
// runs in a directory of its own.
func TestDispatchRobust(t *testing.T) {
	t.Chdir(t.TempDir())
	p := testProcess(t)
	const rwSize = 8192
	rw := guestAlloc(t, p, rwSize, guestmem.ProtRead|guestmem.ProtWrite)
	zeros := make([]byte, rwSize)
	ro := guestAlloc(t, p, 4096, guestmem.ProtRead)
	skip := map[int]bool{
		sysExit: true, sysExitGroup: true, sysRtSigsuspend: true, sysPpoll: true,
		sysPselect6: true, sysNanosleep: true, sysClockNanosleep: true, sysFutex: true,
		sysPrlimit64: true, sysSetrlimit: true, sysSetsid: true, sysSetpgid: true,
		sysSync: true, sysMemfdCreate: true, sysEventfd2: true, sysPipe2: true,
		sysMlockall: true, sysShmget: true, sysSetitimer: true, sysUmask: true,
		sysKill: true, sysTkill: true, sysTgkill: true, sysSocket: true,
		sysSocketpair: true, sysSetuid: true, sysSetgid: true, sysSetreuid: true,
		sysSetregid: true, sysSetresuid: true, sysSetresgid: true, sysSetpriority: true,
		sysCloseRange: true, sysEpollCreate1: true, sysInotifyInit1: true,
		sysTimerfdCreate: true, sysClone: true,
	}
	values := []uint64{
		0, 1, 4096, 16, rw, rw + 1, rw + 4095, rw + rwSize - 8, ro, ro + 8,
		1 << 38, 1<<38 - 1, ^uint64(0), ^uint64(0) - 4095, 1 << 63, 999999,
		0xffffff9c, 0x7fffffff, 0xffffffff,
	}
	rng := rand.New(rand.NewSource(1))
	calls := 0
	for nr, def := range syscallTable {
		if def.fn == nil || skip[nr] {
			continue
		}
		for range 300 {
			var a sysArgs
			for i := range a {
				a[i] = values[rng.Intn(len(values))]
			}
			// Descriptor arguments never name one of the test's own.
			switch nr {
			case sysClose, sysDup, sysDup3, sysFcntl, sysIoctl, sysRead, sysWrite,
				sysReadv, sysWritev, sysPread64, sysPwrite64, sysPreadv, sysPwritev,
				sysLseek, sysFtruncate, sysFallocate, sysFsync, sysFdatasync,
				sysFchdir, sysFchmod, sysFchown, sysFstat, sysFstatfs, sysGetdents64,
				sysFlock, sysFadvise64, sysSendfile, sysSendto, sysSendmsg,
				sysShutdown, sysConnect, sysBind, sysListen, sysAccept, sysAccept4,
				sysGetsockname, sysGetpeername, sysRecvfrom, sysRecvmsg,
				sysSetsockopt, sysGetsockopt, sysEpollCtl, sysEpollPwait,
				sysEpollPwait2, sysTimerfdSettime, sysTimerfdGettime,
				sysInotifyAddWatch, sysInotifyRmWatch, sysSplice, sysTee,
				sysCopyFileRange, sysSyncFileRange:
				a[0] = 999999
				a[1] = values[rng.Intn(len(values))] | 1<<20
			}
			// Calls write into the buffer (getcwd, uname); clear it so
			// that every path stays empty.
			p.space.CopyOut(guestmem.Addr(rw), zeros)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s%v panicked: %v", def.name, a, r)
					}
				}()
				var regs fakeRegs
				regs[17] = uint64(nr)
				for i, v := range a {
					regs[10+i] = v
				}
				p.Dispatch(&regs)
			}()
			calls++
			p.exited = false
		}
	}
	if err := p.space.CheckInvariants(); err != nil {
		t.Fatalf("after %d calls: %v", calls, err)
	}
	t.Logf("%d calls", calls)
}
