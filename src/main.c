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
#include "envelope.h"
#include "fail.h"
#include "log.h"
#include "msgin.h"
#include "sender.h"
#include "startup.h"
#include "text.h"

#ifndef SAFEMAIL_CONFIG_PATH
#define SAFEMAIL_CONFIG_PATH "/etc/safemail.ini"
#endif

static const struct {
	enum fail_kind kind;
	int code;
} exit_codes[] = {
	{FAIL_NONE, EX_OK},
	{FAIL_USAGE, EX_USAGE},
	{FAIL_CONFIG_OVERRIDE, EX_NOPERM},
	{FAIL_SENDER_DENIED, EX_NOPERM},
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

static void
warn_caller(const char *what)
{
	log_emit(LOG_WARNING, "warning: uid=%u user=%s ppid=%ld parent=%s: %s",
	    (unsigned)caller.uid, caller.user, (long)caller.ppid,
	    caller.parent, what);
}

/* Recipients from argv operands, then (-t) from the header fields. */
static int
build_recipients(const struct request *req, const struct conf *c,
    const struct msg_heads *mh, struct envelope *env, struct failure *f)
{
	for (int i = 0; i < req->noperands; i++)
		if (envelope_add_list(env, c, req->operands[i],
			strlen(req->operands[i]), "recipient", FAIL_USAGE,
			f) != 0)
			return -1;
	if (req->recipients_from_headers) {
		/* Resent-* fields, when present, name the recipients of a
		 * resent message instead of To/Cc/Bcc (RFC 5322 3.6.6). */
		char **list = mh->nresent > 0 ? mh->resent : mh->rcpt;
		size_t n = mh->nresent > 0 ? mh->nresent : mh->nrcpt;

		for (size_t i = 0; i < n; i++)
			if (envelope_add_list(env, c, list[i], strlen(list[i]),
				"header recipient", FAIL_DATA, f) != 0)
				return -1;
	}
	if (env->nrcpt == 0) {
		fail_set(f, FAIL_USAGE, "no recipients");
		return -1;
	}
	return 0;
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

/* Decide the envelope (and, for now, print it for -bv). */
static int
run_envelope(const struct request *req, const struct conf *c)
{
	struct failure f = {FAIL_NONE, ""};
	struct msg_heads mh;
	struct envelope env;
	struct sender_input in;
	struct sender_decision d;
	bool need_headers;
	int rc = EX_OK;

	memset(&mh, 0, sizeof(mh));
	envelope_init(&env, c->max_recipients);
	need_headers = req->recipients_from_headers ||
	    (c->return_path == RETURN_PATH_YES && req->sender == NULL);
	if (need_headers && msgin_read_headers(STDIN_FILENO, &mh, &f) != 0)
		goto fail;

	memset(&in, 0, sizeof(in));
	in.option = req->sender;
	in.option_letter = req->sender_option;
	in.header_from = mh.nfrom == 1 ? mh.from : NULL;
	in.login = caller.user;
	if (sender_decide(c, &in, &d, &f) != 0)
		goto fail;
	if (d.warning[0] != '\0')
		warn_caller(d.warning);
	env.null_sender = d.source == SENDER_NULL;
	memcpy(env.sender, d.addr, strlen(d.addr) + 1);

	if (build_recipients(req, c, &mh, &env, &f) != 0)
		goto fail;

	if (req->mode == MODE_VERIFY) {
		if (print_envelope(&env, &f) != 0)
			goto fail;
		goto out;
	}
	fail_set(&f, FAIL_UNAVAILABLE,
	    "delivery to the relay is not available in this build yet; -bv "
	    "shows the envelope");
fail:
	rc = report(&f, f.kind == FAIL_USAGE || f.kind == FAIL_SENDER_DENIED ||
		f.kind == FAIL_NOUSER);
out:
	envelope_free(&env);
	msg_heads_free(&mh);
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
		(void)printf("Mail queue is empty\n");
		return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	case MODE_RUN_QUEUE:
		log_emit(LOG_INFO, "queue run (uid=%u): this build keeps no "
				   "queue", (unsigned)caller.uid);
		return EX_OK;
	default:
		break;
	}

	if (st.config_path[0] != '\0')
		path = st.config_path;
	trust.caller_uid = getuid();
	trust.caller_may_own = !st.secure;
	if (conf_load(path, &trust, &conf, &f) != 0)
		return report(&f, false);

	if (req.mode == MODE_SMTP) {
		fail_set(&f, FAIL_UNAVAILABLE,
		    "-bs (SMTP on standard input) is not available in this "
		    "build yet");
		rc = report(&f, false);
	} else {
		rc = run_envelope(&req, &conf);
	}
	conf_free(&conf);
	return rc;
}
