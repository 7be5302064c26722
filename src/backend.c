/* backend.c - a submitted message: sent now, or spooled (see backend.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "deliver.h"
#include "log.h"
#include "queue.h"

static const char *
rcpt_at(const void *ctx, size_t i)
{
	const struct envelope *env = ctx;

	return env->rcpt[i];
}

static void
notify_string(unsigned bits, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (bits & DSN_NEVER) {
		(void)snprintf(buf, sz, "NEVER");
		return;
	}
	if (bits & DSN_SUCCESS)
		(void)snprintf(buf + strlen(buf), sz - strlen(buf), "SUCCESS");
	if (bits & DSN_FAILURE)
		(void)snprintf(buf + strlen(buf), sz - strlen(buf), "%sFAILURE",
		    buf[0] != '\0' ? "," : "");
	if (bits & DSN_DELAY)
		(void)snprintf(buf + strlen(buf), sz - strlen(buf), "%sDELAY",
		    buf[0] != '\0' ? "," : "");
}

/* The spool record of this submission; every recipient pending unless a
 * first attempt (res) already settled some. */
static int
spool_it(const struct conf *c, const struct backend_options *o,
    const struct submission *s, struct spool *sp,
    const struct smtp_result *res, const char *error, struct failure *f)
{
	struct spool_env e;
	int rc;

	memset(&e, 0, sizeof(e));
	memcpy(e.qid, s->qid, sizeof(e.qid));
	e.created = (long long)s->when;
	e.uid = o->uid;
	e.null_sender = s->env.null_sender;
	memcpy(e.sender, s->env.sender, sizeof(e.sender));
	e.size = s->size;
	e.eight_bit = s->eight_bit || o->body_8bitmime;
	e.eight_bit_headers = s->eight_bit_headers;
	notify_string(o->dsn_notify, e.notify, sizeof(e.notify));
	(void)snprintf(e.ret, sizeof(e.ret), "%s",
	    o->dsn_ret == DSN_RET_FULL   ? "FULL"
	    : o->dsn_ret == DSN_RET_HDRS ? "HDRS"
					 : "");
	(void)snprintf(e.envid, sizeof(e.envid), "%s",
	    o->dsn_envid != NULL ? o->dsn_envid : "");
	(void)snprintf(e.error, sizeof(e.error), "%s", error);
	e.rcpt = calloc(s->env.nrcpt, sizeof(*e.rcpt));
	if (e.rcpt == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->env.nrcpt; i++) {
		int code = res != NULL && res->stage == STAGE_NONE
		    ? res->rcpt[i].code
		    : 0;

		if (code >= 200 && code < 300)
			continue; /* the relay has it: never sent twice */
		memcpy(e.rcpt[e.nrcpt].addr, s->env.rcpt[i], ADDR_BUFSZ);
		e.rcpt[e.nrcpt++].state = RCPT_PENDING;
	}
	if (res != NULL) {
		e.attempts = 1;
		e.next_try = spool_next_try((long long)s->when, 1, c->retry,
		    c->nretry);
	}
	rc = e.nrcpt == 0 ? 0 : spool_commit(sp, s->file->fd, &e, f);
	free(e.rcpt);
	return rc;
}

int
backend_submit(const struct conf *c, const struct backend_options *o,
    const struct submission *s, struct spool *sp, struct failure *f)
{
	struct outbound *ob;
	struct outgoing m;
	struct smtp_result res;
	char notify[32];
	bool session_failed = false, permanent = false;
	/* -odq and -odb ask for the queue, -odi for now; else async = */
	bool async = (c->async || o->delivery == DELIVERY_QUEUE ||
			 o->delivery == DELIVERY_BACKGROUND) &&
	    o->delivery != DELIVERY_INTERACTIVE;
	int rc;

	if (async && sp != NULL) {
		if (spool_it(c, o, s, sp, NULL, "", f) != 0)
			return -1;
		log_emit(LOG_INFO, "%s: uid=%u from=<%s> nrcpt=%zu size=%llu "
				   "status=queued (async)",
		    s->qid, o->uid, s->env.sender, s->env.nrcpt, s->size);
		if (o->delivery != DELIVERY_QUEUE) /* -odq: the queue run */
			queue_run_one_detached(c, sp->path, s->qid);
		return 0;
	}
	if (async)
		log_emit(LOG_WARNING, "%s: the spool %s cannot be used: sending "
				      "now instead",
		    s->qid, sp == NULL ? "(none)" : sp->path);

	ob = outbound_new(c, o->verbose);
	memset(&res, 0, sizeof(res));
	res.rcpt = calloc(s->env.nrcpt, sizeof(*res.rcpt));
	if (ob == NULL || res.rcpt == NULL) {
		outbound_free(ob);
		free(res.rcpt);
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	notify_string(o->dsn_notify, notify, sizeof(notify));
	memset(&m, 0, sizeof(m));
	m.qid = s->qid;
	m.uid = o->uid;
	m.null_sender = s->env.null_sender;
	m.sender = s->env.sender;
	m.nrcpt = s->env.nrcpt;
	m.rcpt = rcpt_at;
	m.rcpt_ctx = &s->env;
	m.fd = s->file->fd;
	m.size = s->size;
	m.eight_bit = s->eight_bit || o->body_8bitmime;
	m.eight_bit_headers = s->eight_bit_headers;
	m.dsn_notify = notify[0] != '\0' ? notify : NULL;
	m.dsn_ret = o->dsn_ret == DSN_RET_FULL ? "FULL"
	    : o->dsn_ret == DSN_RET_HDRS	   ? "HDRS"
					   : NULL;
	m.dsn_envid = o->dsn_envid;
	m.started = s->started;
	rc = outbound_send(ob, &m, &res, &session_failed, f);
	outbound_free(ob);
	for (size_t i = 0; i < s->env.nrcpt; i++)
		permanent |= res.rcpt[i].code >= 500;
	/* A temporary failure is not the caller's problem: keep the message
	 * (the recipients the relay did not take) and say it is accepted,
	 * unless a recipient was refused for good, which the caller must
	 * hear about. */
	if (rc != 0 && f->kind == FAIL_TEMP && !c->temp_failure_fails) {
		if (sp == NULL) {
			size_t n = strlen(f->msg);

			(void)snprintf(f->msg + n, sizeof(f->msg) - n,
			    " (and the spool cannot be used)");
		} else if (spool_it(c, o, s, sp, &res, f->msg, f) == 0) {
			log_emit(LOG_INFO, "%s: deferred: queued for a later "
					   "attempt",
			    s->qid);
			rc = 0;
			f->kind = FAIL_NONE;
			f->msg[0] = '\0';
			for (size_t i = 0; i < s->env.nrcpt && permanent; i++)
				if (res.rcpt[i].code >= 500) {
					fail_set(f, FAIL_NOUSER,
					    "the relay refused <%s>: %s; the "
					    "other recipients are queued",
					    s->env.rcpt[i], res.rcpt[i].text);
					rc = -1;
					break;
				}
		}
	}
	free(res.rcpt);
	return rc;
}
