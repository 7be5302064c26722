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

#include "clock.h"
#include "fdpass.h"
#include "linger.h"
#include "startup.h"

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

/* A connection to addr whose listener has group gid and this process's
 * uid (any uid for root, when root_takes_any); -1 otherwise. Receiving
 * on it times out after LINGER_READY_WAIT_S. */
static int
connect_checked(const struct sockaddr_un *sa, socklen_t len, gid_t gid,
    bool root_takes_any)
{
	/* a process that is there answers at once; one that does not
	 * (stopped by its user, say) is given up for a new one */
	struct timeval ready_wait = {LINGER_READY_WAIT_S, 0};
	struct ucred cr;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);

	if (fd < 0)
		return -1;
	/* non-blocking: a full backlog is a busy process, not a wait */
	if (connect(fd, (const struct sockaddr *)sa, len) != 0 ||
	    fcntl(fd, F_SETFL, 0) != 0 || !peer(fd, &cr) || cr.gid != gid ||
	    (cr.uid != getuid() && !(root_takes_any && getuid() == 0)) ||
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

int
linger_connect(const char *spool_path, const char *tag)
{
	char dir[4200];
	struct sockaddr_un sa;
	gid_t group;

	if (area(spool_path, false, dir, sizeof(dir), &group) != 0 ||
	    socket_path(&sa, dir, "", (unsigned)getuid(), tag, 0) != 0)
		return -1;
	return connect_checked(&sa, sizeof(sa), group, true);
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
linger_accept(struct linger_spot *ls, int ms, pid_t *peer_pid)
{
	int conn = accept_checked(ls->listen_fd, ms, ls->submitter, ls->group,
	    peer_pid);

	if (conn < 0) {
		linger_leave(ls);
		return -1;
	}
	/* busy now: later gates find nobody listening */
	(void)close(ls->listen_fd);
	ls->listen_fd = -1;
	return conn;
}

/* The gate's name in the abstract namespace: nothing on disk, and the
 * front end needs no access to the spool to find it. */
static int
gate_address(struct sockaddr_un *sa, socklen_t *len, unsigned uid,
    const char *tag)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1,
	    "safemail-gate.%u.%s", uid, tag);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path) - 1)
		return -1;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
	return 0;
}

int
linger_gate_connect(const char *tag, gid_t gate_gid)
{
	struct sockaddr_un sa;
	socklen_t len;

	if (gate_address(&sa, &len, (unsigned)getuid(), tag) != 0)
		return -1;
	return connect_checked(&sa, len, gate_gid, false);
}

int
linger_gate_listen(const char *tag)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	if (gate_address(&sa, &len, (unsigned)getuid(), tag) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, len) != 0 || listen(fd, 4) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
linger_gate_accept(int lfd, int ms, pid_t *peer_pid)
{
	return accept_checked(lfd, ms, getuid(), (gid_t)-1, peer_pid);
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

/* The first message on a connection: the kind, then the sender's
 * resource limits. */
struct hello {
	char kind;
	struct rlimit limits[RLIM_NLIMITS];
};

void
linger_own_limits(struct rlimit limits[RLIM_NLIMITS])
{
	memset(limits, 0, sizeof(struct rlimit) * RLIM_NLIMITS);
	for (int r = 0; r < RLIM_NLIMITS; r++)
		(void)getrlimit(r, &limits[r]);
}

bool
linger_same_limits(const struct rlimit limits[RLIM_NLIMITS])
{
	struct rlimit own[RLIM_NLIMITS];

	linger_own_limits(own);
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (own[r].rlim_cur != limits[r].rlim_cur ||
		    own[r].rlim_max != limits[r].rlim_max)
			return false;
	return true;
}

bool
linger_same_limits_as(pid_t pid)
{
	struct rlimit theirs[RLIM_NLIMITS];

	memset(theirs, 0, sizeof(theirs));
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (prlimit(pid, r, NULL, &theirs[r]) != 0)
			return false;
	return linger_same_limits(theirs);
}

int
linger_send_hello(int sock, char kind)
{
	struct hello h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.kind = kind;
	linger_own_limits(h.limits);
	do
		n = send(sock, &h, sizeof(h), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(h) ? 0 : -1;
}

int
linger_receive_hello(int sock, char *kind,
    struct rlimit limits[RLIM_NLIMITS])
{
	struct hello h;
	ssize_t n;

	do
		n = recv(sock, &h, sizeof(h), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h))
		return -1;
	*kind = h.kind;
	memcpy(limits, h.limits, sizeof(h.limits));
	return 0;
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
