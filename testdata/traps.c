/* traps: SIGILL from an illegal instruction and SIGTRAP from ebreak reach
 * their handlers with si_code and si_addr (the faulting pc); a handler
 * skips the instruction by editing the saved pc. Then an unhandled illegal
 * instruction kills the process with SIGILL. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

extern char illegal_insn[], ebreak_insn[], after_ebreak[];

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned long pc = uc->uc_mcontext.__gregs[REG_PC];
	const char *where = "elsewhere";
	if (si->si_addr == (void *)illegal_insn)
		where = "illegal_insn";
	else if (si->si_addr == (void *)ebreak_insn)
		where = "ebreak_insn";
	printf("signal %d code %d at %s pc==si_addr %d\n", sig, si->si_code, where, pc == (unsigned long)si->si_addr);
	/* Both instructions below are 4 bytes long. */
	uc->uc_mcontext.__gregs[REG_PC] = pc + 4;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);

	asm volatile(".option push\n.option norvc\n"
		     ".globl illegal_insn\nillegal_insn: .word 0xffffffff\n"
		     ".option pop\n" ::: "memory");
	printf("after illegal instruction\n");
	asm volatile(".option push\n.option norvc\n"
		     ".globl ebreak_insn\nebreak_insn: ebreak\n"
		     ".globl after_ebreak\nafter_ebreak: nop\n"
		     ".option pop\n" ::: "memory");
	printf("after ebreak\n");

	signal(SIGILL, SIG_DFL);
	printf("about to die\n");
	fflush(stdout);
	asm volatile(".word 0xffffffff");
	printf("not reached\n");
	return 0;
}
