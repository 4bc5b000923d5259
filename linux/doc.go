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
//   - process.go: the Process (one address space, one thread for now) and
//     its run loop: ecall -> dispatch -> advance PC; faults -> signals.
//   - syscall.go: the dispatcher and the system call table. Handlers see
//     the guest registers through the small Regs interface, so they can be
//     tested without a CPU.
//   - fs.go, mem.go, time.go, proc.go: the system calls by area. File
//     descriptors are the host's own: a guest fd is a host fd, and guest
//     buffers are passed to the host through the address space window.
//   - guestio.go: guest strings, buffers and iovecs (a buffer is cut at the
//     first page the host may not touch, as Linux's copies stop there).
//   - socket.go: host sockets; only msghdr's inner pointers need
//     translating.
//   - signal.go: guest signal actions, masks, the alternate stack, and the
//     riscv64 rt_sigframe (siginfo + ucontext) built on delivery and
//     consumed by rt_sigreturn.
//   - hostsig.go: asynchronous host signals (SIGINT, SIGALRM from the
//     guest's interval timer, ...) forwarded to the guest, rt_sigsuspend
//     and pause.
//   - procfs.go: /proc/self/{maps,exe,auxv,cmdline} as the guest sees them.
//   - abi.go: riscv64 Linux numbers and structure layouts.
//
// # Threads of execution
//
// The guest runs on one locked OS thread (Process.Run). That thread blocks
// SIGURG, the Go runtime's preemption signal, so that the guest's blocking
// system calls are not interrupted behind its back. Host signals are
// received by os/signal on any thread; the forwarding goroutine records
// them, interrupts the CPU and kicks the guest thread out of a blocking
// host call with a real-time signal the runtime ignores. Guest threads
// (clone) are not implemented yet: clone, fork and execve answer ENOSYS.
//
// # Invariants
//
// Every guest pointer is checked through the Space (CopyIn, CopyOut, Slice):
// a bad pointer gives EFAULT, never a crash of gemu. Host errno values are
// passed to the guest unchanged: riscv64 and the hosts gemu supports use the
// generic Linux errno numbers.
package linux
