/* linger.c - the relay client kept loaded between messages (see linger.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "linger.h"

/* The area: a directory nobody else can write; its group is the one the
 * peers must have. */
static int
area(const char *spool_path, bool make, char *dir, size_t sz, gid_t *group)
{
	struct stat st;
	int n = snprintf(dir, sz, "%s/%s", spool_path, LINGER_AREA);

	if (n < 0 || (size_t)n >= sz)
		return -1;
	if (make && mkdir(dir, 0770) == 0)
		(void)chmod(dir, 0770); /* the umask is 077 */
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_mode & 002) != 0)
		return -1;
	*group = st.st_gid;
	return 0;
}

void
linger_tag(const struct stat *conf, char tag[LINGER_TAG_SIZE])
{
	unsigned long long v[] = {(unsigned long long)conf->st_dev,
	    (unsigned long long)conf->st_ino,
	    (unsigned long long)conf->st_ctim.tv_sec,
	    (unsigned long long)conf->st_ctim.tv_nsec};
	unsigned long long h = 14695981039346656037ULL; /* FNV-1a */

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int b = 0; b < 64; b += 8) {
			h ^= (v[i] >> b) & 0xff;
			h *= 1099511628211ULL;
		}
	(void)snprintf(tag, LINGER_TAG_SIZE, "%016llx", h);
}

static int
socket_path(struct sockaddr_un *sa, const char *dir, const char *prefix,
    unsigned uid, const char *tag, long pid)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = pid > 0 ? snprintf(sa->sun_path, sizeof(sa->sun_path),
			  "%s/%srelay.%u.%s.%ld", dir, prefix, uid, tag, pid)
		    : snprintf(sa->sun_path, sizeof(sa->sun_path),
			  "%s/%srelay.%u.%s", dir, prefix, uid, tag);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -1 : 0;
}

static bool
peer(int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) == 0 &&
	    len == sizeof(*cr);
}

int
linger_connect(const char *spool_path, const char *tag)
{
	char dir[4200];
	struct sockaddr_un sa;
	/* a client that is there answers 'R' at once; one that does not
	 * (stopped by its user, say) is given up for a new one */
	struct timeval ready_wait = {LINGER_READY_WAIT_S, 0};
	struct ucred cr;
	gid_t group;
	int fd;

	if (area(spool_path, false, dir, sizeof(dir), &group) != 0 ||
	    socket_path(&sa, dir, "", (unsigned)getuid(), tag, 0) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* non-blocking: a full backlog is a busy client, not a wait */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    fcntl(fd, F_SETFL, 0) != 0 || !peer(fd, &cr) ||
	    cr.gid != group || (cr.uid != getuid() && getuid() != 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ready_wait,
		sizeof(ready_wait)) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
linger_listen(struct linger_spot *ls, const char *spool_path,
    uid_t submitter, const char *tag)
{
	char dir[4200];
	struct sockaddr_un tmp, final;
	struct stat st;

	ls->listen_fd = -1;
	ls->submitter = submitter;
	ls->path[0] = '\0';
	if (area(spool_path, true, dir, sizeof(dir), &ls->group) != 0 ||
	    socket_path(&tmp, dir, ".", (unsigned)submitter, tag,
		(long)getpid()) != 0 ||
	    socket_path(&final, dir, "", (unsigned)submitter, tag, 0) != 0)
		return -1;
	ls->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls->listen_fd < 0)
		return -1;
	/* made under a name of its own, then renamed: a gate never finds a
	 * socket that is not listening yet */
	(void)unlink(tmp.sun_path);
	if (bind(ls->listen_fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0 ||
	    listen(ls->listen_fd, 4) != 0 || lstat(tmp.sun_path, &st) != 0 ||
	    rename(tmp.sun_path, final.sun_path) != 0) {
		(void)unlink(tmp.sun_path);
		(void)close(ls->listen_fd);
		ls->listen_fd = -1;
		return -1;
	}
	ls->dev = st.st_dev;
	ls->ino = st.st_ino;
	memcpy(ls->path, final.sun_path, sizeof(ls->path));
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
linger_accept(struct linger_spot *ls, int ms)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		struct pollfd p = {ls->listen_fd, POLLIN, 0};
		long long left = deadline - now_ms();
		struct ucred cr;
		int rc, conn;

		if (left <= 0)
			break;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		conn = accept4(ls->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		if (!peer(conn, &cr) || cr.uid != ls->submitter ||
		    cr.gid != ls->group) {
			(void)close(conn);
			continue;
		}
		/* busy now: later gates find nobody listening */
		(void)close(ls->listen_fd);
		ls->listen_fd = -1;
		return conn;
	}
	linger_leave(ls);
	return -1;
}

void
linger_leave(struct linger_spot *ls)
{
	struct stat st;

	if (ls->listen_fd >= 0)
		(void)close(ls->listen_fd);
	ls->listen_fd = -1;
	/* a newer client may have renamed its socket over this one */
	if (ls->path[0] != '\0' && lstat(ls->path, &st) == 0 &&
	    st.st_dev == ls->dev && st.st_ino == ls->ino)
		(void)unlink(ls->path);
	ls->path[0] = '\0';
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
	char tag = 'E', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&tag, 1};
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

int
linger_receive_fd(int sock)
{
	char tag = 0, cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {&tag, 1};
	struct msghdr mh;
	struct cmsghdr *cm;
	int got = -1, count = 0;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		     i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (count++ == 0)
				got = fd;
			else
				(void)close(fd);
		}
	}
	if (n != 1 || tag != 'E' || count != 1 ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (got >= 0)
			(void)close(got);
		return -1;
	}
	return got;
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
