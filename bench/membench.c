/* membench: guest memory-call microbenchmarks. Each case prints
 *   CASE <name> <nanoseconds per operation>
 * Built natively and for riscv64; bench/run.sh runs it natively, under
 * qemu-riscv64 and under gemu and compares. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

static long pg;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void report(const char *name, double t0, long ops)
{
	printf("CASE %s %.1f\n", name, (now() - t0) / ops);
	fflush(stdout);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void map_unmap(const char *name, size_t len, int prot, long n)
{
	double t0 = now();
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			die(name);
		if (munmap(p, len))
			die(name);
	}
	report(name, t0, n);
}

static void mprotect_toggle(long n)
{
	char *p = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	double t0 = now();
	for (long i = 0; i < n; i++) {
		if (mprotect(p + 4 * pg, pg, (i & 1) ? PROT_READ | PROT_WRITE : PROT_READ))
			die("mprotect");
	}
	report("mprotect_toggle", t0, n);
	munmap(p, 16 * pg);
}

static void mremap_grow(long rounds)
{
	long ops = 0;
	double t0 = now();
	for (long r = 0; r < rounds; r++) {
		size_t len = pg;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p[0] = 1;
		while (len < (64u << 20)) {
			/* Block growth in place now and then by mapping right
			 * after the end, so that some steps must move. */
			char *q = mremap(p, len, len * 2, MREMAP_MAYMOVE);
			if (q == MAP_FAILED)
				die("mremap");
			p = q;
			len *= 2;
			p[len - 1] = 2;
			ops++;
		}
		munmap(p, len);
	}
	report("mremap_grow", t0, ops);
}

static void brk_cycle(long n)
{
	char *base = sbrk(0);
	double t0 = now();
	for (long i = 0; i < n; i++) {
		if (sbrk(pg) == (void *)-1)
			die("sbrk");
		base[i * pg % (64 * pg)] = 1;
		if (i % 64 == 63)
			sbrk(-64 * pg);
	}
	report("brk", t0, n);
	brk(base);
}

static void many_live(long live, long n)
{
	void **maps = malloc(live * sizeof *maps);
	double t0 = now();
	for (long i = 0; i < live; i++) {
		/* Alternate protections so that neighbours never merge. */
		maps[i] = mmap(NULL, pg, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED)
			die("mmap live");
	}
	report("mmap_10k_live_create", t0, live);
	t0 = now();
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap with live");
		munmap(p, 2 * pg);
	}
	report("mmap_10k_live", t0, n);
	t0 = now();
	for (long i = 0; i < n; i++) {
		char *p = maps[(i * 7919) % live];
		if (mprotect(p, pg, PROT_NONE) || mprotect(p, pg, ((i * 7919) % live & 1) ? PROT_READ : PROT_READ | PROT_WRITE))
			die("mprotect live");
	}
	report("mprotect_10k_live", t0, 2 * n);
	for (long i = 0; i < live; i++)
		munmap(maps[i], pg);
	free(maps);
}

static void touch(long pages)
{
	char *p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0 = now();
	for (long i = 0; i < pages; i++)
		p[i * pg] = (char)i;
	report("first_touch_page", t0, pages);
	munmap(p, pages * pg);
}

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 1;
	pg = sysconf(_SC_PAGESIZE);
	map_unmap("mmap_munmap_4k", 4096, PROT_READ | PROT_WRITE, 20000 * scale);
	map_unmap("mmap_munmap_1m", 1 << 20, PROT_READ | PROT_WRITE, 5000 * scale);
	/* Few rounds: qemu-riscv64 7.2 keeps about 6 MB per 1 GiB mapping
	 * it has ever seen, and is killed for lack of memory at 20,000. */
	map_unmap("mmap_munmap_1g_none", 1ul << 30, PROT_NONE, 100 * scale);
	mprotect_toggle(20000 * scale);
	mremap_grow(20 * scale);
	brk_cycle(20000 * scale);
	many_live(10000, 2000 * scale);
	touch(8192 * scale);
	return 0;
}
