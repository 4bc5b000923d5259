/* signals: handlers, masks, the alternate stack, raise/kill to self, and
 * death by an unhandled signal. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile int got[65];
static volatile int on_alt;
static char altstack[64 * 1024];

static void h(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got[sig]++;
	char local;
	on_alt = &local >= altstack && &local < altstack + sizeof altstack;
	printf("handler sig=%d code=%d pid ok=%d\n", sig, si->si_code, si->si_pid == getpid());
}

static void plain(int sig)
{
	got[sig]++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	raise(SIGUSR1);
	printf("after raise: %d\n", got[SIGUSR1]);

	kill(getpid(), SIGUSR1);
	printf("after kill: %d\n", got[SIGUSR1]);

	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	printf("after tgkill: %d\n", got[SIGUSR1]);

	/* A blocked signal is delivered when it is unblocked. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	printf("while blocked: %d\n", got[SIGUSR1]);
	sigset_t pend;
	sigpending(&pend);
	printf("pending: %d\n", sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("after unblock: %d\n", got[SIGUSR1]);

	/* The old action comes back from sigaction. */
	struct sigaction prev;
	sigaction(SIGUSR1, NULL, &prev);
	printf("old handler matches %d siginfo %d\n", prev.sa_sigaction == h, (prev.sa_flags & SA_SIGINFO) != 0);

	/* Alternate signal stack. */
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
	printf("sigaltstack=%d\n", sigaltstack(&ss, NULL));
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("on alt stack: %d\n", on_alt);
	stack_t cur;
	sigaltstack(NULL, &cur);
	printf("altstack size ok %d flags=%d\n", cur.ss_size == sizeof altstack, cur.ss_flags);

	/* SIG_IGN and a plain handler. */
	signal(SIGTERM, SIG_IGN);
	raise(SIGTERM);
	printf("ignored SIGTERM survived\n");
	signal(SIGTERM, plain);
	raise(SIGTERM);
	printf("plain handler: %d\n", got[SIGTERM]);

	/* SA_RESETHAND: the second raise uses the default action. */
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	sigaction(SIGUSR2, NULL, &prev);
	printf("reset to default %d\n", prev.sa_handler == SIG_DFL);

	/* sigaction on SIGKILL fails. */
	printf("sigaction SIGKILL=%d\n", sigaction(SIGKILL, &sa, NULL));

	printf("about to abort\n");
	fflush(stdout);
	abort();
}
