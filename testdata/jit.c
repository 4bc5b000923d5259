/* jit: a runtime code generator writes RISC-V instructions into a mapping,
 * makes it executable and calls them; then rewrites the code (through
 * mprotect, and in place in a RWX mapping) and calls it again. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

typedef long (*fn)(long);

static uint32_t addi(int rd, int rs1, int imm)
{
	return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
}

static uint32_t slli(int rd, int rs1, int sh)
{
	return ((uint32_t)sh << 20) | (rs1 << 15) | (1 << 12) | (rd << 7) | 0x13;
}

static uint32_t add(int rd, int rs1, int rs2)
{
	return (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33;
}

#define A0 10
#define A1 11
#define RET 0x00008067u

/* emit writes "return x * 2^shift + c" at p and returns the words used. */
static int emit(uint32_t *p, int shift, int c)
{
	int n = 0;
	p[n++] = slli(A0, A0, shift);
	p[n++] = addi(A0, A0, c);
	p[n++] = RET;
	return n;
}

/* emit_sum writes a function that adds 1..k to x with a chain of addis. */
static int emit_sum(uint32_t *p, int k)
{
	int n = 0;
	p[n++] = addi(A1, 0, 0);
	for (int i = 1; i <= k; i++)
		p[n++] = addi(A1, A1, i);
	p[n++] = add(A0, A0, A1);
	p[n++] = RET;
	return n;
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint32_t *code = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int n = emit(code, 3, 5);
	mprotect(code, pg, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)code, (char *)(code + n));
	printf("f(7)=%ld\n", ((fn)code)(7));

	mprotect(code, pg, PROT_READ | PROT_WRITE);
	n = emit(code, 1, -9);
	mprotect(code, pg, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)code, (char *)(code + n));
	printf("g(7)=%ld\n", ((fn)code)(7));

	/* RWX: rewrite code the CPU has already run, in place. */
	uint32_t *rwx = mmap(NULL, pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long total = 0;
	for (int k = 1; k <= 40; k++) {
		n = emit_sum(rwx, k);
		__builtin___clear_cache((char *)rwx, (char *)(rwx + n));
		total += ((fn)rwx)(k);
	}
	printf("rwx total=%ld\n", total);

	/* Code in a second page, reached by a jump across the page boundary. */
	uint32_t *two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *start = (uint32_t *)((char *)two + pg - 8);
	start[0] = addi(A0, A0, 100);
	start[1] = addi(A0, A0, 20);
	start[2] = addi(A0, A0, 3);
	start[3] = RET;
	mprotect(two, 2 * pg, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)start, (char *)(start + 4));
	printf("cross(0)=%ld\n", ((fn)start)(0));

	/* Unmapping and remapping code at the same address runs the new code. */
	munmap(code, pg);
	uint32_t *again = mmap(code, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	n = emit(again, 0, 77);
	mprotect(again, pg, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)again, (char *)(again + n));
	printf("same address=%d h(1)=%ld\n", again == code, ((fn)again)(1));
	return 0;
}
