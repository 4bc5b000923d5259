/* malloc: many allocations of mixed sizes, large reallocs (mremap under
 * glibc), and a checksum of the contents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	enum { N = 4000 };
	static unsigned char *p[N];
	static size_t sz[N];
	uint64_t sum = 0;

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < N; i++) {
			size_t s = next() % (i % 100 == 0 ? 200000 : 600) + 1;
			unsigned char *q = realloc(p[i], s);
			if (!q) {
				printf("realloc failed\n");
				return 1;
			}
			if (p[i]) {
				size_t keep = s < sz[i] ? s : sz[i];
				for (size_t k = 0; k < keep; k += 97)
					if (q[k] != (unsigned char)(i + k))
						printf("corrupt %d %zu\n", i, k);
			}
			for (size_t k = 0; k < s; k++)
				q[k] = (unsigned char)(i + k);
			p[i] = q;
			sz[i] = s;
		}
		for (int i = 0; i < N; i += 3) {
			free(p[i]);
			p[i] = NULL;
			sz[i] = 0;
		}
	}
	for (int i = 0; i < N; i++)
		for (size_t k = 0; k < sz[i]; k += 13)
			sum += p[i][k] * (k + 1);
	printf("checksum=%llu\n", (unsigned long long)sum);

	/* A large block grown by realloc many times: glibc uses mremap. */
	size_t big = 1 << 20;
	unsigned char *b = malloc(big);
	memset(b, 0x5a, big);
	for (int i = 0; i < 8; i++) {
		size_t nb = big * 2;
		b = realloc(b, nb);
		if (!b) {
			printf("big realloc failed\n");
			return 1;
		}
		memset(b + big, 0x30 + i, nb - big);
		big = nb;
	}
	uint64_t bs = 0;
	for (size_t k = 0; k < big; k += 4096)
		bs += b[k];
	printf("big size=%zu sum=%llu\n", big, (unsigned long long)bs);
	b = realloc(b, 4096);
	printf("shrunk first=%#x\n", b[0]);
	free(b);

	void *c = calloc(1000, 1000);
	int nz = 0;
	for (int i = 0; i < 1000000; i++)
		nz += ((unsigned char *)c)[i] != 0;
	printf("calloc nonzero=%d\n", nz);
	free(c);
	return 0;
}
