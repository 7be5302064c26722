/* sinkd - a fast SMTP sink for the benchmarks: one thread, epoll, plain
 * SMTP on 127.0.0.1:PORT; every command is answered 250 (EHLO with
 * PIPELINING, 8BITMIME, SIZE), DATA is counted and discarded up to
 * CRLF.CRLF. "XSTAT" answers "250 MESSAGES CONNECTIONS". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

struct conn {
	int stat;      /* a harness's XSTAT connection: not counted */
	int data;      /* in DATA */
	int match;     /* chars of "\r\n.\r\n" matched */
	char line[1024];
	size_t len;
};

static struct conn *conns[MAXFD];
static unsigned long messages, connections;

static void
say(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));

	(void)n;
}

static void
command(int fd, struct conn *c)
{
	char *l = c->line;

	if (strncasecmp(l, "EHLO", 4) == 0)
		say(fd, "250-sinkd\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
			"250 SIZE 1000000000\r\n");
	else if (strncasecmp(l, "DATA", 4) == 0) {
		say(fd, "354 go\r\n");
		c->data = 1;
		c->match = 2; /* a virtual CRLF before the data */
	} else if (strncasecmp(l, "QUIT", 4) == 0)
		say(fd, "221 bye\r\n");
	else if (strncasecmp(l, "XSTAT", 5) == 0) {
		char buf[64];

		if (!c->stat) {
			c->stat = 1;
			connections--;
		}
		snprintf(buf, sizeof(buf), "250 %lu %lu\r\n", messages,
		    connections);
		say(fd, buf);
	} else
		say(fd, "250 ok\r\n");
}

static void
input(int fd, struct conn *c, const char *p, size_t n)
{
	static const char eod[] = "\r\n.\r\n";

	for (size_t i = 0; i < n; i++) {
		if (c->data) {
			if (p[i] == eod[c->match])
				c->match++;
			else
				c->match = p[i] == '\r' ? 1 : 0;
			if (c->match == 5) {
				c->data = 0;
				c->len = 0;
				messages++;
				say(fd, "250 2.0.0 Ok: queued\r\n");
			}
			continue;
		}
		if (p[i] == '\n') {
			c->line[c->len] = '\0';
			command(fd, c);
			c->len = 0;
		} else if (c->len + 1 < sizeof(c->line)) {
			c->line[c->len++] = p[i];
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = {0};
	struct epoll_event ev, evs[256];
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, ep;

	if (argc < 2)
		return 2;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 512))
		return 1;
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == s) {
				int c = accept(s, NULL, NULL);

				if (c < 0 || c >= MAXFD) {
					if (c >= 0)
						close(c);
					continue;
				}
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
				conns[c] = calloc(1, sizeof(struct conn));
				connections++;
				ev.events = EPOLLIN;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				say(c, "220 sinkd ESMTP\r\n");
			} else {
				char buf[65536];
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r <= 0) {
					epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
					close(fd);
					free(conns[fd]);
					conns[fd] = NULL;
				} else {
					input(fd, conns[fd], buf, (size_t)r);
				}
			}
		}
	}
}
