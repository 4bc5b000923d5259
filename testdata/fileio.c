/* fileio: the file system calls on a private temporary directory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>

static void check(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %ld\n", what, r);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[] = "/tmp/gemu-fileio-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (chdir(dir) < 0) {
		perror("chdir");
		return 1;
	}
	char cwd[256];
	printf("getcwd matches %d\n", getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0);

	int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	check("open", fd >= 0 ? 0 : -1);
	check("write", write(fd, "hello, world\n", 13));
	struct iovec iov[3] = {
		{"one ", 4}, {"two ", 4}, {"three\n", 6},
	};
	check("writev", writev(fd, iov, 3));
	check("pwrite", pwrite(fd, "HELLO", 5, 0));
	check("lseek end", lseek(fd, 0, SEEK_END));
	check("lseek set", lseek(fd, 7, SEEK_SET));
	char buf[64] = {0};
	check("read", read(fd, buf, 5));
	printf("buf=%s\n", buf);
	memset(buf, 0, sizeof buf);
	check("pread", pread(fd, buf, sizeof buf - 1, 0));
	printf("contents=%s", buf);
	char a[5] = {0}, b[8] = {0};
	struct iovec rv[2] = {{a, 4}, {b, 7}};
	lseek(fd, 0, SEEK_SET);
	check("readv", readv(fd, rv, 2));
	printf("readv=%s|%s\n", a, b);

	struct stat st;
	check("fstat", fstat(fd, &st));
	printf("size=%lld mode=%o nlink=%lu\n", (long long)st.st_size, st.st_mode & 07777, (unsigned long)st.st_nlink);
	check("stat", stat("a.txt", &st));
	printf("isreg=%d\n", S_ISREG(st.st_mode));
	check("stat missing", stat("nope", &st));

	int fd2 = dup(fd);
	check("dup>fd", fd2 > fd);
	check("dup3", dup3(fd, 20, O_CLOEXEC));
	check("fcntl getfd", fcntl(20, F_GETFD));
	check("fcntl getfl acc", fcntl(fd, F_GETFL) & O_ACCMODE);
	check("fcntl dupfd", fcntl(fd, F_DUPFD, 30));
	close(30);
	close(20);
	close(fd2);
	check("close", close(fd));
	check("close again", close(fd));

	check("mkdir", mkdir("sub", 0755));
	check("mkdir again", mkdir("sub", 0755));
	check("rename", rename("a.txt", "sub/b.txt"));
	check("access b", access("sub/b.txt", R_OK | W_OK));
	check("access a", access("a.txt", F_OK));
	check("symlink", symlink("sub/b.txt", "link"));
	char target[64] = {0};
	check("readlink", readlink("link", target, sizeof target - 1));
	printf("target=%s\n", target);
	int tf = open("sub/c.txt", O_CREAT | O_WRONLY, 0600);
	close(tf);

	DIR *d = opendir("sub");
	char *names[16];
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && n < 16)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	for (int i = 0; i < n; i++)
		printf("entry %s\n", names[i]);

	int p[2];
	check("pipe2", pipe2(p, O_CLOEXEC));
	check("pipe write", write(p[1], "through the pipe", 16));
	memset(buf, 0, sizeof buf);
	check("pipe read", read(p[0], buf, sizeof buf));
	printf("pipe=%s\n", buf);
	close(p[0]);
	close(p[1]);

	FILE *f = fopen("sub/b.txt", "r");
	char line[64];
	while (f && fgets(line, sizeof line, f))
		printf("fgets: %s", line);
	if (f)
		fclose(f);

	check("unlink link", unlink("link"));
	check("unlink b", unlink("sub/b.txt"));
	check("unlink c", unlink("sub/c.txt"));
	check("rmdir sub", rmdir("sub"));
	check("chdir /", chdir("/"));
	check("rmdir dir", rmdir(dir));
	check("open missing", open("/nonexistent/file", O_RDONLY));
	check("write bad fd", write(99, "x", 1));
	volatile long bad = 16;
	check("write bad buf", write(1, (void *)bad, 1));
	return 0;
}
