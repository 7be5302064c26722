/* test_addr.c - the strict envelope grammar and RFC 5322 address lists */
#include "config.h"

#include <stdlib.h>

#include "addr.h"
#include "tap.h"

static const struct {
	const char *in;
	enum addr_profile prof;
	enum addr_status want;
	const char *norm; /* expected normal form when OK or BARE */
} checks[] = {
	{"user@example.com", ADDR_PROFILE_SENDER, ADDR_OK, "user@example.com"},
	{"Bounce_Desk-01@Store.Example.COM", ADDR_PROFILE_SENDER, ADDR_OK,
	    "Bounce_Desk-01@store.example.com"},
	{"bounce+order-100042@store.example.com", ADDR_PROFILE_SENDER, ADDR_OK,
	    "bounce+order-100042@store.example.com"},
	{"owner-list+bob=example.org@lists.example.net", ADDR_PROFILE_SENDER,
	    ADDR_OK, "owner-list+bob=example.org@lists.example.net"},
	{"SRS0=HHH=TT=example.org=alice@example.com", ADDR_PROFILE_SENDER,
	    ADDR_OK, "SRS0=HHH=TT=example.org=alice@example.com"},
	{"first.last@mail.sub.example.co.uk", ADDR_PROFILE_SENDER, ADDR_OK,
	    "first.last@mail.sub.example.co.uk"},
	{"a@xn--bcher-kva.example", ADDR_PROFILE_SENDER, ADDR_OK,
	    "a@xn--bcher-kva.example"},
	{"root", ADDR_PROFILE_SENDER, ADDR_BARE, "root"},
	{"www-data", ADDR_PROFILE_RECIPIENT, ADDR_BARE, "www-data"},
	{"o'brien@example.com", ADDR_PROFILE_RECIPIENT, ADDR_OK,
	    "o'brien@example.com"},
	{"o'brien@example.com", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"", ADDR_PROFILE_SENDER, ADDR_EMPTY, NULL},
	{"-oQ/tmp/@example.com", ADDR_PROFILE_SENDER, ADDR_LEADING_DASH, NULL},
	{"-X", ADDR_PROFILE_RECIPIENT, ADDR_LEADING_DASH, NULL},
	{".test@iana.org", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"test.@iana.org", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"te..st@iana.org", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"\"test\"@iana.org", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"john doe@example.com", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"a;id@b.c", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	{"a@b.c;id>/tmp/pwn", ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"test@iana.org.", ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"test@-iana.org", ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"test@iana-.org", ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"test@iana..org", ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"test@[IPv6:1::2:]", ADDR_PROFILE_SENDER, ADDR_DOMAIN_LITERAL, NULL},
	{"test@255.255.255.255", ADDR_PROFILE_SENDER, ADDR_NUMERIC_TLD, NULL},
	{"alice@localhost", ADDR_PROFILE_SENDER, ADDR_SINGLE_LABEL, NULL},
	{"user@b\xc3\xbc" "cher.example", ADDR_PROFILE_SENDER, ADDR_NON_ASCII,
	    NULL},
	{"m\xc3\xbcller@example.com", ADDR_PROFILE_RECIPIENT, ADDR_NON_ASCII,
	    NULL},
	{"a@b\r\nRCPT TO:<x@y.z>", ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"a\tb@c.de", ADDR_PROFILE_SENDER, ADDR_BAD_LOCAL, NULL},
	/* 64-octet local part: accepted; 65: refused. */
	{"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghiklm@iana."
	 "org",
	    ADDR_PROFILE_SENDER, ADDR_OK,
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghiklm@"
	    "iana.org"},
	{"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghiklmn@"
	 "iana.org",
	    ADDR_PROFILE_SENDER, ADDR_LOCAL_TOO_LONG, NULL},
	/* 63-octet label: accepted; 64: refused. */
	{"t@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghikl.com",
	    ADDR_PROFILE_SENDER, ADDR_OK,
	    "t@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghikl."
	    "com"},
	{"test@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghiklm."
	 "com",
	    ADDR_PROFILE_SENDER, ADDR_BAD_DOMAIN, NULL},
	{"${run{x}}@localhost", ADDR_PROFILE_RECIPIENT, ADDR_BAD_LOCAL, NULL},
};

struct collected {
	char buf[2048];
	size_t ends[8];
	size_t nends;
};

static int
collect(void *ctx, const char *spec, size_t len, size_t end)
{
	struct collected *c = ctx;
	size_t n = strlen(c->buf);

	if (c->nends < sizeof(c->ends) / sizeof(c->ends[0]))
		c->ends[c->nends++] = end;

	if (n > 0 && n + 1 < sizeof(c->buf))
		c->buf[n++] = '|';
	if (n + len + 1 < sizeof(c->buf)) {
		memcpy(c->buf + n, spec, len);
		c->buf[n + len] = '\0';
	}
	return 0;
}

static const struct {
	const char *in;
	const char *want; /* "|"-joined addr-specs, or NULL for an error */
} lists[] = {
	{"a@x.org,b@y.org", "a@x.org|b@y.org"},
	{"Name <a@x.org>", "a@x.org"},
	{"\"Doe, John\" <jd@example.com>, other@example.com",
	    "jd@example.com|other@example.com"},
	{"a@x.org (comment (nested)), b@y.org", "a@x.org|b@y.org"},
	{"=?utf-8?q?M=C3=BCller?= <m@example.com>", "m@example.com"},
	{"M\xc3\xbcller <m@example.com>", "m@example.com"},
	{"undisclosed-recipients:;", ""},
	{"Team: a@x.org, B <b@y.org>;, c@z.org", "a@x.org|b@y.org|c@z.org"},
	{"root", "root"},
	{"root, www-data", "root|www-data"},
	{"<root>", "root"},
	{"a@x.org,,b@y.org,", "a@x.org|b@y.org"},
	{"  ", ""},
	{"\"john doe\"@example.com", "\"john doe\"@example.com"},
	{"a@x.org b@y.org", NULL},
	{"<a@x.org", NULL},
	{"<@route:a@x.org>", NULL},
	{"Name <>", NULL},
	{"(unterminated", NULL},
	{"a@x.org\r\nBcc: evil@example.net", NULL},
	{"x\\y@example.com", NULL},
	{"G: a@x.org", NULL},
	{"A: B: c@d.org;;", NULL},
	{"a@", NULL},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char out[ADDR_BUFSZ];
		enum addr_status st;

		memset(out, 0, sizeof(out));
		st = addr_check(checks[i].in, strlen(checks[i].in),
		    checks[i].prof, out);
		ok(st == checks[i].want, "addr_check '%s' -> %s (got %s)",
		    checks[i].in, addr_strerror(checks[i].want),
		    addr_strerror(st));
		if (checks[i].norm != NULL)
			is_str(out, checks[i].norm, "  normal form");
	}

	{
		char out[ADDR_BUFSZ];

		ok(addr_qualify("root", "example.com", ADDR_PROFILE_SENDER,
		       out) == ADDR_OK &&
			strcmp(out, "root@example.com") == 0,
		    "addr_qualify root + example.com");
	}

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct collected c;
		const char *err = NULL;
		enum alist_status st;

		memset(&c, 0, sizeof(c));
		st = addr_list_parse(lists[i].in, strlen(lists[i].in), collect,
		    &c, &err);
		if (lists[i].want == NULL) {
			ok(st == ALIST_SYNTAX && err != NULL,
			    "address list '%s' is a syntax error (%s)",
			    lists[i].in, err ? err : "none");
		} else {
			ok(st == ALIST_OK, "address list '%s' parses",
			    lists[i].in);
			is_str(c.buf, lists[i].want, "  its addresses");
		}
	}

	/* Where each spec ends: "@domain" goes there to qualify a bare name. */
	{
		static const char list[] =
		    "Bob <root> (boss), root (c), \"Q\" <a.b@x.org>, g: c;";
		struct collected c;
		const char *err = NULL;

		memset(&c, 0, sizeof(c));
		ok(addr_list_parse(list, strlen(list), collect, &c, &err) ==
			    ALIST_OK && c.nends == 4,
		    "four specs in the list");
		ok(c.ends[0] == 9 && c.ends[1] == 23 && c.ends[2] == 43 &&
			c.ends[3] == 50,
		    "end offsets %zu %zu %zu %zu are just past each spec",
		    c.ends[0], c.ends[1], c.ends[2], c.ends[3]);
	}

	/* An address list longer than any buffer is still bounded. */
	{
		size_t n = 100000;
		char *big = malloc(n + 1);
		struct collected c;
		const char *err = NULL;

		memset(big, 'a', n);
		big[n] = '\0';
		memset(&c, 0, sizeof(c));
		ok(addr_list_parse(big, n, collect, &c, &err) == ALIST_SYNTAX,
		    "a 100000-byte atom is refused as too long");
		free(big);
	}
	return done_testing();
}
