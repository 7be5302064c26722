/* bsmode.c - sendmail -bs: the dialogue (bs.c) on standard input and
 * output, with the command line's policy: MAIL FROM is a -f under the Set
 * Return Path policy, RCPT TO an operand (aliases, domain, the strict
 * grammar), the message goes through the same pipeline, and each message
 * is handed to the back end, whose verdict is the reply after DATA. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs.h"
#include "bsmode.h"
#include "handoff.h"
#include "log.h"
#include "report.h"
#include "sender.h"
#include "spoolfmt.h"
#include "submit.h"
#include "text.h"

struct session {
	const struct request *req;
	const struct conf *c;
	const struct caller *who;
	struct handoff *h; /* the gate: one request per message */
	/* the transaction */
	bool open;
	struct submission s;
	struct submit_stream *ss;
	struct failure data_failure;
	bool size_exceeded;
};

static int
reply(void *ctx, const char *line)
{
	(void)ctx;
	(void)printf("%s\r\n", line);
	return fflush(stdout) == 0 ? 0 : -1;
}

static void
refused(const struct session *x, const char *what, const struct failure *f)
{
	report_caller(LOG_WARNING, x->who, "refused", "-bs %s: %s", what,
	    f->msg);
}

static void
mistake(void *ctx, const char *line)
{
	struct session *x = ctx;

	report_caller(LOG_WARNING, x->who, "refused", "-bs: %s", line);
}

static void
reset(void *ctx)
{
	struct session *x = ctx;

	submit_stream_free(x->ss);
	x->ss = NULL;
	if (x->open)
		submission_free(&x->s);
	x->open = false;
}

/* Only the parameters safemail honours; anything else is refused (RFC
 * 5321 4.1.1.11: 555). */
static bool
params_ok(struct session *x, const char *params)
{
	while (*params != '\0') {
		size_t n = strcspn(params, " ");

		if (text_ieqn(params, n, "BODY=8BITMIME") ||
		    text_ieqn(params, n, "BODY=7BIT")) {
			/* nothing to do: 8-bit content is detected anyway */
		} else if (n > 5 && text_ieqn(params, 5, "SIZE=")) {
			unsigned long v;
			char num[24];

			if (n - 5 >= sizeof(num))
				return false;
			memcpy(num, params + 5, n - 5);
			num[n - 5] = '\0';
			if (!text_parse_uint(num, ~0UL, &v))
				return false;
			if (x->c->max_message_size != 0 &&
			    v > x->c->max_message_size)
				x->size_exceeded = true;
		} else {
			return false;
		}
		params += n;
		while (*params == ' ')
			params++;
	}
	return true;
}

static void
mail(void *ctx, const char *path, const char *params, char *out, size_t sz)
{
	struct session *x = ctx;
	struct sender_input in;
	struct sender_decision d;
	struct failure f = {FAIL_NONE, ""};

	reset(x);
	x->size_exceeded = false;
	if (!params_ok(x, params)) {
		(void)snprintf(out, sz, "555 5.5.4 Unsupported MAIL parameter");
		return;
	}
	if (x->size_exceeded) {
		(void)snprintf(out, sz, "552 5.3.4 Message size exceeds "
					"max_message_size");
		return;
	}
	memset(&in, 0, sizeof(in));
	in.option = path[0] != '\0' ? path : "<>";
	in.option_letter = 'f';
	in.login = x->who->user;
	if (sender_decide(x->c, &in, &d, &f) != 0) {
		refused(x, "MAIL FROM", &f);
		(void)snprintf(out, sz, "553 5.7.1 Sender refused: %.300s",
		    f.msg);
		return;
	}
	if (d.warning[0] != '\0')
		report_caller(LOG_WARNING, x->who, "warning",
		    "-bs MAIL FROM: %s", d.warning);
	memset(&x->s, 0, sizeof(x->s));
	envelope_init(&x->s.env, x->c->max_recipients);
	x->s.env.null_sender = d.source == SENDER_NULL;
	memcpy(x->s.env.sender, d.addr, strlen(d.addr) + 1);
	x->open = true;
	(void)snprintf(out, sz, "250 2.1.0 Sender <%s> OK",
	    x->s.env.null_sender ? "" : x->s.env.sender);
}

static void
rcpt(void *ctx, const char *path, const char *params, char *out, size_t sz)
{
	struct session *x = ctx;
	struct failure f = {FAIL_NONE, ""};
	size_t before = x->s.env.nrcpt;

	if (*params != '\0') {
		(void)snprintf(out, sz, "555 5.5.4 Unsupported RCPT parameter");
		return;
	}
	/* one address, not a list (which an operand may be) */
	if (path[0] == '\0' || strpbrk(path, ",<>()\" :;\\") != NULL) {
		struct failure bad;

		fail_set(&bad, FAIL_USAGE, "RCPT TO holds more than one address");
		refused(x, "RCPT TO", &bad);
		(void)snprintf(out, sz, "501 5.1.3 One address per RCPT TO");
		return;
	}
	if (x->s.env.nrcpt >= x->c->max_recipients) {
		(void)snprintf(out, sz, "452 4.5.3 Too many recipients");
		return;
	}
	if (envelope_add_list(&x->s.env, x->c, path, strlen(path),
		"recipient", FAIL_USAGE, &f) != 0) {
		refused(x, "RCPT TO", &f);
		(void)snprintf(out, sz, "%s %.300s",
		    f.kind == FAIL_NOUSER ? "550 5.1.1" : "553 5.1.3", f.msg);
		/* envelope_add_list adds nothing of a list it refuses */
		x->s.env.nrcpt = before;
		return;
	}
	(void)snprintf(out, sz, "250 2.1.5 Recipient OK");
}

static void
data_begin(void *ctx, char *out, size_t sz)
{
	struct session *x = ctx;
	struct failure f = {FAIL_NONE, ""};
	x->data_failure.kind = FAIL_NONE;
	x->data_failure.msg[0] = '\0';
	x->ss = submit_stream_begin(x->req, x->c, x->who, &x->s, &f);
	if (x->ss == NULL) {
		(void)snprintf(out, sz, "451 4.3.0 %.300s", f.msg);
		return;
	}
	(void)snprintf(out, sz, "354 End data with <CR><LF>.<CR><LF>");
}

static void
data_bytes(void *ctx, const char *p, size_t n)
{
	struct session *x = ctx;

	/* after a failure the rest is read and dropped: the reply comes
	 * only after the end of the data */
	if (x->data_failure.kind == FAIL_NONE)
		(void)submit_stream_push(x->ss, p, n, &x->data_failure);
}

static void
data_end(void *ctx, char *out, size_t sz)
{
	struct session *x = ctx;
	struct failure f = x->data_failure;
	struct spool_env e;
	char status[700];

	if (f.kind == FAIL_NONE)
		(void)submit_stream_end(x->ss, &f);
	if (f.kind != FAIL_NONE) {
		refused(x, "DATA", &f);
		(void)snprintf(out, sz, "%s %.300s",
		    strstr(f.msg, "max_message_size") != NULL ? "552 5.3.4"
		    : f.kind == FAIL_DATA		      ? "554 5.6.0"
							      : "451 4.3.0",
		    f.msg);
		reset(x);
		return;
	}
	if (x->c->disable) {
		submission_discard(&x->s, (unsigned)x->who->uid);
		(void)snprintf(out, sz, "250 2.0.0 Ok: discarded (disabled)");
		reset(x);
		return;
	}
	if (submission_envelope(&x->s, x->req, (unsigned)x->who->uid, &e,
		&f) != 0) {
		spool_env_free(&e);
		(void)snprintf(out, sz, "451 4.3.0 %.300s", f.msg);
		reset(x);
		return;
	}
	/* async: the gate queues it and replies "queued as"; else the relay
	 * client's verdict */
	status[0] = '\0';
	if (submission_hand_over(x->h, &x->s, x->req, x->c, &e, true, &f) ==
	    0)
		handoff_reply(x->h, status, sizeof(status));
	spool_env_free(&e);
	if (strlen(status) >= 4 && status[0] >= '2' && status[0] <= '5')
		(void)snprintf(out, sz, "%s", status);
	else
		(void)snprintf(out, sz, "451 4.3.0 The back end failed%s%s",
		    f.msg[0] != '\0' ? ": " : "", f.msg);
	reset(x);
}

int
bsmode_run(const struct request *req, const struct conf *c,
    const struct caller *who, struct handoff *gate)
{
	unsigned idle_seconds = c->bs_idle_timeout;
	struct session x;
	struct bs_hooks h = {&x, reply, mail, rcpt, data_begin, data_bytes,
	    data_end, reset, mistake};
	struct bs s;
	char host[ADDR_BUFSZ], buf[16384];

	memset(&x, 0, sizeof(x));
	x.req = req;
	x.c = c;
	x.who = who;
	x.h = gate;
	local_host_name(c->helo_name, host, sizeof(host));
	bs_init(&s, &h, c->max_message_size, host);
	for (;;) {
		struct pollfd p = {STDIN_FILENO, POLLIN, 0};
		int ready = poll(&p, 1, (int)idle_seconds * 1000);
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			log_emit(LOG_INFO, "-bs: uid=%u idle for %u s, closed",
			    (unsigned)who->uid, idle_seconds);
			bs_idle(&s);
			break;
		}
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bs_eof(&s);
			break;
		}
		if (!bs_push(&s, buf, (size_t)n))
			break;
	}
	reset(&x);
	return 0;
}
