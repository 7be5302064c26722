/* main.c - safemail: sendmail-compatible, hardened relay client
 *
 * The only file that maps failures to exit codes and calls exit. Order:
 * process hygiene, the command line (pure; a refusal costs no config read),
 * the configuration, then the mode. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "argv.h"
#include "caller.h"
#include "conf.h"
#include "fail.h"
#include "log.h"
#include "backend.h"
#include "check.h"
#include "mailq.h"
#include "queue.h"
#include "spool.h"
#include "startup.h"
#include "submit.h"
#include "text.h"

#ifndef SAFEMAIL_CONFIG_PATH
#define SAFEMAIL_CONFIG_PATH "/etc/safemail.ini"
#endif
/* Where the normalized message waits, unnamed, until it is sent, when
 * the spool cannot be used. */
#ifndef SAFEMAIL_TMPDIR
#define SAFEMAIL_TMPDIR "/tmp"
#endif
#ifndef SAFEMAIL_SPOOL_DIR
#define SAFEMAIL_SPOOL_DIR "/var/spool/safemail"
#endif

static const char *spool_path = SAFEMAIL_SPOOL_DIR;

static const struct {
	enum fail_kind kind;
	int code;
} exit_codes[] = {
	{FAIL_NONE, EX_OK},
	{FAIL_USAGE, EX_USAGE},
	{FAIL_CONFIG_OVERRIDE, EX_NOPERM},
	{FAIL_SENDER_DENIED, EX_NOPERM},
	{FAIL_NOPERM, EX_NOPERM},
	{FAIL_NOUSER, EX_NOUSER},
	{FAIL_DATA, EX_DATAERR},
	{FAIL_NOINPUT, EX_NOINPUT},
	{FAIL_CONFIG, EX_CONFIG},
	{FAIL_UNAVAILABLE, EX_UNAVAILABLE},
	{FAIL_OSERR, EX_OSERR},
	{FAIL_IOERR, EX_IOERR},
	{FAIL_SOFTWARE, EX_SOFTWARE},
	{FAIL_TEMP, EX_TEMPFAIL},
};

static int
exit_code(enum fail_kind kind)
{
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		if (exit_codes[i].kind == kind)
			return exit_codes[i].code;
	return EX_SOFTWARE;
}

static struct caller caller;

/* One line on stderr and one in syslog; returns the exit code. Refusals
 * (attempts an admin must see) carry the caller's identity. */
static int
report(const struct failure *f, bool refusal)
{
	char shown[600];

	text_show(shown, sizeof(shown), f->msg, strlen(f->msg), sizeof(f->msg));
	(void)fprintf(stderr, "safemail: %s\n", shown);
	log_emit(refusal ? LOG_WARNING : LOG_ERR,
	    "%s: uid=%u user=%s ppid=%ld parent=%s: %s",
	    refusal ? "refused" : "error", (unsigned)caller.uid, caller.user,
	    (long)caller.ppid, caller.parent, f->msg);
	return exit_code(f->kind);
}

static int
print_envelope(const struct envelope *env, struct failure *f)
{
	(void)printf("MAIL FROM:<%s>\n", env->null_sender ? "" : env->sender);
	for (size_t i = 0; i < env->nrcpt; i++)
		(void)printf("RCPT TO:<%s>\n", env->rcpt[i]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fail_set(f, FAIL_IOERR, "cannot write to standard output");
		return -1;
	}
	return 0;
}

static bool
is_refusal(enum fail_kind k)
{
	return k == FAIL_USAGE || k == FAIL_SENDER_DENIED || k == FAIL_NOUSER;
}

/* Read the message, decide the envelope, then print it (-bv), discard it
 * (disable = yes) or hand it to the back end. */
static int
run_message(const struct request *req, const struct conf *c)
{
	struct failure f = {FAIL_NONE, ""};
	struct submission s;
	struct backend_options o;
	struct spool sp;
	bool spool_ok = false;
	char tmpdir[1100];
	int rc = EX_OK;

	(void)snprintf(tmpdir, sizeof(tmpdir), "%s", SAFEMAIL_TMPDIR);
	if (req->mode != MODE_VERIFY && !c->disable) {
		struct failure sf = {FAIL_NONE, ""};

		/* The message is written in the spool's tmp/ so that keeping
		 * it is a link, not a copy. */
		spool_ok = spool_open(&sp, spool_path, &sf) == 0;
		if (spool_ok)
			(void)snprintf(tmpdir, sizeof(tmpdir), "%s/tmp",
			    spool_path);
		else
			log_emit(LOG_WARNING, "%s", sf.msg);
	}
	if (submit_message(req, c, &caller, tmpdir, &s, &f) != 0) {
		rc = report(&f, is_refusal(f.kind));
		goto out;
	}
	if (req->mode == MODE_VERIFY) {
		if (print_envelope(&s.env, &f) != 0)
			rc = report(&f, false);
		goto out;
	}
	if (c->disable) {
		log_emit(LOG_INFO,
		    "%s: uid=%u from=<%s> nrcpt=%zu size=%llu status=discarded "
		    "(disable = yes)",
		    s.qid, (unsigned)caller.uid, s.env.sender, s.env.nrcpt,
		    s.size);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.verbose = req->verbose;
	o.delivery = req->delivery;
	o.dsn_notify = req->dsn_notify;
	o.dsn_ret = req->dsn_ret;
	o.dsn_envid = req->dsn_envid;
	o.body_8bitmime = req->body == BODY_8BITMIME;
	o.uid = (unsigned)caller.uid;
	if (backend_submit(c, &o, &s, spool_ok ? &sp : NULL, &f) != 0) {
		/* the back end has logged the outcome; stderr gets a line */
		char shown[600];

		text_show(shown, sizeof(shown), f.msg, strlen(f.msg),
		    sizeof(f.msg));
		(void)fprintf(stderr, "safemail: %s\n", shown);
		rc = exit_code(f.kind);
	}
out:
	submission_free(&s);
	if (spool_ok)
		spool_close(&sp);
	return rc;
}

static int
print_queue(void)
{
	struct failure f = {FAIL_NONE, ""};
	struct spool sp;

	if (spool_open(&sp, spool_path, &f) != 0) {
		if (access(spool_path, F_OK) != 0) {
			(void)printf("Mail queue is empty\n");
			return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
		}
		return report(&f, false);
	}
	if (mailq_print(&sp, stdout, &f) != 0) {
		spool_close(&sp);
		return report(&f, false);
	}
	spool_close(&sp);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

static int
run_queue(const struct request *req, const struct conf *c, bool flush)
{
	struct failure f = {FAIL_NONE, ""};
	struct queue_select sel = {flush ? 'F' : req->queue_select_kind,
	    req->queue_select};
	struct spool sp;
	int rc = EX_OK;

	if (spool_open(&sp, spool_path, &f) != 0)
		return report(&f, false);
	if (queue_run(c, &sp, &sel, req->verbose, &f) != 0)
		rc = report(&f, false);
	spool_close(&sp);
	return rc;
}

/* safemail --delete|--hold|--release QID: root or the spool's owner. */
static int
queue_command(const char *cmd, const char *qid)
{
	struct failure f = {FAIL_NONE, ""};
	enum queue_admin what = strcmp(cmd, "--delete") == 0 ? ADMIN_DELETE
	    : strcmp(cmd, "--hold") == 0		     ? ADMIN_HOLD
							     : ADMIN_RELEASE;
	struct spool sp;
	int rc = EX_OK;

	if (spool_open(&sp, spool_path, &f) != 0)
		return report(&f, false);
	if (geteuid() != 0 && geteuid() != sp.owner) {
		fail_set(&f, FAIL_NOPERM, "%s is for root or the spool's owner",
		    cmd);
		rc = report(&f, true);
	} else if (mailq_admin(&sp, what, qid, &f) != 0) {
		rc = report(&f, false);
	}
	spool_close(&sp);
	return rc;
}

int
main(int argc, char **argv)
{
	struct startup st;
	struct request req;
	struct failure f = {FAIL_NONE, ""};
	struct conf conf;
	struct conf_trust trust;
	const char *path = SAFEMAIL_CONFIG_PATH;
	int rc;

	if (startup_harden(&st) != 0)
		return EX_OSERR;
	log_init(st.log_socket[0] != '\0' ? st.log_socket : NULL);
	caller_identify(&caller);

	if (st.config_path[0] != '\0')
		path = st.config_path;
	if (st.spool_path[0] != '\0')
		spool_path = st.spool_path;
	if (argc == 3 && strcmp(argv_base_name(argv[0]), "safemail") == 0 &&
	    (strcmp(argv[1], "--delete") == 0 ||
		strcmp(argv[1], "--hold") == 0 ||
		strcmp(argv[1], "--release") == 0))
		return queue_command(argv[1], argv[2]);
	/* The admin's self-test: only under its own name, never as sendmail,
	 * so no web application can reach it through sendmail_path. */
	if (argc == 2 && strcmp(argv[1], "--check") == 0 &&
	    strcmp(argv_base_name(argv[0]), "safemail") == 0) {
		trust.caller_uid = getuid();
		trust.caller_may_own = !st.secure;
		if (conf_load(path, &trust, &conf, &f) != 0)
			return report(&f, false);
		rc = check_run(&conf, path, &f) == 0 ? EX_OK
						      : report(&f, false);
		conf_free(&conf);
		return rc;
	}
	/* Try every queued message now, whatever its schedule (Postfix's
	 * postqueue -f); only under the safemail name. */
	if (argc == 2 && strcmp(argv[1], "--flush") == 0 &&
	    strcmp(argv_base_name(argv[0]), "safemail") == 0) {
		struct request all;

		memset(&all, 0, sizeof(all));
		trust.caller_uid = getuid();
		trust.caller_may_own = !st.secure;
		if (conf_load(path, &trust, &conf, &f) != 0)
			return report(&f, false);
		rc = run_queue(&all, &conf, true);
		conf_free(&conf);
		return rc;
	}
	if (argc < 1 || argv_parse(argc, argv, &req, &f) != 0) {
		if (f.kind == FAIL_NONE)
			fail_set(&f, FAIL_USAGE, "started without arguments");
		return report(&f, true);
	}
	for (int i = 0; i < req.nignored; i++) {
		char shown[64];

		text_show(shown, sizeof(shown), req.ignored[i],
		    strlen(req.ignored[i]), 32);
		log_emit(LOG_INFO, "ignored option %s (uid=%u)", shown,
		    (unsigned)caller.uid);
	}

	/* Modes that need no configuration: package scripts call them. */
	switch (req.mode) {
	case MODE_NEWALIASES:
		return EX_OK; /* aliases live in safemail.ini; nothing to build */
	case MODE_PRINT_QUEUE:
		return print_queue();
	default:
		break;
	}

	trust.caller_uid = getuid();
	trust.caller_may_own = !st.secure;
	if (conf_load(path, &trust, &conf, &f) != 0)
		return report(&f, false);

	if (req.mode == MODE_RUN_QUEUE) {
		rc = run_queue(&req, &conf, false);
	} else if (req.mode == MODE_SMTP) {
		fail_set(&f, FAIL_UNAVAILABLE,
		    "-bs (SMTP on standard input) is not available in this "
		    "build yet");
		rc = report(&f, false);
	} else {
		rc = run_message(&req, &conf);
	}
	conf_free(&conf);
	return rc;
}
