/* events: epoll over a pipe and a timerfd, eventfd, inotify on a
 * private directory, splice and copy_file_range. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>

int main(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];
	pipe(p);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
	printf("epoll_ctl pipe=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	ev.data.u64 = 42;
	printf("epoll_ctl timer=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev));
	struct epoll_event out[4];
	printf("nothing ready: %d\n", epoll_wait(ep, out, 4, 0));
	write(p[1], "x", 1);
	int n = epoll_wait(ep, out, 4, 1000);
	printf("ready=%d data=%#llx events=%#x\n", n, (unsigned long long)out[0].data.u64, out[0].events);
	char c;
	read(p[0], &c, 1);
	/* Arm the one-shot timer only now, so that a slow machine cannot
	 * make it ready early. */
	struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}};
	printf("timerfd_settime=%d\n", timerfd_settime(tfd, 0, &its, NULL));
	n = epoll_wait(ep, out, 4, 1000);
	uint64_t expirations = 0;
	read(tfd, &expirations, sizeof expirations);
	printf("timer ready=%d data=%llu expirations=%llu\n", n, (unsigned long long)out[0].data.u64, (unsigned long long)expirations);
	printf("epoll_wait maxevents 0: %d\n", epoll_wait(ep, out, 0, 0));

	int efd = eventfd(3, 0);
	uint64_t v = 4;
	write(efd, &v, sizeof v);
	read(efd, &v, sizeof v);
	printf("eventfd=%llu\n", (unsigned long long)v);

	char dir[] = "/tmp/gemu-events-XXXXXX";
	mkdtemp(dir);
	int in = inotify_init1(IN_CLOEXEC);
	int wd = inotify_add_watch(in, dir, IN_CREATE);
	printf("inotify watch ok %d\n", wd >= 0);
	char path[64];
	snprintf(path, sizeof path, "%s/new", dir);
	int f = open(path, O_CREAT | O_RDWR, 0600);
	char buf[256];
	n = read(in, buf, sizeof buf);
	struct inotify_event *ie = (struct inotify_event *)buf;
	printf("inotify event create=%d name=%s\n", (ie->mask & IN_CREATE) != 0, ie->name);

	write(f, "copy me please", 14);
	char path2[64];
	snprintf(path2, sizeof path2, "%s/copy", dir);
	int g = open(path2, O_CREAT | O_RDWR, 0600);
	loff_t off_in = 0, off_out = 0;
	printf("copy_file_range=%zd\n", copy_file_range(f, &off_in, g, &off_out, 14, 0));
	memset(buf, 0, sizeof buf);
	pread(g, buf, sizeof buf, 0);
	printf("copied: %s\n", buf);
	loff_t off = 5;
	printf("splice=%zd\n", splice(f, &off, p[1], NULL, 2, 0));
	memset(buf, 0, sizeof buf);
	read(p[0], buf, 2);
	printf("spliced: %s\n", buf);
	unlink(path);
	unlink(path2);
	rmdir(dir);
	return 0;
}
