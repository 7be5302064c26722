/* gatemain.c - safemail-gate, the back end's gate: the one program
 * installed setgid safemail. It links no libcurl and parses no command
 * line but its own fixed one:
 *
 *   safemail-gate serve [-v] [-s]   the front end's socket on fd 3:
 *                                   the policy out, requests in; -s: a
 *                                   message is likely to be sent now
 *   safemail-gate list              mailq (the spool is group safemail)
 *   safemail-gate queue [-v] [...]  \
 *   safemail-gate check              > safemail-relay, with the same
 *   safemail-gate one QID           /  arguments (it checks them)
 *
 * Serving, it reads /etc/safemail.ini (root:safemail 0640, checked on
 * the open descriptor), sends the front end the text with the password
 * replaced, and takes one request per message: the envelope and the
 * message as sealed memory files. It parses the envelope again, strictly;
 * queues the message (async) by copying it into the spool, or execs
 * safemail-relay, which inherits the group, to send it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "area.h"
#include "caller.h"
#include "clock.h"
#include "conf.h"
#include "gatecheck.h"
#include "handoff.h"
#include "limitstate.h"
#include "limitstats.h"
#include "limits.h"
#include "listen.h"
#include "log.h"
#include "mailq.h"
#include "msgfile.h"
#include "report.h"
#include "rundir.h"
#include "sandbox_gate.h"
#include "sender.h"
#include "spawner.h"
#include "spool.h"
#include "startup.h"
#include "text.h"


static struct startup st;
static const char *config_path;
static struct conf conf; /* without the password, once it is sent */
/* The relay client started early (serve -s), waiting for the message
 * while the front end reads it: its libcurl loads meanwhile. */
static struct handoff standby = {-1, -1};
static const char *spool_path;
/* The configuration file as this session found it */
static struct stat conf_id;
static bool have_conf_id, conf_loaded;
/* The relay client the service keeps, lent to this connection (listen.h);
 * -1: none (the set-ID path, or it is lent to another) */
static int lent = -1;
/* The service's connection: the hello within seconds; between the
 * policy and a request (the front end reads the message: a cron job's
 * output may take long) and between -bs messages, an hour at most */
#define SERVICE_HELLO_WAIT_S 10
#define SERVICE_IDLE_S 3600
/* and at most this long for one message (every relay's message_timeout
 * at its ceiling, twice: the relay client's own limits end it sooner):
 * then the child ends, whatever it waits for */
#define SERVICE_MESSAGE_S (2 * 4 * CONF_TIMEOUT_CEILING)
/* A child of the submission service (listen.h), serving one connection:
 * the caller is the peer the kernel named, not this process's uid */
static bool service;
/* the service's caller's primary group, as the kernel says */
static gid_t peer_gid;
/* what the service's caller says of itself (its parent, exe, cwd) */
static char claim[HANDOFF_CLAIM_MAX];
/* the policy went out: from then on the caller's stderr is ours */
static bool policy_sent;
/* the service's connection: its channel to the listener, which starts a
 * spawner for it when it first needs one (spawner_via) */
static int listener_channel = -1;

/* Whose message this is: the set-ID gate's real uid, the service's peer */
static uid_t
submitter(void)
{
	return caller_self()->uid;
}

static int
exec_relay(const char *const *args, int envfd, int msgfd)
{
	struct failure f = {FAIL_NONE, ""};
	char path[1100];

	(void)handoff_exec(&st, handoff_relay_path(&st, path, sizeof(path)),
	    args, envfd, msgfd, -1, &f);
	return report(caller_self(), &f, false);
}

/* The relay client the service keeps serves this message: not for -v
 * (one that shows this message's dialogue), not after a configuration
 * this session could not read. The set-ID path has none: it runs as its
 * caller, who would own it. */
static bool
use_kept(bool verbose)
{
	return lent >= 0 && !verbose && conf_loaded && have_conf_id;
}

/* How long a receive on sock may wait: s seconds, 0 for ever */
static void
receive_wait(int sock, long s)
{
	struct timeval tv = {s, 0};

	(void)setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* The queue user's uid, looked up once: 0 for "root" (only a test copy,
 * not set-ID, can name it), (uid_t)-1 when there is no such user or it
 * is another name for root. */
static uid_t
queue_user_uid(void)
{
	uid_t uid = area_queue_uid(); /* looked up once, there */

	if (strcmp(startup_queue_user(&st), "root") == 0)
		return 0;
	return uid == 0 ? (uid_t)-1 : uid;
}

/* A relay client a service connection's child starts ends with that
 * child: one blocked on the caller's stderr would otherwise outlive it,
 * an orphan of the service (the reviewer's finding 3). */
static void
die_with_us(void)
{
	if (service)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/* exec_relay in a child, for the service, which says the exit code on
 * the socket: its exit code */
static int
run_relay(const char *const *args, int envfd, int msgfd)
{
	int ws = 0;
	pid_t pid;

	if (spawner_on()) {
		/* locked down: the spawner starts it (spawner.h) */
		const int at[SPAWNER_FDS] = {0, 1, 2, envfd, msgfd, -1};
		struct failure f = {FAIL_NONE, ""};
		int rc;

		if ((pid = spawner_run(args, at, &f)) < 0)
			return report(caller_self(), &f, false);
		if ((rc = spawner_wait(pid)) >= 0)
			return rc;
		fail_set(&f, FAIL_SOFTWARE, "safemail-relay died");
		return report(caller_self(), &f, false);
	}
	pid = fork();

	if (pid < 0) {
		struct failure f;

		fail_set(&f, FAIL_OSERR, "fork: %s", strerror(errno));
		return report(caller_self(), &f, false);
	}
	if (pid == 0) {
		die_with_us();
		_exit(exec_relay(args, envfd, msgfd));
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR) {
			struct failure f;

			fail_set(&f, FAIL_SOFTWARE, "safemail-relay: %s",
			    strerror(errno));
			return report(caller_self(), &f, false);
		}
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	{
		struct failure f;

		fail_set(&f, FAIL_SOFTWARE, "safemail-relay died");
		return report(caller_self(), &f, false);
	}
}

/* The service's caller's background attempts at once, at most: they
 * outlive the connection that started them, which is all the cap of
 * connections counts (LISTEN_MAX_PER_UID), and each holds a session
 * with the relay: one user's async flood on a slow relay ran 175. */
#define BACKGROUND_MAX_PER_UID LISTEN_MAX_PER_UID

/* One of the caller's slots for a background attempt, <spool>/run/
 * bg-UID.N locked, held while the attempt runs; -1 when all are taken
 * (or the area cannot be used). The set-ID path's attempts are its
 * caller's own processes, and need none. */
static int
background_slot(uid_t uid, const char *qid)
{
	unsigned start = (unsigned char)qid[0] + (unsigned char)qid[1];
	int dfd = rundir_open(), fd = -1;

	if (dfd < 0)
		return -1;
	for (unsigned i = 0; i < BACKGROUND_MAX_PER_UID && fd < 0; i++) {
		char name[40];

		(void)snprintf(name, sizeof(name), "bg-%u.%u",
		    (unsigned)uid, (start + i) % BACKGROUND_MAX_PER_UID);
		fd = rundir_lock_file(dfd, name, 0);
	}
	(void)close(dfd);
	return fd;
}

/* A background attempt for one queued message: its own session,
 * descriptors 0-2 on /dev/null, so that nobody waits for it. */
static void
detached(const char *qid)
{
	int slot;
	pid_t pid;

	if (spawner_on()) {
		/* locked down: the spawner starts it, and takes the slot */
		char why[200];

		if (spawner_background(qid, why, sizeof(why)) != 0)
			log_emit(LOG_INFO, "%s: uid %u: no background attempt "
					   "(%s): the next queue run sends it",
			    qid, (unsigned)submitter(), why);
		return;
	}
	slot = service ? background_slot(submitter(), qid) : -1;
	if (service && slot < 0) {
		log_emit(LOG_INFO, "%s: uid %u has %d background attempts "
				   "running: the next queue run sends it",
		    qid, (unsigned)submitter(), BACKGROUND_MAX_PER_UID);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_emit(LOG_WARNING, "%s: cannot start the background attempt "
				      "(%s); the next queue run sends it",
		    qid, strerror(errno));
		if (slot >= 0)
			(void)close(slot);
		return;
	}
	if (pid > 0) {
		if (slot >= 0)
			(void)close(slot);
		(void)waitpid(pid, NULL, 0);
		return;
	}
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		const char *args[] = {"safemail-relay", "one", qid, NULL};
		struct failure f = {FAIL_NONE, ""};
		char path[1100];

		(void)close(HANDOFF_CHANNEL_FD);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(0);
		/* the slot (close-on-exec) is held by this process, which
		 * waits for the attempt, and holds nothing else of its
		 * connection (the kept client's socket, the message) */
		if (slot >= 0) {
			long max = sysconf(_SC_OPEN_MAX);

			for (int fd = 3; fd < (max > 0 && max < 65536 ? max
							    : 65536);
			     fd++)
				if (fd != slot)
					(void)close(fd);
			pid_t relay = fork();

			if (relay != 0) {
				while (relay > 0 &&
				    waitpid(relay, NULL, 0) < 0 && errno == EINTR)
					;
				_exit(0);
			}
		}
		(void)handoff_exec(&st,
		    handoff_relay_path(&st, path, sizeof(path)), args, -1, -1,
		    -1, &f);
		log_emit(LOG_WARNING, "%s: %s; the next queue run sends it",
		    qid, f.msg);
		_exit(0);
	}
}

/* The program that ran this request's front end, read once per request
 * and only for a log line that names it. */
static char origin_text[sizeof(((struct spool_env *)0)->origin)];
static bool origin_known;

static const char *
origin(void)
{
	if (!origin_known && service)
		/* another user's /proc is not ours to read: its word */
		(void)snprintf(origin_text, sizeof(origin_text),
		    "%.480s (the caller's claim)",
		    claim[0] != '\0' ? claim : "?");
	else if (!origin_known)
		caller_origin(caller_self()->ppid, origin_text,
		    sizeof(origin_text));
	origin_known = true;
	return origin_text;
}

/* More than one X-PHP-Originating-Script, or one that is not UID:FILE,
 * names nobody: logged, and with script_uid_must_match refused; the
 * spool's script field stays empty rather than show one of them. */
static int
unclear_script(enum php_script got, const struct spool_env *e,
    struct failure *f)
{
	const char *what = got == PHP_SCRIPT_SEVERAL
	    ? "more than one X-PHP-Originating-Script"
	    : "an X-PHP-Originating-Script that is not UID:FILE";

	report_caller(LOG_WARNING, caller_self(), "script uid", "%s: %s",
	    e->qid, what);
	if (!conf.script_uid_must_match)
		return 0;
	fail_set(f, FAIL_NOPERM, "%s: refused (script_uid_must_match)", what);
	return -1;
}

/* PHP's X-PHP-Originating-Script (mail.add_x_header), kept with the
 * message for the log and mailq; with script_uid_must_match there must
 * be at most one, and its uid must be the caller's. */
static int
note_script(const char *p, size_t len, struct spool_env *e, struct failure *f)
{
	char file[200];
	unsigned uid;
	enum php_script got =
	    gatecheck_php_script(p, len, &uid, file, sizeof(file));

	if (got == PHP_SCRIPT_NONE)
		return 0;
	if (got != PHP_SCRIPT_ONE)
		return unclear_script(got, e, f);
	(void)snprintf(e->script, sizeof(e->script), "%u:%s", uid, file);
	(void)snprintf(e->origin, sizeof(e->origin), "%s", origin());
	log_emit(LOG_INFO, "%s: uid=%u user=%s script=%s%s from %s", e->qid,
	    e->uid, caller_self()->user, e->script,
	    service ? " (the caller's claim)" : "", origin());
	if (uid != e->uid) {
		report_caller(LOG_WARNING, caller_self(), "script uid",
		    "X-PHP-Originating-Script names uid %u, the caller is uid "
		    "%u (%s)",
		    uid, e->uid, file);
		if (conf.script_uid_must_match) {
			fail_set(f, FAIL_NOPERM,
			    "X-PHP-Originating-Script names uid %u, not the "
			    "caller's (%u): refused (script_uid_must_match)",
			    uid, e->uid);
			return -1;
		}
	}
	return 0;
}

/* What the front end enforces, enforced again: a caller may have written
 * the request itself (gatecheck.h). */
static int
check_message(int msgfd, struct spool_env *e, struct failure *f)
{
	char host[ADDR_BUFSZ], *p;
	int rc;

	if (e->nrcpt > conf.max_recipients) {
		fail_set(f, FAIL_USAGE, "%zu recipients, more than "
					"max_recipients (%u)",
		    e->nrcpt, conf.max_recipients);
		return -1;
	}
	if (conf.max_message_size != 0 && e->size > conf.max_message_size) {
		fail_set(f, FAIL_DATA, "the message is larger than "
				       "max_message_size (%lu octets)",
		    conf.max_message_size);
		return -1;
	}
	/* the name the front end writes in the trace field (submit.c) */
	local_host_name(conf.helo_name, host, sizeof(host));
	if (e->size == 0 || e->size > SIZE_MAX)
		return gatecheck_message("", 0, e->uid, host, f);
	p = mmap(NULL, (size_t)e->size, PROT_READ, MAP_PRIVATE, msgfd, 0);
	if (p == MAP_FAILED) {
		fail_set(f, FAIL_OSERR, "cannot read the message: %s",
		    strerror(errno));
		return -1;
	}
	rc = gatecheck_message(p, (size_t)e->size, e->uid, host, f);
	if (rc == 0)
		rc = note_script(p, (size_t)e->size, e, f);
	(void)munmap(p, (size_t)e->size);
	return rc;
}

/* This request's queue id: the gate's, made once per request (read
 * again by queue_unanswered, the message keeps it), whatever id the
 * envelope gives. */
static char request_qid[SPOOL_QID_LEN + 1];

/* The caller's id is only the one in its Received: field: logged with
 * ours, so that the field leads to the log. */
static int
assign_qid(struct spool_env *e, struct failure *f)
{
	if (request_qid[0] == '\0' && spool_new_qid(request_qid) != 0) {
		fail_set(f, FAIL_OSERR, "getrandom: %s", strerror(errno));
		spool_env_free(e);
		return -1;
	}
	if (strcmp(e->qid, request_qid) != 0)
		log_emit(LOG_INFO, "%s: uid=%u trace id %s (the front end's)",
		    request_qid, e->uid, e->qid);
	memcpy(e->qid, request_qid, sizeof(e->qid));
	return 0;
}

/* The two files must be sealed memory files, the envelope valid and
 * the caller's own (uid, a sender the policy allows), the message of the
 * size it gives. */
static int
read_request_files(const int fds[2], struct spool_env *e, struct failure *f)
{
	/* the caller's message through an open file description of our
	 * own, which it cannot move (every read is at an explicit offset
	 * anyway: this holds should one not be) */
	if (msgfile_make_private(fds[1]) != 0) {
		fail_set(f, FAIL_SOFTWARE, "the message from the front end is "
					   "not a sealed memory file of its "
					   "own (%s)",
		    strerror(errno));
		return -1;
	}
	if (handoff_read_files(fds[0], fds[1], e, f) != 0 ||
	    assign_qid(e, f) != 0)
		return -1;
	/* the login matters only without a default_sender: no passwd
	 * lookup on the common path */
	if (e->uid != (unsigned)submitter() ||
	    !sender_permitted(&conf, e->sender, e->null_sender,
		conf.default_sender[0] != '\0' ? "" : caller_self()->user)) {
		fail_set(f, FAIL_SENDER_DENIED,
		    "an envelope the policy does not allow (uid %u, sender "
		    "<%s>)",
		    e->uid, e->null_sender ? "" : e->sender);
		spool_env_free(e);
		return -1;
	}
	if (check_message(fds[1], e, f) != 0) {
		spool_env_free(e);
		return -1;
	}
	return 0;
}

/* Queue (async). Returns 0 when queued; 1 when the spool cannot be used
 * (send now instead, as the front end did before); -1 on failure. */
static int
queue_message(const struct handoff_req *r, const int fds[2],
    const struct spool_env *e, struct failure *f)
{
	struct failure sf = {FAIL_NONE, ""};
	struct spool sp;
	int rc;

	if (spool_open(&sp, spool_path, &sf) != 0) {
		log_emit(LOG_WARNING, "%s", sf.msg);
		log_emit(LOG_WARNING, "%s: the spool cannot be used: sending "
				      "now instead",
		    e->qid);
		return 1;
	}
	rc = spool_quota(&sp, &conf.quota, submitter(), e->size, f);
	if (rc == 0)
		rc = spool_commit(&sp, fds[1], e, f);
	spool_close(&sp);
	if (rc != 0)
		return -1;
	log_emit(LOG_INFO, "%s: uid=%u from=<%s> nrcpt=%zu size=%llu "
			   "status=queued (async)",
	    e->qid, e->uid, e->null_sender ? "" : e->sender, e->nrcpt,
	    e->size);
	if (r->detach)
		detached(e->qid);
	return 0;
}

/* The time [limits] counts at: now, or the test's (not set-ID only) */
static long long
limits_now(void)
{
	unsigned long v;

	if (st.test_now[0] != '\0' &&
	    text_parse_uint(st.test_now, 99999999999UL, &v))
		return (long long)v;
	return (long long)time(NULL);
}

/* The one notice of this rule and period to limit_notify, queued for
 * the next queue run, from the null sender (no bounce of it). True when
 * it is queued: only then is it marked sent (limitstate_noticed). */
static bool
queue_notice(const struct spool_env *e, const struct limit_outcome *lo,
    long long now)
{
	const struct caller *who = caller_self();
	struct failure f = {FAIL_NONE, ""};
	struct limit_notice n;
	struct spool_env b;
	struct spool_rcpt to;
	struct spool sp;
	char host[ADDR_BUFSZ], from[ADDR_BUFSZ + 16], *text;
	size_t len = 0;
	int fd = -1, rc = -1;

	local_host_name(conf.helo_name, host, sizeof(host));
	(void)snprintf(from, sizeof(from), "MAILER-DAEMON@%s",
	    conf.domain[0] != '\0' ? conf.domain : host);
	memset(&n, 0, sizeof(n));
	n.host = host;
	n.from = from;
	n.to = conf.limit_notify;
	n.qid = e->qid;
	n.sender = e->null_sender ? "" : e->sender;
	n.nrcpt = e->nrcpt;
	n.uid = e->uid;
	n.user = who->user;
	n.parent = origin();
	n.script = e->script;
	n.rule = lo->rule;
	n.hit = lo->hit;
	n.counts = &lo->counts;
	n.now = now;
	text = sendlimit_notice(&n, &len);
	memset(&b, 0, sizeof(b));
	memset(&to, 0, sizeof(to));
	to.state = RCPT_PENDING;
	memcpy(to.addr, conf.limit_notify, strlen(conf.limit_notify) + 1);
	b.created = b.next_try = (long long)time(NULL);
	/* the admin's mail, as a bounce is the queue user's: not listed to
	 * the caller whose limit it reports (mailq shows a user its own) */
	b.uid = queue_user_uid() != (uid_t)-1 ? (unsigned)queue_user_uid()
					      : (unsigned)getuid();
	b.null_sender = true;
	b.is_bounce = true; /* never bounced itself */
	b.size = len;
	b.rcpt = &to;
	b.nrcpt = 1;
	if (text != NULL && spool_new_qid(b.qid) == 0 &&
	    spool_open(&sp, spool_path, &f) == 0) {
		fd = spool_tmpfile(&sp, &f);
		rc = fd >= 0 && spool_write_all(fd, text, len) == 0 &&
			spool_commit_own(&sp, fd, &b, &f) == 0
		    ? 0
		    : -1;
		spool_close(&sp);
	}
	if (fd >= 0)
		(void)close(fd);
	free(text);
	if (rc == 0)
		log_emit(LOG_INFO, "%s: limit notice to <%s> queued as %s",
		    e->qid, conf.limit_notify, b.qid);
	else
		log_emit(LOG_ERR, "%s: cannot queue the limit notice to <%s>: "
				  "%s",
		    e->qid, conf.limit_notify,
		    f.msg[0] != '\0' ? f.msg : "out of memory");
	return rc == 0;
}

/* Over the limit with hold: queued, held for the admin, with the reason
 * where mailq shows it. */
static int
hold_message(const int fds[2], struct spool_env *e, const char *why,
    struct failure *f)
{
	struct spool sp;
	int rc;

	e->held = true;
	(void)snprintf(e->error, sizeof(e->error), "held: %s", why);
	(void)snprintf(e->origin, sizeof(e->origin), "%s", origin());
	if (spool_open(&sp, spool_path, f) != 0)
		return -1;
	rc = spool_quota(&sp, &conf.quota, submitter(), e->size, f);
	if (rc == 0)
		rc = spool_commit(&sp, fds[1], e, f);
	spool_close(&sp);
	if (rc == 0)
		log_emit(LOG_INFO, "%s: uid=%u from=<%s> nrcpt=%zu size=%llu "
				   "status=held (%s)",
		    e->qid, e->uid, e->null_sender ? "" : e->sender, e->nrcpt,
		    e->size, why);
	return rc;
}

/* [limits]: 0 go on; 1 held (queued); -1 over (defer, refuse) or the
 * counts cannot be kept, with f set. Counted here, by the gate, whatever
 * the caller sent. */
/* The caller's groups for [limits] (limitstate.h): the set-ID gate runs
 * with them; the service's caller has the connection's. */
static struct limit_groups caller_groups;

static void
load_caller_groups(void)
{
	struct limit_groups *g = &caller_groups;
	size_t room = sizeof(g->gid) / sizeof(g->gid[0]) - 1;
	int n;

	g->n = 0;
	if (service) {
		socklen_t len = (socklen_t)(room * sizeof(gid_t));

		g->gid[g->n++] = peer_gid;
		if (getsockopt(HANDOFF_CHANNEL_FD, SOL_SOCKET, SO_PEERGROUPS,
			g->gid + 1, &len) == 0)
			g->n += len / sizeof(gid_t);
		return;
	}
	g->gid[g->n++] = getgid();
	n = getgroups((int)room, g->gid + 1);
	if (n > 0)
		g->n += (size_t)n;
}

static int
apply_limits(const int fds[2], struct spool_env *e, struct failure *f)
{
	const struct caller *who;
	const char *user = NULL;
	struct limit_outcome lo;
	char why[200];
	long long now;

	if (conf.nlimit_rules == 0)
		return 0;
	/* the login name only for a user.NAME rule: no passwd lookup on
	 * the common path */
	for (size_t i = 0; i < conf.nlimit_rules && user == NULL; i++)
		if (conf.limit_rules[i].who == WHO_USER)
			user = caller_self()->user;
	now = limits_now();
	if (limitstate_admit(&conf, submitter(), user, &caller_groups, now,
		e->nrcpt, &lo, f) != 0)
		return -1;
	if (!lo.over)
		return 0;
	who = caller_self();
	(void)snprintf(why, sizeof(why), "over the limit of %s (%lu %s)",
	    lo.rule->label, lo.rule->max[lo.hit], sendlimit_kind_name(lo.hit));
	log_emit(LOG_WARNING, "%s: uid=%u user=%s %s: %s%s%s, from %s",
	    e->qid, e->uid, who->user, why,
	    sendlimit_action_name(lo.rule->over),
	    e->script[0] != '\0' ? " script=" : "", e->script, origin());
	if (lo.notice_due)
		limitstate_noticed(&lo, queue_notice(e, &lo, now));
	switch (lo.rule->over) {
	case LIMIT_HOLD:
		return hold_message(fds, e, why, f) == 0 ? 1 : -1;
	case LIMIT_REFUSE:
		fail_set(f, FAIL_NOPERM, "%s: refused", why);
		return -1;
	case LIMIT_DEFER:
	default:
		fail_set(f, FAIL_TEMP, "%s: try again later", why);
		return -1;
	}
}

/* What a relay client is handed: the envelope as the gate read and
 * wrote it (its queue id), never the caller's. */
static int
own_envelope(int fds[2], const struct spool_env *e, struct failure *f)
{
	int fd = handoff_envelope(e, f);

	if (fd < 0)
		return -1;
	(void)close(fds[0]);
	fds[0] = fd;
	return 0;
}

/* What a relay client writes for the service's caller (the one line of
 * a failure, the recipients refused) goes into a memory file of this
 * process, copied to the caller's stderr once the client answered: the
 * kept client serves other callers next, and the caller's own
 * descriptor (a pipe it never drains) must stall nobody but this
 * connection. -v shows the dialogue as it happens: its client is its
 * own. (A red team's finding.) */
static int relay_err = -1;

static int
stderr_for_relay(bool verbose)
{
	if (!service || verbose)
		return 2;
	if (relay_err < 0)
		relay_err = memfd_create("safemail-relay-err", MFD_CLOEXEC);
	return relay_err;
}

static void
relay_stderr_flush(void)
{
	char buf[4096];
	off_t off = 0;
	ssize_t n;

	if (relay_err < 0)
		return;
	while ((n = pread(relay_err, buf, sizeof(buf), off)) > 0 &&
	    fwrite(buf, 1, (size_t)n, stderr) == (size_t)n)
		off += n;
	(void)fflush(stderr);
	/* emptied for the next message; one that cannot be is not used */
	if (ftruncate(relay_err, 0) != 0 ||
	    lseek(relay_err, 0, SEEK_SET) != 0) {
		(void)close(relay_err);
		relay_err = -1;
	}
}

/* Hand r to the relay client on sock (the kept one: asked with 'H',
 * and given HANDOFF_READY_WAIT_S to answer), with errfd as its stderr.
 * 0: taken; -1: it did not take it, and nothing was handed over. */
static int
offer(int sock, bool kept, const struct handoff_req *r, const int fds[2],
    int errfd)
{
	struct handoff h = {-1, sock};
	struct failure f = {FAIL_NONE, ""};
	char ready = 0;
	ssize_t n = -1;

	/* 'R' once it has loaded and read the configuration; nothing (it
	 * could not start, or a kept one is gone or stopped) or 'F' (it
	 * failed, or a kept one's configuration changed): not taken. The
	 * caller's stderr and the message go only after 'R'. */
	if (kept)
		receive_wait(sock, HANDOFF_READY_WAIT_S);
	if (!kept || send(sock, "H", 1, MSG_NOSIGNAL) == 1)
		do
			n = recv(sock, &ready, 1, 0);
		while (n < 0 && errno == EINTR);
	/* it has the message: no time limit but its own (message_timeout),
	 * as for a new one */
	if (kept)
		receive_wait(sock, 0);
	if (n != 1 || ready != 'R' || errfd < 0 ||
	    handoff_send_fd(sock, errfd) != 0 ||
	    handoff_send(&h, r, fds[0], fds[1], &f) != 0)
		return -1;
	return 0;
}

/* The kept client did not take a message, or fell out of step: not
 * asked again by this connection (the service lets it go if it is
 * gone). */
static void
unlend(void)
{
	if (lent >= 0)
		(void)close(lent);
	lent = -1;
}

/* A message a relay client that stayed took and never answered for: it
 * may or may not have been sent; queued, it cannot be lost (at worst a
 * queue run sends it twice). 0, or the failure's exit code. */
static int
queue_unanswered(const struct handoff_req *r, const int fds[2],
    struct failure *f)
{
	struct spool_env e;
	int q;

	log_emit(LOG_WARNING, "the relay client ended before it answered: "
			      "the message is queued");
	if (read_request_files(fds, &e, f) != 0)
		return exit_code(f->kind);
	q = queue_message(r, fds, &e, f);
	if (q == 0) {
		(void)snprintf(f->msg, sizeof(f->msg), "queued as %s", e.qid);
	} else if (q > 0) {
		fail_set(f, FAIL_SOFTWARE, "safemail-relay died, and the "
					   "spool cannot be used");
	}
	spool_env_free(&e);
	return q == 0 ? 0 : exit_code(f->kind);
}

/* -bs through the kept relay client: 0 with the line; -1 when it did
 * not take the message (start one). */
static int
verdict_by_client(const struct handoff_req *r, const int fds[2],
    char *line, size_t sz)
{
	struct failure f = {FAIL_NONE, ""};
	char v[HANDOFF_VERDICT_MAX + 2];
	ssize_t n;

	if (offer(lent, true, r, fds, stderr_for_relay(false)) != 0) {
		unlend();
		return -1;
	}
	do
		n = recv(lent, v, sizeof(v) - 1, 0);
	while (n < 0 && errno == EINTR);
	/* then its exit code, as after every message it takes */
	if (n <= 4 || v[0] != 'V' || handoff_receive_result(lent) < 0)
		unlend();
	if (n > 4 && v[0] == 'V') {
		size_t len = (size_t)n - 1;

		if (len >= sz)
			len = sz - 1;
		memcpy(line, v + 1, len);
		line[len] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		return 0;
	}
	if (queue_unanswered(r, fds, &f) == 0)
		(void)snprintf(line, sz, "250 2.0.0 Ok: %s", f.msg);
	else
		(void)snprintf(line, sz, "451 4.3.0 %s", f.msg);
	return 0;
}

/* -bs: the relay client that stayed, or one in a child; its verdict line
 * back to the front end */
static void
verdict(const struct handoff_req *r, bool verbose, const int fds[2],
    char *line, size_t sz)
{
	char started[32];
	const char *args[5];
	int pipefd[2], status = -1;
	size_t got = 0;
	pid_t pid;

	line[0] = '\0';
	if (use_kept(verbose) && verdict_by_client(r, fds, line, sz) == 0 &&
	    strlen(line) >= 4)
		return;
	handoff_relay_args(args, started, "verdict", verbose, r->started);
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		(void)snprintf(line, sz, "451 4.3.0 pipe: %s", strerror(errno));
		return;
	}
	if (spawner_on()) {
		const int at[SPAWNER_FDS] = {0, 1, 2, fds[0], fds[1], pipefd[1]};
		struct failure f = {FAIL_NONE, ""};

		pid = spawner_run(args, at, &f);
		if (pid < 0)
			log_emit(LOG_ERR, "%s", f.msg);
		pid = pid < 0 ? -1 : -pid; /* the spawner's, waited there */
	} else {
		pid = fork();
	}
	if (pid == 0) {
		struct failure f = {FAIL_NONE, ""};
		char path[1100];

		die_with_us();
		(void)handoff_exec(&st,
		    handoff_relay_path(&st, path, sizeof(path)), args, fds[0],
		    fds[1], pipefd[1], &f);
		log_emit(LOG_ERR, "%s", f.msg);
		_exit(71);
	}
	(void)close(pipefd[1]);
	while ((pid > 0 || pid < -1) && got + 1 < sz) {
		ssize_t n = read(pipefd[0], line + got, sz - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	(void)close(pipefd[0]);
	if (pid < -1) {
		status = spawner_wait(-pid);
	} else if (pid > 0) {
		int ws = 0;

		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	}
	if (strlen(line) < 4 || line[0] < '2' || line[0] > '5')
		(void)snprintf(line, sz, "451 4.3.0 The back end failed (%d)",
		    status);
}

static void
reply(const char *line)
{
	(void)send(HANDOFF_CHANNEL_FD, line, strlen(line), MSG_NOSIGNAL);
}

/* the standby client was started by the spawner (after the lock-down):
 * waited for there */
static bool standby_spawned;

static void
start_standby(bool verbose)
{
	const char *args[] = {"safemail-relay", "standby",
	    verbose ? "-v" : NULL, NULL};
	struct failure f = {FAIL_NONE, ""};
	char path[1100];

	if (spawner_on()) {
		int sv[2];

		standby.pid = -1;
		standby.sock = -1;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) !=
		    0) {
			log_emit(LOG_WARNING, "socketpair: %s", strerror(errno));
			return;
		}
		{
			const int at[SPAWNER_FDS] = {0, 1, 2, sv[1], -1, -1};

			standby.pid = spawner_run(args, at, &f);
		}
		(void)close(sv[1]);
		if (standby.pid < 0) {
			log_emit(LOG_WARNING, "%s", f.msg);
			(void)close(sv[0]);
			return;
		}
		standby.sock = sv[0];
		standby_spawned = true;
		return;
	}
	if (handoff_spawn(&st, &standby,
		handoff_relay_path(&st, path, sizeof(path)), args, false,
		&f) != 0) {
		log_emit(LOG_WARNING, "%s", f.msg);
		standby.pid = -1;
		standby.sock = -1;
	}
}

/* Send now through the standby relay client: its exit code is ours.
 * Returns -1 when it is not there to take the message (it could not be
 * started): the caller then execs the relay client as usual, which says
 * what is wrong; -2 when the kept client took the message and ended
 * without an answer (the caller queues it: nothing is lost). */
static int
send_by_standby(const struct handoff_req *r, const int fds[2], bool verbose)
{
	struct failure f = {FAIL_NONE, ""};
	int rc;

	if (offer(standby.sock, standby.pid < 0, r, fds,
		stderr_for_relay(verbose)) != 0) {
		bool kept = standby.pid < 0;

		(void)close(standby.sock);
		standby.sock = -1;
		if (!kept)
			return -1;
		start_standby(verbose);
		return standby.sock >= 0 ? send_by_standby(r, fds, verbose)
					 : -1;
	}
	/* the kept client answers with the code; one that ends says it by
	 * its exit status */
	rc = handoff_receive_result(standby.sock);
	if (rc >= 0) {
		(void)close(standby.sock);
		standby.sock = -1;
		return rc;
	}
	if (standby.pid < 0) {
		(void)close(standby.sock);
		standby.sock = -1;
		return -2;
	}
	if (standby_spawned) {
		(void)close(standby.sock);
		standby.sock = -1;
		rc = spawner_wait(standby.pid);
	} else {
		rc = handoff_close(&standby);
	}
	if (rc < 0) {
		fail_set(&f, FAIL_SOFTWARE, "safemail-relay died");
		return report(caller_self(), &f, false);
	}
	return rc;
}

/* What the configuration file must be: the set-ID gate's rules; the
 * service's file is root's too, never its own user's (whose relay
 * client faces the network). A test's copy may own its own. */
static void
trust_for(struct conf_trust *trust)
{
	conf_trust_for(trust, st.secure);
	/* the service's file as the set-ID gate's: root's, its group the
	 * service's, nothing for others (the reviewer's finding 6) */
	if (service) {
		trust->caller_may_own = false;
		trust->require_group = true;
		trust->group = getegid();
	}
}

static int submit_permitted(struct failure *f);

/* The file as this session last read it: one request after another
 * (-bs, or a caller that keeps its socket open), an admin's change must
 * bind the next message of a session opened before it, not only new
 * sessions. */
static struct stat loaded_id;
static bool have_loaded_id;

/* Read the configuration again when it changed since this session read
 * it. A gate that did stays no more (its tag names the old file). */
static int
refresh_conf(struct failure *f)
{
	struct conf_trust trust;

	if (have_loaded_id && conf_file_unchanged(config_path, &loaded_id))
		return 0;
	have_conf_id = false;
	if (gate_locked()) {
		/* the sandbox opens no file outside the spool: the next
		 * connection reads it */
		fail_set(f, FAIL_TEMP, "%s changed during this session: "
				       "connect again",
		    config_path);
		return -1;
	}
	conf_free(&conf);
	have_loaded_id = stat(config_path, &loaded_id) == 0;
	trust_for(&trust);
	if (conf_load(config_path, &trust, &conf, f) != 0)
		return -1;
	conf_forget_secrets(&conf);
	log_emit(LOG_INFO, "%s changed during a session: read again",
	    config_path);
	return 1;
}

/* One request. Returns -1 to go on (-bs), else the exit code. */
static int
request(const struct handoff_req *r, bool verbose, int fds[2])
{
	struct failure f = {FAIL_NONE, ""};
	struct spool_env e;
	char line[HANDOFF_VERDICT_MAX];
	int q = 1, rr;

	if (!gate_locked())
		origin_known = false; /* locked down: looked up before */
	request_qid[0] = '\0';
	/* set-ID: every area as make install made it, before anything is
	 * counted, queued or sent; one that is missing or wrong is the
	 * admin's to mend, never this caller's to make (area.h). A copy
	 * that is not set-ID (a test's) may send without a spool, as
	 * before, and checks an area when it uses one. */
	/* who may submit was checked with the file as read: again only
	 * when it was read again */
	if ((rr = refresh_conf(&f)) < 0 ||
	    (rr > 0 && submit_permitted(&f) != 0) ||
	    (st.secure && spool_check(spool_path, &f) != 0)) {
		if (!r->verdict)
			return report(caller_self(), &f, false);
		report_caller(LOG_ERR, caller_self(), "error", "%s", f.msg);
		(void)snprintf(line, sizeof(line), "451 4.3.0 %s", f.msg);
		reply(line);
		return -1;
	}
	if (read_request_files(fds, &e, &f) != 0) {
		bool denied = f.kind == FAIL_SENDER_DENIED;
		bool bad = f.kind == FAIL_DATA || f.kind == FAIL_USAGE;

		if (r->verdict) {
			report_caller(LOG_WARNING, caller_self(), "refused",
			    "%s", f.msg);
			(void)snprintf(line, sizeof(line), "%s %s",
			    denied ? "553 5.7.1"
			    : bad  ? "554 5.6.0"
				   : "451 4.3.0",
			    f.msg);
			reply(line);
			return -1;
		}
		return report(caller_self(), &f, denied || bad);
	}
	/* disable = yes binds a caller that speaks to the gate itself as
	 * it binds the front end: read, checked, logged, discarded */
	if (conf.disable) {
		log_emit(LOG_INFO, "%s: uid=%u from=<%s> nrcpt=%zu size=%llu "
				   "status=discarded (disable = yes)",
		    e.qid, e.uid, e.null_sender ? "" : e.sender, e.nrcpt,
		    e.size);
		spool_env_free(&e);
		if (r->verdict) {
			reply("250 2.0.0 Ok: discarded (disabled)");
			return -1;
		}
		return 0;
	}
	if ((q = apply_limits(fds, &e, &f)) != 0) {
		if (q > 0)
			(void)snprintf(line, sizeof(line),
			    "250 2.0.0 Ok: held as %s", e.qid);
		else
			(void)snprintf(line, sizeof(line), "%s %s",
			    f.kind == FAIL_NOPERM ? "550 5.7.1" : "451 4.7.0",
			    f.msg);
		spool_env_free(&e);
		if (r->verdict) {
			reply(line);
			return -1;
		}
		return q > 0 ? 0
			     : report(caller_self(), &f, f.kind == FAIL_NOPERM);
	}
	q = 1;
	if (r->queue && (q = queue_message(r, fds, &e, &f)) == 0) {
		if (r->verdict) {
			(void)snprintf(line, sizeof(line),
			    "250 2.0.0 Ok: queued as %s", e.qid);
			reply(line);
		}
		spool_env_free(&e);
		return r->verdict ? -1 : 0;
	}
	if (q > 0 && own_envelope(fds, &e, &f) != 0)
		q = -1;
	spool_env_free(&e);
	if (q < 0 && !r->verdict)
		return report(caller_self(), &f, false);
	if (r->verdict) {
		if (q < 0)
			(void)snprintf(line, sizeof(line), "451 4.3.0 %s",
			    f.msg);
		else
			verdict(r, verbose, fds, line, sizeof(line));
		reply(line);
		return -1;
	}
	if (standby.sock >= 0 && (q = send_by_standby(r, fds, verbose)) >= 0)
		return q;
	if (q == -2)
		return queue_unanswered(r, fds, &f) == 0
		    ? 0
		    : report(caller_self(), &f, false);
	{
		char started[32];
		const char *args[5];

		handoff_relay_args(args, started, "deliver", verbose,
		    r->started);
		return service || spawner_on()
		    ? run_relay(args, fds[0], fds[1])
		    : exec_relay(args, fds[0], fds[1]);
	}
}

/* Move fd to descriptor to (either may be the other's number). */
static int
put_on(int fd, int to)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	int rc;

	(void)close(fd);
	if (high < 0)
		return -1;
	rc = dup2(high, to) < 0 ? -1 : 0;
	(void)close(high);
	return rc;
}

/* Is name's group one the service's caller has? Its groups are the
 * kernel's (the primary from SO_PEERCRED, the others SO_PEERGROUPS). */
static bool
peer_in_group(const char *name)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	struct group *gr = getgrnam(name);

	if (gr == NULL)
		return false;
	if (gr->gr_gid == peer_gid)
		return true;
	if (getsockopt(HANDOFF_CHANNEL_FD, SOL_SOCKET, SO_PEERGROUPS, groups,
		&len) != 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
}

/* [gate] submit_users, submit_groups: the service's caller is one of
 * them (root always is), or it is refused, with 77. */
static int
submit_permitted(struct failure *f)
{
	const struct caller *who = caller_self();

	if (!service || (conf.nsubmit_users == 0 && conf.nsubmit_groups == 0) ||
	    who->uid == 0)
		return 0;
	for (unsigned i = 0; i < conf.nsubmit_users; i++)
		if (strcmp(conf.submit_users[i], who->user) == 0)
			return 0;
	for (unsigned i = 0; i < conf.nsubmit_groups; i++)
		if (peer_in_group(conf.submit_groups[i]))
			return 0;
	fail_set(f, FAIL_NOPERM, "uid %u (%s) may not submit: not in [gate] "
				 "submit_users or submit_groups",
	    (unsigned)who->uid, who->user);
	return -1;
}

/* The service's caller's stderr (or stdout) as it may be written: not a socket
 * that hands each packet's sender to its reader (datagram, seqpacket:
 * SCM_CREDENTIALS), where our lines would arrive as the safemail user's
 * (in the journal, say: its syslog socket believes them). Its lines go
 * to the log only then. -1 when fd is. (A red team's finding.) */
static int
usable_output(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	struct stat s;

	if (fd < 0 || fstat(fd, &s) != 0 || !S_ISSOCK(s.st_mode) ||
	    (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		type == SOCK_STREAM))
		return fd;
	report_caller(LOG_WARNING, caller_self(), "warning",
	    "its standard error is a socket of packets, which would name "
	    "the %s user as their sender: not written to",
	    startup_queue_user(&st));
	(void)close(fd);
	return open("/dev/null", O_WRONLY | O_CLOEXEC);
}

/* One session with a front end on HANDOFF_CHANNEL_FD; caller_stderr:
 * the service's front end sends its stderr after the policy. */
static int
serve(bool verbose, bool send_now, bool caller_stderr)
{
	struct failure f = {FAIL_NONE, ""};
	struct conf_trust trust;
	char *policy = NULL;
	size_t len = 0;
	int rc;

	trust_for(&trust);
	/* before reading it: a change after this is seen */
	have_loaded_id = have_conf_id = stat(config_path, &conf_id) == 0;
	loaded_id = conf_id;
	if (conf_load_policy(config_path, &trust, &conf, &policy, &len, &f) !=
	    0)
		return report(caller_self(), &f, false);
	if (submit_permitted(&f) != 0) {
		explicit_bzero(policy, len);
		free(policy);
		return report(caller_self(), &f, true);
	}
	/* a hard limit of the caller's below what a spool file needs: 75
	 * before anything is written (startup.h) */
	if (startup_limits_enough(startup_file_size_need(conf.max_message_size),
		&f) != 0) {
		explicit_bzero(policy, len);
		free(policy);
		return report(caller_self(), &f, false);
	}
	conf_loaded = true;
	/* as soon as the configuration allows: its libcurl takes longest
	 * to load (not for async or disable, which would only waste it) */
	if (send_now && !conf.async && !conf.disable) {
		/* a client still loaded from this user's last message, else
		 * a new one (-v: one that shows this message's dialogue) */
		/* the service's kept client, else a new one (-v: one that
		 * shows this message's dialogue) */
		if (use_kept(verbose)) {
			standby.pid = -1;
			standby.sock = lent;
			lent = -1;
		}
		if (standby.sock < 0)
			start_standby(verbose);
	}
	/* the relay reads them again, for itself: nothing here needs them */
	conf_forget_secrets(&conf);
	/* what needs a file is looked up now (sandbox_gate.c) */
	(void)caller_self();
	(void)origin();
	(void)queue_user_uid();
	load_caller_groups();
	limitstate_resolve_groups(&conf);
	rc = handoff_send_policy(HANDOFF_CHANNEL_FD, policy, len);
	explicit_bzero(policy, len);
	free(policy);
	if (rc != 0)
		return 0; /* the front end is gone: nothing was asked */
	policy_sent = true;
	if (caller_stderr) {
		int err = usable_output(handoff_receive_fd(HANDOFF_CHANNEL_FD));

		if (err < 0 || put_on(err, 2) != 0)
			return 0; /* gone, or not a front end */
	}
	/* the lock-down, before the first request is read: while the front
	 * end reads the message, which hides most of its cost (some 0.1 ms
	 * a process, the kernel's: bench/sandbox.sh); a failure is said on
	 * the caller's stderr, and nothing was asked yet */
	if (gate_lockdown(&conf, &st, service ? listener_channel : -1,
		config_path, spool_path, &f) != 0)
		return report(caller_self(), &f, false);
	for (;;) {
		struct handoff_req r;
		int fds[2];

		/* the service's child ends within the idle spell and a
		 * message's time even when its caller's stderr never drains
		 * (a write to it is the one wait nothing else bounds) */
		if (service)
			(void)alarm(SERVICE_IDLE_S + SERVICE_MESSAGE_S);
		rc = handoff_receive(HANDOFF_CHANNEL_FD, &r, fds);
		if (rc == 1)
			return 0;
		if (rc < 0) {
			fail_set(&f, FAIL_SOFTWARE,
			    "a malformed request from the front end");
			return report(caller_self(), &f, false);
		}
		rc = request(&r, verbose, fds);
		relay_stderr_flush();
		(void)close(fds[0]);
		(void)close(fds[1]);
		if (rc >= 0)
			return rc;
	}
}

static bool queue_owner(void);

/* The configuration as this gate trusts it, for its own use: the policy
 * text a front end would get is wiped. 0, or -1 with f set. */
static int
load_own_conf(struct conf *c, struct failure *f)
{
	struct conf_trust trust;
	char *policy = NULL;
	size_t len = 0;

	trust_for(&trust);
	if (conf_load_policy(config_path, &trust, c, &policy, &len, f) != 0)
		return -1;
	explicit_bzero(policy, len);
	free(policy);
	return 0;
}

/* The listing (mailq) reads every queued envelope it shows (all of them
 * for root and the queue user): locked down as a session is, once its
 * output is in hand (sandbox_gate.h). A configuration it cannot read
 * leaves the sandbox on. 0, or the failure's exit code. */
static int
lock_listing(void)
{
	struct failure f = {FAIL_NONE, ""};
	struct conf c;
	bool loaded = load_own_conf(&c, &f) == 0;
	int rc;

	if (!loaded)
		conf_defaults(&c); /* the sandbox on */
	/* what needs a file, looked up first */
	(void)caller_self();
	(void)queue_owner();
	f.kind = FAIL_NONE; /* a configuration not read is not the listing's */
	rc = gate_lockdown_listing(&c, &st, config_path, spool_path, &f);
	if (loaded)
		conf_free(&c);
	return rc == 0 ? 0 : report(caller_self(), &f, false);
}

/* What list, stats and repair printed has reached standard output: 0,
 * or the failure's exit code. */
static int
flush_stdout(void)
{
	struct failure f;

	if (fflush(stdout) == 0)
		return 0;
	fail_set(&f, FAIL_IOERR, "cannot write to standard output");
	return report(caller_self(), &f, false);
}

static int
list(void)
{
	struct failure f = {FAIL_NONE, ""};
	struct spool sp;

	if (spool_open(&sp, spool_path, &f) != 0) {
		struct stat missing;

		if (stat(spool_path, &missing) != 0 && errno == ENOENT) {
			(void)printf("Mail queue is empty\n");
			return fflush(stdout) == 0 ? 0 : 74;
		}
		return report(caller_self(), &f, false);
	}
	/* root and the queue user see every message, others their own */
	if (mailq_print(&sp, stdout, queue_owner(), (unsigned)submitter(), &f) !=
	    0) {
		spool_close(&sp);
		return report(caller_self(), &f, false);
	}
	spool_close(&sp);
	return flush_stdout();
}

/* Queue work (a run, a flush, one message, the relay check) touches
 * every user's mail: only root and the queue user may start it, never a
 * caller who could starve it of descriptors or stop it while it holds
 * the locks of other users' messages. */
static bool
queue_owner(void)
{
	uid_t q = queue_user_uid(), who = submitter();

	return who == 0 || (q != 0 && q != (uid_t)-1 && q == who);
}

/* A queue run's limits are its own, not whatever its starter's shell
 * set: every soft limit up to its hard one (root: descriptors and file
 * size without a lower hard limit either). */
static void
queue_limits(void)
{
	static const int which[] = {RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_AS,
	    RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CPU, RLIMIT_NPROC};

	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		struct rlimit rl;

		if (getrlimit(which[i], &rl) != 0)
			continue;
		if (getuid() == 0 && which[i] == RLIMIT_NOFILE &&
		    rl.rlim_max < 4096)
			rl.rlim_max = 4096;
		else if (getuid() == 0 && which[i] != RLIMIT_NOFILE &&
		    which[i] != RLIMIT_STACK)
			rl.rlim_max = RLIM_INFINITY;
		rl.rlim_cur = which[i] == RLIMIT_STACK &&
			rl.rlim_max > 8 * 1024 * 1024
		    ? 8 * 1024 * 1024
		    : rl.rlim_max;
		if (setrlimit(which[i], &rl) != 0) {
			rl.rlim_max = rl.rlim_cur = 0;
			if (getrlimit(which[i], &rl) == 0) {
				rl.rlim_cur = rl.rlim_max;
				(void)setrlimit(which[i], &rl);
			}
		}
	}
}

/* safemail --stats [--json]: root and the queue user only (the counts
 * tell how much every user sends) */
static int
stats(bool json)
{
	struct failure f = {FAIL_NONE, ""};
	struct conf_trust trust;

	if (!queue_owner()) {
		fail_set(&f, FAIL_NOPERM, "--stats is for root and the %s user "
					  "only",
		    startup_queue_user(&st));
		return report(caller_self(), &f, true);
	}
	trust_for(&trust);
	if (conf_load(config_path, &trust, &conf, &f) != 0)
		return report(caller_self(), &f, false);
	conf_forget_secrets(&conf);
	if (limitstats_print(&conf, stdout, json, limits_now(), &f) != 0)
		return report(caller_self(), &f, false);
	return flush_stdout();
}

/* safemail --check --repair: root alone (it gives the areas to root)
 * makes what is missing and sets each area's owner, group and mode as
 * make install does (area.h), before the check. */
static int
repair(void)
{
	struct failure f = {FAIL_NONE, ""};

	if (getuid() != 0) {
		fail_set(&f, FAIL_NOPERM, "--repair is for root only");
		return report(caller_self(), &f, true);
	}
	if (area_repair(spool_path, stdout, &f) != 0)
		return report(caller_self(), &f, false);
	return flush_stdout();
}

/* Installed set-ID, yet running without its group: the kernel ignored
 * the bit (no_new_privs: systemd's NoNewPrivileges=, Docker's
 * no-new-privileges, Kubernetes' allowPrivilegeEscalation: false; or a
 * nosuid mount). Nothing of the back end can work then: say why, 75
 * (the caller keeps its message), rather than a puzzling "cannot open"
 * of the configuration. Root reads it anyway, and a copy that is not
 * set-ID (a test's) has no group to miss. */
static int
group_missing(struct failure *f)
{
	struct stat self;
	int nnp;

	if (getuid() == 0 || stat("/proc/self/exe", &self) != 0 ||
	    (self.st_mode & S_ISGID) == 0 || getegid() == self.st_gid)
		return 0;
	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	fail_set(f, FAIL_TEMP,
	    "safemail-gate is set-ID but runs without its group (gid %u): %s, "
	    "so the set-ID path cannot work here, and no submission service "
	    "listens on %s; nothing was sent",
	    (unsigned)self.st_gid,
	    nnp == 1 ? "no_new_privs is set (systemd NoNewPrivileges=, "
		       "docker no-new-privileges, Kubernetes "
		       "allowPrivilegeEscalation: false)"
		     : "the kernel ignored the set-ID bit (a nosuid mount, "
		       "or a tracer)",
	    startup_submit_socket(&st));
	return -1;
}

static int list(void);

/* mailq through the service: the listing on the caller's stdout (its
 * own messages; root's and the queue user's: all), the one line of a
 * failure on its stderr, the exit code on the socket. */
static int
list_for_peer(void)
{
	int out = handoff_receive_fd(HANDOFF_CHANNEL_FD);
	int err = out >= 0 ? handoff_receive_fd(HANDOFF_CHANNEL_FD) : -1;
	int rc;

	out = usable_output(out);
	err = usable_output(err);
	if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		return 0; /* gone, or not a front end */
	(void)close(out);
	(void)close(err);
	rc = lock_listing();
	if (rc == 0)
		rc = list();
	(void)handoff_send_result(HANDOFF_CHANNEL_FD, rc);
	return rc;
}

/* One connection to the service, in a child of its own (listen.h), on
 * HANDOFF_CHANNEL_FD: the hello, then a session as the set-ID gate's,
 * for the uid the kernel named; the outcome goes back on the socket. */
static int
serve_peer(const struct listen_peer *peer)
{
	bool verbose = false;
	char kind = 0;
	int early, rc;

	service = true;
	peer_gid = peer->gid;
	lent = peer->relay;
	listener_channel = peer->spawner;
	handoff_children_die_with_parent();
	/* bounded from the start, the listing ('L') too (a caller's output
	 * that never drains) */
	(void)alarm(SERVICE_IDLE_S + SERVICE_MESSAGE_S);
	caller_serve_peer(peer->uid, peer->pid);
	/* a caller that connects and says nothing holds only this child,
	 * and not for long */
	receive_wait(HANDOFF_CHANNEL_FD, SERVICE_HELLO_WAIT_S);
	if (handoff_receive_hello(HANDOFF_CHANNEL_FD, &kind, &verbose, claim,
		sizeof(claim)) != 0)
		return 0;
	receive_wait(HANDOFF_CHANNEL_FD, SERVICE_IDLE_S);
	/* what fails before the policy goes out is said on the socket: its
	 * line is caught here (the caller's stderr comes with the policy) */
	early = memfd_create("safemail-early", MFD_CLOEXEC);
	if (early < 0 || dup2(early, 2) < 0)
		return 71;
	if (kind == 'L')
		return list_for_peer();
	rc = serve(verbose, kind == 'S', true);
	if (standby.sock >= 0)
		(void)close(standby.sock);
	if (!policy_sent) {
		char line[400];
		ssize_t n = pread(early, line, sizeof(line) - 1, 0);

		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		/* report() wrote "safemail-gate: ..." or "safemail: ..." */
		(void)handoff_send_refusal(HANDOFF_CHANNEL_FD, rc > 0 ? rc : 75,
		    strchr(line, ' ') != NULL ? strchr(line, ' ') + 1
					      : "the submission service failed");
	} else {
		(void)handoff_send_result(HANDOFF_CHANNEL_FD, rc);
	}
	(void)close(early);
	return rc;
}

/* The relay client the service keeps (listen.h): started by the
 * listener, its socket lent to one connection at a time. */
static int
keep_relay(pid_t *pid)
{
	const char *args[] = {"safemail-relay", "standby", "stay", NULL};
	struct failure f = {FAIL_NONE, ""};
	struct handoff h;
	char path[1100];

	if (handoff_spawn(&st, &h, handoff_relay_path(&st, path, sizeof(path)),
		args, false, &f) != 0) {
		log_emit(LOG_WARNING, "%s", f.msg);
		return -1;
	}
	*pid = h.pid;
	return h.sock;
}

/* A spawner for one of the service's connections (listen.h): the
 * listener's child, not locked down, serving that connection's gate;
 * the caller's background slots are counted there. */
static pid_t
spawner_for(const struct listen_peer *peer, int *gate_end)
{
	struct failure f = {FAIL_NONE, ""};
	pid_t pid = spawner_fork(&st, true, background_slot, peer->uid,
	    gate_end, &f);

	if (pid < 0)
		log_emit(LOG_WARNING, "no spawner for uid %u's connection: %s",
		    (unsigned)peer->uid, f.msg);
	return pid;
}

/* safemail --check: what the gate's sandbox enforces on this kernel
 * (the relay client prints its own) */
static void
print_gate_sandbox(void)
{
	struct failure f = {FAIL_NONE, ""};
	struct conf c;

	if (load_own_conf(&c, &f) != 0)
		return; /* the relay client's check says what is wrong */
	gate_sandbox_print(&c, spool_path, stdout);
	(void)fflush(stdout);
	conf_free(&c);
}

/* A queue run of the service's (-q): safemail-relay queue, its child */
static pid_t
queue_run(void)
{
	static const char *const args[] = {"safemail-relay", "queue", NULL};
	pid_t pid = fork();

	if (pid == 0)
		_exit(exec_relay(args, -1, -1));
	if (pid < 0)
		log_emit(LOG_WARNING, "no queue run now: fork: %s",
		    strerror(errno));
	return pid;
}

/* The listener's own reading of the configuration, for where its lines
 * go (log.h) and to say at the start what is wrong with it: each
 * connection reads it again. The log socket, or -1. */
static int
listener_log(void)
{
	struct failure f = {FAIL_NONE, ""};
	int fd, dfd;

	log_own_stderr();
	service = true;
	if (load_own_conf(&conf, &f) == 0) {
		conf_free(&conf);
	} else {
		log_emit(LOG_ERR, "%s (each caller is refused until it is "
				  "fixed)",
		    f.msg);
	}
	service = false;
	if (!log_to_stderr())
		return -1;
	dfd = rundir_open(); /* made when missing */
	if (dfd >= 0)
		(void)close(dfd);
	fd = log_service_open();
	if (fd < 0)
		log_emit(LOG_WARNING, "%s/log: no log socket (%s): the lines "
				      "of relay clients and queue runs are "
				      "lost",
		    rundir_path(), strerror(errno));
	return fd;
}

/* safemail-gate listen [-i SECONDS] [-q INTERVAL] [PATH]: the service, as
 * its own user, never set-ID (a caller could hand a set-ID gate any
 * socket: the kernel's word on the peer is only the service's own), nor
 * as root. */
static int
listen_mode(int argc, char **argv, int activated)
{
	struct failure f = {FAIL_NONE, ""};
	/* an activated service ends after a minute without a caller;
	 * -i: after SECONDS (0: never), activated or not */
	unsigned long idle = activated >= 0 ? LISTEN_IDLE_EXIT_S : 0;
	unsigned long every = 0;
	struct listen_opts o;
	const char *path;
	int i = 2, rc;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-i") == 0) {
			if (!text_parse_uint(argv[i + 1], 86400, &idle))
				return report_by_hand("safemail-gate");
		} else if (strcmp(argv[i], "-q") == 0) {
			/* sendmail's -q15m: the queue run in the service
			 * (a container has no cron) */
			if (!conf_parse_duration(argv[i + 1], &every) ||
			    every == 0 || every > 86400)
				return report_by_hand("safemail-gate");
		} else {
			return report_by_hand("safemail-gate");
		}
	}
	path = i < argc ? argv[i++] : startup_submit_socket(&st);
	if (i != argc || path[0] != '/')
		return report_by_hand("safemail-gate");
	if (st.secure || getuid() != geteuid() || getgid() != getegid()) {
		fail_set(&f, FAIL_NOPERM, "listen is the %s user's service: "
					  "not in a set-ID run",
		    startup_queue_user(&st));
		return report(caller_self(), &f, true);
	}
	if (getuid() == 0 && strcmp(startup_queue_user(&st), "root") != 0) {
		fail_set(&f, FAIL_NOPERM, "listen runs as the %s user "
					  "(systemd: User=%s), not as root",
		    startup_queue_user(&st), startup_queue_user(&st));
		return report(caller_self(), &f, true);
	}
	o.path = path;
	o.activated = activated;
	o.idle_exit = (unsigned)idle;
	o.queue_every = (unsigned)every;
	o.log_fd = listener_log();
	o.session = serve_peer;
	o.keep = keep_relay;
	o.spawner = spawner_for;
	o.queue = queue_run;
	rc = listen_run(&o, &f);
	log_service_close(o.log_fd);
	if (rc != 0)
		return report(caller_self(), &f, false);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc >= 2 ? argv[1] : "";
	/* systemd's socket, before the environment is cleared */
	int activated = strcmp(mode, "listen") == 0 ? listen_activated() : -1;
	int rc;

	/* fd 3 is the front end's socket when serving, systemd's listening
	 * socket when activated; closed otherwise */
	if (startup_harden(&st, 1) != 0 || startup_backend() != 0)
		return 71;
	if (strcmp(mode, "serve") != 0 && activated < 0)
		(void)close(HANDOFF_CHANNEL_FD);
	/* the service's children put their connection on fd 3: nothing of
	 * the listener's (the log's socket) may be there */
	if (strcmp(mode, "listen") == 0 && activated < 0 &&
	    open("/dev/null", O_RDONLY | O_CLOEXEC) != HANDOFF_CHANNEL_FD)
		return 71;
	log_init(st.log_socket[0] != '\0' ? st.log_socket : NULL);
	config_path = startup_config_path(&st);
	spool_path = startup_spool_path(&st);
	rundir_set(spool_path);
	log_set_run_dir(rundir_path());
	area_set_queue_user(startup_queue_user(&st));
	{
		struct failure f = {FAIL_NONE, ""};

		if (group_missing(&f) != 0)
			return report(caller_self(), &f, false);
	}
	if (strcmp(mode, "listen") == 0)
		return listen_mode(argc, argv, activated);
	if (strcmp(mode, "serve") == 0) {
		bool verbose = false, send_now = false;
		int i = 2;
		struct stat s;

		if (i < argc && strcmp(argv[i], "-v") == 0 && ++i)
			verbose = true;
		if (i < argc && strcmp(argv[i], "-s") == 0 && ++i)
			send_now = true;
		if (i != argc || fstat(HANDOFF_CHANNEL_FD, &s) != 0 ||
		    !S_ISSOCK(s.st_mode))
			return report_by_hand("safemail-gate");
		rc = serve(verbose, send_now, false);
		/* not used: the standby client sees the socket close and
		 * ends by itself */
		if (standby.sock >= 0)
			(void)close(standby.sock);
		return rc;
	}
	if (strcmp(mode, "list") == 0 && argc == 2)
		return (rc = lock_listing()) != 0 ? rc : list();
	if (strcmp(mode, "stats") == 0 &&
	    (argc == 2 || (argc == 3 && strcmp(argv[2], "json") == 0)))
		return stats(argc == 3);
	if (strcmp(mode, "queue") == 0 || strcmp(mode, "check") == 0 ||
	    strcmp(mode, "one") == 0) {
		const char *args[8];
		int n = 0;

		if (argc > 7)
			return report_by_hand("safemail-gate");
		if (!queue_owner()) {
			struct failure f;

			fail_set(&f, FAIL_NOPERM,
			    "queue runs are for root and the %s user only",
			    startup_queue_user(&st));
			return report(caller_self(), &f, true);
		}
		bool repairing = strcmp(mode, "check") == 0 && argc == 3 &&
		    strcmp(argv[2], "repair") == 0;

		queue_limits();
		if (repairing && (rc = repair()) != 0)
			return rc;
		if (strcmp(mode, "check") == 0 && !repairing)
			print_gate_sandbox();
		args[n++] = "safemail-relay";
		for (int i = 1; i < (repairing ? 2 : argc); i++)
			args[n++] = argv[i];
		args[n] = NULL;
		return exec_relay(args, -1, -1);
	}
	return report_by_hand("safemail-gate");
}
