/* mmapfile: private and shared file mappings; a shared mapping is written,
 * msync'd and read back through a separate descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

int main(void)
{
	char path[] = "/tmp/gemu-mmapfile-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 3 * pg;
	if (ftruncate(fd, len) < 0) {
		perror("ftruncate");
		return 1;
	}
	for (size_t i = 0; i < len; i += 512) {
		char tag[32];
		int n = snprintf(tag, sizeof tag, "<%zu>", i);
		pwrite(fd, tag, n, i);
	}

	char *priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *shr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (priv == MAP_FAILED || shr == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("priv[512]=%.5s shr[1024]=%.6s\n", priv + 512, shr + 1024);

	/* A private write is not seen by the file or the shared mapping. */
	memcpy(priv, "PRIVATE", 7);
	/* A shared write reaches the file. */
	memcpy(shr + pg, "SHARED!", 7);
	if (msync(shr, len, MS_SYNC) < 0)
		printf("msync: %s\n", strerror(errno));

	int fd2 = open(path, O_RDONLY);
	char buf[16] = {0};
	pread(fd2, buf, 7, 0);
	printf("file[0]=%s\n", buf);
	pread(fd2, buf, 7, pg);
	printf("file[pg]=%s\n", buf);
	printf("shr[0]=%.4s priv[pg]=%.7s\n", shr, priv + pg);

	/* A write through the descriptor shows in the shared mapping. */
	pwrite(fd, "FROMFD", 6, 2 * pg);
	printf("shr[2pg]=%.6s\n", shr + 2 * pg);

	/* An offset mapping. */
	char *off = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg);
	printf("off[0]=%.7s off[512]=%.6s\n", off, off + 512);

	/* Error cases. */
	void *r = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 1);
	printf("unaligned offset: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
	r = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	printf("shared write on O_RDONLY: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
	r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 999, 0);
	printf("bad fd: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");

	munmap(off, pg);
	munmap(priv, len);
	munmap(shr, len);
	close(fd2);
	close(fd);

	/* Re-read with a fresh mapping after close. */
	fd = open(path, O_RDONLY);
	char *again = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("again[pg]=%.7s again[2pg]=%.6s\n", again + pg, again + 2 * pg);
	munmap(again, len);
	close(fd);
	unlink(path);
	return 0;
}
