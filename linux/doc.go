// Package linux is gemu's Linux personality for riscv64 guests: it loads an
// ELF program (static, static-pie, or dynamic with its interpreter) into a
// guestmem.Space, builds the initial stack and auxiliary vector, and runs a
// riscv.CPU, answering its ecalls with the riscv64 (asm-generic) Linux
// system call ABI and turning its faults into guest signals.
//
// # Structure
//
//   - loader.go: ELF segments into the address space (file-backed private
//     mappings; copied when a segment's alignment is below the guest page
//     size), the interpreter, the brk base.
//   - stack.go: argv, envp and auxv on the initial stack.
//   - process.go: NewProcess (address space, program, stack) and the run
//     loop: ecall -> dispatch -> advance PC; faults -> signals.
//   - thread.go: the thread group, clone, thread and group exit.
//   - spawn.go: vfork children (descriptor changes kept in an overlay) and
//     execve (gemu again for a riscv64 program, the host's execve
//     otherwise), wait4 and waitid.
//   - syscall.go: the dispatcher and the system call table. Handlers see
//     the guest registers through the small Regs interface, so they can be
//     tested without a CPU.
//   - fs.go, mem.go, time.go, proc.go: the system calls by area. File
//     descriptors are the host's own: a guest fd is a host fd, and guest
//     buffers are passed to the host through the address space window.
//   - guestio.go: guest strings, buffers and iovecs (a buffer is cut at the
//     first page the host may not touch, as Linux's copies stop there), and
//     the bounce buffers that stand in for guest memory a host call may not
//     use directly.
//   - emulate.go: the accesses the host MMU refuses but the guest may make
//     (execute-only pages; guest pages smaller than host pages): the
//     address space classifies the fault, the CPU completes the access
//     through the address space's slow accessors.
//   - futex.go: futexes, on the host, or in gemu's own queue for a word the
//     host cannot read.
//   - socket.go: host sockets; only msghdr's inner pointers need
//     translating.
//   - extra.go: epoll (struct epoll_event converted: x86_64 packs it),
//     timerfd, inotify, splice and friends, credentials, scheduling
//     queries.
//   - signal.go: guest signal actions, masks, the alternate stack, and the
//     riscv64 rt_sigframe (siginfo + ucontext) built on delivery and
//     consumed by rt_sigreturn.
//   - hostsig.go: asynchronous host signals (SIGINT, SIGALRM from the
//     guest's interval timer, ...) forwarded to the guest, rt_sigsuspend
//     and pause.
//   - procfs.go: /proc/self/{maps,exe,auxv,cmdline} as the guest sees them.
//   - abi.go: riscv64 Linux numbers and structure layouts.
//
// # Threads
//
// A guest process is a thread group (thread.go): each guest thread is a
// *Process (its CPU, mask, pending signals, alternate stack) on a goroutine
// locked to its own OS thread, whose host thread id is the guest's tid;
// the group holds the signal actions, process-directed signals and the exit
// status. clone with the flags of a thread is supported, and so are vfork
// and clone(CLONE_VM|CLONE_VFORK) followed by execve (spawn.go: how
// system, popen and posix_spawn make processes); fork (a copy of the
// address space) answers ENOSYS. Futexes are host futexes on the shared
// window (futex.go).
//
// # Guest pages smaller than host pages
//
// With G < H (a 4 KiB guest on a 16 or 64 KiB host, or -p), a host page
// holds several guest pages and takes the most restrictive of their
// protections (see guestmem). The CPU then meets host faults the guest is
// allowed: emulate.go has them made in software. Host system calls get
// bounce buffers where the host page forbids what the call does (guestio.go),
// and a futex wait whose word the host cannot read waits in gemu's own
// queue (futex.go). mem.go places file, shared and whole-host-page
// anonymous mappings in host pages of their own, where the address space
// maps them directly and nothing makes their accesses slow, and any
// mapping for which the address space refuses the place it chose itself.
//
// Guest threads block SIGURG, the Go runtime's preemption signal, so that
// their blocking system calls are not interrupted behind their back. Host
// signals are received by os/signal on any thread; the forwarding goroutine
// records them, interrupts the CPUs and kicks the main thread out of a
// blocking host call with a real-time signal the runtime ignores.
package linux
