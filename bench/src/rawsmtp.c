/* rawsmtp - the floor: a lock-step SMTP client over a plain socket that
 * sends standard input (already CRLF, no lone dots) to 127.0.0.1:PORT. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
reply(int s)
{
	char buf[4096];
	ssize_t n = read(s, buf, sizeof(buf));

	return n > 0 && buf[0] >= '2' && buf[0] <= '3' ? 0 : -1;
}

static int
say(int s, const char *cmd)
{
	return write(s, cmd, strlen(cmd)) < 0 ? -1 : reply(s);
}

int
main(int argc, char **argv)
{
	static char msg[1 << 20];
	struct sockaddr_in a = {0};
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	ssize_t n = read(0, msg, sizeof(msg));

	if (argc < 2 || n < 0)
		return 2;
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 || reply(s) ||
	    say(s, "EHLO raw\r\n") || say(s, "MAIL FROM:<b@example.com>\r\n") ||
	    say(s, "RCPT TO:<a@example.org>\r\n") || say(s, "DATA\r\n") ||
	    write(s, msg, (size_t)n) < 0 || say(s, "\r\n.\r\n") ||
	    say(s, "QUIT\r\n"))
		return 1;
	return 0;
}
