/* relaymain.c - safemail-relay, the back end: the only program that links
 * libcurl and OpenSSL and talks to the relay. The gate (safemail-gate,
 * setgid safemail) starts it by exec, so that it has the group, with a
 * fixed command line:
 *
 *   safemail-relay deliver [-v] STARTED   envelope on fd 3, message on fd 4
 *   safemail-relay verdict [-v] STARTED   the same, for -bs: the SMTP
 *                                        reply line on fd 5, not stderr
 *   safemail-relay queue [-v] [flush | I VALUE | R VALUE | S VALUE]
 *   safemail-relay one QID               the background attempt (async)
 *   safemail-relay standby [-v]          started by the gate before the
 *                                        message exists: the gate's socket
 *                                        on fd 3 brings one request with
 *                                        the envelope and the message
 *   safemail-relay check                 safemail --check
 *
 * It parses nothing else; the envelope is read as hostile input
 * (spoolfmt.c), and both files must be sealed memory files, the message
 * of the size the envelope gives. Installed mode 0750 root:safemail: only
 * the gate and the queue runner (user safemail) can run it. Started by
 * root, it becomes the safemail user first. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "area.h"
#include "backend.h"
#include "caller.h"
#include "check.h"
#include "clock.h"
#include "conf.h"
#include "deliver.h"
#include "handoff.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "sandbox_relay.h"
#include "spool.h"
#include "startup.h"
#include "rundir.h"

static bool dropped; /* started by root, now the safemail user */

/* After the one line of a failure: the recipients refused while others
 * got the message, one indented line each (already made printable). */
static void
say_refused(const char *lines)
{
	while (*lines != '\0') {
		const char *nl = strchr(lines, '\n');
		size_t n = nl != NULL ? (size_t)(nl - lines) : strlen(lines);

		(void)fprintf(stderr, "safemail:   %.*s\n", (int)n, lines);
		lines += n + (nl != NULL);
	}
}

/* One message. verdict (-bs): the SMTP reply line for the client goes
 * there (vsz bytes), and nothing to stderr; NULL: the one line of a
 * failure goes to stderr. */
static int
deliver_mode(const struct conf *c, const char *spool_path, bool verbose,
    double started, char *verdict, size_t vsz, int envfd, int msgfd,
    struct outbound *kept)
{
	struct failure f = {FAIL_NONE, ""};
	struct spool_env e;
	int rc;

	if (handoff_read_files(envfd, msgfd, &e, &f) != 0) {
		if (verdict != NULL)
			backend_verdict(&f, 0, verdict, vsz);
		return report(caller_self(), &f, false);
	}
	rc = backend_submit(c, verbose, &e, msgfd, started,
	    spool_path, kept, &f);
	spool_env_free(&e);
	if (verdict != NULL) {
		backend_verdict(&f, backend_last_code(), verdict, vsz);
		return rc == 0 ? 0 : exit_code(f.kind);
	}
	/* the delivery has logged its outcome: stderr gets the one line,
	 * and the recipients refused when others got it */
	if (rc == 0)
		return 0;
	rc = report_line(&f);
	say_refused(backend_refused());
	return rc;
}

/* The relay client never runs as root: started by root (a queue run
 * from cron or a unit without User=, a message root submitted), it
 * becomes the safemail user before it reads anything, and checks that it
 * did. */
static int
become_queue_user(const struct startup *st, struct failure *f)
{
	const char *name = startup_queue_user(st);
	struct passwd *pw;
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getuid() != 0 && geteuid() != 0)
		return 0;
	if (strcmp(name, "root") == 0)
		return 0; /* only a test (not set-ID) can ask for this */
	/* log lines name who called (root), not who we become */
	(void)caller_self();
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL || pw->pw_uid == 0) {
		fail_set(f, FAIL_NOUSER, "queue runs do not run as root, and "
					 "there is no user %s to run as "
					 "(see safemail(8), SECURITY)",
		    name);
		return -1;
	}
	if (setgroups(0, NULL) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0 ||
	    getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid ||
	    setuid(0) == 0) {
		fail_set(f, FAIL_OSERR, "cannot become user %s: %s", name,
		    strerror(errno));
		return -1;
	}
	/* a credential change resets it to fs.suid_dumpable */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		fail_set(f, FAIL_OSERR, "prctl: %s", strerror(errno));
		return -1;
	}
	dropped = true;
	return 0;
}

/* standby, failed before any request: true when none comes (the gate
 * closed the socket), so that the failure is not reported twice. */
static bool
standby_unwanted(void)
{
	struct handoff_req r;
	int fds[2], rc;

	(void)send(HANDOFF_CHANNEL_FD, "F", 1, MSG_NOSIGNAL);
	rc = handoff_receive(HANDOFF_CHANNEL_FD, &r, fds);

	if (rc == 0) {
		(void)close(fds[0]);
		(void)close(fds[1]);
	}
	return rc == 1;
}

/* One request on sock: 'R', then the caller's standard error, then the
 * request. Its exit code, or -1 when none came (the gate closed the
 * socket: nothing to do, nothing to say). */
static int
take_request(int sock, const struct conf *c, const char *spool_path,
    bool verbose, struct outbound *kept)
{
	struct handoff_req r;
	int fds[2], rc;

	/* ready: the gate hands over the message only now, after its
	 * caller's stderr (a kept client's changes with every message) */
	if (send(sock, "R", 1, MSG_NOSIGNAL) != 1)
		return -1;
	{
		int err = handoff_receive_fd(sock);

		if (err < 0)
			return -1;
		rc = dup2(err, 2);
		(void)close(err);
		if (rc < 0)
			return -1;
	}
	rc = handoff_receive(sock, &r, fds);
	if (rc == 1)
		return -1;
	if (rc != 0 || r.queue) {
		struct failure f;

		fail_set(&f, FAIL_SOFTWARE,
		    "a malformed request from the gate");
		return report(caller_self(), &f, false);
	}
	if (r.verdict) {
		/* -bs: "V" and the reply line, before the exit code */
		char line[HANDOFF_VERDICT_MAX + 1];

		line[0] = 'V';
		rc = deliver_mode(c, spool_path, verbose, r.started, line + 1,
		    sizeof(line) - 1, fds[0], fds[1], kept);
		(void)send(sock, line, strlen(line), MSG_NOSIGNAL);
	} else {
		rc = deliver_mode(c, spool_path, verbose, r.started, NULL, 0,
		    fds[0], fds[1], kept);
	}
	(void)close(fds[0]);
	(void)close(fds[1]);
	return rc;
}

/* standby: libcurl loads and the configuration is read while the front
 * end still reads the message; then one request from the gate. */
static int
standby_mode(const struct conf *c, const char *spool_path, bool verbose)
{
	int rc = take_request(HANDOFF_CHANNEL_FD, c, spool_path, verbose, NULL);

	return rc < 0 ? 0 : rc;
}

/* The relay client the service keeps (standby stay, src/gate/listen.c):
 * lent to one connection's gate at a time on fd 3, it takes message
 * after message, each announced by 'H'. Its session with the relay stays
 * open [smtp] linger seconds after a message; it stays loaded
 * KEPT_LOADED_S after its last message and KEPT_LIFE_S in all (a
 * program installed meanwhile takes over), and ends when the service
 * lets go of it, or (saying 'F') at the first message after its
 * configuration file changed. The packets of a message must follow its
 * 'H' within HANDOFF_READY_WAIT_S: a gate that died half-way leaves it
 * out of step, and it ends rather than guess. */
#define KEPT_LOADED_S 60
#define KEPT_LIFE_S 300
static int
kept_mode(const struct conf *c, const char *spool_path,
    const char *conf_path, const struct stat *conf_id)
{
	struct timeval step = {HANDOFF_READY_WAIT_S, 0}, none = {0, 0};
	struct outbound *kept = outbound_new(c, false);
	double born = clock_seconds(), last = born;
	bool session = false; /* kept may hold a connection */

	while (kept != NULL && clock_seconds() - born < KEPT_LIFE_S) {
		struct pollfd p = {HANDOFF_CHANNEL_FD, POLLIN, 0};
		double left = last + (session ? c->linger : KEPT_LOADED_S) -
		    clock_seconds();
		char hello = 0;
		int rc, null;

		if (left <= 0 && session) {
			/* no message for linger seconds: QUIT, stay loaded */
			outbound_free(kept);
			kept = outbound_new(c, false);
			session = false;
			continue;
		}
		if (left <= 0)
			break;
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		if (recv(HANDOFF_CHANNEL_FD, &hello, 1, 0) != 1 || hello != 'H')
			break; /* the service let go, or out of step */
		if (!conf_file_unchanged(conf_path, conf_id)) {
			(void)send(HANDOFF_CHANNEL_FD, "F", 1, MSG_NOSIGNAL);
			break; /* the gate starts a client of its own */
		}
		(void)setsockopt(HANDOFF_CHANNEL_FD, SOL_SOCKET, SO_RCVTIMEO,
		    &step, sizeof(step));
		rc = take_request(HANDOFF_CHANNEL_FD, c, spool_path, false,
		    kept);
		(void)setsockopt(HANDOFF_CHANNEL_FD, SOL_SOCKET, SO_RCVTIMEO,
		    &none, sizeof(none));
		/* the result first (the message is sent: never lose that),
		 * then its caller's stderr is not kept open past it */
		if (rc < 0 || handoff_send_result(HANDOFF_CHANNEL_FD, rc) != 0)
			break;
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 2) < 0) {
			if (null >= 0)
				(void)close(null);
			break;
		}
		(void)close(null);
		caller_rebind(0);
		session = c->linger > 0;
		last = clock_seconds();
		if (c->linger == 0)
			break; /* linger = 0: it ends with its message */
	}
	outbound_free(kept);
	return 0;
}

/* verdict (-bs): one message from fds 3 and 4, its reply line on fd 5 */
static int
verdict_mode(const struct conf *c, const char *spool_path, bool verbose,
    double started)
{
	char line[HANDOFF_VERDICT_MAX];
	int rc = deliver_mode(c, spool_path, verbose, started, line,
	    sizeof(line), HANDOFF_ENVELOPE_FD, HANDOFF_MESSAGE_FD, NULL);

	(void)dprintf(HANDOFF_STATUS_FD, "%s\n", line);
	return rc;
}

static int
queue_mode(const struct conf *c, const char *spool_path, bool verbose,
    int argc, char **argv, int i)
{
	struct failure f = {FAIL_NONE, ""};
	struct queue_select sel = {0, NULL};
	struct spool sp;
	int rc = 0;

	if (i < argc && strcmp(argv[i], "flush") == 0 && i + 1 == argc) {
		sel.kind = 'F';
	} else if (i + 2 == argc && strlen(argv[i]) == 1 &&
	    strchr("IRS", argv[i][0]) != NULL && strlen(argv[i + 1]) > 0 &&
	    strlen(argv[i + 1]) <= ADDR_MAX) {
		sel.kind = argv[i][0];
		sel.value = argv[i + 1];
	} else if (i != argc) {
		return report_by_hand("safemail-relay");
	}
	if (spool_open(&sp, spool_path, &f) != 0)
		return report(caller_self(), &f, false);
	if (queue_run(c, &sp, &sel, verbose, &f) != 0)
		rc = report(caller_self(), &f, false);
	spool_close(&sp);
	return rc;
}

int
main(int argc, char **argv)
{
	struct startup st;
	struct failure f = {FAIL_NONE, ""};
	struct conf conf;
	struct conf_trust trust;
	const char *path, *spool_path;
	struct stat conf_id;
	bool verbose = false, have_conf_id = false;
	int i = 2, rc;

	/* fds 3 and 4 carry a delivery's envelope and message, 5 (-bs) the
	 * verdict's way back; any other mode closes them before opening
	 * anything */
	if (startup_harden(&st, 3) != 0 || startup_backend() != 0)
		return 71;
	if (argc < 2 || (strcmp(argv[1], "deliver") != 0 &&
			    strcmp(argv[1], "verdict") != 0)) {
		if (argc < 2 || strcmp(argv[1], "standby") != 0)
			(void)close(HANDOFF_CHANNEL_FD);
		(void)close(HANDOFF_MESSAGE_FD);
	}
	if (argc < 2 || strcmp(argv[1], "verdict") != 0)
		(void)close(HANDOFF_STATUS_FD);
	log_init(st.log_socket[0] != '\0' ? st.log_socket : NULL);
	path = startup_config_path(&st);
	spool_path = startup_spool_path(&st);
	rundir_set(spool_path);
	log_set_run_dir(rundir_path());
	area_set_queue_user(startup_queue_user(&st));
	if (argc < 2)
		return report_by_hand("safemail-relay");
	if (argc > 2 && strcmp(argv[2], "-v") == 0) {
		verbose = true;
		i = 3;
	}
	conf_trust_for(&trust, st.secure);
	if (become_queue_user(&st, &f) == 0)
		/* before reading it: a change after this is seen */
		have_conf_id = stat(path, &conf_id) == 0;
	if (f.kind == FAIL_NONE && conf_load(path, &trust, &conf, &f) == 0 &&
	    startup_limits_enough(startup_file_size_need(
				      conf.max_message_size),
		&f) != 0)
		conf_free(&conf); /* a hard limit too low: 75 (startup.h) */
	if (f.kind != FAIL_NONE) {
		/* standby: the gate, started at the same time, has said it
		 * already, unless it still hands us a message */
		if (strcmp(argv[1], "standby") == 0 && standby_unwanted())
			return exit_code(f.kind);
		if (dropped && f.kind == FAIL_CONFIG) {
			size_t n = strlen(f.msg);

			(void)snprintf(f.msg + n, sizeof(f.msg) - n,
			    " (read as user %s, not root: make the file "
			    "root:safemail 0640)",
			    startup_queue_user(&st));
		}
		return report(caller_self(), &f, false);
	}
	/* set up, then locked down, before the first byte from the gate,
	 * the spool or the network (sandbox_relay.c); check stays open */
	if (strcmp(argv[1], "check") != 0 &&
	    relay_lockdown(&conf, &st, argv[1], path, spool_path, &f) != 0) {
		conf_free(&conf);
		if (strcmp(argv[1], "standby") == 0 && standby_unwanted())
			return exit_code(f.kind);
		return report(caller_self(), &f, false);
	}
	if ((strcmp(argv[1], "deliver") == 0 ||
		strcmp(argv[1], "verdict") == 0) &&
	    i + 1 == argc) {
		char *end;
		double started = strtod(argv[i], &end);

		if (*end != '\0' || !(started >= 0))
			started = 0;
		rc = strcmp(argv[1], "verdict") == 0
		    ? verdict_mode(&conf, spool_path, verbose, started)
		    : deliver_mode(&conf, spool_path, verbose, started, NULL,
			  0, HANDOFF_ENVELOPE_FD, HANDOFF_MESSAGE_FD, NULL);
	} else if (strcmp(argv[1], "standby") == 0 &&
	    (i == argc || (i + 1 == argc && !verbose && have_conf_id &&
			      strcmp(argv[i], "stay") == 0))) {
		struct stat s;

		/* stay: the one the service keeps (its socket, listen.c) */
		rc = fstat(HANDOFF_CHANNEL_FD, &s) != 0 || !S_ISSOCK(s.st_mode)
		    ? report_by_hand("safemail-relay")
		    : i == argc ? standby_mode(&conf, spool_path, verbose)
				: kept_mode(&conf, spool_path, path, &conf_id);
	} else if (strcmp(argv[1], "queue") == 0) {
		rc = queue_mode(&conf, spool_path, verbose, argc, argv, i);
	} else if (strcmp(argv[1], "one") == 0 && argc == 3 &&
	    spool_qid_ok(argv[2], strlen(argv[2]))) {
		struct spool sp;

		rc = 0;
		if (spool_open(&sp, spool_path, &f) != 0) {
			rc = report(caller_self(), &f, false);
		} else {
			queue_run_one(&conf, &sp, argv[2]);
			spool_close(&sp);
		}
	} else if (strcmp(argv[1], "check") == 0 && argc == 2) {
		rc = check_run(&conf, path, spool_path, &f) == 0
		    ? 0
		    : report(caller_self(), &f, false);
	} else {
		rc = report_by_hand("safemail-relay");
	}
	conf_free(&conf);
	return rc;
}
