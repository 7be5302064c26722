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

int
main(void)
{
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
