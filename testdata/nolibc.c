/* nolibc: a program without libc, built static-pie: it must be relocated
 * by nothing but its position, and talks to the kernel with ecall. */
typedef unsigned long u64;

static long sys3(long n, long a, long b, long c)
{
	register long a0 asm("a0") = a;
	register long a1 asm("a1") = b;
	register long a2 asm("a2") = c;
	register long a7 asm("a7") = n;
	asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
	return a0;
}

static u64 len(const char *s)
{
	u64 n = 0;
	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys3(64 /* write */, 1, (long)s, len(s));
}

static void putnum(u64 v)
{
	char buf[24];
	int i = 23;
	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	put(buf + i);
}

void cmain(u64 *sp)
{
	u64 argc = sp[0];
	char **argv = (char **)(sp + 1);
	put("nolibc argc=");
	putnum(argc);
	put("\n");
	for (u64 i = 0; i < argc; i++) {
		if (i == 0)
			continue;
		put("arg: ");
		put(argv[i]);
		put("\n");
	}
	char **envp = argv + argc + 1;
	while (*envp)
		envp++;
	u64 *auxv = (u64 *)(envp + 1);
	for (; auxv[0]; auxv += 2)
		if (auxv[0] == 6) {
			put("pagesz=");
			putnum(auxv[1]);
			put("\n");
		}
	sys3(94 /* exit_group */, 42, 0, 0);
}

asm(".globl _start\n"
    "_start:\n"
    "  mv a0, sp\n"
    "  andi sp, sp, -16\n"
    "  call cmain\n");
