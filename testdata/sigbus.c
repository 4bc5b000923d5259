/* sigbus: touching a file mapping past end of file raises SIGBUS with
 * BUS_ADRERR and the faulting address. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

static char *map;
static sigjmp_buf jb;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("signal %d code %d offset %ld\n", sig, si->si_code, (long)((char *)si->si_addr - map));
	siglongjmp(jb, 1);
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/gemu-sigbus-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	write(fd, "just a few bytes", 16);

	map = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("first page: %.16s tail zero=%d\n", map, map[pg - 1] == 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);

	if (sigsetjmp(jb, 1) == 0) {
		volatile char c = map[pg + 3];
		(void)c;
		printf("not reached\n");
	}
	if (sigsetjmp(jb, 1) == 0) {
		map[2 * pg + 7] = 1;
		printf("not reached\n");
	}
	/* Growing the file makes the page valid. */
	ftruncate(fd, 2 * pg);
	map[pg + 3] = 'y';
	printf("after grow: %c\n", map[pg + 3]);

	signal(SIGBUS, SIG_DFL);
	printf("about to die\n");
	fflush(stdout);
	volatile char c = map[2 * pg];
	(void)c;
	return 0;
}
