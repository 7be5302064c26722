/* test_msg.c - the message pipeline: header block, added fields, removed
 * fields, qualified names, the body after it */
#include "config.h"

#include <stdlib.h>

#include "msg.h"
#include "tap.h"

struct out {
	char buf[16384];
	size_t len;
};

static int
collect(void *ctx, const char *p, size_t len)
{
	struct out *o = ctx;

	if (o->len + len >= sizeof(o->buf))
		return -1;
	memcpy(o->buf + o->len, p, len);
	o->len += len;
	o->buf[o->len] = '\0';
	return 0;
}

static int hook_calls;
static bool hook_fails;

static int
hook(void *ctx, struct msg *m, struct failure *f)
{
	(void)ctx;
	hook_calls++;
	if (hook_fails) {
		fail_set(f, FAIL_USAGE, "no recipients");
		return -1;
	}
	if (msg_add_field(m, true, "Received: by test", 17, f) != 0)
		return -1;
	if (msg_count(m, MF_DATE) == 0 &&
	    msg_add_field(m, false, "Date: now", 9, f) != 0)
		return -1;
	return 0;
}

/* Run text through the pipeline, byte by byte when chunk is 1. */
static int
run(const char *in, size_t len, bool ignore_dots, size_t chunk,
    struct out *o, struct failure *f, unsigned long long max)
{
	struct msg_options opt;
	struct msg m;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	memset(&opt, 0, sizeof(opt));
	f->kind = FAIL_NONE;
	opt.ignore_dots = ignore_dots;
	opt.domain = "example.com";
	opt.max_size = max;
	opt.write = collect;
	opt.write_ctx = o;
	opt.headers_done = hook;
	hook_calls = 0;
	msg_init(&m, &opt);
	for (size_t i = 0; i < len && rc == 0; i += chunk)
		rc = msg_push(&m, in + i, len - i < chunk ? len - i : chunk, f);
	if (rc == 0)
		rc = msg_finish(&m, f);
	msg_free(&m);
	return rc;
}

#define S(s) s, sizeof(s) - 1

int
main(void)
{
	struct out o;
	struct failure f;
	static const char basic[] =
	    "To: a@x.org\nBcc: hidden@x.org\nReturn-Path: <x@evil>\n"
	    "Resent-Bcc: r@x.org\nSubject: hi\n\n.dot\nbody";
	static const char want[] =
	    "Received: by test\r\nTo: a@x.org\r\nSubject: hi\r\nDate: now\r\n"
	    "\r\n.dot\r\nbody\r\n";

	ok(run(S(basic), false, 65536, &o, &f, 0) == 0 && hook_calls == 1,
	    "a message passes; the hook runs once");
	is_str(o.buf, want,
	    "added fields first and last; Bcc, Resent-Bcc, Return-Path gone; "
	    "CRLF; final newline");
	ok(run(S(basic), false, 1, &o, &f, 0) == 0, "byte by byte");
	is_str(o.buf, want, "  gives the same bytes");

	ok(run(S("Date: then\nTo: root,\n Bob <bob>, c@y.org\n\nx\n"), false,
	       7, &o, &f, 0) == 0,
	    "bare names in a folded To:");
	is_str(o.buf,
	    "Received: by test\r\nDate: then\r\n"
	    "To: root@example.com,\r\n Bob <bob@example.com>, c@y.org\r\n"
	    "\r\nx\r\n",
	    "qualified in place, the folding kept, Date not added twice");

	ok(run(S("From: a@x.org\nNotAHeader here\nSubject: s\n\nb\n"), false,
	       65536, &o, &f, 0) == 0,
	    "a line that is no header");
	is_str(o.buf,
	    "Received: by test\r\nFrom: a@x.org\r\nDate: now\r\n\r\n"
	    "NotAHeader here\r\nSubject: s\r\n\r\nb\r\n",
	    "starts the body after an added empty line");

	ok(run(S("From x@y Mon Nov  2 10:00:00 2026\nSubject: s\n\nb\n"), false,
	       65536, &o, &f, 0) == 0 &&
		strstr(o.buf, "x@y") == NULL,
	    "a leading mbox From line is dropped");
	ok(run(S("Subject: only headers"), false, 65536, &o, &f, 0) == 0,
	    "headers and no body");
	is_str(o.buf,
	    "Received: by test\r\nSubject: only headers\r\nDate: now\r\n\r\n",
	    "  end with the empty line");
	ok(run(S(""), false, 65536, &o, &f, 0) == 0 && hook_calls == 1 &&
		strcmp(o.buf, "Received: by test\r\nDate: now\r\n\r\n") == 0,
	    "empty input still gets the hook and the added fields");
	ok(run(S("Subject: s\n.\nTo: late@x.org\n"), false, 65536, &o, &f, 0) ==
		    0 &&
		strstr(o.buf, "late@") == NULL,
	    "a lone dot inside the header block ends the message");

	{
		char big[1300];

		memcpy(big, "X-Long: ", 8);
		memset(big + 8, 'a', sizeof(big) - 9);
		big[sizeof(big) - 1] = '\n';
		ok(run(big, sizeof(big), false, 65536, &o, &f, 0) == -1 &&
			f.kind == FAIL_DATA && strstr(f.msg, "998") != NULL,
		    "a header line over 998 octets is refused");
	}
	ok(run(S("Subject: a\0b\n\nx\n"), false, 65536, &o, &f, 0) == -1 &&
		f.kind == FAIL_DATA,
	    "NUL in the header is refused");
	ok(run(S("Subject: s\n\nbody\rmore\n"), false, 65536, &o, &f, 0) == -1 &&
		f.kind == FAIL_DATA,
	    "bare CR in the body is refused");
	ok(run(S("Subject: s\n\n0123456789\n"), false, 65536, &o, &f, 40) ==
		    -1 &&
		f.kind == FAIL_DATA && strstr(f.msg, "max_message_size"),
	    "max_message_size is enforced on the bytes written");
	hook_fails = true;
	ok(run(S("Subject: s\n\nb\n"), false, 65536, &o, &f, 0) == -1 &&
		f.kind == FAIL_USAGE && o.len == 0,
	    "a hook failure stops everything before a byte is written");
	hook_fails = false;
	return done_testing();
}
