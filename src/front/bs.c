/* bs.c - the -bs dialogue (pure; see bs.h) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bs.h"
#include "text.h"

static void
say(struct bs *s, const char *line)
{
	(void)s->h.reply(s->h.ctx, line);
}

/* A 5xx for the client's mistake; too many end the session. */
static void
mistake(struct bs *s, const char *line)
{
	say(s, line);
	if (s->h.mistake != NULL)
		s->h.mistake(s->h.ctx, line);
	if (++s->errors >= BS_ERRORS_MAX) {
		say(s, "421 4.7.0 Too many errors, closing the session");
		s->state = BS_DONE;
	}
}

void
bs_init(struct bs *s, const struct bs_hooks *h, unsigned long long size_max,
    const char *greeting_host)
{
	char g[BS_REPLY_MAX];

	memset(s, 0, sizeof(*s));
	s->h = *h;
	s->size_max = size_max;
	s->state = BS_START;
	(void)snprintf(s->host, sizeof(s->host), "%s", greeting_host);
	(void)snprintf(g, sizeof(g), "220 %s ESMTP safemail", s->host);
	say(s, g);
}

static void
reset_transaction(struct bs *s)
{
	if (s->state == BS_MAIL || s->state == BS_RCPT || s->state == BS_DATA)
		s->h.reset(s->h.ctx);
}

/* "FROM:" / "TO:" then "<path>" and parameters. */
static bool
split_path(const char *arg, const char *keyword, char *path, size_t psz,
    const char **params)
{
	size_t k = strlen(keyword), n;
	const char *p;

	if (!text_ieqn(arg, k < strlen(arg) ? k : strlen(arg), keyword) ||
	    strlen(arg) < k)
		return false;
	p = arg + k;
	while (*p == ' ')
		p++;
	if (*p == '<') {
		const char *end = strchr(p, '>');

		if (end == NULL)
			return false;
		n = (size_t)(end - p - 1);
		p++;
		*params = end + 1;
	} else {
		n = strcspn(p, " ");
		*params = p + n;
	}
	if (n >= psz)
		return false;
	memcpy(path, p, n);
	path[n] = '\0';
	while (**params == ' ')
		(*params)++;
	return true;
}

static void
ehlo(struct bs *s, bool extended)
{
	char line[BS_REPLY_MAX];

	reset_transaction(s);
	s->state = BS_READY;
	if (!extended) {
		(void)snprintf(line, sizeof(line), "250 %s", s->host);
		say(s, line);
		return;
	}
	(void)snprintf(line, sizeof(line), "250-%s", s->host);
	say(s, line);
	say(s, "250-PIPELINING");
	say(s, "250-8BITMIME");
	if (s->size_max != 0) {
		(void)snprintf(line, sizeof(line), "250-SIZE %llu", s->size_max);
		say(s, line);
	}
	say(s, "250 ENHANCEDSTATUSCODES");
}

static void
command(struct bs *s, char *line)
{
	char verb[8], reply[BS_REPLY_MAX], path[BS_COMMAND_MAX];
	size_t vlen = strcspn(line, " ");
	const char *arg = line + vlen, *params = "";

	while (*arg == ' ')
		arg++;
	if (vlen >= sizeof(verb)) {
		mistake(s, "500 5.5.2 Command not recognized");
		return;
	}
	memcpy(verb, line, vlen);
	verb[vlen] = '\0';
	reply[0] = '\0';
	if (text_ieq(verb, "HELO") || text_ieq(verb, "EHLO")) {
		if (*arg == '\0') {
			mistake(s, "501 5.5.4 Syntax: HELO hostname");
			return;
		}
		ehlo(s, text_ieq(verb, "EHLO"));
	} else if (text_ieq(verb, "MAIL")) {
		if (s->state == BS_START) {
			mistake(s, "503 5.5.1 Send HELO or EHLO first");
		} else if (s->state != BS_READY) {
			mistake(s, "503 5.5.1 Nested MAIL command");
		} else if (!split_path(arg, "FROM:", path, sizeof(path),
			       &params)) {
			mistake(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		} else {
			s->h.mail(s->h.ctx, path, params, reply, sizeof(reply));
			if (reply[0] == '2')
				s->state = BS_MAIL;
			say(s, reply);
		}
	} else if (text_ieq(verb, "RCPT")) {
		if (s->state != BS_MAIL && s->state != BS_RCPT) {
			mistake(s, "503 5.5.1 Need MAIL before RCPT");
		} else if (!split_path(arg, "TO:", path, sizeof(path), &params)) {
			mistake(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		} else {
			s->h.rcpt(s->h.ctx, path, params, reply, sizeof(reply));
			if (reply[0] == '2')
				s->state = BS_RCPT;
			say(s, reply);
		}
	} else if (text_ieq(verb, "DATA")) {
		if (s->state != BS_RCPT) {
			mistake(s, s->state == BS_MAIL
				? "503 5.5.1 Need RCPT before DATA"
				: "503 5.5.1 Need MAIL before DATA");
		} else if (*arg != '\0') {
			mistake(s, "501 5.5.4 Syntax: DATA");
		} else {
			s->h.data_begin(s->h.ctx, reply, sizeof(reply));
			say(s, reply);
			if (strncmp(reply, "354", 3) == 0) {
				s->state = BS_DATA;
				s->eod = 2; /* a virtual CRLF before the data */
				s->line_start = true;
			}
		}
	} else if (text_ieq(verb, "RSET")) {
		reset_transaction(s);
		if (s->state != BS_START)
			s->state = BS_READY;
		say(s, "250 2.0.0 OK");
	} else if (text_ieq(verb, "NOOP")) {
		say(s, "250 2.0.0 OK");
	} else if (text_ieq(verb, "QUIT")) {
		reset_transaction(s);
		say(s, "221 2.0.0 Bye");
		s->state = BS_DONE;
	} else if (text_ieq(verb, "VRFY")) {
		say(s, "252 2.5.2 Cannot VRFY user; send mail to find out");
	} else if (text_ieq(verb, "HELP")) {
		say(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP "
		       "QUIT VRFY HELP");
	} else {
		mistake(s, "500 5.5.2 Command not recognized");
	}
}

/* DATA: find the CRLF "." CRLF that ends it, undo dot-stuffing, pass the
 * rest on. A "." after a bare LF is content: only CRLF ends a line here,
 * and the normalizer makes every line end in CRLF afterwards. */
static size_t
data(struct bs *s, const char *p, size_t n)
{
	char out[4096];
	size_t o = 0, i;

	for (i = 0; i < n && s->state == BS_DATA; i++) {
		char c = p[i];

		if (s->line_start && c == '.') {
			/* stuffed, or the terminator: decided by what follows */
			s->line_start = false;
			s->eod = 3;
			continue;
		}
		if (s->eod == 3) { /* after a line-initial "." */
			if (c == '\r') {
				s->eod = 4;
				continue;
			}
			s->eod = 0; /* the stuffing dot is dropped */
		} else if (s->eod == 4) {
			if (c == '\n') { /* CRLF . CRLF */
				char reply[BS_REPLY_MAX] = "";

				if (o > 0)
					s->h.data_bytes(s->h.ctx, out, o);
				s->h.data_end(s->h.ctx, reply, sizeof(reply));
				say(s, reply);
				s->state = BS_READY;
				return i + 1;
			}
			out[o++] = '\r'; /* "." CR x: the CR is content */
			s->eod = 0;
		}
		if (o >= sizeof(out) - 2) {
			s->h.data_bytes(s->h.ctx, out, o);
			o = 0;
		}
		out[o++] = c;
		if (c == '\r') {
			s->eod = 1;
			s->line_start = false;
		} else if (c == '\n' && s->eod == 1) {
			s->eod = 2;
			s->line_start = true;
		} else {
			s->eod = 0;
			s->line_start = false;
		}
	}
	if (o > 0)
		s->h.data_bytes(s->h.ctx, out, o);
	return i;
}

bool
bs_push(struct bs *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && s->state != BS_DONE) {
		char c;

		if (s->state == BS_DATA) {
			i += data(s, p + i, n - i);
			continue;
		}
		c = p[i++];
		if (c != '\n') {
			if (s->len < BS_COMMAND_MAX)
				s->line[s->len++] = c;
			else
				s->too_long = true;
			continue;
		}
		if (s->len > 0 && s->line[s->len - 1] == '\r')
			s->len--;
		s->line[s->len] = '\0';
		if (s->too_long || memchr(s->line, '\0', s->len) != NULL)
			mistake(s, "500 5.5.2 Line too long or not text");
		else
			command(s, s->line);
		s->len = 0;
		s->too_long = false;
	}
	return s->state != BS_DONE;
}

void
bs_idle(struct bs *s)
{
	reset_transaction(s);
	say(s, "421 4.4.2 Idle for too long, closing the session");
	s->state = BS_DONE;
}

void
bs_eof(struct bs *s)
{
	reset_transaction(s);
	s->state = BS_DONE;
}
