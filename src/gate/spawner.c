/* spawner.c - relay clients for a locked-down gate (spawner.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_CLOSE_RANGE
#include <linux/close_range.h>
#endif

#include "fdpass.h"
#include "handoff.h"
#include "log.h"
#include "spawner.h"
#include "spool.h"

#define ARGS_MAX 8
#define PACKET_MAX 512

static int chan = -1;
/* the service's connection: the listener's channel, on which the first
 * request asks for a spawner (spawner_via); asked: it did, and its
 * relay clients come from that spawner or from nobody (the gate is
 * locked down: a fork of its own would be killed by its filter) */
static int via = -1;
static bool asked;
/* the spawner's: the service's background slots (spawner_fork), whose
 * caller they are, and its own pid, which its children check after
 * PR_SET_PDEATHSIG */
static spawner_slot_fn take_slot;
static uid_t slot_uid;
static pid_t spawner_pid;

bool
spawner_on(void)
{
	return chan >= 0 || via >= 0 || asked;
}

void
spawner_end(void)
{
	if (chan >= 0)
		(void)close(chan);
	if (via >= 0)
		(void)close(via);
	chan = -1;
	via = -1;
	asked = false;
}

/* ---- the spawner's side ---- */

/* One request: its bytes and the descriptors that came with it */
struct request {
	char buf[PACKET_MAX];
	ssize_t len;
	int fds[SPAWNER_FDS];
	size_t nfds;
};

static ssize_t
receive(int sock, struct request *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SPAWNER_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {r->buf, sizeof(r->buf) - 1};
	struct msghdr m;
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	r->nfds = 0;
	do
		r->len = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (r->len < 0 && errno == EINTR);
	if (r->len < 0)
		return r->len;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (r->nfds < SPAWNER_FDS)
				r->fds[r->nfds++] = fd;
			else
				(void)close(fd);
		}
	}
	r->buf[r->len] = '\0';
	/* a cut packet or cut descriptors: no request of the gate's */
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		r->buf[0] = '?';
	return r->len;
}

static void
answer(int sock, char kind, const void *data, size_t len)
{
	char buf[PACKET_MAX];

	buf[0] = kind;
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf + 1, data, len);
	(void)send(sock, buf, len + 1, MSG_NOSIGNAL);
}

static void
answer_line(int sock, const char *line)
{
	answer(sock, 'e', line, strlen(line));
}

/* The commands a gate may ask for, exactly as it wrote them before:
 * deliver|verdict [-v] TIME, standby [-v] */
static bool
allowed_args(const char *const *args, size_t n)
{
	size_t i = 2;

	if (n < 2 || strcmp(args[0], "safemail-relay") != 0)
		return false;
	if (i < n && strcmp(args[i], "-v") == 0)
		i++;
	if (strcmp(args[1], "standby") == 0)
		return i == n;
	if (strcmp(args[1], "deliver") != 0 && strcmp(args[1], "verdict") != 0)
		return false;
	/* the start time: digits and one '.' */
	return i + 1 == n && args[i][0] != '\0' && strlen(args[i]) <= 64 &&
	    strspn(args[i], "0123456789.") == strlen(args[i]);
}

/* The relay clients started and not yet waited for by the gate: their
 * end seen here first is kept for its 'w'. A gate does one thing at a
 * time (a standby client and one more at most): a gate taken over by a
 * message gets no more than SPAWNER_RUNNING_MAX at once. */
#define SPAWNER_TABLE 16
static struct child {
	pid_t pid;
	bool ended;
	int status;
} children[SPAWNER_TABLE];

static void
note_ended(struct child *c, int ws)
{
	c->ended = true;
	c->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* The ones that ended, noted; how many still run */
static size_t
running(void)
{
	size_t n = 0;

	for (size_t i = 0; i < SPAWNER_TABLE; i++) {
		struct child *c = &children[i];
		int ws;

		if (c->pid <= 0 || c->ended)
			continue;
		if (waitpid(c->pid, &ws, WNOHANG) == c->pid)
			note_ended(c, ws);
		else
			n++;
	}
	return n;
}

/* A place for a new one: a free entry, else the oldest that ended and
 * was never asked for */
static struct child *
place_for(void)
{
	for (size_t i = 0; i < SPAWNER_TABLE; i++)
		if (children[i].pid <= 0)
			return &children[i];
	for (size_t i = 0; i < SPAWNER_TABLE; i++)
		if (children[i].ended)
			return &children[i];
	return NULL;
}

static void
close_received(struct request *r)
{
	for (size_t i = 0; i < r->nfds; i++)
		(void)close(r->fds[i]);
	r->nfds = 0;
}

/* In the child: the descriptors on 0-2 (/dev/null where none came), then
 * exec with the rest on 3-5 */
static void
exec_relay(const struct startup *st, bool die, const char *const *args,
    const int at[SPAWNER_FDS])
{
	struct failure f = {FAIL_NONE, ""};
	char path[1100];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (die && (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
		       getppid() != spawner_pid))
		_exit(71);
	for (int i = 0; i < 3; i++) {
		int from = at[i] >= 0 ? at[i] : null;

		if (from < 0 || dup2(from, i) != i)
			_exit(71);
	}
	(void)handoff_exec(st, handoff_relay_path(st, path, sizeof(path)),
	    args, at[3], at[4], at[5], &f);
	/* as the gate would have said it, had it exec'd the relay itself */
	(void)dprintf(2, "safemail: %s\n", f.msg);
	log_emit(LOG_ERR, "%s", f.msg);
	_exit(71);
}

static void
start(int sock, const struct startup *st, bool die, struct request *r)
{
	const char *args[ARGS_MAX + 1];
	int at[SPAWNER_FDS];
	unsigned mask = (unsigned char)r->buf[1];
	size_t n = 0, k = 0;
	struct child *slot;
	int32_t id;
	pid_t pid;

	for (char *p = r->buf + 2; p < r->buf + r->len && n < ARGS_MAX;
	     p += strlen(p) + 1)
		args[n++] = p;
	args[n] = NULL;
	for (int i = 0; i < SPAWNER_FDS; i++)
		at[i] = (mask & (1u << i)) && k < r->nfds ? r->fds[k++] : -1;
	if (r->len < 3 || r->buf[r->len - 1] != '\0' || k != r->nfds ||
	    (size_t)__builtin_popcount(mask) != r->nfds ||
	    (mask >> SPAWNER_FDS) != 0 || !allowed_args(args, n)) {
		answer_line(sock, "the spawner refuses that request");
		log_emit(LOG_ERR, "the gate's spawner refused a request it "
				  "never makes (mode %.20s)",
		    n > 1 ? args[1] : "?");
		return;
	}
	if (running() >= SPAWNER_RUNNING_MAX || (slot = place_for()) == NULL) {
		answer_line(sock, "too many relay clients at once");
		log_emit(LOG_WARNING, "the gate's spawner refused a relay client: "
				      "%d run already",
		    SPAWNER_RUNNING_MAX);
		return;
	}
	pid = fork();
	if (pid == 0)
		exec_relay(st, die, args, at);
	if (pid < 0) {
		char line[100];

		(void)snprintf(line, sizeof(line), "fork: %s", strerror(errno));
		answer_line(sock, line);
		return;
	}
	slot->pid = pid;
	slot->ended = false;
	id = (int32_t)pid;
	answer(sock, 'p', &id, sizeof(id));
}

static void
wait_one(int sock, const struct request *r)
{
	int32_t id, status = -1;
	int ws = 0;

	if (r->len == 1 + (ssize_t)sizeof(id)) {
		memcpy(&id, r->buf + 1, sizeof(id));
		for (size_t i = 0; id > 0 && i < SPAWNER_TABLE; i++) {
			struct child *c = &children[i];

			if (c->pid != (pid_t)id)
				continue;
			while (!c->ended) {
				if (waitpid(c->pid, &ws, 0) == c->pid)
					note_ended(c, ws);
				else if (errno != EINTR)
					break;
			}
			if (c->ended)
				status = c->status;
			c->pid = 0;
			c->ended = false;
			break;
		}
	}
	answer(sock, 's', &status, sizeof(status));
}

/* safemail-relay one QID in a session of its own: nobody waits for it;
 * the slot, when one came, is held by the process that waits for it */
static void
background(int sock, const struct startup *st, struct request *r)
{
	int32_t zero = 0;
	const char *qid = r->buf + 1;
	int slot = -1;
	pid_t pid;

	if (r->nfds != 0 || !spool_qid_ok(qid, strlen(qid))) {
		answer_line(sock, "the spawner refuses that request");
		return;
	}
	/* the service's caller's slots are counted here, not by the gate,
	 * which a hostile message may have taken over */
	if (take_slot != NULL && (slot = take_slot(slot_uid, qid)) < 0) {
		answer_line(sock, "every background slot of this user is "
				  "taken");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		const char *const args[] = {"safemail-relay", "one", qid, NULL};
		int at[SPAWNER_FDS] = {-1, -1, -1, -1, -1, -1};

		(void)close(sock);
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(0);
		if (slot >= 0) {
			pid_t relay = fork();

			if (relay != 0) {
				while (relay > 0 &&
				    waitpid(relay, NULL, 0) < 0 &&
				    errno == EINTR)
					;
				_exit(0);
			}
		}
		exec_relay(st, false, args, at);
	}
	if (slot >= 0)
		(void)close(slot); /* held by the process that waits */
	if (pid < 0) {
		answer_line(sock, "fork failed");
		return;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	answer(sock, 's', &zero, sizeof(zero));
}

static void __attribute__((noreturn))
serve(int sock, const struct startup *st, bool die)
{
	struct request r;

	for (;;) {
		if (receive(sock, &r) <= 0)
			_exit(0); /* the gate ended */
		switch (r.buf[0]) {
		case 'x':
			start(sock, st, die, &r);
			break;
		case 'w':
			wait_one(sock, &r);
			break;
		case 'b':
			background(sock, st, &r);
			break;
		default:
			answer_line(sock, "the spawner refuses that request");
			break;
		}
		close_received(&r);
	}
}

/* ---- the gate's side ---- */

/* the spawner's end of its channel */
#define CHANNEL_FD 3

static void
close_from(int first)
{
	long max;

#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)first, ~0U, 0) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	for (int fd = first; fd < (max > 0 && max < 65536 ? max : 65536);
	     fd++)
		(void)close(fd);
}

pid_t
spawner_fork(const struct startup *st, bool die_with_parent,
    spawner_slot_fn slot, uid_t uid, int *gate_end, struct failure *f)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fail_set(f, FAIL_TEMP, "socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fail_set(f, FAIL_TEMP, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		/* the service's: it ends with the listener, and every
		 * relay client it started with it (exec_relay) */
		if (die_with_parent &&
		    (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
			getppid() != parent))
			_exit(0);
		/* the listener's state is not passed on: relay clients
		 * get an empty signal mask, and adopt nobody */
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)signal(SIGTERM, SIG_DFL);
		(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
		/* nothing of its parent's but the standard streams: each
		 * relay client gets what the gate hands over for it. One
		 * call: the limit of open files may be a million, and a
		 * close() each costs milliseconds (bench/sandbox.sh) */
		/* close-on-exec: a relay client never holds it */
		if (sv[1] != CHANNEL_FD &&
		    dup3(sv[1], CHANNEL_FD, O_CLOEXEC) != CHANNEL_FD)
			_exit(0);
		log_forget_own(); /* the listener's stderr, if it was */
		close_from(CHANNEL_FD + 1);
		take_slot = slot;
		slot_uid = uid;
		spawner_pid = getpid();
		log_reopen(); /* its descriptors went with the rest */
		serve(CHANNEL_FD, st, die_with_parent);
	}
	(void)close(sv[1]);
	*gate_end = sv[0];
	return pid;
}

int
spawner_start(const struct startup *st, struct failure *f)
{
	int end;

	/* the set-ID gate's: a relay client its caller's own, which
	 * finishes its message when the gate is killed */
	if (spawner_fork(st, false, NULL, (uid_t)-1, &end, f) < 0)
		return -1;
	chan = end;
	return 0;
}

void
spawner_via(int listener)
{
	via = listener;
}

/* The service's connection: its spawner from the listener, asked for
 * when first needed (most connections need none: the kept relay client
 * serves them) */
static int
channel(void)
{
	char answer[4];
	int fd = -1;

	if (chan >= 0 || via < 0)
		return chan;
	if (send(via, "S", 1, MSG_NOSIGNAL) == 1 &&
	    fdpass_receive(via, answer, sizeof(answer), &fd, 1) == 1 &&
	    answer[0] == 'k')
		chan = fd;
	else if (fd >= 0)
		(void)close(fd);
	(void)close(via); /* one spawner a connection */
	via = -1;
	asked = true;
	return chan;
}

static int
request(const char *data, size_t len, const int *fds, size_t nfds,
    char *reply, size_t cap)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SPAWNER_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)(uintptr_t)data, len};
	struct msghdr m;
	ssize_t n;

	if (channel() < 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(chan, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		return -1;
	do
		n = recv(chan, reply, cap - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 1)
		return -1;
	reply[n] = '\0';
	return (int)n;
}

pid_t
spawner_run(const char *const *args, const int fds[SPAWNER_FDS],
    struct failure *f)
{
	char packet[PACKET_MAX], reply[PACKET_MAX];
	int sent[SPAWNER_FDS];
	size_t len = 2, nfds = 0;
	unsigned mask = 0;
	int32_t id;
	int n;

	for (int i = 0; i < SPAWNER_FDS; i++)
		if (fds[i] >= 0) {
			mask |= 1u << i;
			sent[nfds++] = fds[i];
		}
	packet[0] = 'x';
	packet[1] = (char)mask;
	for (size_t i = 0; args[i] != NULL; i++) {
		size_t a = strlen(args[i]) + 1;

		if (len + a >= sizeof(packet)) {
			fail_set(f, FAIL_SOFTWARE, "too long a relay command");
			return -1;
		}
		memcpy(packet + len, args[i], a);
		len += a;
	}
	n = request(packet, len, sent, nfds, reply, sizeof(reply));
	if (n == 1 + (int)sizeof(id) && reply[0] == 'p') {
		memcpy(&id, reply + 1, sizeof(id));
		return (pid_t)id;
	}
	fail_set(f, FAIL_TEMP, "cannot start safemail-relay: %s",
	    n > 1 && reply[0] == 'e' ? reply + 1 : "the spawner is gone");
	return -1;
}

int
spawner_wait(pid_t pid)
{
	char packet[1 + sizeof(int32_t)], reply[16];
	int32_t id = (int32_t)pid, status;

	packet[0] = 'w';
	memcpy(packet + 1, &id, sizeof(id));
	if (request(packet, sizeof(packet), NULL, 0, reply, sizeof(reply)) !=
		1 + (int)sizeof(status) ||
	    reply[0] != 's')
		return -1;
	memcpy(&status, reply + 1, sizeof(status));
	return status;
}

int
spawner_background(const char *qid, char *why, size_t whysz)
{
	char packet[64], reply[PACKET_MAX];
	int n = snprintf(packet, sizeof(packet), "b%s", qid);

	if (n < 0 || (size_t)n >= sizeof(packet))
		return -1;
	n = request(packet, (size_t)n + 1, NULL, 0, reply, sizeof(reply));
	if (n >= 1 && reply[0] == 's')
		return 0;
	(void)snprintf(why, whysz, "%s",
	    n > 1 && reply[0] == 'e' ? reply + 1 : "the spawner is gone");
	return -1;
}
