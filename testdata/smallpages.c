/* smallpages: memory that the guest may access but a host with larger
 * pages protects more strictly. With gemu -p 16384 or -p 65536 (4 KiB
 * guest pages, 16 or 64 KiB host pages) a host page takes the most
 * restrictive protection of the guest pages in it, so here every access
 * to the pages next to a read-only or inaccessible page, and every fetch
 * from an execute-only page, is made in software. At the host's own page
 * size this is an ordinary program; its output never depends on the page
 * size.
 *
 * The region is 16 pages in a 64 KiB-aligned range:
 *   page 0      read-write, in a host page with page 1 (read-only)
 *   page 4      read-write, in a host page with page 5 (inaccessible)
 *   page 8      read-write-execute code, with page 9 inaccessible
 *   page 12     execute-only code
 * and the other pages read-write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <poll.h>

#define PG 4096
#define SPAN 65536

static char *region;
static char *page(int n) { return region + n * PG; }

/* --- execute-only code ----------------------------------------------- */

/* triple is alone on its page (the next function starts a new one). */
__attribute__((noinline, aligned(PG))) long triple(long x)
{
	return 3 * x + 1;
}
__attribute__((noinline, aligned(PG))) long after_triple(long x)
{
	return x - 1;
}

typedef long (*fn)(long);

static uint32_t addi(int rd, int rs1, int imm)
{
	return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
}

static uint32_t slli(int rd, int rs1, int sh)
{
	return ((uint32_t)sh << 20) | (rs1 << 15) | (1 << 12) | (rd << 7) | 0x13;
}

#define A0 10
#define RET 0x00008067u

/* emit writes "return (x << shift) + c" at p (3 words). */
static void emit(uint32_t *p, int shift, int c)
{
	p[0] = slli(A0, A0, shift);
	p[1] = addi(A0, A0, c);
	p[2] = RET;
	__builtin___clear_cache((char *)p, (char *)(p + 3));
}

static void test_exec_only(void)
{
	printf("== exec-only\n");
	char *fpage = (char *)((uintptr_t)triple & ~(uintptr_t)(PG - 1));
	printf("triple(5) before: %ld\n", triple(5));
	printf("mprotect text page exec-only: %d\n", mprotect(fpage, PG, PROT_EXEC));
	long s = 0;
	for (long i = 0; i < 1000; i++)
		s += triple(i);
	printf("sum of triple(0..999) exec-only: %ld\n", s);
	printf("mprotect back: %d\n", mprotect(fpage, PG, PROT_READ | PROT_EXEC));
	printf("after_triple(5): %ld\n", after_triple(5));

	/* Generated code on a page made exec-only. */
	uint32_t *code = (uint32_t *)page(12);
	emit(code, 2, 3);
	printf("mprotect jit page exec-only: %d\n", mprotect(code, PG, PROT_EXEC));
	printf("jit exec-only f(10): %ld\n", ((fn)code)(10));
	mprotect(code, PG, PROT_READ | PROT_WRITE);
	emit(code, 1, 7);
	mprotect(code, PG, PROT_EXEC);
	printf("jit rewritten through mprotect f(10): %ld\n", ((fn)code)(10));

	/* Read-write-execute code next to an inaccessible page, rewritten in
	 * place between calls. */
	uint32_t *rwx = (uint32_t *)page(8);
	printf("mprotect rwx: %d\n", mprotect(rwx, PG, PROT_READ | PROT_WRITE | PROT_EXEC));
	long t = 0;
	for (int i = 0; i < 20; i++) {
		emit(rwx + 64 * (i % 3), i % 5, i);
		t += ((fn)(rwx + 64 * (i % 3)))(i + 1);
	}
	printf("rwx rewritten in place, sum: %ld\n", t);
}

/* --- loads and stores ------------------------------------------------ */

static sigjmp_buf jb;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("  signal %d code %d at page %ld + %ld\n", sig, si->si_code,
	       ((char *)si->si_addr - region) / PG, ((char *)si->si_addr - region) % PG);
	siglongjmp(jb, 1);
}

static void test_access(void)
{
	printf("== loads and stores\n");
	for (int p = 0; p < 16; p += 4) {
		volatile uint64_t *d = (volatile uint64_t *)(page(p) + 64);
		volatile uint32_t *w = (volatile uint32_t *)(page(p) + 128);
		volatile uint16_t *h = (volatile uint16_t *)(page(p) + 256);
		volatile int8_t *b = (volatile int8_t *)(page(p) + 512);
		if (p == 8 || p == 12)
			continue;
		*d = 0x8123456789abcdefULL;
		*w = 0x89abcdefu;
		*h = 0x8001;
		*b = -5;
		printf("page %2d: %016llx %08x %04x %d; sext w %lld h %d\n", p, (unsigned long long)*d, *w, *h, *b,
		       (long long)(int32_t)*w, (int16_t)*h);
	}
	/* Floating point. */
	volatile double *fd = (volatile double *)(page(4) + 1024);
	volatile float *ff = (volatile float *)(page(4) + 1040);
	*fd = 3.25;
	*ff = -1.5f;
	printf("fp: %.3f %.3f %.3f\n", *fd, (double)*ff, *fd * *ff);

	/* Misaligned, within a page and across pages (3 to 4, 0 to 1 read). */
	char *x = page(4) + 1;
	memcpy(x, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	uint64_t v;
	__asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(x));
	printf("misaligned ld in page 4: %016llx\n", (unsigned long long)v);
	char *across = page(4) - 3;
	__asm__ volatile("sd %0, 0(%1)" : : "r"(0x0102030405060708ULL), "r"(across) : "memory");
	__asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(across));
	printf("misaligned sd/ld across pages 3-4: %016llx\n", (unsigned long long)v);
	memset(page(1) - 4, 0xab, 4);
	__asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(page(1) - 2));
	printf("misaligned lw across pages 0-1 (read-only): %08llx\n", (unsigned long long)(uint32_t)v);

	/* Faults: the read-only page 1 and the inaccessible page 5. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	printf("store to read-only page 1:\n");
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)(page(1) + 10) = 1;
	printf("load from inaccessible page 5:\n");
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile char *)(page(5) + 20);
	printf("misaligned sd across into page 5:\n");
	memset(page(5) - 8, 0x5a, 8);
	if (sigsetjmp(jb, 1) == 0)
		__asm__ volatile("sd %0, 0(%1)" : : "r"(0ULL), "r"(page(5) - 4) : "memory");
	printf("  bytes before page 5 kept: %d\n", page(5)[-1] == 0x5a && page(5)[-4] == 0x5a);
	printf("amoadd on read-only page 1:\n");
	if (sigsetjmp(jb, 1) == 0)
		__atomic_fetch_add((volatile int *)(page(1) + 8), 1, __ATOMIC_SEQ_CST);
	signal(SIGSEGV, SIG_DFL);
}

/* --- atomics --------------------------------------------------------- */

static void test_atomics(void)
{
	printf("== atomics\n");
	for (int p = 0; p <= 4; p += 4) {
		volatile int32_t *w = (volatile int32_t *)(page(p) + 2048);
		volatile int64_t *d = (volatile int64_t *)(page(p) + 2056);
		*w = 10;
		*d = -10;
		int32_t o1 = __atomic_fetch_add(w, 5, __ATOMIC_SEQ_CST);
		int32_t o2 = __atomic_exchange_n(w, -7, __ATOMIC_ACQ_REL);
		int32_t o3 = __atomic_fetch_and(w, 0x0f, __ATOMIC_RELAXED);
		int32_t o4 = __atomic_fetch_or(w, 0x100, __ATOMIC_RELAXED);
		int32_t o5 = __atomic_fetch_xor(w, 0x3, __ATOMIC_RELAXED);
		int32_t exp = 0;
		int c1 = __atomic_compare_exchange_n(w, &exp, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		exp = *w;
		int c2 = __atomic_compare_exchange_n(w, &exp, 77, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		int64_t q1 = __atomic_fetch_add(d, 1000000000000LL, __ATOMIC_SEQ_CST);
		int64_t q2 = __atomic_exchange_n(d, 5, __ATOMIC_SEQ_CST);
		int64_t e64 = 5;
		int c3 = __atomic_compare_exchange_n(d, &e64, -1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		printf("page %d: %d %d %d %d %d cas %d %d -> %d; %lld %lld cas %d -> %lld\n", p, o1, o2, o3, o4, o5,
		       c1, c2, *w, (long long)q1, (long long)q2, c3, (long long)*d);
		/* min/max through amo instructions. */
		int32_t m;
		__asm__ volatile("amomin.w %0, %2, (%1)" : "=r"(m) : "r"(w), "r"(-100) : "memory");
		__asm__ volatile("amomaxu.w %0, %2, (%1)" : "=r"(m) : "r"(w), "r"(5) : "memory");
		printf("  amomin then amomaxu: %d, now %d\n", m, *w);
	}
}

/* --- system calls on guest buffers ----------------------------------- */

static void test_syscalls(void)
{
	printf("== system calls\n");
	int *fds = (int *)(page(4) + 100);
	printf("pipe2: %d\n", pipe2(fds, O_CLOEXEC));
	char *out = page(4) + 200, *in = page(4) + 300;
	strcpy(out, "through a pipe");
	printf("write: %zd\n", write(fds[1], out, 15));
	printf("read: %zd %s\n", read(fds[0], in, 64), in);
	/* A buffer the host reads from a read-only neighbourhood. */
	strcpy(page(0) + 3000, "from page 0");
	printf("write from page 0: %zd\n", write(fds[1], page(0) + 3000, 12));
	memset(in, 0, 64);
	printf("read: %zd %s\n", read(fds[0], in, 64), in);
	/* A read into page 1 (read-only) fails. */
	write(fds[1], "x", 1);
	printf("read into read-only page: %zd %s\n", read(fds[0], page(1), 4), strerror(errno));
	read(fds[0], in, 1);

	struct iovec *iov = (struct iovec *)(page(4) + 400);
	iov[0].iov_base = page(4) + 500;
	iov[0].iov_len = 3;
	iov[1].iov_base = page(6) + 10;
	iov[1].iov_len = 4;
	memcpy(page(4) + 500, "abc", 3);
	memcpy(page(6) + 10, "defg", 4);
	printf("writev: %zd\n", writev(fds[1], iov, 2));
	memset(page(4) + 500, 0, 3);
	memset(page(6) + 10, 0, 4);
	printf("readv: %zd %.3s %.4s\n", readv(fds[0], iov, 2), page(4) + 500, page(6) + 10);

	struct pollfd *pf = (struct pollfd *)(page(4) + 600);
	pf[0].fd = fds[0];
	pf[0].events = POLLIN;
	pf[1].fd = fds[1];
	pf[1].events = POLLOUT;
	printf("poll: %d revents %x %x\n", poll(pf, 2, 0), pf[0].revents, pf[1].revents);

	struct timespec *ts = (struct timespec *)(page(4) + 700);
	ts->tv_sec = 0;
	ts->tv_nsec = 1000000;
	printf("nanosleep: %d\n", nanosleep(ts, ts + 1));
	printf("clock_gettime: %d %d\n", clock_gettime(CLOCK_MONOTONIC, ts), ts->tv_sec > 0 || ts->tv_nsec > 0);

	printf("getrandom: %zd\n", getrandom(page(4) + 800, 16, 0));
	struct stat *st = (struct stat *)(page(4) + 1200);
	printf("fstat pipe: %d fifo %d\n", fstat(fds[0], st), S_ISFIFO(st->st_mode));
	printf("getcwd: %d\n", getcwd(page(4) + 1600, 1024) != NULL);

	int *sv = (int *)(page(4) + 2200);
	printf("socketpair: %d\n", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct msghdr *mh = (struct msghdr *)(page(4) + 2300);
	struct iovec *miov = (struct iovec *)(page(4) + 2400);
	memset(mh, 0, sizeof *mh);
	miov[0].iov_base = page(4) + 2500;
	miov[0].iov_len = 5;
	memcpy(page(4) + 2500, "hello", 5);
	mh->msg_iov = miov;
	mh->msg_iovlen = 1;
	printf("sendmsg: %zd\n", sendmsg(sv[0], mh, 0));
	memset(page(4) + 2500, 0, 5);
	printf("recvmsg: %zd %.5s\n", recvmsg(sv[1], mh, 0), page(4) + 2500);
	socklen_t *len = (socklen_t *)(page(4) + 2600);
	int *val = (int *)(page(4) + 2604);
	*len = sizeof(int);
	printf("getsockopt: %d type %d len %u\n", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, val, len), *val, *len);
	close(sv[0]);
	close(sv[1]);
	close(fds[0]);
	close(fds[1]);
}

/* --- futexes --------------------------------------------------------- */

struct shared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long counter;
	int turn;
};

static struct shared *sh;

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&sh->mu);
		while (sh->turn % 4 != id)
			pthread_cond_wait(&sh->cv, &sh->mu);
		sh->counter += id + 1;
		sh->turn++;
		pthread_cond_broadcast(&sh->cv);
		pthread_mutex_unlock(&sh->mu);
	}
	return NULL;
}

static void test_futex(void)
{
	printf("== futexes\n");
	/* The lock, the condition variable and the counter live on page 4,
	 * whose neighbour is inaccessible. */
	sh = (struct shared *)(page(4) + 3000);
	pthread_mutex_init(&sh->mu, NULL);
	pthread_cond_init(&sh->cv, NULL);
	sh->counter = 0;
	sh->turn = 0;
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("turns %d counter %ld\n", sh->turn, sh->counter);

	int *word = (int *)(page(4) + 3500);
	*word = 1;
	struct timespec tmo = {0, 20000000};
	long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 2, &tmo, NULL, 0);
	printf("futex wait, value differs: %ld %s\n", r, strerror(errno));
	r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 1, &tmo, NULL, 0);
	printf("futex wait, timeout: %ld %s\n", r, strerror(errno));
	printf("futex wake, nobody waits: %ld\n", syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
}

/* --- signal frames --------------------------------------------------- */

static volatile int handled;

static void on_usr1(int sig)
{
	char local[64];
	snprintf(local, sizeof local, "handler for %d", sig);
	handled = (int)strlen(local);
}

static void test_signals(void)
{
	printf("== signal frame on page 4\n");
	/* The alternate stack is pages 2 to 4: the frame and the handler's
	 * stack sit at the top of page 4, below the inaccessible page 5. */
	stack_t ss = {.ss_sp = page(2), .ss_size = 3 * PG, .ss_flags = 0};
	printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("handled: %d\n", handled);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char *r = mmap(NULL, 2 * SPAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	region = (char *)(((uintptr_t)r + SPAN - 1) & ~(uintptr_t)(SPAN - 1));
	memset(region, 0, SPAN);
	if (mprotect(page(1), PG, PROT_READ) || mprotect(page(5), PG, PROT_NONE) || mprotect(page(9), PG, PROT_NONE)) {
		perror("mprotect");
		return 1;
	}
	test_exec_only();
	test_access();
	test_atomics();
	test_syscalls();
	test_futex();
	test_signals();
	printf("done\n");
	return 0;
}
