/* test_fromalign.c - [mail] header_from = envelope: the From: rewritten
 * to the envelope sender through the message pipeline (issue 30, point
 * 6); each result is also held to the gate's checks. */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "compose.h"
#include "fromalign.h"
#include "gatecheck.h"
#include "limits.h"
#include "msg.h"
#include "tap.h"

#define SENDER "shop@store.example.com"
#define TRACE_HOST "web1.example.com"
#define UID 33

struct out {
	char buf[65536];
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

/* As submit.c's hook does: the trace field first, then the alignment. */
static int
hook(void *ctx, struct msg *m, struct failure *f)
{
	char field[COMPOSE_FIELD_MAX];
	size_t n = compose_received(field, sizeof(field), TRACE_HOST, UID,
	    "0123456789AB", (time_t)1800000000);

	(void)ctx;
	if (n == 0 || msg_add_field(m, true, field, n, f) != 0)
		return -1;
	return from_align(m, SENDER, f);
}

static int
run(const char *in, size_t len, struct out *o, struct failure *f)
{
	struct msg_options opt;
	struct msg m;
	int rc;

	memset(o, 0, sizeof(*o));
	memset(&opt, 0, sizeof(opt));
	f->kind = FAIL_NONE;
	f->msg[0] = '\0';
	opt.domain = "example.com";
	opt.write = collect;
	opt.write_ctx = o;
	opt.headers_done = hook;
	msg_init(&m, &opt);
	rc = msg_push(&m, in, len, f);
	if (rc == 0)
		rc = msg_finish(&m, f);
	msg_free(&m);
	return rc;
}

/* The header block after the trace field (its two lines) */
static const char *
fields(const struct out *o)
{
	const char *p = strstr(o->buf, "\r\n\tid ");

	p = p != NULL ? strstr(p + 2, "\r\n") : NULL;
	return p != NULL ? p + 2 : "";
}

static bool
gate_accepts(const struct out *o)
{
	struct failure f = {FAIL_NONE, ""};

	if (gatecheck_message(o->buf, o->len, UID, TRACE_HOST, &f) == 0)
		return true;
	printf("#   gate: %s\n", f.msg);
	return false;
}

/* in: the caller's message; want: the fields after the trace field and
 * the body, as written out */
static void
check(const char *what, const char *in, const char *want)
{
	struct out o;
	struct failure f;

	if (run(in, strlen(in), &o, &f) != 0) {
		ok(0, "%s: %s", what, f.msg);
		return;
	}
	is_str(fields(&o), want, what);
	ok(gate_accepts(&o), "  %s: the gate's checks pass", what);
}

static bool
lines_within(const char *p, size_t max)
{
	for (const char *e; (e = strstr(p, "\r\n")) != NULL; p = e + 2)
		if ((size_t)(e - p) > max)
			return false;
	return true;
}

static void
test_one_mailbox(void)
{
	check("a name-addr: the name kept, the address to Reply-To, Sender: "
	      "gone",
	    "From: Sales <sales@store.example.com>\nSender: web@x.org\n"
	    "To: a@b.org\nSubject: s\n\nbody\n",
	    "From: Sales <" SENDER ">\r\nTo: a@b.org\r\nSubject: s\r\n"
	    "Reply-To: Sales <sales@store.example.com>\r\n\r\nbody\r\n");
	check("an addr-spec alone",
	    "From: sales@store.example.com\nTo: a@b.org\n\nbody\n",
	    "From: " SENDER "\r\nTo: a@b.org\r\n"
	    "Reply-To: sales@store.example.com\r\n\r\nbody\r\n");
	check("an addr-spec with a comment: no display name, the comment in "
	      "Reply-To:",
	    "From: sales@x.org (Sales)\n\nb\n",
	    "From: " SENDER "\r\nReply-To: sales@x.org (Sales)\r\n\r\nb\r\n");
	check("a quoted display name with a comma",
	    "From: \"Shop, Sales\" <sales@x.org>\n\nb\n",
	    "From: \"Shop, Sales\" <" SENDER ">\r\n"
	    "Reply-To: \"Shop, Sales\" <sales@x.org>\r\n\r\nb\r\n");
	check("a bare name: qualified in Reply-To:",
	    "From: Root <root>\n\nb\n",
	    "From: Root <" SENDER ">\r\nReply-To: Root <root@example.com>\r\n"
	    "\r\nb\r\n");
	check("a Reply-To: of the caller's is kept, none added",
	    "Reply-To: support@x.org\nFrom: Sales <sales@x.org>\n\nb\n",
	    "Reply-To: support@x.org\r\nFrom: Sales <" SENDER ">\r\n\r\nb\r\n");
	check("reply-to in any case counts",
	    "REPLY-TO: support@x.org\nFrom: sales@x.org\n\nb\n",
	    "REPLY-TO: support@x.org\r\nFrom: " SENDER "\r\n\r\nb\r\n");
}

static void
test_unchanged(void)
{
	check("a From: that is already the envelope sender stays as written",
	    "from:   The Shop <Shop@STORE.example.com> (us)\nTo: a@b.org\n\n"
	    "b\n",
	    "from:   The Shop <Shop@STORE.example.com> (us)\r\nTo: a@b.org\r\n"
	    "\r\nb\r\n");
	check("  its Sender: goes all the same",
	    "Sender: other@x.org\nFrom: " SENDER "\n\nb\n",
	    "From: " SENDER "\r\n\r\nb\r\n");
	check("no From: (the front end adds the sender's): only Sender: goes",
	    "Sender: other@x.org\nTo: a@b.org\n\nb\n",
	    "To: a@b.org\r\n\r\nb\r\n");
}

static void
test_lists_and_groups(void)
{
	check("several mailboxes: one From:, the first name, all in Reply-To:",
	    "From: Alice <a@x.org>, Bob <b@x.org>\nSender: Web <w@x.org>\n\n"
	    "b\n",
	    "From: Alice <" SENDER ">\r\n"
	    "Reply-To: Alice <a@x.org>, Bob <b@x.org>\r\n\r\nb\r\n");
	check("several mailboxes, the first an addr-spec: no name",
	    "From: a@x.org, Bob <b@x.org>\n\nb\n",
	    "From: " SENDER "\r\nReply-To: a@x.org, Bob <b@x.org>\r\n\r\nb\r\n");
	check("the sender among several: still one From:",
	    "From: " SENDER ", b@x.org\n\nb\n",
	    "From: " SENDER "\r\nReply-To: " SENDER ", b@x.org\r\n\r\nb\r\n");
	check("a group: the first member's name, not the group's",
	    "From: Team: Alice <a@x.org>, b@x.org;\n\nb\n",
	    "From: Alice <" SENDER ">\r\n"
	    "Reply-To: Team: Alice <a@x.org>, b@x.org;\r\n\r\nb\r\n");
	check("an empty group (RFC 6854): the sender, no Reply-To:",
	    "From: undisclosed:;\n\nb\n", "From: " SENDER "\r\n\r\nb\r\n");
	check("an empty group, then a mailbox",
	    "From: none:;, Bob <b@x.org>\n\nb\n",
	    "From: Bob <" SENDER ">\r\nReply-To: none:;, Bob <b@x.org>\r\n\r\n"
	    "b\r\n");
	check("two From: fields: one is left, both in Reply-To:",
	    "From: Alice <a@x.org>\nTo: t@x.org\nFROM: b@x.org\n\nb\n",
	    "From: Alice <" SENDER ">\r\nTo: t@x.org\r\n"
	    "Reply-To: Alice <a@x.org>\r\n , b@x.org\r\n\r\nb\r\n");
	check("a From: that does not parse: the sender, no Reply-To:",
	    "From: <<not an address\n\nb\n", "From: " SENDER "\r\n\r\nb\r\n");
	check("an empty From:", "From:\n\nb\n", "From: " SENDER "\r\n\r\nb\r\n");
}

static void
test_names_as_written(void)
{
	check("an encoded-word display name is kept as it is",
	    "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@x.org>\n\nb\n",
	    "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <" SENDER ">\r\n"
	    "Reply-To: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@x.org>\r\n\r\n"
	    "b\r\n");
	check("a UTF-8 display name is kept as it is",
	    "From: J\xc3\xbcrgen <j@x.org>\n\nb\n",
	    "From: J\xc3\xbcrgen <" SENDER ">\r\n"
	    "Reply-To: J\xc3\xbcrgen <j@x.org>\r\n\r\nb\r\n");
	check("a folded From: is folded anew at white space; Reply-To: keeps "
	      "the caller's folds",
	    "From: =?UTF-8?Q?Gro=C3=9Fe_Firma_GmbH_und_Co?=\n"
	    " =?UTF-8?Q?_Kommanditgesellschaft?=\n <sales@x.org>\n\nb\n",
	    "From: =?UTF-8?Q?Gro=C3=9Fe_Firma_GmbH_und_Co?=\r\n"
	    " =?UTF-8?Q?_Kommanditgesellschaft?= <" SENDER ">\r\n"
	    "Reply-To: =?UTF-8?Q?Gro=C3=9Fe_Firma_GmbH_und_Co?=\r\n"
	    " =?UTF-8?Q?_Kommanditgesellschaft?=\r\n <sales@x.org>\r\n\r\n"
	    "b\r\n");
	check("spaces inside a quoted name are kept",
	    "From: \"A  B\" <a@x.org>\n\nb\n",
	    "From: \"A  B\" <" SENDER ">\r\nReply-To: \"A  B\" <a@x.org>\r\n"
	    "\r\nb\r\n");
}

static void
test_998(void)
{
	struct out o;
	struct failure f;
	char in[4096];
	size_t n;

	/* a first line of exactly 998 octets: "From: ", a quoted name of
	 * 980 octets and its quotes, " <a@x.org>" */
	n = (size_t)snprintf(in, sizeof(in), "From: \"");
	memset(in + n, 'n', 998 - 6 - 2 - 10);
	n += 998 - 6 - 2 - 10;
	n += (size_t)snprintf(in + n, sizeof(in) - n,
	    "\" <a@x.org>\nTo: t@x.org\n\nb\n");
	ok(strstr(in, "\n") - in == 998, "the caller's From: line is 998 "
					 "octets");
	ok(run(in, n, &o, &f) == 0, "a From: line of 998 octets: aligned %s",
	    f.msg);
	ok(lines_within(o.buf, LINE_MAX_OCTETS),
	    "  no line of the result is over 998 octets");
	ok(strstr(o.buf, "\r\nFrom: \"nnn") != NULL &&
		strstr(o.buf, "nn\"\r\n <" SENDER ">\r\n") != NULL,
	    "  the new From: keeps the name by the field name and is folded "
	    "before the address");
	ok(strstr(o.buf, "\r\nReply-To:\r\n \"nnn") != NULL,
	    "  Reply-To: (4 octets longer a name) folds after its colon");
	ok(gate_accepts(&o), "  the gate's checks pass");

	/* a long name over several folded lines (three words of 19 octets
	 * a line), each word short */
	n = (size_t)snprintf(in, sizeof(in), "From:");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n,
		    "%s=?UTF-8?Q?word%02d?=", i > 0 && i % 3 == 0 ? "\n " : " ",
		    i);
	n += (size_t)snprintf(in + n, sizeof(in) - n,
	    " <a@x.org>\n\nb\n");
	ok(run(in, n, &o, &f) == 0 && lines_within(o.buf, 78) &&
		strstr(o.buf, "word39?= <" SENDER ">\r\n") != NULL,
	    "a long encoded name is folded anew within 78 octets a line");
	ok(gate_accepts(&o), "  the gate's checks pass");
}

int
main(void)
{
	test_one_mailbox();
	test_unchanged();
	test_lists_and_groups();
	test_names_as_written();
	test_998();
	return done_testing();
}
