/* linger.c - the back end kept loaded between messages (see linger.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "area.h"
#include "clock.h"
#include "fdpass.h"
#include "linger.h"
#include "startup.h"

/* The relay clients' area (<spool>/run, area.h: made when missing only
 * by who may): its group is the one the peers must have. */
static int
relay_area(const char *spool_path, bool make, gid_t *group)
{
	struct failure f = {FAIL_NONE, ""};
	struct stat st;
	int top = area_open_spool(spool_path, &f), dfd = -1;

	if (top >= 0) {
		dfd = area_open(top, spool_path, LINGER_AREA, make, &f);
		(void)close(top);
	}
	if (dfd >= 0 && fstat(dfd, &st) != 0) {
		(void)close(dfd);
		dfd = -1;
	}
	if (dfd >= 0)
		*group = st.st_gid;
	return dfd;
}

/* FNV-1a over bytes */
static unsigned long long
fnv(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
linger_tag(const struct stat *conf, const struct stat *program,
    const struct startup *st, char tag[LINGER_TAG_SIZE])
{
	unsigned long long v[] = {(unsigned long long)conf->st_dev,
	    (unsigned long long)conf->st_ino,
	    (unsigned long long)conf->st_ctim.tv_sec,
	    (unsigned long long)conf->st_ctim.tv_nsec,
	    (unsigned long long)program->st_dev,
	    (unsigned long long)program->st_ino,
	    (unsigned long long)program->st_ctim.tv_sec,
	    (unsigned long long)program->st_ctim.tv_nsec};
	const char *over[] = {st->config_path, st->log_socket, st->spool_path,
	    st->libexec_dir, st->queue_user};
	unsigned long long h = fnv(14695981039346656037ULL, v, sizeof(v));

	/* the overrides a process that is not set-ID honours: two runs that
	 * differ in them never share a process */
	for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++)
		h = fnv(h, over[i], strlen(over[i]) + 1);
	(void)snprintf(tag, LINGER_TAG_SIZE, "%016llx", h);
}

/* The address of name in the directory dfd, through /proc/self/fd:
 * no path of the spool's length, no directory swapped in between. */
static int
address_in(struct sockaddr_un *sa, int dfd, const char *name)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s",
	    dfd, name);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -1 : 0;
}

static bool
peer(int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) == 0 &&
	    len == sizeof(*cr);
}

/* A connection to name in dfd whose listener has uid and gid; -1
 * otherwise. Receiving on it times out after LINGER_READY_WAIT_S. */
static int
connect_checked(int dfd, const char *name, uid_t uid, gid_t gid)
{
	/* a process that is there answers at once; one that does not
	 * (stopped by its user, say) is given up for a new one */
	struct timeval ready_wait = {LINGER_READY_WAIT_S, 0};
	struct sockaddr_un sa;
	struct ucred cr;
	int fd;

	if (address_in(&sa, dfd, name) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* non-blocking: a full backlog is a busy process, not a wait */
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    fcntl(fd, F_SETFL, 0) != 0 || !peer(fd, &cr) || cr.gid != gid ||
	    cr.uid != uid ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ready_wait,
		sizeof(ready_wait)) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
linger_answered(int sock)
{
	struct timeval none = {0, 0};

	return setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
}

static int
relay_name(char *name, size_t sz, uid_t submitter, const char *tag)
{
	int n = snprintf(name, sz, "relay.%u.%s", (unsigned)submitter, tag);

	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

int
linger_connect(const char *spool_path, const char *tag, uid_t relay_uid)
{
	char name[64];
	gid_t group;
	int fd = -1, dfd;

	if (relay_uid == (uid_t)-1 ||
	    relay_name(name, sizeof(name), getuid(), tag) != 0)
		return -1;
	dfd = relay_area(spool_path, false, &group);
	if (dfd < 0)
		return -1;
	fd = connect_checked(dfd, name, relay_uid, group);
	(void)close(dfd);
	return fd;
}

/* The listener closed, its socket file (if any) left for the next to
 * rename over; the directory stays open for the next listen (it is
 * opened and checked once, not once per message). */
static void
spot_reset(struct linger_spot *ls)
{
	if (ls->listen_fd >= 0)
		(void)close(ls->listen_fd);
	ls->listen_fd = -1;
	ls->name[0] = '\0';
}

/* Listen on name in the directory ls->dir_fd: made under a name of its
 * own, then renamed, so that nobody finds a socket that is not
 * listening yet. */
static int
spot_listen(struct linger_spot *ls, const char *name)
{
	char tmp_name[80];
	struct sockaddr_un tmp;
	struct stat st;
	int n = snprintf(tmp_name, sizeof(tmp_name), ".%s.%ld", name,
	    (long)getpid());

	ls->listen_fd = -1;
	if (n < 0 || (size_t)n >= sizeof(tmp_name) ||
	    strlen(name) >= sizeof(ls->name) ||
	    address_in(&tmp, ls->dir_fd, tmp_name) != 0)
		goto fail;
	ls->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls->listen_fd < 0)
		goto fail;
	(void)unlinkat(ls->dir_fd, tmp_name, 0);
	if (bind(ls->listen_fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0 ||
	    listen(ls->listen_fd, 4) != 0 ||
	    fstatat(ls->dir_fd, tmp_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    renameat(ls->dir_fd, tmp_name, ls->dir_fd, name) != 0) {
		(void)unlinkat(ls->dir_fd, tmp_name, 0);
		goto fail;
	}
	ls->dev = st.st_dev;
	ls->ino = st.st_ino;
	memcpy(ls->name, name, strlen(name) + 1);
	return 0;
fail:
	if (ls->listen_fd >= 0)
		(void)close(ls->listen_fd);
	ls->listen_fd = -1;
	(void)close(ls->dir_fd);
	ls->dir_fd = -1;
	return -1;
}

int
linger_listen(struct linger_spot *ls, const char *spool_path,
    uid_t submitter, const char *tag)
{
	char name[64];

	if (relay_name(name, sizeof(name), submitter, tag) != 0)
		return -1;
	spot_reset(ls); /* the new socket is renamed over the last one */
	ls->peer_uid = submitter;
	if (ls->dir_fd < 0)
		ls->dir_fd = relay_area(spool_path, true, &ls->peer_gid);
	if (ls->dir_fd < 0)
		return -1;
	return spot_listen(ls, name);
}

/* The next connection within ms from a peer of uid (and gid, unless
 * it is (gid_t)-1); others are dropped. -1 when the time is up. */
static int
accept_checked(int lfd, int ms, uid_t uid, gid_t gid, pid_t *peer_pid)
{
	long long deadline = clock_ms() + ms;

	for (;;) {
		struct pollfd p = {lfd, POLLIN, 0};
		long long left = deadline - clock_ms();
		struct ucred cr;
		int rc, conn;

		if (left <= 0)
			return -1;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		if (!peer(conn, &cr) || cr.uid != uid ||
		    (gid != (gid_t)-1 && cr.gid != gid)) {
			(void)close(conn);
			continue;
		}
		*peer_pid = cr.pid;
		return conn;
	}
}

int
linger_accept(struct linger_spot *ls, int ms, bool leave, pid_t *peer_pid)
{
	int conn = accept_checked(ls->listen_fd, ms, ls->peer_uid,
	    ls->peer_gid, peer_pid);

	if (conn < 0) {
		if (leave)
			linger_leave(ls);
		return -1;
	}
	/* busy now: later callers find nobody listening */
	(void)close(ls->listen_fd);
	ls->listen_fd = -1;
	return conn;
}

void
linger_leave(struct linger_spot *ls)
{
	struct stat st;

	if (ls->listen_fd >= 0)
		(void)close(ls->listen_fd);
	ls->listen_fd = -1;
	/* a newer process may have renamed its socket over this one */
	if (ls->dir_fd >= 0 && ls->name[0] != '\0' &&
	    fstatat(ls->dir_fd, ls->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == ls->dev && st.st_ino == ls->ino)
		(void)unlinkat(ls->dir_fd, ls->name, 0);
	ls->name[0] = '\0';
	if (ls->dir_fd >= 0)
		(void)close(ls->dir_fd);
	ls->dir_fd = -1;
}

int
linger_detach(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int rc = 0;

	if (null < 0)
		return -1;
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		rc = -1;
	(void)close(null);
	/* its own session: the caller's terminal and process group are not
	 * its own any more */
	if (rc == 0 && setsid() < 0 && errno != EPERM)
		rc = -1;
	return rc;
}

int
linger_send_fd(int sock, int fd)
{
	return fdpass_send(sock, "E", 1, &fd, 1) == 1 ? 0 : -1;
}

int
linger_receive_fd(int sock)
{
	char tag = 0;
	int fd;

	if (fdpass_receive(sock, &tag, 1, &fd, 1) != 1)
		return -1;
	if (tag != 'E') {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
linger_send_result(int sock, int code)
{
	char b[2] = {'D', (char)(unsigned char)code};
	ssize_t n;

	do
		n = send(sock, b, sizeof(b), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(b) ? 0 : -1;
}

int
linger_receive_result(int sock)
{
	unsigned char b[2];
	ssize_t n;

	do
		n = recv(sock, b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	return n == 2 && b[0] == 'D' ? b[1] : -1;
}
