/* test_bs.c - the -bs dialogue against recording hooks: the end of DATA
 * is CRLF.CRLF only, dot-stuffing undone, replies in order, limits */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "bs.h"
#include "tap.h"

static char replies[8192], body[8192], events[1024];

static void
add(char *buf, size_t sz, const char *p, size_t n)
{
	size_t len = strlen(buf);

	if (len + n + 1 < sz) {
		memcpy(buf + len, p, n);
		buf[len + n] = '\0';
	}
}

static int
reply(void *ctx, const char *line)
{
	(void)ctx;
	add(replies, sizeof(replies), line, 3);
	add(replies, sizeof(replies), " ", 1);
	return 0;
}

static void
mail(void *ctx, const char *path, const char *params, char *r, size_t sz)
{
	(void)ctx;
	add(events, sizeof(events), "M:", 2);
	add(events, sizeof(events), path, strlen(path));
	add(events, sizeof(events), params[0] ? "+" : " ", 1);
	(void)snprintf(r, sz, strchr(path, '-') ? "553 no" : "250 ok");
}

static void
rcpt(void *ctx, const char *path, const char *params, char *r, size_t sz)
{
	(void)ctx;
	(void)params;
	add(events, sizeof(events), "R:", 2);
	add(events, sizeof(events), path, strlen(path));
	add(events, sizeof(events), " ", 1);
	(void)snprintf(r, sz, "250 ok");
}

static void
data_begin(void *ctx, char *r, size_t sz)
{
	(void)ctx;
	body[0] = '\0';
	(void)snprintf(r, sz, "354 go");
}

static void
data_bytes(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	add(body, sizeof(body), p, n);
}

static void
data_end(void *ctx, char *r, size_t sz)
{
	(void)ctx;
	add(events, sizeof(events), "E ", 2);
	(void)snprintf(r, sz, "250 sent");
}

static void
reset(void *ctx)
{
	(void)ctx;
	add(events, sizeof(events), "X ", 2);
}

static bool
run(const char *in, size_t chunk)
{
	struct bs_hooks h = {NULL, reply, mail, rcpt, data_begin, data_bytes,
	    data_end, reset, NULL};
	struct bs s;
	size_t len = strlen(in);
	bool alive = true;

	replies[0] = events[0] = body[0] = '\0';
	bs_init(&s, &h, 1000, "test");
	for (size_t i = 0; i < len && alive; i += chunk)
		alive = bs_push(&s, in + i, len - i < chunk ? len - i : chunk);
	if (alive)
		bs_eof(&s);
	return alive;
}

int
main(void)
{
	static const char one[] =
	    "EHLO c\r\nMAIL FROM:<a@x.org> BODY=8BITMIME\r\nRCPT TO:<b@x.org>\r\n"
	    "DATA\r\n..one\r\nbare\n.\nlf\r\n.x\r\n\r\n.\r\nQUIT\r\n";

	for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
		ok(!run(one, chunk), "QUIT ends the session (chunks of %zu)",
		    chunk);
		is_str(replies, "220 250 250 250 250 250 250 250 354 250 221 ",
		    "  the replies, EHLO's five lines (SIZE) included");
		is_str(body, ".one\r\nbare\n.\nlf\r\nx\r\n\r\n",
		    "  unstuffed; a bare-LF dot line is content");
		is_str(events, "M:a@x.org+R:b@x.org E ", "  the hooks");
	}
	run("HELO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n"
	    "half",
	    7);
	is_str(events, "M:a@x.org R:b@x.org X ",
	    "EOF inside DATA: the transaction is dropped, never ended");
	run("RCPT TO:<b@x.org>\r\nDATA\r\nMAIL FROM:<a@x.org>\r\nHELO c\r\n"
	    "MAIL FROM:<-X/tmp>\r\nDATA\r\nNOOP\r\nRSET\r\nVRFY x\r\n",
	    64);
	is_str(replies, "220 503 503 503 250 553 503 250 250 252 ",
	    "order is enforced; a refused MAIL leaves no transaction");
	{
		char big[2000];

		memset(big, 'A', sizeof(big));
		memcpy(big, "HELO ", 5);
		memcpy(big + sizeof(big) - 3, "\r\n", 3);
		run(big, 100);
		is_str(replies, "220 500 ", "a command line over 512 octets");
	}
	ok(!run("HELO c\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\n"
		"NOOP\r\n",
	       64) &&
		strstr(replies, "421 ") != NULL &&
		strstr(replies, "421 250") == NULL,
	    "ten errors: 421, nothing more is read");
	return done_testing();
}
