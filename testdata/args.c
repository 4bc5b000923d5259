/* args: argv, a chosen environment variable and the auxiliary vector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <elf.h>

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	const char *v = getenv("GEMU_TEST_VAR");
	printf("GEMU_TEST_VAR=%s\n", v ? v : "(unset)");
	int n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "GEMU_TEST_", 10) == 0)
			n++;
	printf("GEMU_TEST_* count=%d\n", n);

	printf("AT_PAGESZ=%lu sysconf=%ld\n", getauxval(AT_PAGESZ), sysconf(_SC_PAGESIZE));
	printf("AT_HWCAP=%#lx\n", getauxval(AT_HWCAP));
	printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
	printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
	printf("AT_UID==getuid %d AT_EUID==geteuid %d\n",
	       getauxval(AT_UID) == getuid(), getauxval(AT_EUID) == geteuid());
	printf("AT_GID==getgid %d AT_EGID==getegid %d\n",
	       getauxval(AT_GID) == getgid(), getauxval(AT_EGID) == getegid());

	unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
	printf("AT_RANDOM set=%d\n", rnd != NULL);

	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN==argv[0] %d\n", execfn && strcmp(execfn, argv[0]) == 0);

	/* AT_PHDR points at this program's own program headers. */
	Elf64_Phdr *ph = (Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM);
	printf("AT_PHENT=%lu AT_PHNUM>0 %d\n", getauxval(AT_PHENT), phnum > 0);
	int found_load = 0;
	for (unsigned long i = 0; ph && i < phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			found_load++;
	printf("PT_LOAD via AT_PHDR>0 %d\n", found_load > 0);

	extern void _start(void);
	printf("AT_ENTRY==_start %d\n", getauxval(AT_ENTRY) == (unsigned long)&_start);
	printf("argv on stack above locals %d\n", (unsigned long)argv > (unsigned long)&n);
	return 0;
}
