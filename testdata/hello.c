/* hello: stdio through a buffered stdout, stderr and a non-zero exit. */
#include <stdio.h>
#include <string.h>

int main(void)
{
	printf("hello from the guest\n");
	for (int i = 0; i < 5; i++)
		printf("line %d: %s\n", i, i % 2 ? "odd" : "even");
	fprintf(stderr, "this goes to stderr\n");
	char buf[64];
	snprintf(buf, sizeof buf, "%g %ld %#x %s", 3.25, -1234567890123L, 0xbeef, "end");
	puts(buf);
	printf("strlen=%zu\n", strlen(buf));
	fflush(stdout);
	return 3;
}
