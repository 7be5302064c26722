/* log.c - the one way out for log lines (log.h)
 *
 * Every line passes through log_emit: formatted with a constant format,
 * control and 8-bit bytes turned into '?', capped at LOG_LINE_MAX, then
 * given to syslog as "%s" (ssmtp's CVE-2004-0156 was a log format bug),
 * or to the service's standard error. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "text.h"

static int test_fd = -1;
static struct sockaddr_un test_addr;
/* /dev/log was there at the start: syslog can be reached */
static bool have_syslog, syslog_opened;
static bool to_stderr;
/* <spool>/run/log: the service's log socket */
static struct sockaddr_un service_addr;
/* the listener's own standard error, used by the listener alone (its
 * children put a caller's stream on their descriptor 2) */
static int own_fd = -1;
static pid_t own_pid;
/* the log socket this listener bound */
static struct stat bound;

static void
open_syslog(void)
{
	if (!syslog_opened)
		openlog("safemail", LOG_PID | LOG_NDELAY, LOG_MAIL);
	syslog_opened = true;
}

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
	have_syslog = access("/dev/log", F_OK) == 0;
	log_use(LOG_TARGET_AUTO);
}

void
log_reopen(void)
{
	if (test_fd >= 0) {
		(void)close(test_fd); /* gone already; nothing took its place */
		test_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	if (syslog_opened) {
		closelog();
		syslog_opened = false;
		open_syslog();
	}
}

void
log_set_run_dir(const char *run_dir)
{
	memset(&service_addr, 0, sizeof(service_addr));
	if (run_dir == NULL || run_dir[0] == '\0' ||
	    strlen(run_dir) + sizeof("/log") > sizeof(service_addr.sun_path))
		return;
	service_addr.sun_family = AF_UNIX;
	(void)snprintf(service_addr.sun_path, sizeof(service_addr.sun_path),
	    "%s/log", run_dir);
}

void
log_use(enum log_target t)
{
	to_stderr = t == LOG_TARGET_STDERR ||
	    (t == LOG_TARGET_AUTO && !have_syslog);
	if (!to_stderr)
		open_syslog();
}

int
log_to_stderr(void)
{
	return test_fd < 0 && to_stderr;
}

int
log_service_open(void)
{
	int fd;

	if (service_addr.sun_family != AF_UNIX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* a live one is another service's: not taken over */
	if (connect(fd, (const struct sockaddr *)&service_addr,
		sizeof(service_addr)) == 0) {
		(void)close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	(void)close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* a socket left by a service that ended: nobody reads it */
	(void)unlink(service_addr.sun_path);
	/* the umask (077) leaves 0700: only the service user (and root)
	 * may send; the set-ID path's processes run as their caller */
	if (bind(fd, (const struct sockaddr *)&service_addr,
		sizeof(service_addr)) != 0) {
		int e = errno;

		(void)close(fd);
		errno = e;
		return -1;
	}
	if (stat(service_addr.sun_path, &bound) != 0)
		memset(&bound, 0, sizeof(bound));
	return fd;
}

void
log_own_stderr(void)
{
	if (own_fd >= 0)
		return;
	own_fd = fcntl(2, F_DUPFD_CLOEXEC, 10);
	own_pid = getpid();
}

void
log_forget_own(void)
{
	if (own_fd >= 0)
		(void)close(own_fd);
	own_fd = -1;
}

/* One line out on the listener's standard error, escaped and capped */
static void
own_line(const char *s, size_t n)
{
	char out[LOG_LINE_MAX + 80];
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < sizeof(out); i++) {
		unsigned char c = (unsigned char)s[i];

		out[k++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	out[k++] = '\n';
	/* a reader that stalls costs lines, never the service (the stream
	 * is shared: it is not made nonblocking for everyone) */
	if (poll(&(struct pollfd){own_fd, POLLOUT, 0}, 1, 0) == 1)
		(void)!write(own_fd, out, k);
}

void
log_service_drain(int fd)
{
	char dgram[LOG_LINE_MAX + 80];
	ssize_t n;

	/* a bounded number a turn: a flood of lines must not keep the
	 * listener from its callers */
	for (int i = 0; i < 128; i++) {
		n = recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n > 0 && own_fd >= 0)
			own_line(dgram, (size_t)n);
	}
}

void
log_service_close(int fd)
{
	struct stat now;

	if (fd < 0)
		return;
	/* only while it is still ours */
	if (stat(service_addr.sun_path, &now) == 0 &&
	    now.st_dev == bound.st_dev && now.st_ino == bound.st_ino)
		(void)unlink(service_addr.sun_path);
	(void)close(fd);
}

/* A line for the service's standard error: the listener writes it, the
 * processes below it send it to the listener; 0 when it went out */
static int
stderr_line(const char *line)
{
	char text[LOG_LINE_MAX + 80];
	struct timeval wait = {1, 0};
	int n = snprintf(text, sizeof(text), "safemail[%ld]: %s",
	    (long)getpid(), line), fd, rc = -1;

	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	if (own_fd >= 0 && getpid() == own_pid) {
		own_line(text, (size_t)n);
		return 0;
	}
	if (service_addr.sun_family != AF_UNIX)
		return -1;
	/* a socket per line: nothing stays open in a process that closes
	 * descriptors it does not know */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* the listener drains its socket between accepts: a second is
	 * long; a listener that is stopped costs lines, not deliveries */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait));
	if (sendto(fd, text, (size_t)n, MSG_NOSIGNAL,
		(const struct sockaddr *)&service_addr,
		sizeof(service_addr)) == n)
		rc = 0;
	(void)close(fd);
	return rc;
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
	if (to_stderr) {
		/* not the service's (the set-ID path), nor a caller's:
		 * syslog when there is one */
		if (stderr_line(line) == 0 || !have_syslog)
			return;
		open_syslog();
	}
	syslog(prio, "%s", line);
}
