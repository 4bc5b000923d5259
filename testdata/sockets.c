/* sockets: a socketpair with sendmsg/recvmsg (passing a descriptor with
 * SCM_RIGHTS), and a TCP connection to ourselves over loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
	int sv[2];
	printf("socketpair=%d\n", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	printf("send=%zd\n", send(sv[0], "ping", 4, 0));
	char buf[64] = {0};
	printf("recv=%zd %s\n", recv(sv[1], buf, sizeof buf, 0), buf);

	/* Pass a pipe's read end across the socket pair. */
	int pfd[2];
	pipe(pfd);
	char one = 'x';
	struct iovec iov = {&one, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pfd[0], sizeof(int));
	printf("sendmsg=%zd\n", sendmsg(sv[0], &m, 0));
	char got = 0;
	struct iovec riov = {&got, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} rctl;
	struct msghdr r = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl.buf, .msg_controllen = sizeof rctl.buf};
	printf("recvmsg=%zd byte=%c\n", recvmsg(sv[1], &r, 0), got);
	struct cmsghdr *rc = CMSG_FIRSTHDR(&r);
	int passed = -1;
	if (rc && rc->cmsg_type == SCM_RIGHTS)
		memcpy(&passed, CMSG_DATA(rc), sizeof(int));
	printf("got a descriptor %d\n", passed >= 0);
	write(pfd[1], "via passed fd", 13);
	memset(buf, 0, sizeof buf);
	read(passed, buf, sizeof buf);
	printf("read: %s\n", buf);

	/* TCP over loopback, all in one thread: connect completes against
	 * the listen backlog before accept. */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int on = 1;
	printf("setsockopt=%d\n", setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	printf("bind=%d listen=%d\n", bind(ls, (struct sockaddr *)&sa, sizeof sa), listen(ls, 4));
	socklen_t len = sizeof sa;
	getsockname(ls, (struct sockaddr *)&sa, &len);
	printf("port assigned %d len=%u\n", ntohs(sa.sin_port) != 0, len);
	int cs = socket(AF_INET, SOCK_STREAM, 0);
	printf("connect=%d\n", connect(cs, (struct sockaddr *)&sa, sizeof sa));
	struct sockaddr_in peer;
	len = sizeof peer;
	int as = accept(ls, (struct sockaddr *)&peer, &len);
	printf("accept ok %d peer loopback %d\n", as >= 0, peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	printf("sendto=%zd\n", sendto(cs, "hello tcp", 9, 0, NULL, 0));
	memset(buf, 0, sizeof buf);
	printf("recvfrom=%zd %s\n", recvfrom(as, buf, sizeof buf, 0, NULL, NULL), buf);
	int type = 0;
	len = sizeof type;
	printf("getsockopt=%d type stream %d\n", getsockopt(as, SOL_SOCKET, SO_TYPE, &type, &len), type == SOCK_STREAM);
	printf("shutdown=%d\n", shutdown(cs, SHUT_WR));
	printf("eof=%zd\n", recv(as, buf, sizeof buf, 0));
	int cr = connect(999, (struct sockaddr *)&sa, sizeof sa);
	printf("bad fd: %d %s\n", cr, strerror(errno));
	return 0;
}
