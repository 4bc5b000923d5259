/* alarm: an interval timer's SIGALRM reaches the handler while the program
 * waits in sigsuspend and pause; nanosleep is interrupted with EINTR. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

static volatile int ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);

	struct itimerval it = {{0, 20000}, {0, 20000}};
	printf("setitimer=%d\n", setitimer(ITIMER_REAL, &it, NULL));
	for (int i = 0; i < 3; i++) {
		int r = sigsuspend(&old);
		printf("sigsuspend=%d errno=%s ticks>=%d\n", r, errno == EINTR ? "EINTR" : "?", i + 1 <= ticks);
	}
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("mask restored: %d\n", sigismember(&now, SIGALRM));
	struct itimerval cur;
	getitimer(ITIMER_REAL, &cur);
	printf("interval us=%ld\n", (long)cur.it_interval.tv_usec);

	sigprocmask(SIG_SETMASK, &old, NULL);
	int before = ticks;
	pause();
	printf("pause returned, ticked=%d\n", ticks > before);

	struct timespec d = {5, 0}, rem = {0, 0};
	int r = nanosleep(&d, &rem);
	printf("nanosleep=%d %s rem<5s=%d\n", r, r < 0 && errno == EINTR ? "EINTR" : "-", rem.tv_sec < 5);

	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
	alarm(1);
	printf("waiting for the default action\n");
	fflush(stdout);
	for (;;)
		pause();
}
