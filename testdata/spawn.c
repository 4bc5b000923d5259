/* spawn: new processes the way programs make them: system, popen,
 * posix_spawn with file actions, vfork + execve, a riscv64 child (run by
 * the emulator again) and a failing exec, with exit statuses from waitpid;
 * then execve of itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		printf("child: argc=%d arg=%s env=%s\n", argc, argc > 2 ? argv[2] : "", getenv("SPAWN_VAR") ? getenv("SPAWN_VAR") : "(unset)");
		return 9;
	}
	fflush(stdout);
	int st = system("echo from system; exit 3");
	printf("system status: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));

	FILE *f = popen("echo from popen", "r");
	char line[128] = {0};
	fgets(line, sizeof line, f);
	printf("popen read: %s", line);
	printf("pclose=%d\n", WEXITSTATUS(pclose(f)));

	/* posix_spawn of ourselves (a riscv64 program) with stdout sent to
	 * a pipe. */
	int p[2];
	pipe(p);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	char *cargv[] = {argv[0], "child", "hello", NULL};
	char *cenv[] = {"SPAWN_VAR=set", NULL};
	pid_t pid;
	int r = posix_spawn(&pid, argv[0], &fa, NULL, cargv, cenv);
	close(p[1]);
	printf("posix_spawn=%d\n", r);
	memset(line, 0, sizeof line);
	read(p[0], line, sizeof line - 1);
	printf("child said: %s", line);
	waitpid(pid, &st, 0);
	printf("child status: %d\n", WEXITSTATUS(st));

	r = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, cargv, environ);
	printf("posix_spawn missing: %s\n", strerror(r));

	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "echo from vfork child; exit 4", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("vfork child status: %d\n", WEXITSTATUS(st));

	pid = vfork();
	if (pid == 0)
		_exit(6);
	waitpid(pid, &st, 0);
	printf("vfork _exit status: %d\n", WEXITSTATUS(st));
	r = waitpid(-1, &st, WNOHANG);
	printf("waitpid no children: %d %s\n", r, strerror(errno));

	/* Finally replace this program with itself: the exit status is the
	 * new program's. */
	printf("exec'ing myself\n");
	fflush(stdout);
	setenv("SPAWN_VAR", "from exec", 1);
	execl(argv[0], argv[0], "child", "exec'd", (char *)NULL);
	printf("exec failed: %s\n", strerror(errno));
	return 1;
}
