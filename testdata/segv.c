/* segv: a SIGSEGV handler reads si_addr and si_code; one handler repairs the
 * fault with mprotect and returns, one leaves with siglongjmp, and one edits
 * the saved program counter in the ucontext to skip the faulting load. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ucontext.h>
#include <sys/mman.h>

static char *page;
static long pg;
static volatile int hits;
static sigjmp_buf jb;
static int mode;

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	hits++;
	long off = (char *)si->si_addr - page;
	printf("signal %d code %d offset %ld\n", sig, si->si_code, off);
	switch (mode) {
	case 0:
		mprotect(page, pg, PROT_READ | PROT_WRITE);
		return;
	case 1:
		siglongjmp(jb, 1);
	case 2:
		/* Skip the faulting instruction: a compressed or full load. */
		{
			unsigned short h = *(unsigned short *)uc->uc_mcontext.__gregs[REG_PC];
			uc->uc_mcontext.__gregs[REG_PC] += (h & 3) == 3 ? 4 : 2;
			uc->uc_mcontext.__gregs[REG_A0] = 4242;
		}
		return;
	}
}

__attribute__((noinline)) static long load(volatile long *p)
{
	register long a0 asm("a0") = 0;
	asm volatile("ld %0, 0(%1)" : "+r"(a0) : "r"(p) : "memory");
	return a0;
}

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	page = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + pg, pg);

	mode = 0;
	page[100] = 'x';
	printf("after repair: hits=%d value=%c\n", hits, page[100]);

	mode = 1;
	if (sigsetjmp(jb, 1) == 0) {
		volatile char c = page[pg + 8];
		(void)c;
		printf("not reached\n");
	} else {
		printf("longjmp back: hits=%d\n", hits);
	}

	mode = 1;
	mprotect(page, pg, PROT_NONE);
	if (sigsetjmp(jb, 1) == 0) {
		volatile char c = page[5];
		(void)c;
	} else {
		printf("prot none: hits=%d\n", hits);
	}

	mode = 2;
	long v = load((volatile long *)(page + pg + 16));
	printf("after pc edit: hits=%d v=%ld\n", hits, v);

	/* The signal mask is restored after the handler returns. */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("SIGSEGV blocked after: %d\n", sigismember(&cur, SIGSEGV));

	/* Null pointer, then an unhandled fault kills the process. */
	signal(SIGSEGV, SIG_DFL);
	printf("about to die\n");
	fflush(stdout);
	*(volatile int *)page = 1;
	printf("not reached\n");
	return 0;
}
