/* procmaps: /proc/self/maps, /proc/self/exe, /proc/self/cmdline and
 * /proc/self/auxv as the guest sees them, printed without addresses. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>

struct line {
	unsigned long start, end, off;
	char perms[5];
	char path[256];
};

static int find(unsigned long addr, struct line *out)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	char buf[512];
	int ok = 0;
	while (fgets(buf, sizeof buf, f)) {
		struct line l = {0};
		unsigned int maj, min;
		unsigned long ino;
		int n = 0;
		if (sscanf(buf, "%lx-%lx %4s %lx %x:%x %lu %n", &l.start, &l.end, l.perms,
			   &l.off, &maj, &min, &ino, &n) < 7)
			continue;
		char *p = buf + n;
		p[strcspn(p, "\n")] = 0;
		snprintf(l.path, sizeof l.path, "%s", p);
		if (l.start <= addr && addr < l.end) {
			*out = l;
			ok = 1;
		}
	}
	fclose(f);
	return ok;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void show(const char *what, void *addr)
{
	struct line l;
	if (!find((unsigned long)addr, &l)) {
		printf("%s: not found\n", what);
		return;
	}
	printf("%s: perms=%s len=%lu name=%s\n", what, l.perms, l.end - l.start, base(l.path));
}

int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	int local;
	show("stack", &local);
	show("text", (void *)&main);
	static int data = 1;
	show("data", &data);

	/* Guard pages on both sides keep the mapping from merging with
	 * whatever the emulator or kernel put next to it. */
	char *guard = mmap(NULL, 7 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *m = mmap(guard + pg, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	show("anon", m);
	mprotect(m + pg, pg, PROT_READ);
	mprotect(m + 3 * pg, pg, PROT_NONE);
	show("anon+0", m);
	show("anon+1", m + pg);
	show("anon+2", m + 2 * pg);
	show("anon+3", m + 3 * pg);
	show("anon+4", m + 4 * pg);
	munmap(m + 2 * pg, pg);
	show("after munmap", m + 2 * pg);
	munmap(guard, 7 * pg);

	int fd = open("/proc/self/exe", O_RDONLY);
	char magic[4] = {0};
	read(fd, magic, 4);
	close(fd);
	printf("exe magic ok %d\n", memcmp(magic, "\177ELF", 4) == 0);
	char link[512] = {0};
	readlink("/proc/self/exe", link, sizeof link - 1);
	printf("exe basename=%s\n", base(link));

	char cmd[512];
	fd = open("/proc/self/cmdline", O_RDONLY);
	int n = read(fd, cmd, sizeof cmd);
	close(fd);
	int args = 0;
	for (int i = 0; i < n; i++)
		if (cmd[i] == 0)
			args++;
	printf("cmdline args=%d argc=%d last=%s\n", args, argc, n > 1 ? cmd + n - 1 - strlen(argv[argc - 1]) : "");

	unsigned long av[128];
	fd = open("/proc/self/auxv", O_RDONLY);
	n = read(fd, av, sizeof av);
	close(fd);
	unsigned long pagesz = 0, entry = 0;
	int terminated = 0;
	for (int i = 0; i + 1 < n / 8; i += 2) {
		if (av[i] == AT_PAGESZ)
			pagesz = av[i + 1];
		if (av[i] == AT_ENTRY)
			entry = av[i + 1];
		if (av[i] == AT_NULL) {
			terminated = 1;
			break;
		}
	}
	printf("auxv pagesz=%lu entry ok=%d terminated=%d\n", pagesz, entry == getauxval(AT_ENTRY), terminated);
	(void)pg;
	return 0;
}
