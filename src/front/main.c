/* main.c - safemail, the front end: sendmail-compatible and hardened.
 *
 * Order: process hygiene, the command line (pure; a refusal costs no
 * configuration read and starts nothing), the policy from the gate, then
 * the mode. It runs with the caller's privileges only: the configuration
 * (with the password), the spool and the relay are the back end's
 * (safemail-gate, safemail-relay: handoff.h); failures become exit codes
 * in report.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "area.h"
#include "argv.h"
#include "bsmode.h"
#include "caller.h"
#include "conf.h"
#include "fail.h"
#include "handoff.h"
#include "localhost.h"
#include "log.h"
#include "mailq.h"
#include "report.h"
#include "spool.h"
#include "startup.h"
#include "submit.h"
#include "text.h"

static struct startup st;
static const char *spool_path;

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

/* The policy: the gate reads the configuration (the front end cannot:
 * it is root:safemail 0640) and sends what the front end needs of it,
 * written from what it parsed (conf_policy_text): no secret, no relay. */
static int
open_gate(const struct request *req, struct handoff *h, struct conf *c)
{
	static char policy[HANDOFF_PACKET_MAX];
	struct failure f = {FAIL_NONE, ""};
	size_t len = 0;
	int status = 0;
	/* the gate can start the relay client while the message is read */
	bool send_now = req->mode == MODE_DELIVER &&
	    req->delivery != DELIVERY_QUEUE &&
	    req->delivery != DELIVERY_BACKGROUND;
	int rc = handoff_open(&st, h, req->verbose, send_now, policy,
	    sizeof(policy), &len, &status, &f);

	if (rc == 1)
		return status; /* the gate said why */
	if (rc != 0)
		return report(caller_self(), &f, false);
	if (conf_parse(policy, len, "safemail-gate's policy", c, &f) != 0) {
		(void)handoff_close(h);
		return report(caller_self(), &f, false);
	}
	localhost_learn(c);
	return EX_OK;
}

/* The gate's (or the relay's) exit code is ours; it has reported. */
static int
gate_outcome(struct handoff *h)
{
	int rc = handoff_close(h);

	if (rc < 0) {
		struct failure f;

		fail_set(&f, FAIL_SOFTWARE, "the back end died");
		return report(caller_self(), &f, false);
	}
	return rc;
}

/* The message could not be handed over: a gate that ended first (one
 * that could not lock itself down once its policy went out) said why on
 * our stderr, and its code (never a 0: it did not take the message);
 * else our own line. */
static int
hand_over_failed(struct handoff *h, struct failure *f)
{
	int said = handoff_close(h);

	return said > 0 ? said : report(caller_self(), f, false);
}

/* Read the message, decide the envelope, then print it (-bv), discard it
 * (disable = yes), or hand it to the gate to queue or send. */
static int
run_message(const struct request *req, const struct conf *c,
    struct handoff *h)
{
	struct failure f = {FAIL_NONE, ""};
	struct submission s;
	struct spool_env e;
	int rc = EX_OK;

	memset(&e, 0, sizeof(e));
	if (submit_message(req, c, caller_self(), &s, &f) != 0) {
		rc = report(caller_self(), &f, is_refusal(f.kind));
		goto out;
	}
	if (req->mode == MODE_VERIFY) {
		if (print_envelope(&s.env, &f) != 0)
			rc = report(caller_self(), &f, false);
		goto out;
	}
	if (c->disable) {
		submission_discard(&s, (unsigned)caller_self()->uid);
		goto out;
	}
	(void)fflush(stdout);
	if (submission_envelope(&s, req, (unsigned)caller_self()->uid, &e,
		&f) != 0)
		rc = report(caller_self(), &f, false);
	else if (submission_hand_over(h, &s, req, c, &e, false, &f) != 0)
		rc = hand_over_failed(h, &f);
	else
		rc = gate_outcome(h);
out:
	spool_env_free(&e);
	submission_free(&s);
	(void)handoff_close(h);
	return rc;
}

/* Modes that need the relay or the spool are the back end's: -bp, -q
 * (and its selections), --flush, --check. */
static int
run_back_end(const char *const *args)
{
	struct failure f = {FAIL_NONE, ""};
	char path[1100];

	(void)fflush(stdout);
	(void)handoff_exec(&st, handoff_gate_path(&st, path, sizeof(path)),
	    args, -1, -1, -1, &f);
	return report(caller_self(), &f, false);
}

/* mailq: through the submission service, else the set-ID gate */
static int
print_queue(void)
{
	static const char *const list[] = {"safemail-gate", "list", NULL};
	int rc = handoff_service_list(&st);

	if (rc >= 0)
		return rc;
	if (rc == -1) {
		struct failure f;

		fail_set(&f, FAIL_TEMP, "the submission service ended the "
					"connection without an answer");
		return report(caller_self(), &f, false);
	}
	return run_back_end(list);
}

/* -q: every deferred message now (the matching ones for -qI/-qR/-qS),
 * as Postfix, sendmail and dma do when an admin types it after fixing
 * the relay; the retry schedule is for the periodic runner's
 * safemail --run-queue. */
static int
run_queue(const struct request *req)
{
	char kind[2] = {req->queue_select_kind, '\0'};
	const char *args[6];
	int n = 0;

	args[n++] = "safemail-gate";
	args[n++] = "queue";
	if (req->verbose)
		args[n++] = "-v";
	if (req->queue_select_kind != 0) {
		args[n++] = kind;
		args[n++] = req->queue_select;
	} else {
		args[n++] = "flush";
	}
	args[n] = NULL;
	return run_back_end(args);
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
		return report(caller_self(), &f, false);
	if (geteuid() != 0 && geteuid() != sp.owner) {
		fail_set(&f, FAIL_NOPERM, "%s is for root or the spool's owner",
		    cmd);
		rc = report(caller_self(), &f, true);
	} else if (mailq_admin(&sp, what, qid, &f) != 0) {
		rc = report(caller_self(), &f, false);
	}
	spool_close(&sp);
	return rc;
}

/* The commands that exist only under the name safemail, never as
 * sendmail, so that no web application reaches them through
 * sendmail_path. Returns -1 when argv is none of them. */
static int
admin_command(int argc, char **argv)
{
	static const char *const check[] = {"safemail-gate", "check", NULL};
	static const char *const flush[] = {"safemail-gate", "queue", "flush",
	    NULL};
	/* the periodic runner (systemd timer, cron): only what is due */
	static const char *const scheduled[] = {"safemail-gate", "queue",
	    NULL};

	if (strcmp(argv_base_name(argv[0]), "safemail") != 0)
		return -1;
	static const char *const repair[] = {"safemail-gate", "check",
	    "repair", NULL};

	if (argc == 2 && strcmp(argv[1], "--check") == 0)
		return run_back_end(check);
	if (argc == 3 && strcmp(argv[1], "--check") == 0 &&
	    strcmp(argv[2], "--repair") == 0)
		return run_back_end(repair);
	if (argc == 2 && strcmp(argv[1], "--flush") == 0)
		return run_back_end(flush);
	if (argc == 2 && strcmp(argv[1], "--run-queue") == 0)
		return run_back_end(scheduled);
	if ((argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0)) &&
	    strcmp(argv[1], "--stats") == 0) {
		static const char *const text[] = {"safemail-gate", "stats",
		    NULL};
		static const char *const json[] = {"safemail-gate", "stats",
		    "json", NULL};

		return run_back_end(argc == 3 ? json : text);
	}
	if (argc == 3 && (strcmp(argv[1], "--delete") == 0 ||
			     strcmp(argv[1], "--hold") == 0 ||
			     strcmp(argv[1], "--release") == 0))
		return queue_command(argv[1], argv[2]);
	return -1;
}

int
main(int argc, char **argv)
{
	struct request req;
	struct failure f = {FAIL_NONE, ""};
	struct conf conf;
	struct handoff h;
	int rc;

	if (startup_harden(&st, 0) != 0)
		return EX_OSERR;
	log_init(st.log_socket[0] != '\0' ? st.log_socket : NULL);
	spool_path = startup_spool_path(&st);
	area_set_queue_user(startup_queue_user(&st));
	if (argc >= 1 && (rc = admin_command(argc, argv)) >= 0)
		return rc;
	if (argc < 1 || argv_parse(argc, argv, &req, &f) != 0) {
		if (f.kind == FAIL_NONE)
			fail_set(&f, FAIL_USAGE, "started without arguments");
		return report(caller_self(), &f, true);
	}
	for (int i = 0; i < req.nignored; i++) {
		char shown[64];

		text_show(shown, sizeof(shown), req.ignored[i],
		    strlen(req.ignored[i]), 32);
		log_emit(LOG_INFO, "ignored option %s (uid=%u)", shown,
		    (unsigned)getuid());
	}

	/* Modes that need no configuration: package scripts call them. */
	switch (req.mode) {
	case MODE_NEWALIASES:
		return EX_OK; /* aliases live in safemail.ini; nothing to build */
	case MODE_PRINT_QUEUE:
		return print_queue();
	case MODE_RUN_QUEUE:
		return run_queue(&req);
	default:
		break;
	}

	/* the gate first: the caller's lookup (caller_self, on first use)
	 * then runs while the gate starts */
	if ((rc = open_gate(&req, &h, &conf)) != EX_OK)
		return rc;
	if (req.mode == MODE_SMTP) {
		rc = bsmode_run(&req, &conf, caller_self(), &h);
		(void)handoff_close(&h);
	} else {
		rc = run_message(&req, &conf, &h);
	}
	conf_free(&conf);
	return rc;
}
