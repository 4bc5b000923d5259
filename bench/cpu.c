/* cpu: a CPU-bound kernel (integer hashing, a sieve, a small matrix product
 * in double precision, and sorting) that prints a checksum, for wall-time
 * comparisons of the CPU emulation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 1;
	uint64_t sum = 0;

	enum { SIEVE = 2000000 };
	static unsigned char comp[SIEVE];
	for (int r = 0; r < scale; r++) {
		memset(comp, 0, sizeof comp);
		long primes = 0;
		for (long i = 2; i < SIEVE; i++) {
			if (comp[i])
				continue;
			primes++;
			for (long j = i * i; j < SIEVE; j += i)
				comp[j] = 1;
		}
		sum += primes;
		sum = fnv(comp, sizeof comp, sum);
	}

	enum { N = 96 };
	static double a[N][N], b[N][N], c[N][N];
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			a[i][j] = (i * 31 + j) % 17 / 7.0;
			b[i][j] = (i + j * 13) % 11 / 3.0;
		}
	for (int r = 0; r < scale; r++) {
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				double s = 0;
				for (int k = 0; k < N; k++)
					s += a[i][k] * b[k][j];
				c[i][j] = s;
			}
		a[r % N][r % N] += c[N - 1][N - 1] * 1e-9;
	}
	double tr = 0;
	for (int i = 0; i < N; i++)
		tr += c[i][i];
	sum += (uint64_t)tr;

	enum { M = 300000 };
	uint32_t *v = malloc(M * sizeof *v);
	uint32_t x = 2463534242u;
	for (int r = 0; r < scale; r++) {
		for (int i = 0; i < M; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			v[i] = x;
		}
		qsort(v, M, sizeof *v, cmp);
		sum = fnv((unsigned char *)v, M * sizeof *v, sum);
	}
	free(v);
	printf("checksum %llu\n", (unsigned long long)sum);
	return 0;
}
