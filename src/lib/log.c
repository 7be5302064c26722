/* log.c - the one way out to syslog (facility mail)
 *
 * Every line passes through log_emit: formatted with a constant format,
 * control and 8-bit bytes turned into '?', capped at LOG_LINE_MAX, then
 * given to syslog as "%s" (ssmtp's CVE-2004-0156 was a log format bug). */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "text.h"

static int test_fd = -1;
static struct sockaddr_un test_addr;

void
log_init(const char *test_socket)
{
	if (test_socket != NULL && test_socket[0] != '\0' &&
	    strlen(test_socket) < sizeof(test_addr.sun_path)) {
		test_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		memset(&test_addr, 0, sizeof(test_addr));
		test_addr.sun_family = AF_UNIX;
		memcpy(test_addr.sun_path, test_socket, strlen(test_socket) + 1);
		return;
	}
	openlog("safemail", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_emit(int prio, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c >= 0x7f)
			*p = '?';
	}
	if (test_fd >= 0) {
		char dgram[LOG_LINE_MAX + 64];
		int n = snprintf(dgram, sizeof(dgram), "<%d>safemail[%ld]: %s",
		    LOG_MAIL | prio, (long)getpid(), line);

		if (n > 0)
			(void)sendto(test_fd, dgram, (size_t)n, MSG_NOSIGNAL,
			    (const struct sockaddr *)&test_addr,
			    sizeof(test_addr));
		return;
	}
	syslog(prio, "%s", line);
}
