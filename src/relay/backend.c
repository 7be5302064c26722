/* backend.c - one submitted message: sent now, or spooled */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "deliver.h"
#include "log.h"
#include "verdict.h"

static const char *
rcpt_at(const void *ctx, size_t i)
{
	const struct spool_env *e = ctx;

	return e->rcpt[i].addr;
}

static int last_code;
static char refused_text[VERDICT_NAMED_SIZE];

int
backend_last_code(void)
{
	return last_code;
}

const char *
backend_refused(void)
{
	return refused_text;
}

void
backend_verdict(const struct failure *f, int code, char *out, size_t sz)
{
	char text[sizeof(f->msg)];
	size_t n = 0;

	/* one printable line */
	for (const char *p = f->msg; *p != '\0' && n + 1 < sizeof(text); p++)
		text[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	text[n] = '\0';
	if (f->kind == FAIL_NONE) {
		const char *t = text;

		/* the relay's "250 2.0.0 Ok: queued as X" without its codes */
		if (strlen(t) > 4 && t[3] == ' ' && t[0] == '2')
			t += 4;
		if (t[0] == '2' && t[1] == '.' && strchr(t, ' ') != NULL)
			t = strchr(t, ' ') + 1;
		(void)snprintf(out, sz, "250 2.0.0 %s", t[0] != '\0' ? t : "Ok");
		return;
	}
	if (code < 400 || code > 599)
		code = f->kind == FAIL_TEMP || f->kind == FAIL_CONFIG ||
			f->kind == FAIL_OSERR || f->kind == FAIL_IOERR ||
			f->kind == FAIL_SOFTWARE
		    ? 451
		    : f->kind == FAIL_NOUSER ? 550
					     : 554;
	(void)snprintf(out, sz, "%d %s %s", code,
	    code < 500 ? "4.0.0" : "5.0.0", text);
}

int
backend_submit(const struct conf *c, bool verbose, const struct spool_env *e,
    int msgfd, double started, const char *spool_path, struct outbound *kept,
    struct failure *f)
{
	struct outbound *ob;
	struct outgoing m;
	struct smtp_result res;
	bool session_failed = false, permanent = false, token_refused;
	bool queued = false;
	int rc;

	refused_text[0] = '\0';

	ob = kept != NULL ? kept : outbound_new(c, verbose);
	memset(&res, 0, sizeof(res));
	res.rcpt = calloc(e->nrcpt, sizeof(*res.rcpt));
	if (ob == NULL || res.rcpt == NULL) {
		if (ob != kept)
			outbound_free(ob);
		free(res.rcpt);
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	outgoing_from_env(&m, e, msgfd, started);
	m.nrcpt = e->nrcpt;
	m.rcpt = rcpt_at;
	m.rcpt_ctx = e;
	rc = outbound_send(ob, &m, &res, &session_failed, f);
	token_refused = rc != 0 && outbound_token_refused(ob);
	if (ob != kept)
		outbound_free(ob);
	last_code = res.last.code;
	for (size_t i = 0; i < e->nrcpt; i++) {
		permanent |= res.rcpt[i].code >= 500;
		if (res.rcpt[i].code >= 400 && res.stage == STAGE_NONE)
			last_code = res.rcpt[i].code; /* a refused recipient */
	}
	if (rc == 0) {
		/* the relay's final reply, for -bs */
		(void)snprintf(f->msg, sizeof(f->msg), "%s", res.last.text);
	}
	/* A temporary failure is not the caller's problem: keep the message
	 * for the recipients the relay did not take and say it is accepted;
	 * a recipient refused for good is still the caller's to hear. */
	if (rc != 0 && f->kind == FAIL_TEMP && !c->temp_failure_fails) {
		struct spool_env keep = *e;

		keep.rcpt = calloc(e->nrcpt, sizeof(*keep.rcpt));
		keep.nrcpt = 0;
		for (size_t i = 0; keep.rcpt != NULL && i < e->nrcpt; i++) {
			int code = res.stage == STAGE_NONE ? res.rcpt[i].code
							   : 0;

			if (code >= 200 && code < 300)
				continue; /* the relay has it: never twice */
			keep.rcpt[keep.nrcpt] = e->rcpt[i];
			keep.rcpt[keep.nrcpt++].state = RCPT_PENDING;
		}
		keep.attempts = 1;
		keep.next_try = spool_next_try(e->created, 1, c->retry,
		    c->nretry);
		(void)snprintf(keep.error, sizeof(keep.error), "%s", f->msg);
		struct spool sp;
		struct failure sf = {FAIL_NONE, ""};
		bool spool_ok = keep.rcpt != NULL &&
		    spool_open(&sp, spool_path, &sf) == 0;

		if (keep.rcpt == NULL) {
			fail_set(f, FAIL_OSERR, "out of memory");
		} else if (!spool_ok) {
			size_t n = strlen(f->msg);

			(void)snprintf(f->msg + n, sizeof(f->msg) - n,
			    " (and the spool cannot be used: %s)", sf.msg);
		} else if (spool_quota(&sp, &c->quota, (uid_t)e->uid, e->size,
			       &sf) != 0) {
			size_t n = strlen(f->msg);

			log_emit(LOG_WARNING, "%s: %s", e->qid, sf.msg);
			(void)snprintf(f->msg + n, sizeof(f->msg) - n,
			    " (and %s)", sf.msg);
		} else if (spool_commit(&sp, msgfd, &keep, f) == 0) {
			queued = true;
			log_emit(LOG_INFO, "%s: deferred: queued for a later "
					   "attempt",
			    e->qid);
			rc = 0;
			f->kind = FAIL_NONE;
			(void)snprintf(f->msg, sizeof(f->msg),
			    "queued as %s: the relay is tried again later",
			    e->qid);
			if (token_refused) {
				/* nothing lost, but nothing goes out until the
				 * admin mends the OAuth2 settings: say so */
				fail_set(f, FAIL_TEMP,
				    "%.400s; the message is queued as %s",
				    keep.error, e->qid);
				rc = -1;
			}
			for (size_t i = 0; i < e->nrcpt && permanent; i++)
				if (res.rcpt[i].code >= 500) {
					fail_set(f, FAIL_NOUSER,
					    "the relay refused <%s>: %s; the "
					    "other recipients are queued",
					    e->rcpt[i].addr, res.rcpt[i].text);
					rc = -1;
					break;
				}
		}
		if (spool_ok)
			spool_close(&sp);
		free(keep.rcpt);
	}
	/* some have it, some were refused: name those (the ones queued
	 * for a later attempt are not refused) */
	if (rc != 0 && res.stage == STAGE_NONE)
		(void)verdict_refused_lines(&res, e->nrcpt, rcpt_at, e,
		    queued ? 500 : 400, refused_text);
	free(res.rcpt);
	return rc;
}
