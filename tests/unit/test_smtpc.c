/* test_smtpc.c - the SMTP transaction against scripted replies: what is
 * sent, when it stops, what each recipient got */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "smtpc.h"
#include "tap.h"

struct fake {
	const char *replies; /* everything the relay will say */
	size_t pos;
	size_t chunk;        /* bytes per recv */
	char sent[65536];
	size_t sent_len;
	size_t first_len; /* what the first send carried */
	int sends;
	const char *msg;     /* the normalized message */
	size_t msg_pos;
	size_t msg_chunk;
};

static int
fake_send(void *ctx, const char *p, size_t len, struct failure *f)
{
	struct fake *k = ctx;

	(void)f;
	if (k->sent_len + len >= sizeof(k->sent))
		return -1;
	memcpy(k->sent + k->sent_len, p, len);
	k->sent_len += len;
	k->sent[k->sent_len] = '\0';
	if (k->sends++ == 0)
		k->first_len = len;
	return 0;
}

static int
fake_recv(void *ctx, char *buf, size_t cap, size_t *got, struct failure *f)
{
	struct fake *k = ctx;
	size_t left = strlen(k->replies) - k->pos;
	size_t n = left < k->chunk ? left : k->chunk;

	if (n > cap)
		n = cap;
	if (n == 0) {
		fail_set(f, FAIL_TEMP, "the relay closed the connection");
		return -1;
	}
	memcpy(buf, k->replies + k->pos, n);
	k->pos += n;
	*got = n;
	return 0;
}

static int
fake_read(void *ctx, char *buf, size_t cap, size_t *got, struct failure *f)
{
	struct fake *k = ctx;
	size_t left = strlen(k->msg) - k->msg_pos;
	size_t n = left < k->msg_chunk ? left : k->msg_chunk;

	(void)f;
	if (n > cap)
		n = cap;
	memcpy(buf, k->msg + k->msg_pos, n);
	k->msg_pos += n;
	*got = n;
	return 0;
}

static const char *const rcpts[] = {"a@x.org", "b@x.org", "c@x.org"};

static const char *
rcpt_at(const void *ctx, size_t i)
{
	(void)ctx;
	return rcpts[i];
}

static struct smtp_reply replies[3];

static int
run(struct fake *k, const struct smtp_caps *caps, struct smtp_txn *t,
    struct smtp_result *r, struct failure *f)
{
	struct smtp_io io;

	memset(&io, 0, sizeof(io));
	io.ctx = k;
	io.send = fake_send;
	io.recv = fake_recv;
	io.msg_ctx = k;
	io.read_msg = fake_read;
	if (k->chunk == 0)
		k->chunk = 1000;
	if (k->msg_chunk == 0)
		k->msg_chunk = 1000;
	if (k->msg == NULL)
		k->msg = "Subject: x\r\n\r\n.dot\r\nok\r\n";
	memset(r, 0, sizeof(*r));
	r->rcpt = replies;
	f->kind = FAIL_NONE;
	return smtp_transaction(&io, caps, t, r, f);
}

static void
txn(struct smtp_txn *t, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->sender = "s@x.org";
	t->nrcpt = n;
	t->rcpt = rcpt_at;
	t->size = 25;
}

int
main(void)
{
	struct smtp_caps none, all;
	struct smtp_txn t;
	struct smtp_result r;
	struct failure f;
	struct fake k;

	memset(&none, 0, sizeof(none));
	memset(&all, 0, sizeof(all));
	smtp_caps_line(&all, "PIPELINING", 10);
	smtp_caps_line(&all, "8BITMIME", 8);
	smtp_caps_line(&all, "DSN", 3);
	smtp_caps_line(&all, "SIZE 10240000", 13);
	smtp_caps_line(&all, "SMTPUTF8", 8);
	ok(all.pipelining && all.eight_bit_mime && all.dsn && all.smtputf8 &&
		all.size && all.size_max == 10240000,
	    "EHLO keywords parsed");

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n250 ok\r\n354 go\r\n250-2.0.0 Ok:\r\n"
		    "250 2.0.0 queued as ABC\r\n";
	k.chunk = 1;
	txn(&t, 1);
	ok(run(&k, &none, &t, &r, &f) == 0 && r.stage == STAGE_NONE &&
		r.accepted == 1,
	    "one recipient, replies one byte at a time: sent");
	is_str(k.sent,
	    "MAIL FROM:<s@x.org>\r\nRCPT TO:<a@x.org>\r\nDATA\r\n"
	    "Subject: x\r\n\r\n..dot\r\nok\r\n.\r\n",
	    "  one command at a time, the message dot-stuffed");
	ok(r.last.code == 250 &&
		strcmp(r.last.text, "250-2.0.0 Ok: 2.0.0 queued as ABC") == 0,
	    "  the final multi-line reply kept (%s)", r.last.text);

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n250 ok\r\n";
	k.msg = ".a\r\n.\r\n..\r\nb\r\n";
	k.msg_chunk = 1;
	txn(&t, 3);
	t.eight_bit = true;
	t.dsn_notify = "NEVER";
	t.dsn_ret = "HDRS";
	t.dsn_envid = "a+b=c d";
	ok(run(&k, &all, &t, &r, &f) == 0 && r.accepted == 2 &&
		replies[1].code == 550 && replies[0].code == 250,
	    "pipelined: one of three refused, the others accepted");
	ok(strncmp(k.sent,
	       "MAIL FROM:<s@x.org> SIZE=25 BODY=8BITMIME RET=HDRS "
	       "ENVID=a+2Bb+3Dc+20d\r\nRCPT TO:<a@x.org> NOTIFY=NEVER\r\n"
	       "RCPT TO:<b@x.org> NOTIFY=NEVER\r\n"
	       "RCPT TO:<c@x.org> NOTIFY=NEVER\r\nDATA\r\n",
	       140) == 0,
	    "  MAIL with SIZE, BODY, RET, ENVID (xtext); RCPT with NOTIFY");
	ok(strstr(k.sent, "DATA\r\n..a\r\n..\r\n...\r\nb\r\n.\r\n") != NULL,
	    "  stuffing right when the message arrives a byte at a time");
	ok(k.first_len == (size_t)(strstr(k.sent, "DATA\r\n") - k.sent) + 6,
	    "  MAIL, the RCPTs and DATA went in one write (RFC 2920)");

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n550 no\r\n551 no\r\n";
	txn(&t, 2);
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_RCPT &&
		strstr(k.sent, "DATA") == NULL,
	    "every recipient refused: no DATA");
	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n550 no\r\n551 no\r\n554 no valid recipients\r\n";
	ok(run(&k, &all, &t, &r, &f) == -1 && r.stage == STAGE_RCPT &&
		strstr(k.sent, "Subject") == NULL,
	    "pipelined, every recipient refused: DATA's 554 read, no message");
	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n550 no\r\n551 no\r\n354 go\r\n250 empty\r\n";
	ok(run(&k, &all, &t, &r, &f) == -1 && r.stage == STAGE_RCPT &&
		strstr(k.sent, "DATA\r\n.\r\n") != NULL &&
		strstr(k.sent, "Subject") == NULL,
	    "a server that says 354 to no recipients gets an empty message");

	memset(&k, 0, sizeof(k));
	k.replies = "553 5.1.8 bad sender\r\n";
	txn(&t, 1);
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_MAIL &&
		r.last.code == 553 && strstr(k.sent, "RCPT") == NULL,
	    "MAIL refused: stops there");

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n250 ok\r\n451 later\r\n";
	txn(&t, 1);
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_DATA &&
		r.last.code == 451,
	    "DATA refused");

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n250 ok\r\n354 go\r\n554 spam\r\n";
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_FINAL &&
		r.body_sent && r.last.code == 554,
	    "refused after the data");

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n250 ok\r\n354 go\r\n";
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_IO &&
		r.body_sent && f.kind == FAIL_TEMP,
	    "closed after the data: an I/O failure, body_sent says maybe");

	{
		static char long_reply[1200];

		memset(&k, 0, sizeof(k));
		memcpy(long_reply, "553 ", 4);
		memset(long_reply + 4, 'z', 1000);
		memcpy(long_reply + 1004, "\r\n", 3);
		k.replies = long_reply;
		txn(&t, 1);
		ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_MAIL &&
			strncmp(r.last.text, "553 zzz", 7) == 0 &&
			strlen(r.last.text) == SMTP_REPLY_TEXT - 1,
		    "a long reply is kept, cut to fit");
	}

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\nhello\r\n";
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_IO &&
		strstr(f.msg, "malformed") != NULL,
	    "a malformed reply");
	memset(&k, 0, sizeof(k));
	k.replies = "250-a\r\n251 b\r\n";
	ok(run(&k, &none, &t, &r, &f) == -1 && r.stage == STAGE_IO,
	    "a reply whose code changes between lines");

	memset(&k, 0, sizeof(k));
	k.replies = "250 ok\r\n";
	txn(&t, 0);
	ok(run(&k, &none, &t, &r, &f) == -1 && k.sent_len == 0,
	    "no recipients: nothing sent (libcurl would send HELP)");
	/* Dot-stuffing wherever the reads cut the message: a chunk with no
	 * line starting with a dot goes as it is, the others are copied. */
	for (size_t cut = 1; cut <= 9; cut++) {
		memset(&k, 0, sizeof(k));
		k.replies = "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n";
		k.msg = "a\r\n.b\r\n..c\r\nd.\r\n\r\n.\r\ne\r\n";
		k.msg_chunk = cut;
		txn(&t, 1);
		ok(run(&k, &none, &t, &r, &f) == 0 &&
			strcmp(k.sent, "MAIL FROM:<s@x.org>\r\nRCPT TO:<a@x.org>"
				       "\r\nDATA\r\na\r\n..b\r\n...c\r\nd.\r\n"
				       "\r\n..\r\ne\r\n.\r\n") == 0,
		    "reads of %zu bytes: every line-start dot doubled, no other",
		    cut);
	}
	return done_testing();
}
