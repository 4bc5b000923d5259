/* emuaccess: the cost of a guest load or store that the host MMU refuses
 * but the guest may make. With guest pages smaller than host pages (gemu
 * -p 16384 or -p 65536 on a 4 KiB guest), a host page shared by a writable
 * guest page and a read-only one is read-only on the host: a store to the
 * writable page faults on the host and is made in software. Sharing it
 * with an inaccessible guest page makes loads fault too.
 *
 *   emuaccess N MODE
 *
 * makes N accesses and prints "ns_per_access X". MODE:
 *   store-direct, load-direct  a page alone in a 64 KiB-aligned, 64 KiB
 *                              read-write mapping: every access is direct
 *   store-mixed                a page whose neighbour is read-only
 *   load-mixed                 a page whose neighbour is inaccessible
 *   store-fault, load-fault    the same, in turn on three such pages in
 *                              three host pages: gemu's CPU remembers the
 *                              last two host pages where it emulated an
 *                              access and goes to its slow path at once
 *                              there, so each of these takes the whole
 *                              path from a host fault
 * Each access is one sd or ld (volatile), 8 accesses per loop round.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#define PG 4096
#define SPAN 65536

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: emuaccess N store-direct|load-direct|store-mixed|load-mixed\n");
		return 2;
	}
	long n = atol(argv[1]);
	const char *mode = argv[2];
	char *r = mmap(NULL, 4 * SPAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	char *a = (char *)(((uintptr_t)r + SPAN - 1) & ~(uintptr_t)(SPAN - 1));
	memset(a, 1, 3 * SPAN);
	int prot = -1;
	if (strcmp(mode, "store-mixed") == 0 || strcmp(mode, "store-fault") == 0)
		prot = PROT_READ;
	else if (strcmp(mode, "load-mixed") == 0 || strcmp(mode, "load-fault") == 0)
		prot = PROT_NONE;
	else if (strcmp(mode, "store-direct") != 0 && strcmp(mode, "load-direct") != 0) {
		fprintf(stderr, "emuaccess: unknown mode %s\n", mode);
		return 2;
	}
	for (int i = 0; i < 3 && prot >= 0; i++) {
		if (mprotect(a + i * SPAN + PG, PG, prot) != 0) {
			perror("mprotect");
			return 1;
		}
	}
	int spread = strstr(mode, "fault") != NULL;
	volatile uint64_t *w0 = (volatile uint64_t *)a;
	volatile uint64_t *w1 = (volatile uint64_t *)(a + (spread ? SPAN : 0));
	volatile uint64_t *w2 = (volatile uint64_t *)(a + (spread ? 2 * SPAN : 0));
	int store = strncmp(mode, "store", 5) == 0;
	uint64_t sum = 0;
	double t0 = now();
	if (store) {
		for (long i = 0; i < n; i += 8) {
			*w0 = i; *w1 = i; *w2 = i; *w0 = i;
			*w1 = i; *w2 = i; *w0 = i; *w1 = i;
			volatile uint64_t *t = w0;
			w0 = w1, w1 = w2, w2 = t;
		}
	} else {
		for (long i = 0; i < n; i += 8) {
			sum += *w0; sum += *w1; sum += *w2; sum += *w0;
			sum += *w1; sum += *w2; sum += *w0; sum += *w1;
			volatile uint64_t *t = w0;
			w0 = w1, w1 = w2, w2 = t;
		}
	}
	double t1 = now();
	long done = (n + 7) / 8 * 8;
	printf("ns_per_access %.1f\n", (t1 - t0) / done);
	return sum == 1; /* keep the loads */
}
