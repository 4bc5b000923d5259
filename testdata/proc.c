/* proc: process, time and resource system calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/prctl.h>

int main(void)
{
	struct utsname u;
	uname(&u);
	printf("sysname=%s machine=%s\n", u.sysname, u.machine);
	printf("pid>0 %d ppid>0 %d tid==pid %d\n", getpid() > 0, getppid() > 0, (pid_t)syscall(SYS_gettid) == getpid());
	printf("uid==euid %d gid==egid %d\n", getuid() == geteuid(), getgid() == getegid());

	struct timespec a, b, res;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	printf("slept >=20ms %d\n", ms >= 20);
	clock_getres(CLOCK_MONOTONIC, &res);
	printf("res<=1ms %d\n", res.tv_sec == 0 && res.tv_nsec <= 1000000);
	d.tv_nsec = 1000000;
	printf("clock_nanosleep=%d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL));
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	printf("gettimeofday close to realtime %d\n", labs(tv.tv_sec - rt.tv_sec) <= 1);
	printf("time() sane %d\n", time(NULL) > 1700000000);

	unsigned char r1[16], r2[16];
	printf("getrandom=%zd\n", getrandom(r1, sizeof r1, 0));
	getrandom(r2, sizeof r2, 0);
	printf("random differs %d\n", memcmp(r1, r2, sizeof r1) != 0);

	struct rlimit rl;
	printf("getrlimit=%d\n", getrlimit(RLIMIT_STACK, &rl));
	printf("stack rlimit>0 %d\n", rl.rlim_cur > 0);
	printf("getrlimit nofile=%d\n", getrlimit(RLIMIT_NOFILE, &rl));
	struct rusage ru;
	printf("getrusage=%d\n", getrusage(RUSAGE_SELF, &ru));
	struct sysinfo si;
	printf("sysinfo=%d mem>0 %d\n", sysinfo(&si), si.totalram > 0);

	cpu_set_t set;
	CPU_ZERO(&set);
	printf("sched_getaffinity ok %d count>0 %d\n", sched_getaffinity(0, sizeof set, &set) == 0, CPU_COUNT(&set) > 0);
	printf("sched_yield=%d\n", sched_yield());
	printf("nprocs>0 %d\n", sysconf(_SC_NPROCESSORS_ONLN) > 0);

	printf("prctl set_name=%d\n", prctl(PR_SET_NAME, "gemu-test", 0, 0, 0));
	char name[17] = {0};
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("prctl name=%s\n", name);

	long r = syscall(293 /* rseq */, NULL, 0, 0, 0);
	printf("rseq(NULL) fails %d\n", r < 0);
	r = syscall(4000);
	printf("unknown syscall: %ld %s\n", r, strerror(errno));

	char *e = getenv("HOME");
	printf("HOME set %d\n", e != NULL);
	exit(7);
}
