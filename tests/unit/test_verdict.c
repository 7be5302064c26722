/* test_verdict.c - a relay's answer to a failure kind (exit code) */
#include "config.h"

#include <stdio.h>

#include "tap.h"
#include "verdict.h"

static enum fail_kind
session(enum relay_error e, int code)
{
	struct relay_status st;
	struct failure f = {FAIL_NONE, ""};

	memset(&st, 0, sizeof(st));
	st.error = e;
	st.code = code;
	(void)snprintf(st.reply, sizeof(st.reply), "%d x", code);
	verdict_session(&st, "relay:25", &f);
	return f.kind;
}

static enum fail_kind
transaction(enum smtp_stage stage, int last, int r0, int r1, size_t accepted)
{
	struct smtp_reply rr[2];
	struct smtp_result r;
	struct failure io = {FAIL_TEMP, "lost"};
	struct failure f = {FAIL_NONE, ""};

	memset(&r, 0, sizeof(r));
	memset(rr, 0, sizeof(rr));
	rr[0].code = r0;
	rr[1].code = r1;
	r.rcpt = rr;
	r.stage = stage;
	r.last.code = last;
	r.accepted = accepted;
	(void)verdict_transaction(&r, 2, &io, &f);
	return f.kind;
}

static const char *
rcpt_name(const void *ctx, size_t i)
{
	static char name[64];

	(void)ctx;
	if (i == 3)
		return "evil\x1b[2J\n@example.org"; /* from the caller */
	(void)snprintf(name, sizeof(name), "r%zu@example.org", i);
	return name;
}

/* Partial refusals named for stderr: bounded, printable, counted. */
static void
refused_lines(void)
{
	struct smtp_reply rr[14];
	struct smtp_result r;
	static char out[VERDICT_NAMED_SIZE];
	size_t n, lines = 1;

	memset(&r, 0, sizeof(r));
	memset(rr, 0, sizeof(rr));
	r.rcpt = rr;
	r.accepted = 1;
	for (size_t i = 0; i < 14; i++) {
		rr[i].code = i == 0 ? 250 : i == 1 ? 450 : 550;
		(void)snprintf(rr[i].text, sizeof(rr[i].text),
		    "%d 5.1.1 no such user\r\x07", rr[i].code);
	}
	n = verdict_refused_lines(&r, 14, rcpt_name, NULL, 400, out);
	for (const char *p = out; *p != '\0'; p++) {
		lines += *p == '\n';
		if ((unsigned char)*p < 0x20 && *p != '\n')
			lines = 1000; /* a control byte got through */
	}
	ok(n == 13 && lines == VERDICT_NAMED + 1,
	    "13 refused: %d named, then one line counting the rest",
	    VERDICT_NAMED);
	ok(strncmp(out, "refused <r1@example.org>: 450 5.1.1 no such user\\x0d",
	       52) == 0,
	    "each line: the address and the relay's reply");
	ok(strstr(out, "refused <evil\\x1b[2J\\x0a@example.org>: 550") !=
		NULL,
	    "a caller's address with control bytes is shown escaped");
	ok(strstr(out, "\nand 3 more refused (the log names each)") != NULL &&
	    out[strlen(out) - 1] != '\n',
	    "the rest counted (13 - 10), no newline at the end");
	printf("# %s\n", out);
	n = verdict_refused_lines(&r, 3, rcpt_name, NULL, 500, out);
	ok(n == 1 && strcmp(out, "refused <r2@example.org>: 550 5.1.1 no "
				 "such user\\x0d\\x07") == 0,
	    "min_code 500: a recipient kept for later (4xx) is not named");
	rr[2].code = 250;
	n = verdict_refused_lines(&r, 3, rcpt_name, NULL, 400, out);
	ok(n == 1 && strstr(out, "r1@") != NULL, "only the refused ones");
}

int
main(void)
{
	refused_lines();
	ok(session(RELAY_CONNECT, 0) == FAIL_TEMP, "connection refused: 75");
	ok(session(RELAY_TIMEOUT, 0) == FAIL_TEMP, "timeout: 75");
	ok(session(RELAY_REFUSED, 421) == FAIL_TEMP, "421 greeting: 75");
	ok(session(RELAY_REFUSED, 554) == FAIL_UNAVAILABLE, "554 greeting: 69");
	ok(session(RELAY_TLS_REQUIRED, 250) == FAIL_CONFIG,
	    "no STARTTLS: 78");
	ok(session(RELAY_TLS_VERIFY, 220) == FAIL_CONFIG, "bad cert: 78");
	ok(session(RELAY_AUTH, 535) == FAIL_CONFIG, "AUTH 535: 78");
	ok(session(RELAY_AUTH, 454) == FAIL_TEMP, "AUTH 454: 75");
	ok(session(RELAY_AUTH, 250) == FAIL_CONFIG, "AUTH not offered: 78");

	ok(transaction(STAGE_NONE, 250, 250, 250, 2) == FAIL_NONE,
	    "all accepted: 0");
	ok(transaction(STAGE_NONE, 250, 250, 550, 1) == FAIL_NOUSER,
	    "one refused 5xx, one accepted: 67, not a hidden success");
	ok(transaction(STAGE_NONE, 250, 250, 450, 1) == FAIL_TEMP,
	    "one refused 4xx: 75");
	ok(transaction(STAGE_RCPT, 550, 550, 550, 0) == FAIL_NOUSER,
	    "all refused 5xx: 67");
	ok(transaction(STAGE_RCPT, 450, 550, 450, 0) == FAIL_TEMP,
	    "all refused, one 4xx: 75");
	ok(transaction(STAGE_MAIL, 451, 0, 0, 0) == FAIL_TEMP, "MAIL 451: 75");
	ok(transaction(STAGE_MAIL, 553, 0, 0, 0) == FAIL_UNAVAILABLE,
	    "MAIL 553: 69");
	ok(transaction(STAGE_DATA, 554, 250, 250, 2) == FAIL_UNAVAILABLE,
	    "DATA 554: 69");
	ok(transaction(STAGE_FINAL, 451, 250, 250, 2) == FAIL_TEMP,
	    "451 after the data: 75");
	ok(transaction(STAGE_FINAL, 552, 250, 250, 2) == FAIL_UNAVAILABLE,
	    "552 after the data: 69");
	ok(transaction(STAGE_IO, 0, 0, 0, 0) == FAIL_TEMP, "lost: 75");
	return done_testing();
}
