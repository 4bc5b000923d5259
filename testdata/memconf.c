/* memconf: memory-call conformance. Every case prints its result (a value
 * relative to a private arena, or an errno name) and, where the layout
 * matters, the arena's part of /proc/self/maps with addresses turned into
 * page numbers inside the arena. Built natively, the host kernel's output is
 * the reference; built for riscv64 and run under gemu at the same page size,
 * the output must be identical. No absolute address is ever printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define ARENA_PAGES 256

static long pg;
static char *arena;
static char tmpdir[] = "/tmp/gemu-memconf-XXXXXX";
static int nfile;

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EOVERFLOW: return "EOVERFLOW";
	case ENOSYS: return "ENOSYS";
	default: {
		static char buf[32];
		snprintf(buf, sizeof buf, "errno%d", e);
		return buf;
	}
	}
}

/* P turns a page number inside the arena into an address. */
static char *P(long n) { return arena + n * pg; }

/* where describes an address returned by a call: a page of the arena, or
 * outside it. */
static const char *where(void *p)
{
	static char buf[64];
	if (p == MAP_FAILED)
		return ename(errno);
	char *c = p;
	if (c >= arena && c < arena + ARENA_PAGES * pg) {
		if ((c - arena) % pg)
			snprintf(buf, sizeof buf, "arena+%ld", (long)(c - arena));
		else
			snprintf(buf, sizeof buf, "page %ld", (long)((c - arena) / pg));
	} else {
		snprintf(buf, sizeof buf, "outside");
	}
	return buf;
}

static void res(const char *name, int r)
{
	printf("%-44s %s\n", name, r < 0 ? ename(errno) : "ok");
}

static void mres(const char *name, void *p)
{
	printf("%-44s %s\n", name, where(p));
}

/* dump prints the mappings that overlap the arena, clipped to it. */
static void dump(const char *label)
{
	static char buf[1 << 16];
	int fd = open("/proc/self/maps", O_RDONLY);
	int n = 0, r;
	while (n < (int)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	printf("  maps %s:\n", label);
	uintptr_t lo = (uintptr_t)arena, hi = lo + ARENA_PAGES * pg;
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		unsigned long s, e, off;
		char perms[8], dev[16];
		unsigned long ino;
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &s, &e, perms, &off, dev, &ino, &pos) >= 6 &&
		    s < hi && e > lo) {
			if (s < lo)
				s = lo;
			if (e > hi)
				e = hi;
			const char *path = line + pos;
			const char *base = strrchr(path, '/');
			const char *kind = *path == 0 ? "anon" : base ? "file" : path;
			/* Untouched arena reservation is long; say so briefly. */
			printf("    %3lu-%3lu %s %s", (s - lo) / pg, (e - lo) / pg, perms, kind);
			if (*path && base)
				printf(" %s off=%lu", base + 1, off / pg);
			printf("\n");
		}
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* makefile creates a file of n bytes, each byte (offset / pg) + 'a'. */
static int makefile(long n, int flags)
{
	char path[64];
	snprintf(path, sizeof path, "%s/file%d", tmpdir, nfile++);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (long i = 0; i < n; i++) {
		char c = 'a' + i / pg;
		pwrite(fd, &c, 1, i);
	}
	if (flags == O_RDONLY) {
		close(fd);
		fd = open(path, O_RDONLY);
	}
	return fd;
}

static sigjmp_buf jb, section_jb;
static volatile int expect_fault;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char *a = si->si_addr;
	if (!expect_fault) {
		/* Report and give up on the current section only. */
		printf("  unexpected fault: sig=%d code=%d at %s; section abandoned\n", sig, si->si_code, where(a));
		siglongjmp(section_jb, 1);
	}
	printf("  fault: sig=%s code=%d at %s\n", sig == SIGSEGV ? "SIGSEGV" : "SIGBUS", si->si_code, where(a));
	siglongjmp(jb, 1);
}

static void try_read(const char *name, char *p)
{
	printf("%-44s ", name);
	expect_fault = 1;
	if (sigsetjmp(jb, 1) == 0) {
		volatile char c = *(volatile char *)p;
		printf("read %d\n", c);
	} else {
		printf("(faulted)\n");
	}
	expect_fault = 0;
}

static void try_write(const char *name, char *p, char v)
{
	printf("%-44s ", name);
	expect_fault = 1;
	if (sigsetjmp(jb, 1) == 0) {
		*(volatile char *)p = v;
		printf("wrote\n");
	} else {
		printf("(faulted)\n");
	}
	expect_fault = 0;
}

/* reset puts the arena back to one PROT_NONE reservation. */
static void reset(void)
{
	if (mmap(arena, ARENA_PAGES * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
		perror("reset");
		exit(1);
	}
}

static void *fixed(long page, long pages, int prot)
{
	return mmap(P(page), pages * pg, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void test_mmap(void)
{
	printf("== mmap\n");
	reset();
	mres("len 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	mres("no type", mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0));
	mres("fixed unaligned", mmap(P(10) + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	mres("huge length", mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	mres("length wraps", mmap(NULL, (size_t)-pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	mres("fixed in arena", fixed(10, 4, PROT_READ | PROT_WRITE));
	mres("fixed merges with neighbour", fixed(14, 2, PROT_READ | PROT_WRITE));
	mres("fixed different prot", fixed(16, 1, PROT_READ));
	mres("fixed replaces middle", fixed(11, 1, PROT_READ | PROT_EXEC));
	dump("after fixed");
	mres("noreplace over mapping", mmap(P(12), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	munmap(P(30), 4 * pg);
	mres("noreplace in hole", mmap(P(31), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	mres("noreplace straddling", mmap(P(29), 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	mres("noreplace unaligned", mmap(P(33) + 5, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	mres("hint in hole", mmap(P(32), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	/* Where a refused hint lands depends on the whole layout; only say
	 * that it was not taken. */
	void *h = mmap(P(10), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("%-44s %s\n", "hint over mapping", h == MAP_FAILED ? ename(errno) : h == P(10) ? "taken" : "elsewhere");
	munmap(h, pg);
	h = mmap(P(33) + 100, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mres("hint unaligned, page free", h);
	dump("after noreplace and hints");

	mres("shared_validate anon", mmap(P(40), pg, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	mres("shared_validate unknown flag", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x200000, -1, 0));
	mres("shared unknown flag ignored", mmap(P(42), pg, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | 0x200000, -1, 0));
	mres("shared_validate MAP_SYNC anon", mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_SYNC, -1, 0));
	mres("private unknown flag ignored", mmap(P(44), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | 0x200000, -1, 0));
	mres("anon fd ignored", mmap(P(46), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 12345, 0));
	mres("anon unaligned offset", mmap(P(48), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 1));
	mres("populate", mmap(P(50), 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0));
	dump("after flags");

	int fd = makefile(3 * pg + 100, O_RDWR);
	int ro = makefile(2 * pg, O_RDONLY);
	mres("file unaligned offset", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 10));
	mres("file bad fd", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 9999, 0));
	mres("file private", mmap(P(60), 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0));
	mres("file shared at offset", mmap(P(66), 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, pg));
	mres("readonly fd private write", mmap(P(70), pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, ro, 0));
	mres("readonly fd shared write", mmap(P(72), pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ro, 0));
	mres("readonly fd shared read", mmap(P(72), pg, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0));
	mres("offset past EOF", mmap(P(74), pg, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 10 * pg));
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	mres("directory", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dfd, 0));
	close(dfd);
	int wo = open("/dev/null", O_WRONLY);
	mres("write-only fd", mmap(NULL, pg, PROT_READ, MAP_SHARED, wo, 0));
	close(wo);
	dump("after file maps");
	printf("  file private page 1 byte: %c\n", P(60)[pg]);
	P(60)[pg] = 'X';
	printf("  shared page 0 (file page 1) after private write: %c\n", P(66)[0]);
	P(66)[pg + 5] = 'Y';
	char c = 0;
	pread(fd, &c, 1, 2 * pg + 5);
	printf("  file byte after shared write: %c\n", c);
	printf("  private sees shared write (untouched page): %c\n", P(60)[2 * pg + 5]);
	printf("  tail of last file page is zero: %d\n", P(60)[3 * pg + 200] == 0);
	try_read("read past EOF page (private)", P(63) + pg / 2);
	try_read("read offset past EOF", P(74));
	try_read("read reservation", P(0));
	try_read("read hole", P(30));
	try_write("write read-only", P(16), 1);
	try_write("write read-exec page", P(11), 1);
	try_write("write readonly shared file", P(72), 1);
	close(fd);
	close(ro);
}

static void test_munmap(void)
{
	printf("== munmap\n");
	reset();
	fixed(10, 10, PROT_READ | PROT_WRITE);
	res("unaligned", munmap(P(10) + 1, pg));
	res("len 0", munmap(P(10), 0));
	res("unaligned len", munmap(P(19), 100));
	res("middle", munmap(P(12), 2 * pg));
	res("already unmapped", munmap(P(12), pg));
	res("spanning hole", munmap(P(11), 4 * pg));
	dump("after munmap");
	try_read("read unmapped", P(13));
	res("wraps", munmap(P(10), (size_t)-pg));
}

static void test_mprotect(void)
{
	printf("== mprotect\n");
	reset();
	fixed(10, 10, PROT_READ | PROT_WRITE);
	res("unaligned", mprotect(P(10) + 1, pg, PROT_READ));
	res("len 0", mprotect(P(10), 0, PROT_READ));
	res("bad prot", mprotect(P(10), pg, 0x100));
	res("split middle", mprotect(P(12), 2 * pg, PROT_READ));
	dump("split");
	res("merge back", mprotect(P(12), 2 * pg, PROT_READ | PROT_WRITE));
	dump("merged");
	res("read exec", mprotect(P(15), pg, PROT_READ | PROT_EXEC));
	res("none", mprotect(P(16), pg, PROT_NONE));
	dump("exec and none");
	try_read("read none", P(16));
	try_write("write exec", P(15), 1);
	munmap(P(18), pg);
	res("across hole", mprotect(P(17), 3 * pg, PROT_READ));
	dump("after partial failure");
	munmap(P(40), pg);
	res("unmapped", mprotect(P(40), pg, PROT_READ));
	res("unaligned len rounds", mprotect(P(10), 100, PROT_READ));
	dump("after unaligned len");
	res("growsdown on plain", mprotect(P(10), pg, PROT_READ | PROT_GROWSDOWN));
	res("growsup and down", mprotect(P(10), pg, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP));

	int ro = makefile(pg, O_RDONLY);
	mmap(P(30), pg, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0);
	res("shared readonly file to write", mprotect(P(30), pg, PROT_READ | PROT_WRITE));
	mmap(P(32), pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, ro, 0);
	res("private readonly file to write", mprotect(P(32), pg, PROT_READ | PROT_WRITE));
	try_write("write private readonly-file page", P(32), 'z');
	dump("file mprotect");
	close(ro);
}

static void test_mremap(void)
{
	printf("== mremap\n");
	reset();
	fixed(10, 4, PROT_READ | PROT_WRITE);
	for (int i = 0; i < 4; i++)
		P(10)[i * pg] = 'A' + i;
	mres("shrink", mremap(P(10), 4 * pg, 3 * pg, 0));
	munmap(P(13), 10 * pg);
	mres("grow in place", mremap(P(10), 3 * pg, 6 * pg, 0));
	printf("  contents %c%c%c zero=%d\n", P(10)[0], P(11)[0], P(12)[0], P(15)[0] == 0);
	fixed(16, 1, PROT_READ);
	mres("grow blocked", mremap(P(10), 6 * pg, 8 * pg, 0));
	void *m = mremap(P(10), 6 * pg, 8 * pg, MREMAP_MAYMOVE);
	mres("grow blocked maymove", m);
	if (m != MAP_FAILED) {
		printf("  moved contents %c%c%c\n", ((char *)m)[0], ((char *)m)[pg], ((char *)m)[2 * pg]);
		mres("move back fixed", mremap(m, 8 * pg, 3 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, P(20)));
	}
	dump("after moves");
	printf("  contents at 20: %c%c%c\n", P(20)[0], P(21)[0], P(22)[0]);
	mres("fixed without maymove", mremap(P(20), pg, pg, MREMAP_FIXED, P(40)));
	mres("fixed overlapping", mremap(P(20), 3 * pg, 3 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, P(21)));
	mres("fixed unaligned new", mremap(P(20), pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, P(40) + 8));
	mres("unaligned old", mremap(P(20) + 1, pg, pg, 0));
	mres("new len 0", mremap(P(20), pg, 0, 0));
	mres("bad flags", mremap(P(20), pg, pg, 0x40));
	munmap(P(60), 4 * pg);
	mres("not mapped", mremap(P(60), pg, 2 * pg, MREMAP_MAYMOVE));
	mres("old len past mapping", mremap(P(20), 5 * pg, 6 * pg, MREMAP_MAYMOVE));
	mres("private old len 0", mremap(P(20), 0, pg, MREMAP_MAYMOVE));
	mres("dontunmap", mremap(P(20), 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, P(50)));
	printf("  dontunmap new %c%c old zero=%d\n", P(50)[0], P(51)[0], P(20)[0] == 0);
	mres("dontunmap resize", mremap(P(20), pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	mres("dontunmap without maymove", mremap(P(20), pg, pg, MREMAP_DONTUNMAP));
	dump("after dontunmap");

	/* Shrinking and moving a range made of two mappings. */
	fixed(70, 2, PROT_READ | PROT_WRITE);
	fixed(72, 2, PROT_READ);
	mres("grow spanning two mappings", mremap(P(70), 4 * pg, 6 * pg, MREMAP_MAYMOVE));
	mres("shrink across two mappings", mremap(P(70), 4 * pg, pg, 0));
	dump("after shrink across");

	char *s = mmap(P(80), 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	s[0] = 'S';
	char *d = mremap(s, 0, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, P(90));
	mres("shared old len 0 duplicates", d);
	if (d != MAP_FAILED) {
		d[1] = 'T';
		printf("  shared duplicate %c%c\n", s[0], s[1]);
	}
	dump("after duplicate");

	int fd = makefile(2 * pg, O_RDWR);
	mmap(P(100), pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	munmap(P(101), 3 * pg);
	mres("file grow in place past EOF", mremap(P(100), pg, 4 * pg, 0));
	dump("file grown");
	printf("  file page 1: %c\n", P(101)[0]);
	try_read("read grown past EOF", P(102));
	close(fd);
}

static void test_msync_madvise(void)
{
	printf("== msync\n");
	reset();
	fixed(10, 4, PROT_READ | PROT_WRITE);
	res("anon sync", msync(P(10), 4 * pg, MS_SYNC));
	res("unaligned", msync(P(10) + 1, pg, MS_SYNC));
	res("async and sync", msync(P(10), pg, MS_ASYNC | MS_SYNC));
	res("bad flag", msync(P(10), pg, 8));
	munmap(P(14), pg);
	munmap(P(40), pg);
	res("unmapped", msync(P(40), pg, MS_SYNC));
	res("partly unmapped", msync(P(12), 4 * pg, MS_ASYNC));
	res("len 0", msync(P(40), 0, MS_SYNC));
	res("invalidate", msync(P(10), pg, MS_INVALIDATE));
	res("reservation", msync(P(0), pg, MS_SYNC));
	int fd = makefile(2 * pg, O_RDWR);
	char *m = mmap(P(20), 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	m[10] = 'Q';
	res("file sync", msync(m, 2 * pg, MS_SYNC));
	char c = 0;
	pread(fd, &c, 1, 10);
	printf("  file byte after msync: %c\n", c);

	printf("== madvise\n");
	P(10)[0] = 7;
	P(11)[0] = 8;
	res("dontneed anon", madvise(P(10), 2 * pg, MADV_DONTNEED));
	printf("  after dontneed: %d %d\n", P(10)[0], P(11)[0]);
	mmap(P(30), pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
	P(30)[0] = 'p';
	res("dontneed private file", madvise(P(30), pg, MADV_DONTNEED));
	printf("  private file after dontneed: %c\n", P(30)[0]);
	res("unaligned", madvise(P(10) + 1, pg, MADV_NORMAL));
	res("bad advice", madvise(P(10), pg, 999));
	res("unmapped", madvise(P(40), pg, MADV_NORMAL));
	res("partly unmapped", madvise(P(12), 4 * pg, MADV_WILLNEED));
	res("len 0", madvise(P(40), 0, MADV_NORMAL));
	res("free anon", madvise(P(10), pg, MADV_FREE));
	res("free shared file", madvise(P(20), pg, MADV_FREE));
	res("remove private", madvise(P(10), pg, MADV_REMOVE));
	res("dontfork", madvise(P(10), pg, MADV_DONTFORK));
	res("dofork", madvise(P(10), pg, MADV_DOFORK));
	res("wipeonfork anon", madvise(P(10), pg, MADV_WIPEONFORK));
	res("wipeonfork file", madvise(P(20), pg, MADV_WIPEONFORK));
	res("dontdump", madvise(P(10), pg, MADV_DONTDUMP));
	res("populate_read none", madvise(P(0), pg, MADV_POPULATE_READ));
	res("populate_write readonly", (mprotect(P(13), pg, PROT_READ), madvise(P(13), pg, MADV_POPULATE_WRITE)));
	res("populate_write anon", madvise(P(11), pg, MADV_POPULATE_WRITE));
	dump("after madvise");
	res("mlock", mlock(P(10), pg));
	res("dontneed locked", madvise(P(10), pg, MADV_DONTNEED));
	res("munlock", munlock(P(10), pg));
	close(fd);
}

static void test_mincore_mlock(void)
{
	printf("== mincore\n");
	reset();
	fixed(10, 4, PROT_READ | PROT_WRITE);
	P(10)[0] = 1;
	P(12)[0] = 1;
	unsigned char vec[8] = {0};
	res("anon", mincore(P(10), 4 * pg, vec));
	printf("  vec %d%d%d%d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
	res("unaligned", mincore(P(10) + 1, pg, vec));
	munmap(P(14), pg);
	munmap(P(40), pg);
	res("unmapped", mincore(P(40), pg, vec));
	res("partly unmapped", mincore(P(12), 4 * pg, vec));
	res("bad vec", mincore(P(10), pg, (unsigned char *)16));
	res("len 0", mincore(P(10), 0, vec));
	res("reservation", mincore(P(0), pg, vec));
	printf("  reservation vec %d\n", vec[0] & 1);

	printf("== mlock\n");
	res("mlock", mlock(P(10), 2 * pg));
	dump("locked");
	res("mlock unmapped", mlock(P(40), pg));
	res("mlock partly unmapped", mlock(P(12), 4 * pg));
	res("mlock2 bad flags", mlock2(P(10), pg, 0x10));
	res("mlock2 onfault", mlock2(P(11), pg, MLOCK_ONFAULT));
	res("munlock", munlock(P(10), 4 * pg));
	res("munlock unmapped", munlock(P(40), pg));
	res("mlock none", mlock(P(0), pg));
	res("munlock none", munlock(P(0), pg));
	res("mlockall 0", mlockall(0));
	res("mlockall bad", mlockall(0x100));
	res("munlockall", munlockall());
}

static void test_brk(void)
{
	printf("== brk\n");
	char *cur = (char *)syscall(SYS_brk, 0);
	char *r = (char *)syscall(SYS_brk, cur + 10 * pg);
	printf("%-44s %ld\n", "grow by 10 pages", (long)(r - cur));
	memset(cur, 0x11, 10 * pg);
	r = (char *)syscall(SYS_brk, cur + 10 * pg + 123);
	printf("%-44s %ld\n", "unaligned", (long)(r - cur));
	r = (char *)syscall(SYS_brk, cur + 4 * pg);
	printf("%-44s %ld\n", "shrink", (long)(r - cur));
	r = (char *)syscall(SYS_brk, cur + 10 * pg);
	printf("%-44s %ld\n", "regrow", (long)(r - cur));
	printf("  regrown zero=%d kept=%d\n", cur[8 * pg] == 0, cur[3 * pg] == 0x11);
	r = (char *)syscall(SYS_brk, cur - (1L << 40));
	printf("%-44s %ld\n", "far below start", (long)(r - cur));
	r = (char *)syscall(SYS_brk, cur + (1L << 50));
	printf("%-44s %ld\n", "far beyond", (long)(r - cur));
	/* brk will not grow over an existing mapping. */
	char *top = (char *)syscall(SYS_brk, 0);
	char *blk = (char *)(((uintptr_t)top + 16 * pg) & ~(uintptr_t)(pg - 1));
	void *m = mmap(blk, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == blk) {
		r = (char *)syscall(SYS_brk, blk + pg);
		printf("%-44s %ld\n", "grow over mapping", (long)(r - cur));
		munmap(m, pg);
	} else {
		printf("%-44s %s\n", "grow over mapping", "(no room)");
	}
	syscall(SYS_brk, cur);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pg = sysconf(_SC_PAGESIZE);
	printf("pagesize %ld\n", pg);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	arena = mmap(NULL, ARENA_PAGES * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("arena");
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	void (*sections[])(void) = {
		test_mmap, test_munmap, test_mprotect, test_mremap,
		test_msync_madvise, test_mincore_mlock, test_brk,
	};
	for (unsigned i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		expect_fault = 0;
		if (sigsetjmp(section_jb, 1) == 0)
			sections[i]();
	}

	for (int i = 0; i < nfile; i++) {
		char path[64];
		snprintf(path, sizeof path, "%s/file%d", tmpdir, i);
		unlink(path);
	}
	rmdir(tmpdir);
	printf("done\n");
	return 0;
}
