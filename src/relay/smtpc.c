/* smtpc.c - one SMTP mail transaction (pure; see smtpc.h) */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"
#include "text.h"

/* RFC 5321 4.5.3.1.5 allows 512 octets a reply line; be lenient up to the
 * buffer, and bound the lines of one reply. */
#define REPLY_LINES_MAX 200
#define COMMAND_MAX 1024
/* Recipients sent in one pipelined group before reading their replies,
 * so neither side can block writing while the other does (RFC 2920 3.1). */
#define PIPELINE_GROUP 64
#define CHUNK (64 * 1024)

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
smtp_caps_line(struct smtp_caps *caps, const char *line, size_t len)
{
	size_t kw = 0;

	while (kw < len && line[kw] != ' ')
		kw++;
	if (text_ieqn(line, kw, "PIPELINING"))
		caps->pipelining = true;
	else if (text_ieqn(line, kw, "8BITMIME"))
		caps->eight_bit_mime = true;
	else if (text_ieqn(line, kw, "SMTPUTF8"))
		caps->smtputf8 = true;
	else if (text_ieqn(line, kw, "DSN"))
		caps->dsn = true;
	else if (text_ieqn(line, kw, "SIZE")) {
		unsigned long long v = 0;

		caps->size = true;
		for (size_t i = kw + 1; i < len && is_digit(line[i]); i++) {
			if (v > 100000000000000ULL)
				break;
			v = v * 10 + (unsigned)(line[i] - '0');
		}
		caps->size_max = v;
	}
}

static void
reply_append(struct smtp_reply *rep, const char *p, size_t len)
{
	size_t have = strlen(rep->text);

	if (have > 0 && have + 1 < sizeof(rep->text))
		rep->text[have++] = ' ';
	text_cut(rep->text + have, sizeof(rep->text) - have, p, len);
}

/* One line from the buffered stream, without its CRLF (a bare LF ends a
 * line too: lenient in what we read). */
static int
read_line(const struct smtp_io *io, struct smtp_reader *rd, char *line,
    size_t cap, size_t *len, struct failure *f)
{
	for (;;) {
		char *nl = memchr(rd->buf, '\n', rd->len);

		if (nl != NULL) {
			size_t n = (size_t)(nl - rd->buf);
			size_t used = n + 1;

			if (n > 0 && rd->buf[n - 1] == '\r')
				n--;
			if (n >= cap)
				n = cap - 1;
			memcpy(line, rd->buf, n);
			line[n] = '\0';
			*len = n;
			memmove(rd->buf, rd->buf + used, rd->len - used);
			rd->len -= used;
			return 0;
		}
		if (rd->len == sizeof(rd->buf)) {
			fail_set(f, FAIL_TEMP,
			    "the relay sent a reply line longer than %zu bytes",
			    sizeof(rd->buf));
			return -1;
		}
		size_t got = 0;

		if (io->recv(io->ctx, rd->buf + rd->len,
			sizeof(rd->buf) - rd->len, &got, f) != 0)
			return -1;
		rd->len += got;
	}
}

int
smtp_read_reply(const struct smtp_io *io, struct smtp_reader *rd,
    struct smtp_reply *rep, struct failure *f)
{
	char line[sizeof(rd->buf)];
	size_t len;

	rep->code = 0;
	rep->text[0] = '\0';
	for (int n = 0; n < REPLY_LINES_MAX; n++) {
		int code;

		if (read_line(io, rd, line, sizeof(line), &len, f) != 0)
			return -1;
		if (io->trace != NULL)
			io->trace(io->ctx, false, line, len);
		if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
		    !is_digit(line[2]) || line[0] < '2' || line[0] > '5' ||
		    (len > 3 && line[3] != ' ' && line[3] != '-')) {
			fail_set(f, FAIL_TEMP, "the relay sent a malformed "
					       "reply");
			return -1;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (n > 0 && code != rep->code) {
			fail_set(f, FAIL_TEMP,
			    "the relay changed the code within one reply");
			return -1;
		}
		rep->code = code;
		reply_append(rep, n == 0 ? line : line + 4,
		    n == 0 ? len : len > 4 ? len - 4 : 0);
		if (len == 3 || line[3] == ' ')
			return 0;
	}
	fail_set(f, FAIL_TEMP, "the relay sent a reply of more than %d lines",
	    REPLY_LINES_MAX);
	return -1;
}

/* The reply to command, the transport told which it is. */
static int
read_reply_to(const struct smtp_io *io, struct smtp_reader *rd,
    const char *command, struct smtp_reply *rep, struct failure *f)
{
	if (io->awaiting != NULL)
		io->awaiting(io->ctx, command);
	return smtp_read_reply(io, rd, rep, f);
}

/* RFC 3461 4: xtext for ENVID. */
static size_t
xtext(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s != '\0' && n + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c > ' ' && c < 0x7f && c != '+' && c != '=') {
			out[n++] = (char)c;
		} else {
			out[n++] = '+';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return n;
}

/* Command lines (with CRLF) waiting to be sent together. */
struct batch {
	char buf[PIPELINE_GROUP * (COMMAND_MAX + 2)];
	size_t len;
};

static struct batch batch; /* large; one transaction at a time */

static int
add_command(const struct smtp_io *io, struct batch *b, struct failure *f,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
add_command(const struct smtp_io *io, struct batch *b, struct failure *f,
    const char *fmt, ...)
{
	size_t room = sizeof(b->buf) - b->len;
	va_list ap;
	int n;

	if (room > COMMAND_MAX)
		room = COMMAND_MAX;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room) {
		fail_set(f, FAIL_SOFTWARE, "SMTP command too long");
		return -1;
	}
	if (io->trace != NULL)
		io->trace(io->ctx, true, b->buf + b->len, (size_t)n);
	memcpy(b->buf + b->len + n, "\r\n", 2);
	b->len += (size_t)n + 2;
	return 0;
}

static int
flush(const struct smtp_io *io, struct batch *b, struct failure *f)
{
	int rc = b->len == 0 ? 0 : io->send(io->ctx, b->buf, b->len, f);

	b->len = 0;
	return rc;
}

static int
add_mail(const struct smtp_io *io, const struct smtp_caps *caps,
    const struct smtp_txn *t, struct batch *b, struct failure *f)
{
	char size[32] = "", envid[3 * 100 + 16] = "";

	if (caps->size)
		(void)snprintf(size, sizeof(size), " SIZE=%llu", t->size);
	if (caps->dsn && t->dsn_envid != NULL) {
		memcpy(envid, " ENVID=", 7);
		xtext(envid + 7, sizeof(envid) - 7, t->dsn_envid);
	}
	return add_command(io, b, f, "MAIL FROM:<%s>%s%s%s%s%s%s", t->sender,
	    size, t->eight_bit && caps->eight_bit_mime ? " BODY=8BITMIME" : "",
	    t->smtputf8 && caps->smtputf8 ? " SMTPUTF8" : "",
	    caps->dsn && t->dsn_ret != NULL ? " RET=" : "",
	    caps->dsn && t->dsn_ret != NULL ? t->dsn_ret : "", envid);
}

static int
add_rcpt(const struct smtp_io *io, const struct smtp_caps *caps,
    const struct smtp_txn *t, size_t i, struct batch *b, struct failure *f)
{
	bool notify = caps->dsn && t->dsn_notify != NULL;

	return add_command(io, b, f, "RCPT TO:<%s>%s%s",
	    t->rcpt(t->rcpt_ctx, i), notify ? " NOTIFY=" : "",
	    notify ? t->dsn_notify : "");
}

static bool
positive(const struct smtp_reply *r)
{
	return r->code >= 200 && r->code < 300;
}

/* With PIPELINING, DATA goes in the same write as the last RCPTs (RFC
 * 2920 3.1: the last command of a group), saving a round trip. */
static int
add_data_if_last(const struct smtp_io *io, const struct smtp_caps *caps,
    const struct smtp_txn *t, size_t next, struct batch *b, bool *data_sent,
    struct failure *f)
{
	if (!caps->pipelining || next != t->nrcpt || *data_sent)
		return 0;
	*data_sent = true;
	return add_command(io, b, f, "DATA");
}

/* MAIL and the RCPTs, pipelined in groups when the relay allows it. */
static int
envelope_phase(const struct smtp_io *io, struct smtp_reader *rd,
    const struct smtp_caps *caps, const struct smtp_txn *t,
    struct smtp_result *r, bool *data_sent, struct failure *f)
{
	struct batch *const bp = &batch;
	size_t group = caps->pipelining ? PIPELINE_GROUP : 1;
	size_t next = 0;
	bool mail_ok = false;

	*data_sent = false;
	bp->len = 0;
	if (add_mail(io, caps, t, bp, f) != 0)
		return -1;
	for (size_t sent = 1; sent < group && next < t->nrcpt; sent++)
		if (add_rcpt(io, caps, t, next++, bp, f) != 0)
			return -1;
	if (add_data_if_last(io, caps, t, next, bp, data_sent, f) != 0 ||
	    flush(io, bp, f) != 0 ||
	    read_reply_to(io, rd, "MAIL", &r->last, f) != 0)
		return -1;
	mail_ok = positive(&r->last);
	if (!mail_ok) {
		r->stage = STAGE_MAIL;
		return 1; /* pipelined RCPT replies are not worth reading */
	}
	for (size_t i = 0; i < t->nrcpt; i++) {
		if (i == next) { /* the next group */
			for (size_t k = 0; k < group && next < t->nrcpt; k++)
				if (add_rcpt(io, caps, t, next++, bp, f) != 0)
					return -1;
			if (add_data_if_last(io, caps, t, next, bp, data_sent,
				f) != 0 ||
			    flush(io, bp, f) != 0)
				return -1;
		}
		if (read_reply_to(io, rd, "RCPT", &r->rcpt[i], f) != 0)
			return -1;
		if (positive(&r->rcpt[i]))
			r->accepted++;
		else
			r->last = r->rcpt[i];
	}
	if (r->accepted == 0) {
		struct smtp_reply data;

		/* A pipelined DATA is answered 503/554 now; a server that
		 * says 354 gets an empty message ended at once (RFC 2920). */
		if (*data_sent &&
		    read_reply_to(io, rd, "DATA", &data, f) == 0 &&
		    data.code == 354 &&
		    io->send(io->ctx, ".\r\n", 3, f) == 0)
			(void)smtp_read_reply(io, rd, &data, f);
		r->stage = STAGE_RCPT;
		return 1;
	}
	return 0;
}

/* Does a line start with a dot in p (a line starts at p when
 * line_start)? Dots are rarer than line ends: memchr for them. */
static bool
dot_line(const char *p, size_t n, bool line_start)
{
	const char *d = p, *end = p + n;

	while ((d = memchr(d, '.', (size_t)(end - d))) != NULL) {
		if (d == p ? line_start : d[-1] == '\n')
			return true;
		d++;
	}
	return false;
}

/* The message, dot-stuffed (RFC 5321 4.5.2): it arrives normalized, every
 * line ending in CRLF, so a line starts after each LF. */
static int
send_body(const struct smtp_io *io, struct smtp_result *r, struct failure *f)
{
	static char in[CHUNK], out[2 * CHUNK + 8];
	bool line_start = true;
	size_t got;

	for (;;) {
		size_t o = 0, i = 0;

		if (io->read_msg(io->msg_ctx, in, sizeof(in), &got, f) != 0)
			return -1;
		if (got == 0)
			break;
		/* No line of this chunk starts with a dot (the usual case):
		 * it goes as it is, without the copy. */
		if (!dot_line(in, got, line_start)) {
			line_start = in[got - 1] == '\n';
			r->wire_bytes += got;
			if (io->send(io->ctx, in, got, f) != 0)
				return -1;
			continue;
		}
		while (i < got) {
			/* up to and with the next LF, copied at once */
			const char *nl = memchr(in + i, '\n', got - i);
			size_t n = nl != NULL ? (size_t)(nl - (in + i)) + 1
					      : got - i;

			if (line_start && in[i] == '.')
				out[o++] = '.';
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			line_start = nl != NULL;
		}
		r->wire_bytes += o;
		if (io->send(io->ctx, out, o, f) != 0)
			return -1;
	}
	/* The pipeline always ends the message with CRLF; if not, end the
	 * last line so that the terminator is one. */
	return line_start ? io->send(io->ctx, ".\r\n", 3, f)
			  : io->send(io->ctx, "\r\n.\r\n", 5, f);
}

int
smtp_transaction(const struct smtp_io *io, const struct smtp_caps *caps,
    const struct smtp_txn *t, struct smtp_result *r, struct failure *f)
{
	struct smtp_reader rd;
	bool data_sent;
	int rc;

	rd.len = 0;
	r->stage = STAGE_IO;
	r->body_sent = false;
	r->accepted = 0;
	r->wire_bytes = 0;
	r->last.code = 0;
	r->last.text[0] = '\0';
	for (size_t i = 0; i < t->nrcpt; i++) {
		r->rcpt[i].code = 0;
		r->rcpt[i].text[0] = '\0';
	}
	if (t->nrcpt == 0) {
		/* libcurl would turn this into HELP; never send it. */
		fail_set(f, FAIL_SOFTWARE, "no recipients");
		return -1;
	}
	rc = envelope_phase(io, &rd, caps, t, r, &data_sent, f);
	if (rc != 0)
		return -1;
	batch.len = 0;
	if ((!data_sent && (add_command(io, &batch, f, "DATA") != 0 ||
			       flush(io, &batch, f) != 0)) ||
	    read_reply_to(io, &rd, "DATA", &r->last, f) != 0)
		return -1;
	if (r->last.code != 354) {
		r->stage = STAGE_DATA;
		return -1;
	}
	if (send_body(io, r, f) != 0)
		return -1;
	r->body_sent = true;
	if (io->trace != NULL)
		io->trace(io->ctx, true, ".", 1);
	if (read_reply_to(io, &rd, "the message", &r->last, f) != 0)
		return -1;
	if (!positive(&r->last)) {
		r->stage = STAGE_FINAL;
		return -1;
	}
	r->stage = STAGE_NONE;
	return 0;
}
