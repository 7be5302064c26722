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
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "area.h"
#include "backend.h"
#include "caller.h"
#include "check.h"
#include "clock.h"
#include "conf.h"
#include "deliver.h"
#include "handoff.h"
#include "linger.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "spool.h"
#include "startup.h"
#include "rundir.h"

static bool dropped; /* started by root, now the safemail user */
/* this program's file, for the tag of a client that stays (linger.h) */
static struct stat self_id;

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
	 * caller's stderr (which may not be the one it started us with: a
	 * gate that stayed gets it after starting us) */
	if (send(sock, "R", 1, MSG_NOSIGNAL) != 1)
		return -1;
	{
		int err = linger_receive_fd(sock);

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

/* The service's client, after a message: detached from its caller, it
 * waits on <spool>/run (linger.h) for the service's next message, its
 * session with the relay kept for [smtp] linger seconds, itself loaded
 * (libcurl, OpenSSL, the configuration) for RELAY_LOADED_S after its
 * last message and LINGER_LIFE_S in all (a program installed meanwhile
 * takes over); a changed configuration file ends it. */
#define RELAY_LOADED_S 60
static void
stay_on(const struct conf *c, const char *spool_path, uid_t submitter,
    const char *tag, const char *conf_path, const struct stat *conf_id,
    struct outbound *kept, struct linger_spot *ls)
{
	double born = clock_seconds();
	bool session = true; /* kept may hold a connection */

	for (;;) {
		pid_t gate;
		unsigned wait_s = session ? c->linger
					  : RELAY_LOADED_S - c->linger;
		int rc, conn = linger_accept(ls, (int)wait_s * 1000, !session,
		    &gate);

		if (conn < 0 && session) {
			/* no message for linger seconds: QUIT, stay loaded */
			outbound_free(kept);
			kept = outbound_new(c, false);
			session = false;
			continue;
		}
		if (conn < 0 || kept == NULL)
			break;
		caller_rebind(gate);
		if (!conf_file_unchanged(conf_path, conf_id)) {
			/* the gate finds no 'R' and starts a new client */
			(void)close(conn);
			linger_leave(ls);
			break;
		}
		rc = take_request(conn, c, spool_path, false, kept);
		session = true;
		if (linger_detach() != 0 ||
		    clock_seconds() - born >= LINGER_LIFE_S ||
		    linger_listen(ls, spool_path, submitter, tag) != 0) {
			if (rc >= 0)
				(void)linger_send_result(conn, rc);
			(void)close(conn);
			linger_leave(ls);
			break;
		}
		/* listening again before the gate hears rc: the next
		 * message finds this client */
		if (rc >= 0)
			(void)linger_send_result(conn, rc);
		(void)close(conn);
	}
	outbound_free(kept);
}

/* It stays after this message: only the service's (stay), not with -v
 * (which shows one message's dialogue on its caller's terminal), not
 * with linger = 0. */
static bool
staying(const struct conf *c, bool stay, bool verbose,
    const struct stat *conf_id)
{
	return stay && c->linger > 0 && !verbose && conf_id != NULL;
}

/* standby: libcurl loads and the configuration is read while the front
 * end still reads the message; then one request from the gate, and
 * then it may stay (stay_on). */
static int
standby_mode(const struct startup *st, const struct conf *c,
    const char *spool_path, bool verbose, bool stay, uid_t submitter,
    const char *conf_path, const struct stat *conf_id)
{
	struct linger_spot ls = LINGER_SPOT_INIT;
	char tag[LINGER_TAG_SIZE];
	bool stays = staying(c, stay, verbose, conf_id);
	/* one that stays keeps its session with the relay too */
	struct outbound *kept = stays ? outbound_new(c, false) : NULL;
	int rc = take_request(HANDOFF_CHANNEL_FD, c, spool_path, verbose, kept);

	if (stays)
		linger_tag(conf_id, &self_id, st, tag);
	/* listening before the gate hears rc: its caller's next message
	 * finds this client */
	if (rc < 0 || !stays || linger_detach() != 0 ||
	    linger_listen(&ls, spool_path, submitter, tag) != 0) {
		outbound_free(kept); /* QUIT */
		return rc < 0 ? 0 : rc;
	}
	if (linger_send_result(HANDOFF_CHANNEL_FD, rc) != 0) {
		linger_leave(&ls);
		outbound_free(kept);
		return rc;
	}
	/* the gate has ended with rc; the caller no longer waits for us */
	(void)close(HANDOFF_CHANNEL_FD);
	stay_on(c, spool_path, submitter, tag, conf_path, conf_id, kept, &ls);
	return 0;
}

/* verdict (-bs): one message from fds 3 and 4, its reply line on fd 5;
 * then it may stay like a standby client: the gate reads the line to
 * the end of fd 5 and does not wait for it. */
static int
verdict_mode(const struct startup *st, const struct conf *c,
    const char *spool_path, bool verbose, bool stay, double started,
    uid_t submitter, const char *conf_path, const struct stat *conf_id)
{
	struct linger_spot ls = LINGER_SPOT_INIT;
	char line[HANDOFF_VERDICT_MAX], tag[LINGER_TAG_SIZE];
	bool stays = staying(c, stay, verbose, conf_id);
	struct outbound *kept = stays ? outbound_new(c, false) : NULL;
	int rc = deliver_mode(c, spool_path, verbose, started, line,
	    sizeof(line), HANDOFF_ENVELOPE_FD, HANDOFF_MESSAGE_FD, kept);

	if (stays) {
		linger_tag(conf_id, &self_id, st, tag);
		/* listening before the gate has the line: the session's
		 * next message finds this client */
		if (linger_listen(&ls, spool_path, submitter, tag) != 0)
			stays = false;
	}
	(void)dprintf(HANDOFF_STATUS_FD, "%s\n", line);
	(void)close(HANDOFF_STATUS_FD);
	(void)close(HANDOFF_ENVELOPE_FD);
	(void)close(HANDOFF_MESSAGE_FD);
	if (!stays || linger_detach() != 0) {
		if (stays)
			linger_leave(&ls);
		outbound_free(kept);
		return rc;
	}
	stay_on(c, spool_path, submitter, tag, conf_path, conf_id, kept, &ls);
	return 0;
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
	bool verbose = false, have_conf_id = false, stay;
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
		have_conf_id = stat(path, &conf_id) == 0 &&
		    stat("/proc/self/exe", &self_id) == 0;
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
	/* the service's client stays loaded after its message (gatemain.c:
	 * keeps_relay) */
	stay = argc > i && strcmp(argv[argc - 1], "stay") == 0;
	if (stay)
		argc--;
	if ((strcmp(argv[1], "deliver") == 0 ||
		strcmp(argv[1], "verdict") == 0) &&
	    i + 1 == argc) {
		char *end;
		double started = strtod(argv[i], &end);

		if (*end != '\0' || !(started >= 0))
			started = 0;
		rc = strcmp(argv[1], "verdict") == 0
		    ? verdict_mode(&st, &conf, spool_path, verbose, stay,
			  started, dropped ? 0 : getuid(), path,
			  have_conf_id ? &conf_id : NULL)
		    : deliver_mode(&conf, spool_path, verbose, started, NULL,
			  0, HANDOFF_ENVELOPE_FD, HANDOFF_MESSAGE_FD, NULL);
	} else if (strcmp(argv[1], "standby") == 0 && i == argc) {
		struct stat s;

		rc = fstat(HANDOFF_CHANNEL_FD, &s) == 0 && S_ISSOCK(s.st_mode)
		    ? standby_mode(&st, &conf, spool_path, verbose, stay,
			  dropped ? 0 : getuid(), path,
			  have_conf_id ? &conf_id : NULL)
		    : report_by_hand("safemail-relay");
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
		rc = check_run(&conf, path, &f) == 0
		    ? 0
		    : report(caller_self(), &f, false);
	} else {
		rc = report_by_hand("safemail-relay");
	}
	conf_free(&conf);
	return rc;
}
