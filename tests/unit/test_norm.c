/* test_norm.c - line endings, NUL, bare CR, long lines, the lone dot: the
 * bytes that would reach libcurl (which then dot-stuffs them). */
#include "config.h"

#include <stdlib.h>

#include "norm.h"
#include "tap.h"

struct sink {
	char buf[8192];
	size_t len;
};

static int
collect(void *ctx, const char *p, size_t len, bool split)
{
	struct sink *s = ctx;

	(void)split;
	if (s->len + len > sizeof(s->buf))
		return -1;
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	return 0;
}

#define IN(s) s, sizeof(s) - 1

static const struct {
	const char *in;
	size_t inlen;
	bool ignore_dots;
	const char *want; /* NULL: refused with FAIL_DATA */
} cases[] = {
	{IN("a\r\nb\r\n"), true, "a\r\nb\r\n"},
	{IN("a\nb\n"), true, "a\r\nb\r\n"},
	{IN("a\r\nb\nc\r\n"), true, "a\r\nb\r\nc\r\n"}, /* PHP 8 mail() */
	{IN("no final newline"), true, "no final newline\r\n"},
	{IN(""), true, ""},
	{IN("\n\n"), true, "\r\n\r\n"},
	{IN(".leading dot\n..two\n"), true, ".leading dot\r\n..two\r\n"},
	/* The lone dot: the end without -i, content with it. */
	{IN("a\n.\nMAIL FROM:<x@evil.example>\n"), false, "a\r\n"},
	{IN("a\r\n.\r\nMAIL FROM:<x@evil.example>\r\n"), false, "a\r\n"},
	{IN("a\n.\nb\n"), true, "a\r\n.\r\nb\r\n"},
	{IN("a\n."), false, "a\r\n"},
	{IN("a\n. \n"), false, "a\r\n. \r\n"},
	/* Smuggling: every end-of-data variant is refused or made plain. */
	{IN("line1\n.\r\nMAIL FROM:<ceo@victim.example>\r\n"), true,
	    "line1\r\n.\r\nMAIL FROM:<ceo@victim.example>\r\n"},
	{IN("line1\r.\nMAIL FROM:<x>\r\n"), true, NULL},
	{IN("line1\n.\rMAIL FROM:<x>\r\n"), true, NULL},
	{IN("line1\r.\r\nMAIL FROM:<x>\r\n"), true, NULL},
	{IN("line1\r\n.\r\r\nMAIL FROM:<x>\r\n"), true, NULL},
	{IN("line1\r\r\n.\r\r\n"), true, NULL},
	{IN("trailing CR\r"), true, NULL},
	{IN("bin\0ary\n"), true, NULL},
	{IN("line1\r\n\0.\r\n"), true, NULL},
	/* 8-bit text passes untouched. */
	{IN("caf\xc3\xa9 8-bit\n"), true, "caf\xc3\xa9 8-bit\r\n"},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct norm n;
		struct sink s;
		struct failure f = {FAIL_NONE, ""};
		int rc;

		memset(&s, 0, sizeof(s));
		norm_init(&n, cases[i].ignore_dots, NORM_LONG_SPLIT, collect, &s);
		/* One byte at a time and whole: the same result. */
		rc = norm_push(&n, cases[i].in, cases[i].inlen, &f);
		if (rc == 0)
			rc = norm_finish(&n, &f);
		if (cases[i].want == NULL) {
			ok(rc != 0 && f.kind == FAIL_DATA, "#%zu refused: %s", i,
			    f.msg);
			continue;
		}
		s.buf[s.len] = '\0';
		ok(rc == 0 && s.len == strlen(cases[i].want) &&
			memcmp(s.buf, cases[i].want, s.len) == 0,
		    "#%zu normalized", i);
		memset(&s, 0, sizeof(s));
		norm_init(&n, cases[i].ignore_dots, NORM_LONG_SPLIT, collect, &s);
		rc = 0;
		for (size_t k = 0; k < cases[i].inlen && rc == 0; k++)
			rc = norm_push(&n, cases[i].in + k, 1, &f);
		if (rc == 0)
			rc = norm_finish(&n, &f);
		ok(rc == 0 && s.len == strlen(cases[i].want) &&
			memcmp(s.buf, cases[i].want, s.len) == 0,
		    "#%zu the same, fed byte by byte", i);
	}

	/* 998 octets pass; 999 are split (or refused by configuration). */
	{
		char in[1200];
		struct norm n;
		struct sink s;
		struct failure f = {FAIL_NONE, ""};

		memset(in, 'x', 998);
		in[998] = '\n';
		memset(&s, 0, sizeof(s));
		norm_init(&n, false, NORM_LONG_REFUSE, collect, &s);
		ok(norm_push(&n, in, 999, &f) == 0 && s.len == 1000,
		    "a 998-octet line passes");
		memset(in, 'x', 998);
		in[998] = '.';
		in[999] = '\n';
		in[1000] = 'y';
		in[1001] = '\n';
		memset(&s, 0, sizeof(s));
		norm_init(&n, false, NORM_LONG_SPLIT, collect, &s);
		ok(norm_push(&n, in, 1002, &f) == 0 && norm_finish(&n, &f) == 0 &&
			s.len == 1000 + 3 + 3 &&
			memcmp(s.buf + 998, "\r\n.\r\ny\r\n", 8) == 0,
		    "999 octets split; the split-off '.' does not end the "
		    "message");
		memset(&s, 0, sizeof(s));
		norm_init(&n, false, NORM_LONG_REFUSE, collect, &s);
		ok(norm_push(&n, in, 1002, &f) != 0 && f.kind == FAIL_DATA,
		    "999 octets refused when long lines are refused");
	}
	return done_testing();
}
