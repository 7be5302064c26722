/* deliver.c - the back end: one submission to the relay */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "log.h"
#include "relay.h"
#include "smtpc.h"
#include "verdict.h"

static double
seconds_since(double started)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - started;
}

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

static void
log_outcome(const struct submission *s, const struct caller *who,
    const char *relay, const char *tls, const struct failure *f,
    const char *reply)
{
	const char *status = f->kind == FAIL_NONE ? "sent"
	    : f->kind == FAIL_TEMP		      ? "deferred"
						      : "failed";

	log_emit(f->kind == FAIL_NONE ? LOG_INFO : LOG_ERR,
	    "%s: uid=%u from=<%s> nrcpt=%zu size=%llu relay=%s tls=%s "
	    "status=%s (%s) delay=%.2f",
	    s->qid, (unsigned)who->uid, s->env.sender, s->env.nrcpt, s->size,
	    relay, tls, status, f->kind == FAIL_NONE ? reply : f->msg,
	    seconds_since(s->started));
}

int
deliver(const struct conf *c, const struct delivery_options *o,
    const struct submission *s, const struct caller *who, struct failure *f)
{
	struct relay_options ro;
	struct relay_status st;
	struct relay *r;
	struct smtp_io io;
	struct smtp_txn t;
	struct smtp_result res;
	struct failure iof = {FAIL_NONE, ""};
	char relay[ADDR_BUFSZ + 8], helo[ADDR_BUFSZ], notify[40];
	int rc;

	(void)snprintf(relay, sizeof(relay), "%s:%u", c->host, c->port);
	local_host_name(c->helo_name, helo, sizeof(helo));
	memset(&ro, 0, sizeof(ro));
	ro.verbose = o->verbose;
	ro.helo = helo;
	r = relay_open(c, &ro, &st);
	if (r == NULL) {
		verdict_session(&st, relay, f);
		log_outcome(s, who, relay, "-", f, "");
		return -1;
	}

	notify_string(o->dsn_notify, notify, sizeof(notify));
	memset(&t, 0, sizeof(t));
	t.sender = s->env.null_sender ? "" : s->env.sender;
	t.nrcpt = s->env.nrcpt;
	t.rcpt = rcpt_at;
	t.rcpt_ctx = &s->env;
	t.size = s->size;
	t.eight_bit = s->eight_bit || o->body_8bitmime;
	t.smtputf8 = s->eight_bit_headers;
	t.dsn_notify = notify[0] != '\0' ? notify : NULL;
	t.dsn_ret = o->dsn_ret == DSN_RET_FULL ? "FULL"
	    : o->dsn_ret == DSN_RET_HDRS	    ? "HDRS"
						    : NULL;
	t.dsn_envid = o->dsn_envid;

	memset(&res, 0, sizeof(res));
	res.rcpt = calloc(s->env.nrcpt, sizeof(*res.rcpt));
	if (res.rcpt == NULL) {
		relay_close(r, false);
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	relay_io(r, &io);
	io.read_msg = msgfile_read;
	io.msg_ctx = s->file;
	(void)smtp_transaction(&io, relay_caps(r), &t, &res, &iof);
	rc = verdict_transaction(&res, s->env.nrcpt, &iof, f);
	for (size_t i = 0; i < s->env.nrcpt; i++)
		if (res.rcpt[i].code != 0 &&
		    (res.rcpt[i].code < 200 || res.rcpt[i].code >= 300))
			log_emit(LOG_ERR, "%s: to=<%s> relay=%s status=%s (%s)",
			    s->qid, s->env.rcpt[i], relay,
			    res.rcpt[i].code < 500 ? "deferred" : "refused",
			    res.rcpt[i].text);
	log_outcome(s, who, relay, relay_tls_version(r), f,
	    res.last.text);
	relay_close(r, res.stage != STAGE_IO);
	free(res.rcpt);
	return rc;
}
