/* submit.c - from the caller's input to the envelope and the message */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "compose.h"
#include "fromalign.h"
#include "handoff.h"
#include "log.h"
#include "msg.h"
#include "report.h"
#include "sender.h"
#include "spool.h"
#include "submit.h"

#define READ_CHUNK (64 * 1024)

struct ctx {
	const struct request *req;
	const struct conf *c;
	const struct caller *who;
	struct submission *s;
	bool preset; /* -bs: MAIL and RCPT gave the envelope */
	char host[ADDR_BUFSZ];
};

static void
warn_caller(const struct caller *who, const char *what)
{
	report_caller(LOG_WARNING, who, "warning", "%s", what);
}

static int
new_qid(char qid[QID_LEN + 1], struct failure *f)
{
	if (spool_new_qid(qid) != 0) {
		fail_set(f, FAIL_OSERR, "getrandom: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
add_values(struct envelope *env, const struct conf *c, const struct msg *m,
    enum msg_field_kind k1, enum msg_field_kind k2, enum msg_field_kind k3,
    struct failure *f)
{
	for (size_t i = 0; m != NULL && i < m->nfields; i++) {
		const struct msg_field *mf = &m->fields[i];
		char where[32];

		if (mf->kind != k1 && mf->kind != k2 && mf->kind != k3)
			continue;
		(void)snprintf(where, sizeof(where), "%s: header",
		    mf->kind == MF_TO || mf->kind == MF_RESENT_TO ? "To"
		    : mf->kind == MF_CC || mf->kind == MF_RESENT_CC ? "Cc"
								  : "Bcc");
		if (envelope_add_list(env, c, mf->value, strlen(mf->value),
			where, FAIL_DATA, f) != 0)
			return -1;
	}
	return 0;
}

/* The envelope: the sender by policy, the recipients from the operands
 * and (-t) the header. m is NULL when no message was read. */
static int
decide(struct ctx *x, const struct msg *m, struct failure *f)
{
	const struct request *req = x->req;
	struct envelope *env = &x->s->env;
	struct sender_input in;
	struct sender_decision d;
	const char *from = NULL;

	if (m != NULL && msg_count(m, MF_FROM) == 1)
		for (size_t i = 0; i < m->nfields; i++)
			if (m->fields[i].kind == MF_FROM)
				from = m->fields[i].value;
	memset(&in, 0, sizeof(in));
	in.option = req->sender;
	in.option_letter = req->sender_option;
	in.header_from = from;
	in.login = x->who->user;
	if (sender_decide(x->c, &in, &d, f) != 0)
		return -1;
	if (d.warning[0] != '\0')
		warn_caller(x->who, d.warning);
	env->null_sender = d.source == SENDER_NULL;
	memcpy(env->sender, d.addr, strlen(d.addr) + 1);

	for (int i = 0; i < req->noperands; i++)
		if (envelope_add_list(env, x->c, req->operands[i],
			strlen(req->operands[i]), "recipient", FAIL_USAGE,
			f) != 0)
			return -1;
	if (req->recipients_from_headers) {
		/* Resent-* fields, when present, name the recipients of a
		 * resent message instead of To/Cc/Bcc (RFC 5322 3.6.6). */
		bool resent = m != NULL && (msg_count(m, MF_RESENT_TO) +
						   msg_count(m, MF_RESENT_CC) +
						   msg_count(m, MF_RESENT_BCC)) >
		    0;

		if (resent ? add_values(env, x->c, m, MF_RESENT_TO,
				 MF_RESENT_CC, MF_RESENT_BCC, f) != 0
			   : add_values(env, x->c, m, MF_TO, MF_CC, MF_BCC,
				 f) != 0)
			return -1;
	}
	if (env->nrcpt == 0) {
		fail_set(f, FAIL_USAGE, "no recipients");
		return -1;
	}
	return 0;
}

/* The From: address when the caller gave none: the envelope sender, or
 * for the null sender the default sender or postmaster. */
static void
from_address(const struct ctx *x, char *buf, size_t sz)
{
	if (!x->s->env.null_sender)
		(void)snprintf(buf, sz, "%s", x->s->env.sender);
	else if (x->c->default_sender[0] != '\0')
		(void)snprintf(buf, sz, "%s", x->c->default_sender);
	else
		(void)snprintf(buf, sz, "postmaster@%s",
		    x->c->domain[0] != '\0' ? x->c->domain : x->host);
}

static int
add(struct msg *m, bool first, const char *field, size_t len,
    struct failure *f)
{
	if (len == 0) {
		fail_set(f, FAIL_SOFTWARE, "cannot compose a header field");
		return -1;
	}
	return msg_add_field(m, first, field, len, f);
}

static int
on_headers(void *ctx, struct msg *m, struct failure *f)
{
	struct ctx *x = ctx;
	char field[COMPOSE_FIELD_MAX];
	char id[QID_LEN + 32];

	if (!x->preset && decide(x, m, f) != 0)
		return -1;
	if (x->s->file == NULL)
		return 0; /* -bv: nothing is written */
	if (add(m, true, field,
		compose_received(field, sizeof(field), x->host,
		    (unsigned)x->who->uid, x->s->qid, x->s->when),
		f) != 0)
		return -1;
	if (msg_count(m, MF_DATE) == 0) {
		size_t n = (size_t)snprintf(field, sizeof(field), "Date: ");

		if (add(m, false, field,
			n + compose_date(field + n, sizeof(field) - n,
				x->s->when),
			f) != 0)
			return -1;
	}
	if (msg_count(m, MF_MESSAGE_ID) == 0) {
		(void)snprintf(id, sizeof(id), "%lld.%s", (long long)x->s->when,
		    x->s->qid);
		if (add(m, false, field,
			compose_message_id(field, sizeof(field), id,
			    x->c->domain[0] != '\0' ? x->c->domain : x->host),
			f) != 0)
			return -1;
	}
	if (msg_count(m, MF_FROM) == 0) {
		char addr[ADDR_BUFSZ + 16];

		from_address(x, addr, sizeof(addr));
		if (add(m, false, field,
			compose_from(field, sizeof(field), x->req->fullname,
			    addr),
			f) != 0)
			return -1;
	}
	/* header_from = envelope: the From: names the envelope sender. The
	 * null sender names nobody: the From: is kept then. */
	if (x->c->header_from_envelope && !x->s->env.null_sender &&
	    from_align(m, x->s->env.sender, f) != 0)
		return -1;
	return 0;
}

static int
discard(void *ctx, const char *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	return 0;
}

static void
msg_setup(struct ctx *x, struct msg *m, bool ignore_dots)
{
	struct msg_options o;

	memset(&o, 0, sizeof(o));
	o.ignore_dots = ignore_dots;
	o.long_lines = x->c->long_lines_refuse ? NORM_LONG_REFUSE
					       : NORM_LONG_SPLIT;
	o.domain = x->c->domain;
	o.max_size = x->c->max_message_size;
	o.write = x->s->file != NULL ? msgfile_write : discard;
	o.write_ctx = x->s->file;
	o.headers_done = on_headers;
	o.headers_ctx = x;
	msg_init(m, &o);
}

static int
read_message(struct ctx *x, struct failure *f)
{
	static char buf[READ_CHUNK];
	struct msg m;
	int rc = -1;

	msg_setup(x, &m, x->req->ignore_dots);
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_set(f, FAIL_NOINPUT, "cannot read standard input: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (msg_push(&m, buf, (size_t)n, f) != 0)
			goto out;
		if (m.norm.ended)
			break; /* the lone dot: the rest is never read */
	}
	if (msg_finish(&m, f) != 0)
		goto out;
	x->s->size = m.size;
	x->s->eight_bit = m.eight_bit_body || m.eight_bit_headers;
	x->s->eight_bit_headers = m.eight_bit_headers;
	rc = 0;
out:
	msg_free(&m);
	return rc;
}

static int
start(struct ctx *x, struct submission *s, bool keep, struct failure *f)
{
	local_host_name(x->c->helo_name, x->host, sizeof(x->host));
	s->when = time(NULL);
	s->started = clock_seconds();
	if (new_qid(s->qid, f) != 0)
		return -1;
	if (!keep)
		return 0;
	s->file = malloc(sizeof(*s->file));
	if (s->file == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	s->file->fd = -1;
	return msgfile_create(s->file, f);
}

/* ---- -bs: the envelope from MAIL and RCPT, the message pushed ---- */

struct submit_stream {
	struct ctx x;
	struct msg m;
};

struct submit_stream *
submit_stream_begin(const struct request *req, const struct conf *c,
    const struct caller *who, struct submission *s, struct failure *f)
{
	struct submit_stream *ss = calloc(1, sizeof(*ss));

	if (ss == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return NULL;
	}
	ss->x.req = req;
	ss->x.c = c;
	ss->x.who = who;
	ss->x.s = s;
	ss->x.preset = true;
	if (start(&ss->x, s, true, f) != 0) {
		free(ss);
		return NULL;
	}
	/* the dialogue ended the data at CRLF.CRLF: a "." line inside
	 * (after a bare LF) is content */
	msg_setup(&ss->x, &ss->m, true);
	return ss;
}

int
submit_stream_push(struct submit_stream *ss, const char *p, size_t n,
    struct failure *f)
{
	return msg_push(&ss->m, p, n, f);
}

int
submit_stream_end(struct submit_stream *ss, struct failure *f)
{
	struct submission *s = ss->x.s;

	if (msg_finish(&ss->m, f) != 0)
		return -1;
	s->size = ss->m.size;
	s->eight_bit = ss->m.eight_bit_body || ss->m.eight_bit_headers;
	s->eight_bit_headers = ss->m.eight_bit_headers;
	return msgfile_finish(s->file, f);
}

void
submit_stream_free(struct submit_stream *ss)
{
	if (ss == NULL)
		return;
	msg_free(&ss->m);
	free(ss);
}

int
submit_message(const struct request *req, const struct conf *c,
    const struct caller *who, struct submission *s, struct failure *f)
{
	struct ctx x;
	bool need_message = req->mode != MODE_VERIFY ||
	    req->recipients_from_headers ||
	    (c->return_path == RETURN_PATH_YES && req->sender == NULL);

	memset(s, 0, sizeof(*s));
	envelope_init(&s->env, c->max_recipients);
	memset(&x, 0, sizeof(x));
	x.req = req;
	x.c = c;
	x.who = who;
	x.s = s;
	if (start(&x, s, req->mode != MODE_VERIFY && need_message, f) != 0)
		return -1;
	if (!need_message)
		return decide(&x, NULL, f);
	if (read_message(&x, f) != 0)
		return -1;
	if (s->file != NULL && msgfile_finish(s->file, f) != 0)
		return -1;
	return 0;
}

void
submission_free(struct submission *s)
{
	envelope_free(&s->env);
	if (s->file != NULL) {
		msgfile_close(s->file);
		free(s->file);
	}
	s->file = NULL;
}

static void
notify_string(unsigned bits, char *buf, size_t sz)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{DSN_SUCCESS, "SUCCESS"}, {DSN_FAILURE, "FAILURE"},
	    {DSN_DELAY, "DELAY"}};

	buf[0] = '\0';
	if (bits & DSN_NEVER) {
		(void)snprintf(buf, sz, "NEVER");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bits & names[i].bit)
			(void)snprintf(buf + strlen(buf), sz - strlen(buf),
			    "%s%s", buf[0] != '\0' ? "," : "", names[i].name);
}

int
submission_envelope(const struct submission *s, const struct request *req,
    unsigned uid, struct spool_env *e, struct failure *f)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->qid, s->qid, sizeof(e->qid));
	e->created = (long long)s->when;
	e->uid = uid;
	e->null_sender = s->env.null_sender;
	memcpy(e->sender, s->env.sender, sizeof(e->sender));
	e->size = s->size;
	e->eight_bit = s->eight_bit || req->body == BODY_8BITMIME;
	e->eight_bit_headers = s->eight_bit_headers;
	notify_string(req->dsn_notify, e->notify, sizeof(e->notify));
	(void)snprintf(e->ret, sizeof(e->ret), "%s",
	    req->dsn_ret == DSN_RET_FULL   ? "FULL"
	    : req->dsn_ret == DSN_RET_HDRS ? "HDRS"
					   : "");
	(void)snprintf(e->envid, sizeof(e->envid), "%s",
	    req->dsn_envid != NULL ? req->dsn_envid : "");
	e->rcpt = calloc(s->env.nrcpt, sizeof(*e->rcpt));
	if (e->rcpt == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->env.nrcpt; i++) {
		memcpy(e->rcpt[i].addr, s->env.rcpt[i], ADDR_BUFSZ);
		e->rcpt[i].state = RCPT_PENDING;
	}
	e->nrcpt = s->env.nrcpt;
	return 0;
}

bool
submission_async(const struct conf *c, const struct request *req)
{
	return (c->async || req->delivery == DELIVERY_QUEUE ||
		   req->delivery == DELIVERY_BACKGROUND) &&
	    req->delivery != DELIVERY_INTERACTIVE;
}

int
submission_hand_over(struct handoff *h, const struct submission *s,
    const struct request *req, const struct conf *c,
    const struct spool_env *e, bool verdict, struct failure *f)
{
	struct handoff_req r = {submission_async(c, req), verdict,
	    req->delivery != DELIVERY_QUEUE, s->started};
	int envfd = handoff_envelope(e, f), rc;

	if (envfd < 0)
		return -1;
	rc = handoff_send(h, &r, envfd, s->file->fd, f);
	(void)close(envfd);
	return rc;
}

void
submission_discard(const struct submission *s, unsigned uid)
{
	log_emit(LOG_INFO, "%s: uid=%u from=<%s> nrcpt=%zu size=%llu "
			   "status=discarded (disable = yes)",
	    s->qid, uid, s->env.sender, s->env.nrcpt, s->size);
}
