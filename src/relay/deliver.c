/* deliver.c - the back end's sending side (see deliver.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caller.h"
#include "clock.h"
#include "deliver.h"
#include "explain.h"
#include "log.h"
#include "msgfile.h"
#include "pace.h"
#include "relay.h"
#include "spoolfmt.h"
#include "verdict.h"

struct outbound {
	const struct conf *c;
	bool verbose;
	struct relay *r; /* NULL until the first message, or after a failure */
	const struct conf *route; /* the relay section r was opened for */
	long long pace_wait;      /* the most a message waits for its turn */
	char relay[ADDR_BUFSZ + 8];
	char helo[ADDR_BUFSZ];
	enum relay_error session_error; /* of the last session not opened */
};

void
outgoing_from_env(struct outgoing *m, const struct spool_env *e, int fd,
    double started)
{
	memset(m, 0, sizeof(*m));
	m->qid = e->qid;
	m->uid = e->uid;
	m->null_sender = e->null_sender;
	m->sender = e->sender;
	m->fd = fd;
	m->size = e->size;
	m->eight_bit = e->eight_bit;
	m->eight_bit_headers = e->eight_bit_headers;
	m->dsn_notify = e->notify[0] != '\0' ? e->notify : NULL;
	m->dsn_ret = e->ret[0] != '\0' ? e->ret : NULL;
	m->dsn_envid = e->envid[0] != '\0' ? e->envid : NULL;
	m->started = started;
}

struct outbound *
outbound_new(const struct conf *c, bool verbose)
{
	struct outbound *ob = calloc(1, sizeof(*ob));

	if (ob == NULL)
		return NULL;
	ob->c = c;
	ob->verbose = verbose;
	ob->pace_wait = PACE_WAIT_SYNC_MS;
	(void)snprintf(ob->relay, sizeof(ob->relay), "%s:%u", c->host,
	    conf_relay_port(c, 0));
	return ob;
}

void
outbound_set_pace_wait(struct outbound *ob, long long ms)
{
	ob->pace_wait = ms;
}

bool
outbound_token_refused(const struct outbound *ob)
{
	return ob->session_error == RELAY_TOKEN;
}

void
outbound_free(struct outbound *ob)
{
	if (ob == NULL)
		return;
	relay_close(ob->r, true);
	free(ob);
}

/* A relay of [smtp] host given up for the next one */
static void
note_failover(void *ctx, const struct relay_status *st)
{
	(void)ctx;
	log_emit(LOG_WARNING, "relay %s cannot be used (%s): trying the next "
			      "one",
	    st->relay, st->detail);
}

static enum explain_auth
auth_of(const struct conf *route)
{
	return conf_is_oauth2(route) ? EXPLAIN_OAUTH2 : EXPLAIN_PASSWORD;
}

/* The reply that decided a failed transaction: the refused command's, or
 * the first refused recipient's. */
static const char *
deciding_reply(const struct smtp_result *res, size_t nrcpt)
{
	if (res->stage != STAGE_NONE && res->stage != STAGE_RCPT)
		return res->last.text;
	for (size_t i = 0; i < nrcpt; i++)
		if (res->rcpt[i].code >= 400)
			return res->rcpt[i].text;
	return res->last.text;
}

static void
log_outcome(const struct outbound *ob, const struct outgoing *m,
    const char *tls, const struct failure *f, const char *reply)
{
	const char *status = f->kind == FAIL_NONE ? "sent"
	    : f->kind == FAIL_TEMP		      ? "deferred"
						      : "failed";

	const char *route = ob->route != NULL ? ob->route->route_name : "";

	log_emit(f->kind == FAIL_NONE ? LOG_INFO : LOG_ERR,
	    "%s: uid=%u from=<%s> nrcpt=%zu size=%llu relay=%s%s%s tls=%s "
	    "status=%s (%s) delay=%.2f",
	    m->qid, m->uid, m->null_sender ? "" : m->sender, m->nrcpt, m->size,
	    ob->relay, route[0] != '\0' ? " route=" : "", route, tls, status,
	    f->kind == FAIL_NONE ? reply : f->msg,
	    clock_seconds() - m->started);
}

int
outbound_send(struct outbound *ob, const struct outgoing *m,
    struct smtp_result *res, bool *session_failed, struct failure *f)
{
	struct smtp_io io;
	struct smtp_txn t;
	struct failure iof = {FAIL_NONE, ""};
	struct msgfile_reader body;
	int rc;

	*session_failed = false;
	res->stage = STAGE_IO;
	res->accepted = 0;
	res->body_sent = false;
	res->last.code = 0;
	res->last.text[0] = '\0';
	for (size_t i = 0; i < m->nrcpt; i++) {
		res->rcpt[i].code = 0;
		res->rcpt[i].text[0] = '\0';
	}
	/* the relay section the sender's mail takes ([relay_by_sender]):
	 * the envelope sender is the one the policy chose, so the caller
	 * cannot pick another relay or its credentials */
	const struct conf *route =
	    conf_route_for(ob->c, m->null_sender ? "" : m->sender);
	long long waited;

	/* the section's rate: this message's turn, or the queue's */
	if (!pace_turn(route, ob->pace_wait, &waited)) {
		const char *name = route->route_name;

		ob->route = route;
		fail_set(f, FAIL_TEMP, "over the rate of [smtp%s%s] (%u a "
				       "minute): kept for the queue, which "
				       "spreads the burst",
		    name[0] != '\0' ? "." : "", name, route->rate);
		log_outcome(ob, m, "-", f, "");
		return -1;
	}
	if (waited > 0 && ob->verbose)
		(void)fprintf(stderr, "* rate %u a minute: waited %lld ms for "
				      "this message's turn\n",
		    route->rate, waited);

	if (ob->r != NULL && ob->route != route) {
		relay_close(ob->r, true);
		ob->r = NULL;
	}
	/* a session kept from the last message: only while the relay is
	 * still there (it may close an idle one at any time) */
	if (ob->r != NULL && !relay_next_message(ob->r)) {
		relay_close(ob->r, false);
		ob->r = NULL;
	}
	if (ob->r == NULL) {
		struct relay_options ro;
		struct relay_status st;

		memset(&ro, 0, sizeof(ro));
		ob->route = route;
		local_host_name(route->helo_name, ob->helo, sizeof(ob->helo));
		ro.verbose = ob->verbose;
		ro.helo = ob->helo;
		ro.on_failover = note_failover;
		ob->r = relay_open(route, &ro, &st);
		ob->session_error = st.error;
		if (ob->r == NULL) {
			*session_failed = true;
			(void)snprintf(ob->relay, sizeof(ob->relay), "%s",
			    st.relay);
			verdict_session(&st, ob->relay, f);
			if (st.code != 0)
				(void)explain_add(f, st.reply, auth_of(route));
			/* TLS may have been up before it failed (AUTH) */
			log_outcome(ob, m, st.tls[0] != '\0' ? st.tls : "-", f,
			    "");
			return -1;
		}
		/* the log line names the relay that took the message */
		(void)snprintf(ob->relay, sizeof(ob->relay), "%s",
		    relay_name(ob->r));
	}
	/* exactly the checked size, at explicit offsets: send_body stops
	 * there, and a file that ends sooner ends the session before the
	 * final dot, so that the relay keeps nothing */
	msgfile_reader_init(&body, m->fd, m->size);
	memset(&t, 0, sizeof(t));
	t.sender = m->null_sender ? "" : m->sender;
	t.nrcpt = m->nrcpt;
	t.rcpt = m->rcpt;
	t.rcpt_ctx = m->rcpt_ctx;
	t.size = m->size;
	t.eight_bit = m->eight_bit;
	t.smtputf8 = m->eight_bit_headers;
	t.dsn_notify = m->dsn_notify;
	t.dsn_ret = m->dsn_ret;
	t.dsn_envid = m->dsn_envid;
	relay_io(ob->r, &io);
	io.read_msg = msgfile_reader_read;
	io.msg_ctx = &body;
	(void)smtp_transaction(&io, relay_caps(ob->r), &t, res, &iof);
	rc = verdict_transaction(res, m->nrcpt, &iof, f);
	if (rc != 0 && res->stage != STAGE_IO)
		(void)explain_add(f, deciding_reply(res, m->nrcpt),
		    auth_of(route));
	for (size_t i = 0; i < m->nrcpt; i++)
		if (res->rcpt[i].code >= 400)
			log_emit(LOG_ERR, "%s: to=<%s> relay=%s status=%s (%s)",
			    m->qid, m->rcpt(m->rcpt_ctx, i), ob->relay,
			    res->rcpt[i].code < 500 ? "deferred" : "refused",
			    res->rcpt[i].text);
	log_outcome(ob, m, relay_tls_version(ob->r), f, res->last.text);
	/* A session is reused only when the last transaction ended in step;
	 * after any failure it is closed, as libcurl would. */
	if (res->stage != STAGE_NONE) {
		relay_close(ob->r, res->stage != STAGE_IO);
		ob->r = NULL;
	}
	return rc;
}
