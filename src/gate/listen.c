/* listen.c - the gate as a service: accept, know the peer, keep the
 * caps, one child per connection (see listen.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "fdpass.h"
#include "handoff.h"
#include "listen.h"
#include "log.h"
#include "text.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int
listen_activated(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long v;
	struct stat st;
	int type = 0, accepting = 0;
	socklen_t len = sizeof(type), alen = sizeof(accepting);

	if (pid == NULL || fds == NULL || !text_parse_uint(pid, 4194304, &v) ||
	    (pid_t)v != getpid() || strcmp(fds, "1") != 0)
		return -1;
	/* one listening SOCK_SEQPACKET socket on 3, or none at all */
	if (fstat(3, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_SEQPACKET ||
	    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0 ||
	    !accepting)
		return -1;
	return 3;
}

/* The listening socket's file: the service's own (dev, ino), removed at
 * the end only while it is still that one. */
static struct stat bound;
static bool have_bound;

/* Is someone listening on path? */
static bool
answered(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	yes = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	(void)close(fd);
	return yes;
}

/* Listen on path: its directory made when missing (0755), the socket
 * bound under a name of its own, opened to everyone (0666: who may
 * submit is checked per connection), then renamed into place, so that
 * no caller finds a socket that does not listen yet. A socket another
 * service still answers on is not taken over. */
static int
bind_path(const char *path, struct failure *f)
{
	struct sockaddr_un sa, tmp;
	char dir[sizeof(sa.sun_path)];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memset(&tmp, 0, sizeof(tmp));
	tmp.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) > 80 ||
	    slash == NULL) {
		fail_set(f, FAIL_USAGE, "%s: not an absolute socket path of "
					"at most 80 characters",
		    path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	(void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	(void)snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%.80s/.submit.%ld",
	    dir, (long)getpid());
	if (dir[0] != '\0' && mkdir(dir, 0755) == 0)
		(void)chmod(dir, 0755); /* the umask is 077 */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fail_set(f, FAIL_OSERR, "%s: there already, and not "
						    "a socket",
			    path);
			return -1;
		}
		if (answered(&sa)) {
			fail_set(f, FAIL_TEMP, "%s: another service listens "
					       "there",
			    path);
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	(void)unlink(tmp.sun_path);
	if (fd < 0 ||
	    bind(fd, (const struct sockaddr *)&tmp, sizeof(tmp)) != 0 ||
	    chmod(tmp.sun_path, 0666) != 0 || listen(fd, 128) != 0 ||
	    lstat(tmp.sun_path, &bound) != 0 ||
	    rename(tmp.sun_path, path) != 0) {
		fail_set(f, FAIL_OSERR, "%s: cannot listen: %s", path,
		    strerror(errno));
		(void)unlink(tmp.sun_path);
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	have_bound = true;
	return fd;
}

static void
unbind_path(const char *path)
{
	struct stat st;

	if (have_bound && lstat(path, &st) == 0 && st.st_dev == bound.st_dev &&
	    st.st_ino == bound.st_ino)
		(void)unlink(path);
}

/* The relay client the service keeps (listen.h) */
static struct {
	pid_t pid;
	int sock;
	pid_t borrower; /* the child it is lent to; 0: free */
	double started;
} kept = {-1, -1, 0, 0};

static void
let_go(void)
{
	if (kept.sock >= 0)
		(void)close(kept.sock); /* it sees the end, and ends */
	kept.sock = -1;
	kept.pid = -1;
	kept.borrower = 0;
}

/* A kept client when none is (at most once a second: one that cannot
 * start, or ends at once, is not started in a loop) */
static void
keep_one(listen_keep_relay keep)
{
	if (kept.sock >= 0 || keep == NULL ||
	    clock_seconds() - kept.started < 1.0)
		return;
	kept.started = clock_seconds();
	kept.sock = keep(&kept.pid);
	if (kept.sock < 0)
		kept.pid = -1;
}

/* The borrower ended: the client is back, unless the child died (it may
 * have left the client half-way through a message) */
static void
give_back(pid_t child, int status)
{
	char junk[64];

	if (kept.borrower != child)
		return;
	if (!WIFEXITED(status)) {
		let_go();
		return;
	}
	/* nothing of the last message may reach the next borrower */
	while (recv(kept.sock, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	kept.borrower = 0;
}

/* The queue run the service started (-q), and when the next is due */
static pid_t queue_pid = -1;
static double queue_due;
/* the log socket (log.h): the listener's alone */
static int log_sock = -1;

/* The children serving connections, with whose they are, the channel
 * on which each may ask for a spawner (-1: closed), and the spawner it
 * got (0: none yet) */
struct slot {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	pid_t peer_pid;
	int ctl;
	pid_t spawner;
};
static struct slot slots[LISTEN_MAX_TOTAL];
static size_t busy;

static size_t
held_by(uid_t uid)
{
	size_t n = 0;

	for (size_t i = 0; i < LISTEN_MAX_TOTAL; i++)
		if (slots[i].pid > 0 && slots[i].uid == uid)
			n++;
	return n;
}

/* Every child that ended: its slot free again. Other processes end here
 * too (a relay client that stayed, a background attempt: this process
 * is their subreaper, so that they stay in the service's tree). */
static void
reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == kept.pid) {
			let_go();
			continue;
		}
		if (pid == queue_pid) {
			queue_pid = -1;
			continue;
		}
		give_back(pid, status);
		for (size_t i = 0; i < LISTEN_MAX_TOTAL; i++) {
			struct slot *s = &slots[i];

			if (s->spawner == pid)
				s->spawner = 0;
			if (s->pid != pid)
				continue;
			/* its spawner, and the relay clients that spawner
			 * started (they die with it), end with it; not
			 * reaped yet, the pid is still its */
			if (s->spawner > 0)
				(void)kill(s->spawner, SIGKILL);
			if (s->ctl >= 0)
				(void)close(s->ctl);
			s->ctl = -1;
			s->spawner = 0;
			s->pid = 0;
			busy--;
		}
	}
}

/* A connection's child asked for a spawner (listen.h): one, forked now,
 * its channel handed over; the channel is closed after (one spawner a
 * connection), and for anything else its gate never asks. */
static void
spawner_asked(struct slot *s, listen_start_spawner start)
{
	char req[8];
	ssize_t n = recv(s->ctl, req, sizeof(req), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 1 && req[0] == 'S' && s->spawner == 0 && start != NULL) {
		struct listen_peer p = {s->uid, s->gid, s->peer_pid, -1, -1};
		int end = -1;
		pid_t pid = start(&p, &end);

		if (pid > 0) {
			s->spawner = pid;
			(void)fdpass_send(s->ctl, "k", 1, &end, 1);
			(void)close(end);
		}
	} else if (n > 0) {
		log_emit(LOG_WARNING, "the connection of uid %u asked the "
				      "listener for what its gate never asks: "
				      "no spawner for it",
		    (unsigned)s->uid);
	}
	(void)close(s->ctl);
	s->ctl = -1;
}

/* Refusals are logged one by one up to REFUSALS_LOGGED_PER_S a second,
 * the rest counted in one line: a user who connects in a loop while it
 * holds its cap is refused some 75,000 times a second, which would fill
 * the log, and make journald's rate limit drop every line of the
 * service, other users' deliveries too. */
#define REFUSALS_LOGGED_PER_S 10
static double refusal_second;
static unsigned long refused_this_second, refusals_unlogged;
static uid_t refused_last;

/* The count of the refusals not logged, once their second is over */
static void
refusals_summed_up(void)
{
	double now = clock_seconds();

	if (now - refusal_second < 1)
		return;
	if (refusals_unlogged > 0)
		log_emit(LOG_WARNING, "the submission service refused %lu more "
				      "connections in a second, not logged "
				      "one by one (the last: uid %u)",
		    refusals_unlogged, (unsigned)refused_last);
	refusal_second = now;
	refused_this_second = 0;
	refusals_unlogged = 0;
}

/* Does any process of the service's tree still run (a background
 * attempt this process adopted, the kept relay client)? Not reaped
 * here: reap() does. */
static bool
children_left(void)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Turned away before any child: one packet the front end prints (the
 * socket is new, so the send cannot block), logged here. */
static void
turn_away(int conn, const struct listen_peer *p, const char *why)
{
	char line[200];

	(void)snprintf(line, sizeof(line), "the submission service refuses "
					   "uid %u: %s",
	    (unsigned)p->uid, why);
	refusals_summed_up();
	refused_last = p->uid;
	if (refused_this_second++ < REFUSALS_LOGGED_PER_S)
		log_emit(LOG_WARNING, "%s (pid %ld)", line, (long)p->pid);
	else
		refusals_unlogged++;
	(void)handoff_send_refusal(conn, 75, line);
	/* closed with its hello unread, the socket would reset the caller's
	 * before it reads the refusal */
	while (recv(conn, line, sizeof(line), MSG_DONTWAIT) > 0)
		;
	(void)close(conn);
}

/* /dev/null on descriptors 0 and 1: 0, or -1 */
static int
null_on_0_1(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), rc;

	if (null < 0)
		return -1;
	rc = dup2(null, 0) == 0 && dup2(null, 1) == 1 ? 0 : -1;
	if (null > 1)
		(void)close(null);
	return rc;
}

/* A new connection: refused, or served by a child of its own. */
static void
take(int conn, int lfd, int sfd, listen_session session,
    listen_keep_relay keep)
{
	struct listen_peer p;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int ctl[2];
	size_t i;
	pid_t pid;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    len != sizeof(cr)) {
		(void)close(conn);
		return;
	}
	p.uid = cr.uid;
	p.gid = cr.gid;
	p.pid = cr.pid;
	if (p.uid == LISTEN_OVERFLOW_UID) {
		turn_away(conn, &p, "the overflow uid (a user namespace that "
				    "does not map the caller) names nobody");
		return;
	}
	if (busy >= LISTEN_MAX_TOTAL) {
		turn_away(conn, &p, "busy (" STR(LISTEN_MAX_TOTAL)
				    " connections): try again later");
		return;
	}
	if (held_by(p.uid) >= LISTEN_MAX_PER_UID) {
		turn_away(conn, &p, "this user holds " STR(
				    LISTEN_MAX_PER_UID) " connections already: "
				    "try again later");
		return;
	}
	for (i = 0; slots[i].pid > 0; i++)
		;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0) {
		turn_away(conn, &p, "cannot make a channel: try again later");
		return;
	}
	keep_one(keep);
	p.relay = kept.sock >= 0 && kept.borrower == 0 ? kept.sock : -1;
	p.spawner = ctl[1];
	pid = fork();
	if (pid < 0) {
		(void)close(ctl[0]);
		(void)close(ctl[1]);
		turn_away(conn, &p, "cannot fork: try again later");
		return;
	}
	if (pid == 0) {
		sigset_t none;
		int high = fcntl(conn, F_DUPFD_CLOEXEC, 10);

		(void)close(lfd);
		(void)close(sfd);
		(void)close(ctl[0]);
		/* the other connections' channels: a spawner asked for on
		 * one would count that caller's slots */
		for (size_t k = 0; k < LISTEN_MAX_TOTAL; k++)
			if (slots[k].pid > 0 && slots[k].ctl >= 0)
				(void)close(slots[k].ctl);
		if (log_sock >= 0)
			(void)close(log_sock);
		log_forget_own();
		if (kept.sock >= 0 && p.relay < 0)
			(void)close(kept.sock); /* another's */
		(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
		(void)signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)close(conn);
		if (high < 0 || dup2(high, HANDOFF_CHANNEL_FD) < 0)
			_exit(71);
		(void)close(high);
		_exit(session(&p) & 0xff);
	}
	(void)close(conn);
	(void)close(ctl[1]);
	if (p.relay >= 0)
		kept.borrower = pid;
	slots[i].pid = pid;
	slots[i].uid = p.uid;
	slots[i].gid = p.gid;
	slots[i].peer_pid = p.pid;
	slots[i].ctl = ctl[0];
	slots[i].spawner = 0;
	busy++;
}

/* A queue run when one is due and none runs; the milliseconds until the
 * next is due (-1: none) */
static int
queue_when_due(const struct listen_opts *o)
{
	double now = clock_seconds();

	if (o->queue_every == 0 || o->queue == NULL)
		return -1;
	if (queue_pid > 0)
		return 1000; /* looked at again when it ended */
	if (now >= queue_due) {
		queue_pid = o->queue();
		queue_due = now + o->queue_every;
		return 1000;
	}
	return (int)((queue_due - now) * 1000) + 1;
}

int
listen_run(const struct listen_opts *o, struct failure *f)
{
	const char *path = o->path;
	int activated = o->activated;
	unsigned idle_exit = o->idle_exit;
	listen_session session = o->session;
	listen_keep_relay keep = o->keep;
	int lfd = activated >= 0 ? activated : bind_path(path, f);
	int sfd, rc = 0;
	sigset_t set;
	double last = clock_seconds();

	if (lfd < 0)
		return -1;
	/* the service reads no input and writes no output: /dev/null there,
	 * for everything it starts too (connection children, which hand
	 * their 0-2 on to relay clients; the kept relay client; queue runs;
	 * spawners). Under systemd its output is the journal's stream, its
	 * stderr too, which the listener alone writes (log.h); a process
	 * taken over by a message or a relay must not write lines there in
	 * the service's name */
	if (null_on_0_1() != 0) {
		fail_set(f, FAIL_OSERR, "/dev/null: %s", strerror(errno));
		if (activated < 0)
			unbind_path(path);
		(void)close(lfd);
		return -1;
	}
	/* what this service starts (relay clients that stay, background
	 * attempts, queue runs) stays in its tree, reaped here */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		fail_set(f, FAIL_OSERR, "signalfd: %s", strerror(errno));
		unbind_path(path);
		return -1;
	}
	queue_due = clock_seconds();
	log_sock = o->log_fd;
	log_emit(LOG_INFO, "the submission service listens on %s",
	    activated >= 0 ? "the socket systemd passed" : path);
	/* loaded before the first caller, while it starts */
	keep_one(keep);
	for (bool stop = false; !stop;) {
		/* a kept client that is free says nothing: anything from it
		 * (its end) lets it go */
		struct pollfd pf[4 + LISTEN_MAX_TOTAL] = {{lfd, POLLIN, 0},
		    {sfd, POLLIN, 0},
		    {kept.borrower == 0 ? kept.sock : -1, POLLIN, 0},
		    {o->log_fd, POLLIN, 0}};
		/* the connections' channels to the listener, and whose */
		size_t of[LISTEN_MAX_TOTAL], nfds = 4;
		int wait_ms = -1, queue_ms;

		for (size_t i = 0; i < LISTEN_MAX_TOTAL; i++)
			if (slots[i].pid > 0 && slots[i].ctl >= 0) {
				of[nfds - 4] = i;
				pf[nfds].fd = slots[i].ctl;
				pf[nfds].events = POLLIN;
				pf[nfds++].revents = 0;
			}

		if (idle_exit > 0 && busy == 0) {
			double left = last + idle_exit - clock_seconds();

			if (left <= 0) {
				let_go(); /* the kept client ends too */
				if (!children_left())
					break; /* idle: systemd starts us
						* again */
			}
			/* a background attempt still runs: a service
			 * manager would kill it with us */
			wait_ms = left <= 0 ? 1000 : (int)(left * 1000) + 1;
		}
		/* refusals not logged yet: their count within a second */
		if (refusals_unlogged > 0 && (wait_ms < 0 || wait_ms > 1000))
			wait_ms = 1000;
		queue_ms = stop ? -1 : queue_when_due(o);
		if (queue_ms >= 0 && (wait_ms < 0 || wait_ms > queue_ms))
			wait_ms = queue_ms;
		if (poll(pf, nfds, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			fail_set(f, FAIL_OSERR, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (o->log_fd >= 0 && (pf[3].revents & POLLIN))
			log_service_drain(o->log_fd);
		for (size_t k = 4; k < nfds; k++)
			if (pf[k].revents != 0 &&
			    slots[of[k - 4]].ctl == pf[k].fd)
				spawner_asked(&slots[of[k - 4]], o->spawner);
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					stop = true;
			reap();
		}
		if (pf[2].fd >= 0 && pf[2].fd == kept.sock &&
		    kept.borrower == 0 && pf[2].revents != 0)
			let_go();
		if (!stop && (pf[0].revents & POLLIN)) {
			int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (conn >= 0) {
				take(conn, lfd, sfd, session, keep);
				last = clock_seconds();
			}
		}
		if (busy > 0)
			last = clock_seconds();
		refusals_summed_up();
	}
	refusal_second = 0;
	refusals_summed_up();
	log_emit(LOG_INFO, "the submission service ends (%s)",
	    rc != 0 ? "an error" : activated >= 0 ? "idle or stopped"
						  : "stopped");
	if (activated < 0)
		unbind_path(path);
	let_go();
	(void)close(lfd);
	(void)close(sfd);
	if (o->log_fd >= 0)
		log_service_drain(o->log_fd);
	return rc;
}
