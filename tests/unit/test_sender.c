/* test_sender.c - the Set Return Path policy */
#include "config.h"

#include <stdlib.h>

#include "conf.h"
#include "sender.h"
#include "tap.h"

static void
load(struct conf *c, const char *text)
{
	struct failure f;

	if (conf_parse(text, strlen(text), "t.ini", c, &f) != 0) {
		printf("Bail out! test config: %s\n", f.msg);
		exit(1);
	}
}

#define BASE                                                                 \
	"[mail]\ndomain = store.example.com\n"                               \
	"default_sender = shop@store.example.com\n"                          \
	"return_path_email = bounce@store.example.com\n"

static const struct {
	const char *policy; /* extra [mail] lines */
	const char *option; /* -f value or NULL */
	const char *from;   /* From: header value or NULL */
	enum fail_kind fail;
	const char *sender;       /* expected sender when accepted */
	enum sender_source source;
	int warns;
} cases[] = {
	/* no: -f ignored, default_sender; hostile values only warn. */
	{"return_path = no\n", "x@evil.example", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 0},
	{"return_path = no\n", "test@iana.org.", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = no\n", "alice@localhost", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	/* Marks of argument injection (a leading '-', whitespace, a
	 * control) are refused whatever the policy. */
	{"return_path = no\n", "a@b.c -X/tmp/x", NULL, FAIL_USAGE, NULL,
	    SENDER_DEFAULT, 0},
	{"return_path = no\n", "-oQ/tmp/@example.com", NULL, FAIL_USAGE, NULL,
	    SENDER_DEFAULT, 0},
	{"return_path = no\n", "a@b.c\t-X/tmp/x", NULL, FAIL_USAGE, NULL,
	    SENDER_DEFAULT, 0},
	{"return_path = no\n", "a@b.c\x01", NULL, FAIL_USAGE, NULL,
	    SENDER_DEFAULT, 0},
	{"return_path = specified\n", "a@b.c\x7f", NULL, FAIL_USAGE, NULL,
	    SENDER_SPECIFIED, 0},
	/* Quotes, brackets, shell characters: what Magento's -f'<From>' and
	 * Symfony's -f'<sender>' carry. Not used under no and specified:
	 * ignored with a warning, the message goes; refused under yes. */
	{"return_path = no\n", "o'brien@example.ie", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = no\n", "\"test\"@iana.org", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = no\n", "test@[192.0.2.1]", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = no\n", "\\<\\>", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = no\n", "a@b.c;id>/tmp/pwn", NULL, FAIL_USAGE, NULL,
	    SENDER_DEFAULT, 0},
	{"return_path = specified\n", "a@b.c;id", NULL, FAIL_USAGE, NULL,
	    SENDER_SPECIFIED, 0},
	{"return_path = no\n", "a|b&c$d`e@example.com", NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = specified\n", "o'brien@example.ie", NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_SPECIFIED, 1},
	{"return_path = specified\n", "\"test\"@iana.org", NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_SPECIFIED, 1},
	{"return_path = specified\n", "test@[192.0.2.1]", NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_SPECIFIED, 1},
	{"return_path = specified\n", "\\<\\>", NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_SPECIFIED, 1},
	{"return_path = yes\n", "o'brien@example.ie", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = yes\n", "\"test\"@iana.org", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = yes\n", "test@[192.0.2.1]", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = yes\n", "\\<\\>", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = yes\n", "a@b.c;id>/tmp/pwn", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = no\n", NULL, "Other <o@x.org>", FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 0},
	/* specified: always return_path_email. */
	{"return_path = specified\n", "x@evil.example", NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_SPECIFIED, 0},
	{"return_path = specified\n", "\"a\" -X/x@y.z", NULL, FAIL_USAGE,
	    NULL, SENDER_SPECIFIED, 0},
	{"return_path = specified\n", "user@b\xc3\xbc" "cher.example", NULL,
	    FAIL_NONE, "bounce@store.example.com", SENDER_SPECIFIED, 1},
	{"return_path = specified\n", NULL, NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_SPECIFIED, 0},
	/* yes: valid -f honoured, invalid refused. */
	{"return_path = yes\n", "Seller@Example.ORG", NULL, FAIL_NONE,
	    "Seller@example.org", SENDER_OPTION, 0},
	{"return_path = yes\n", "<bounce@store.example.com>", NULL, FAIL_NONE,
	    "bounce@store.example.com", SENDER_OPTION, 0},
	{"return_path = yes\n", "root", NULL, FAIL_NONE,
	    "root@store.example.com", SENDER_OPTION, 0},
	{"return_path = yes\n", "a b@c.de", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = yes\n", "<<a@b.cd>>", NULL, FAIL_USAGE, NULL,
	    SENDER_OPTION, 0},
	{"return_path = yes\n", "a@b.c\r\nRCPT TO:<e@v.il>", NULL, FAIL_USAGE,
	    NULL, SENDER_OPTION, 0},
	{"return_path = yes\n", "<>", NULL, FAIL_NONE, "shop@store.example.com",
	    SENDER_DEFAULT, 1},
	{"return_path = yes\n", "", NULL, FAIL_NONE, "shop@store.example.com",
	    SENDER_DEFAULT, 1},
	{"return_path = yes\nallow_null_sender = yes\n", "<>", NULL, FAIL_NONE,
	    "", SENDER_NULL, 0},
	{"return_path = yes\nallowed_senders = *@store.example.com\n",
	    "news@store.example.com", NULL, FAIL_NONE, "news@store.example.com",
	    SENDER_OPTION, 0},
	{"return_path = yes\nallowed_senders = *@store.example.com\n",
	    "ceo@victim.example", NULL, FAIL_SENDER_DENIED, NULL, SENDER_OPTION,
	    0},
	/* yes without -f: From: header under the same rules. */
	{"return_path = yes\n", NULL, "\"Shop\" <orders@store.example.com>",
	    FAIL_NONE, "orders@store.example.com", SENDER_HEADER, 0},
	{"return_path = yes\n", NULL, "a@x.org, b@y.org", FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = yes\n", NULL, "\"q\"@x.org", FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 1},
	{"return_path = yes\nallowed_senders = *@store.example.com\n", NULL,
	    "x@evil.example", FAIL_NONE, "shop@store.example.com",
	    SENDER_DEFAULT, 1},
	{"return_path = yes\n", NULL, NULL, FAIL_NONE,
	    "shop@store.example.com", SENDER_DEFAULT, 0},
};

int
main(void)
{
	struct conf c;
	struct sender_decision d;
	struct failure f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		struct sender_input in = {cases[i].option, 'f', cases[i].from,
		    "www-data"};
		int rc;

		snprintf(text, sizeof(text), "%s%s", BASE, cases[i].policy);
		load(&c, text);
		rc = sender_decide(&c, &in, &d, &f);
		if (cases[i].fail != FAIL_NONE) {
			ok(rc != 0 && f.kind == cases[i].fail,
			    "#%zu -f '%s' refused (%s)", i,
			    cases[i].option ? cases[i].option : "", f.msg);
		} else {
			ok(rc == 0 && d.source == cases[i].source,
			    "#%zu decided from %s (got %s)", i,
			    sender_source_name(cases[i].source),
			    rc == 0 ? sender_source_name(d.source) : f.msg);
			is_str(d.addr, cases[i].sender, "  sender");
			ok((d.warning[0] != 0) == (cases[i].warns != 0),
			    "  warning %s: %s",
			    cases[i].warns ? "given" : "none", d.warning);
		}
		conf_free(&c);
	}

	/* No default_sender: the login qualified with domain; no domain
	 * either: a configuration error, never a bare sender. */
	{
		struct sender_input in = {NULL, 'f', NULL, "www-data"};

		load(&c, "[mail]\ndomain = host.example.com\n");
		ok(sender_decide(&c, &in, &d, &f) == 0 &&
			d.source == SENDER_LOGIN &&
			strcmp(d.addr, "www-data@host.example.com") == 0,
		    "login@domain without default_sender");
		conf_free(&c);
		load(&c, "");
		ok(sender_decide(&c, &in, &d, &f) != 0 &&
			f.kind == FAIL_CONFIG,
		    "no default_sender and no domain: configuration error");
		conf_free(&c);
	}

	/* The back end's re-check of a handed-over envelope: only what the
	 * policy could have chosen. */
	{
		static const struct {
			const char *policy, *sender;
			bool null, want;
		} pc[] = {
		    {"return_path = no\n", "shop@store.example.com", false, true},
		    {"return_path = no\n", "x@evil.example", false, false},
		    {"return_path = no\n", "", true, false},
		    {"return_path = specified\n", "bounce@store.example.com",
			false, true},
		    {"return_path = specified\n", "shop@store.example.com",
			false, false},
		    {"return_path = yes\n", "seller@example.org", false, true},
		    {"return_path = yes\n", "-oQ/tmp/@example.org", false,
			false},
		    {"return_path = yes\n", "", true, false},
		    {"return_path = yes\nallow_null_sender = yes\n", "", true,
			true},
		    {"return_path = yes\nallowed_senders = *@store.example.com\n",
			"x@evil.example", false, false},
		    {"return_path = yes\nallowed_senders = *@store.example.com\n",
			"orders@store.example.com", false, true},
		};

		for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
			char text[512];

			snprintf(text, sizeof(text), "%s%s", BASE, pc[i].policy);
			load(&c, text);
			ok(sender_permitted(&c, pc[i].sender, pc[i].null,
			       "www-data") == pc[i].want,
			    "permitted #%zu <%s>: %s", i, pc[i].sender,
			    pc[i].want ? "yes" : "no");
			conf_free(&c);
		}
	}

	ok(sender_pattern_match("*@store.example.com", "A@Store.Example.COM"),
	    "pattern: case folded");
	ok(!sender_pattern_match("*@store.example.com", "a@evilstore.example.com"),
	    "pattern: the domain is anchored");
	ok(sender_pattern_match("news@*.example.org", "news@a.b.example.org"),
	    "pattern: '*' spans labels");
	ok(!sender_pattern_match("news@*.example.org", "news@example.org"),
	    "pattern: '*.' needs a label");
	return done_testing();
}
