/* handoff.c - front end, gate and relay hand work on (see handoff.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caller.h"
#include "fdpass.h"
#include "gatecheck.h"
#include "handoff.h"
#include "log.h"
#include "msgfile.h"
#include "spool.h"
#include "text.h"

#ifndef SAFEMAIL_LIBEXEC_DIR
#define SAFEMAIL_LIBEXEC_DIR "/usr/libexec/safemail"
#endif

int
handoff_envelope(const struct spool_env *e, struct failure *f)
{
	size_t len, off = 0;
	char *text = spool_env_format(e, &len);
	int fd;

	if (text == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	fd = memfd_create("safemail-envelope", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	while (fd >= 0 && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)close(fd);
			fd = -1;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	/* Sealed: what the back end reads is what was written here. */
	if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
				 F_SEAL_WRITE | F_SEAL_SEAL) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		fail_set(f, FAIL_OSERR, "cannot hand the envelope over: %s",
		    strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	return fd;
}

static const char *
program_path(const struct startup *st, const char *name, char *buf,
    size_t sz)
{
	(void)snprintf(buf, sz, "%s/%s",
	    st->libexec_dir[0] != '\0' ? st->libexec_dir : SAFEMAIL_LIBEXEC_DIR,
	    name);
	return buf;
}

const char *
handoff_gate_path(const struct startup *st, char *buf, size_t sz)
{
	return program_path(st, "safemail-gate", buf, sz);
}

const char *
handoff_relay_path(const struct startup *st, char *buf, size_t sz)
{
	return program_path(st, "safemail-relay", buf, sz);
}

void
handoff_relay_args(const char *args[5], char started[32], const char *mode,
    bool verbose, double at)
{
	int n = 0;

	(void)snprintf(started, 32, "%.6f", at);
	args[n++] = "safemail-relay";
	args[n++] = mode;
	if (verbose)
		args[n++] = "-v";
	args[n++] = started;
	args[n] = NULL;
}

/* Put fd on target (fd is above 9, so none collide). */
static int
place(int fd, int target)
{
	if (fd < 0)
		return 0;
	return dup2(fd, target) == target ? 0 : -1;
}

int
handoff_exec(const struct startup *st, const char *path,
    const char *const *args, int envfd, int msgfd, int statusfd,
    struct failure *f)
{
	static const struct {
		const char *name;
		size_t off;
	} overrides[] = {
	    {"SAFEMAIL_CONFIG", offsetof(struct startup, config_path)},
	    {"SAFEMAIL_SPOOL", offsetof(struct startup, spool_path)},
	    {"SAFEMAIL_LOG_SOCKET", offsetof(struct startup, log_socket)},
	    {"SAFEMAIL_LIBEXEC", offsetof(struct startup, libexec_dir)},
	    {"SAFEMAIL_QUEUE_USER", offsetof(struct startup, queue_user)},
	    {"SAFEMAIL_TEST_NOW", offsetof(struct startup, test_now)},
	    {"SAFEMAIL_SUBMIT_SOCKET", offsetof(struct startup, submit_socket)},
	    {"SAFEMAIL_SANDBOX_TEST", offsetof(struct startup, sandbox_test)},
	};
	enum { NOVR = sizeof(overrides) / sizeof(overrides[0]) };
	char env_path[] = "PATH=/usr/bin:/bin";
	char env_buf[NOVR][1100];
	char *envp[NOVR + 2], *argv[8];
	const int from[3] = {envfd, msgfd, statusfd};
	const int to[3] = {HANDOFF_ENVELOPE_FD, HANDOFF_MESSAGE_FD,
	    HANDOFF_STATUS_FD};
	int n = 0, high[3] = {-1, -1, -1};
	size_t a;

	/* execve takes char *const[]: copy the pointers, not the strings */
	for (a = 0; args[a] != NULL && a < sizeof(argv) / sizeof(argv[0]) - 1;
	     a++)
		memcpy(&argv[a], &args[a], sizeof(argv[a]));
	argv[a] = NULL;
	envp[n++] = env_path;
	for (size_t i = 0; !st->secure && i < NOVR; i++) {
		const char *v = (const char *)st + overrides[i].off;

		if (v[0] == '\0')
			continue;
		(void)snprintf(env_buf[i], sizeof(env_buf[i]), "%s=%s",
		    overrides[i].name, v);
		envp[n++] = env_buf[i];
	}
	envp[n] = NULL;
	/* all above 9 first, then onto 3, 4, 5: no one overwrites another */
	for (int i = 0; i < 3; i++)
		if (from[i] >= 0 &&
		    (high[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10)) < 0)
			goto fail;
	for (int i = 0; i < 3; i++)
		if (place(high[i], to[i]) != 0)
			goto fail;
	(void)execve(path, argv, envp);
	fail_set(f, FAIL_OSERR, "cannot run %s: %s", path, strerror(errno));
	return -1;
fail:
	fail_set(f, FAIL_OSERR, "cannot hand the message over: %s",
	    strerror(errno));
	return -1;
}

static int
wait_for(pid_t pid)
{
	int wstatus = 0;

	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

static bool die_with_parent;

void
handoff_children_die_with_parent(void)
{
	die_with_parent = true;
}

int
handoff_spawn(const struct startup *st, struct handoff *h, const char *path,
    const char *const *args, bool loud, struct failure *f)
{
	int sv[2];

	h->pid = -1;
	h->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fail_set(f, FAIL_OSERR, "socketpair: %s", strerror(errno));
		return -1;
	}
	h->pid = fork();
	if (h->pid < 0) {
		fail_set(f, FAIL_OSERR, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (h->pid == 0) {
		struct failure cf = {FAIL_NONE, ""};
		int high = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);

		if (die_with_parent)
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (high >= 0 && dup2(high, HANDOFF_CHANNEL_FD) ==
				     HANDOFF_CHANNEL_FD)
			(void)handoff_exec(st, path, args, -1, -1, -1, &cf);
		if (loud)
			(void)dprintf(STDERR_FILENO, "safemail: %s\n", cf.msg);
		_exit(71);
	}
	(void)close(sv[1]);
	h->sock = sv[0];
	return 0;
}

/* Why the service was not there, for the line that names both ways */
static char service_absent[200];

/* How long the front end waits for a place in the service's backlog and
 * for its first answer: a stopped or wedged service is then as good as
 * none, never a caller that hangs */
#define SERVICE_WAIT_S 30

static void
service_waits(int fd, long s)
{
	struct timeval tv = {s, 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* A connection to the service at path, or -1 with service_absent set */
static int
connect_service(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		(void)snprintf(service_absent, sizeof(service_absent),
		    "%.60s...: a socket path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		service_waits(fd, SERVICE_WAIT_S);
	if (fd < 0 ||
	    connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
		(void)snprintf(service_absent, sizeof(service_absent), "%s: %s",
		    path,
		    errno == EAGAIN ? "no answer" : strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	return fd;
}

/* The service's refusal ('X', the exit code, one line) in the n bytes
 * of buf: the line printed (the service cannot reach our stderr yet),
 * its code returned; -1 when buf holds none. */
static int
refusal_said(char *buf, ssize_t n)
{
	if (n < 3 || buf[0] != 'X')
		return -1;
	buf[n] = '\0';
	(void)fprintf(stderr, "safemail: %s\n", buf + 2);
	return (unsigned char)buf[1];
}

/* The submission service (listen.h): 0 with the policy in buf; 1 when
 * it refused, having said why (printed here: the service cannot reach
 * our stderr yet), *status its code; 2 when nobody listens there (the
 * set-ID gate is the way then); -1 with f set. */
static int
open_service(const struct startup *st, struct handoff *h, bool verbose,
    bool send_now, char *buf, size_t cap, size_t *len, int *status,
    struct failure *f)
{
	const char *path = startup_submit_socket(st);
	char claim[HANDOFF_CLAIM_MAX];
	ssize_t n;
	int fd = connect_service(path);

	if (fd < 0)
		return 2;
	/* what only this process can know, for the log: the service labels
	 * it as our claim */
	caller_origin(getpid(), claim, sizeof(claim));
	/* a service that turned us away at once (listen.c: turn_away) has
	 * closed: the hello fails, its one packet is there to read */
	(void)handoff_send_hello(fd, send_now ? 'S' : 'E', verbose, claim);
	do
		n = recv(fd, buf, cap - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* stopped or wedged: as good as none, and nothing was handed
		 * over yet */
		(void)snprintf(service_absent, sizeof(service_absent),
		    "%s: no answer in %d s", path, SERVICE_WAIT_S);
		(void)close(fd);
		return 2;
	}
	h->pid = -1;
	h->sock = fd;
	if (n >= 1 && buf[0] == 'P' && handoff_send_fd(fd, 2) == 0) {
		/* answered: the message's own time limits from here on */
		service_waits(fd, 0);
		*len = (size_t)n - 1;
		memmove(buf, buf + 1, *len);
		buf[*len] = '\0';
		return 0;
	}
	(void)close(fd);
	h->sock = -1;
	if ((*status = refusal_said(buf, n)) >= 0)
		return 1;
	fail_set(f, FAIL_TEMP, "the submission service (%s) ended the "
			       "connection without an answer: try again later",
	    path);
	return -1;
}

/* No service, and the set-ID gate cannot work for this caller either:
 * no_new_privs makes its bit inert, or it is installed without one (a
 * host where the service is the way in), or there is none (an app
 * container). Root reads the configuration anyway; a test's copy
 * (SAFEMAIL_LIBEXEC) is not set-ID. */
static int
no_way_in(const struct startup *st, struct failure *f)
{
	char path[1100];
	struct stat gate;
	int nnp;

	if (stat(handoff_gate_path(st, path, sizeof(path)), &gate) != 0) {
		/* an app container holds the front end alone: the socket is
		 * its only way in */
		fail_set(f, FAIL_TEMP,
		    "no submission service (%s), and no safemail-gate here "
		    "(%s); nothing was sent (in a container: share the "
		    "sidecar's socket directory)",
		    service_absent, strerror(errno));
		return -1;
	}
	if (getuid() == 0 || st->libexec_dir[0] != '\0')
		return 0;
	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp != 1 && (gate.st_mode & S_ISGID) != 0)
		return 0;
	fail_set(f, FAIL_TEMP,
	    "no submission service (%s), and %s; nothing was sent",
	    service_absent,
	    nnp == 1 ? "no_new_privs is set, so the set-ID gate cannot "
		       "work either (start the service: systemctl start "
		       "safemail.socket)"
		     : "safemail-gate is not set-ID here (the service is the "
		       "way in: systemctl start safemail.socket)");
	return -1;
}

int
handoff_service_list(const struct startup *st)
{
	char claim[HANDOFF_CLAIM_MAX], buf[512];
	ssize_t n;
	int fd = connect_service(startup_submit_socket(st));

	if (fd < 0)
		return -2;
	caller_origin(getpid(), claim, sizeof(claim));
	(void)fflush(stdout);
	/* the listing on our stdout, its one line of a failure on our
	 * stderr; a refusal ('X') before either */
	if (handoff_send_hello(fd, 'L', false, claim) != 0 ||
	    handoff_send_fd(fd, 1) != 0 || handoff_send_fd(fd, 2) != 0) {
		do
			n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		(void)close(fd);
		return refusal_said(buf, n);
	}
	(void)shutdown(fd, SHUT_WR);
	service_waits(fd, 0); /* the listing takes what it takes */
	do
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	(void)close(fd);
	if (n == 2 && buf[0] == 'D')
		return (unsigned char)buf[1];
	return refusal_said(buf, n);
}

int
handoff_open(const struct startup *st, struct handoff *h, bool verbose,
    bool send_now, char *buf, size_t cap, size_t *len, int *status,
    struct failure *f)
{
	const char *args[5];
	char path[1100];
	ssize_t n;
	int a = 0, rc;

	/* the service first; the set-ID gate when nobody listens there */
	rc = open_service(st, h, verbose, send_now, buf, cap, len, status, f);
	if (rc != 2)
		return rc;
	if (no_way_in(st, f) != 0)
		return -1;
	args[a++] = "safemail-gate";
	args[a++] = "serve";
	if (verbose)
		args[a++] = "-v";
	if (send_now)
		args[a++] = "-s";
	args[a] = NULL;
	if (handoff_spawn(st, h, handoff_gate_path(st, path, sizeof(path)),
		args, true, f) != 0)
		return -1;
	do
		n = recv(h->sock, buf, cap - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 1 || buf[0] != 'P') {
		*status = handoff_close(h);
		if (n == 0 && *status > 0)
			return 1;
		fail_set(f, FAIL_SOFTWARE, "the gate (safemail-gate) sent no "
					   "policy (exit %d)",
		    *status);
		return -1;
	}
	*len = (size_t)n - 1;
	memmove(buf, buf + 1, *len);
	buf[*len] = '\0';
	return 0;
}

int
handoff_send(struct handoff *h, const struct handoff_req *r, int envfd,
    int msgfd, struct failure *f)
{
	char data[64];
	int fds[2] = {envfd, msgfd};
	int len = snprintf(data, sizeof(data), "%c%c%c%.6f",
	    r->queue ? 'Q' : 'S', r->verdict ? 'v' : 'x',
	    r->detach ? 'd' : '-', r->started);
	ssize_t n = fdpass_send(h->sock, data, (size_t)len, fds, 2);

	if (n != len) {
		fail_set(f, FAIL_OSERR, "cannot hand the message over: %s",
		    n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

void
handoff_reply(struct handoff *h, char *line, size_t sz)
{
	ssize_t n;

	do
		n = recv(h->sock, line, sz - 1, 0);
	while (n < 0 && errno == EINTR);
	line[n > 0 ? (size_t)n : 0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
}

int
handoff_close(struct handoff *h)
{
	int rc;

	if (h->sock >= 0) {
		/* no more requests; the service says its exit code here,
		 * the set-ID gate by its exit status */
		(void)shutdown(h->sock, SHUT_WR);
		rc = handoff_receive_result(h->sock);
		(void)close(h->sock);
		h->sock = -1;
		if (rc >= 0) {
			h->pid = -1; /* it goes on, detached */
			return rc;
		}
	}
	if (h->pid <= 0)
		return -1;
	rc = wait_for(h->pid);
	h->pid = -1;
	return rc;
}

int
handoff_read_files(int envfd, int msgfd, struct spool_env *e,
    struct failure *f)
{
	struct stat st;

	/* read at explicit offsets only (the sender keeps a descriptor of
	 * each, sharing its file offset): the envelope with pread, the
	 * message with mmap and pread (msgfile.h) */
	if (!msgfile_sealed(envfd) || !msgfile_sealed(msgfd) ||
	    spool_env_read_fd(envfd, e, f) != 0) {
		fail_set(f, FAIL_SOFTWARE, "the envelope from the front end is "
					   "missing, unsealed or invalid");
		return -1;
	}
	if (fstat(msgfd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size != e->size) {
		spool_env_free(e);
		fail_set(f, FAIL_SOFTWARE, "the message from the front end "
					   "is not of the size its envelope "
					   "gives");
		return -1;
	}
	/* the state of a new submission is ours to write */
	gatecheck_bookkeeping(e, (long long)time(NULL));
	return 0;
}

int
handoff_send_hello(int sock, char kind, bool verbose, const char *claim)
{
	char pkt[3 + HANDOFF_CLAIM_MAX];
	size_t n = strnlen(claim, HANDOFF_CLAIM_MAX - 1);
	ssize_t sent;

	pkt[0] = 'H';
	pkt[1] = kind;
	pkt[2] = verbose ? 'v' : '-';
	memcpy(pkt + 3, claim, n);
	do
		sent = send(sock, pkt, n + 3, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	return sent == (ssize_t)(n + 3) ? 0 : -1;
}

int
handoff_send_fd(int sock, int fd)
{
	return fdpass_send(sock, "E", 1, &fd, 1) == 1 ? 0 : -1;
}

int
handoff_receive_fd(int sock)
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
handoff_send_result(int sock, int code)
{
	char b[2] = {'D', (char)(unsigned char)code};
	ssize_t n;

	do
		n = send(sock, b, sizeof(b), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(b) ? 0 : -1;
}

int
handoff_receive_result(int sock)
{
	unsigned char b[2];
	ssize_t n;
	int resets = 0;

	/* a gate that ended with our request unread (it could not lock
	 * down) resets the socket: the kernel says so once, and the code it
	 * sent before is still there. A 0 then is not our message's, which
	 * it never read: only a failure is taken. */
	do
		n = recv(sock, b, sizeof(b), 0);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET &&
						resets++ == 0)));
	if (n != 2 || b[0] != 'D' || (resets > 0 && b[1] == 0))
		return -1;
	return b[1];
}

/* ---- the gate's side ---- */

int
handoff_receive_hello(int sock, char *kind, bool *verbose, char *claim,
    size_t sz)
{
	char pkt[3 + HANDOFF_CLAIM_MAX];
	ssize_t n;

	do
		n = recv(sock, pkt, sizeof(pkt), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 3 || (size_t)n > sizeof(pkt) || pkt[0] != 'H' ||
	    strchr("SEL", pkt[1]) == NULL || pkt[1] == '\0' ||
	    (pkt[2] != 'v' && pkt[2] != '-'))
		return -1;
	*kind = pkt[1];
	*verbose = pkt[2] == 'v';
	/* the caller's words: shown only made printable, and labelled */
	text_show(claim, sz, pkt + 3, (size_t)n - 3, HANDOFF_CLAIM_MAX);
	return 0;
}

int
handoff_send_refusal(int sock, int code, const char *text)
{
	char pkt[2 + 400];
	size_t n = strnlen(text, sizeof(pkt) - 3);
	ssize_t sent;

	pkt[0] = 'X';
	pkt[1] = (char)(code > 0 && code < 256 ? code : 75);
	memcpy(pkt + 2, text, n);
	do
		sent = send(sock, pkt, n + 2, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (sent < 0 && errno == EINTR);
	return sent == (ssize_t)(n + 2) ? 0 : -1;
}

int
handoff_send_policy(int sock, const char *text, size_t len)
{
	char *p = malloc(len + 1);
	ssize_t n;

	if (p == NULL)
		return -1;
	p[0] = 'P';
	memcpy(p + 1, text, len);
	do
		n = send(sock, p, len + 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	explicit_bzero(p, len + 1);
	free(p);
	return n == (ssize_t)(len + 1) ? 0 : -1;
}

int
handoff_parse_request(const char *p, size_t n, struct handoff_req *r)
{
	char text[64], *end;

	if (n < 4 || n >= sizeof(text) ||
	    (p[0] != 'Q' && p[0] != 'S') || (p[1] != 'v' && p[1] != 'x') ||
	    (p[2] != 'd' && p[2] != '-'))
		return -1;
	for (size_t i = 3; i < n; i++)
		if ((p[i] < '0' || p[i] > '9') && p[i] != '.')
			return -1;
	memcpy(text, p, n);
	text[n] = '\0';
	r->queue = p[0] == 'Q';
	r->verdict = p[1] == 'v';
	r->detach = p[2] == 'd';
	r->started = strtod(text + 3, &end);
	if (*end != '\0' || !(r->started >= 0) || r->started > 1e12)
		return -1;
	return 0;
}

int
handoff_receive(int sock, struct handoff_req *r, int fds[2])
{
	char data[64];
	ssize_t n = fdpass_receive(sock, data, sizeof(data) - 1, fds, 2);

	if (n == 0)
		return 1;
	if (n < 0)
		return -1;
	if (handoff_parse_request(data, (size_t)n, r) != 0) {
		for (int i = 0; i < 2; i++)
			(void)close(fds[i]);
		fds[0] = fds[1] = -1;
		return -1;
	}
	return 0;
}
