/* verdict.c - what a relay's answer means for the caller (pure) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "verdict.h"

/* A reply shown after the address: its start says what went wrong. */
#define NAMED_REPLY_MAX 200

static enum fail_kind
by_code(int code, enum fail_kind permanent)
{
	if (code >= 500 && code < 600)
		return permanent;
	return FAIL_TEMP; /* 4xx, or no reply at all */
}

void
verdict_session(const struct relay_status *st, const char *relay,
    struct failure *f)
{
	const char *said = st->code != 0 ? st->reply : "";
	const char *sep = st->code != 0 ? "; it said: " : "";

	switch (st->error) {
	case RELAY_OK:
		f->kind = FAIL_NONE;
		return;
	case RELAY_CONNECT:
	case RELAY_TIMEOUT:
	case RELAY_IO:
		fail_set(f, FAIL_TEMP, "relay %s: %s%s%s", relay, st->detail,
		    sep, said);
		return;
	case RELAY_REFUSED:
		fail_set(f, by_code(st->code, FAIL_UNAVAILABLE),
		    "relay %s refused the session: %s", relay,
		    st->code != 0 ? st->reply : st->detail);
		return;
	case RELAY_TLS_REQUIRED:
		fail_set(f, FAIL_CONFIG,
		    "relay %s: ssl = tls, but STARTTLS failed (%s%s%s); not "
		    "sending in clear text",
		    relay, st->detail, sep, said);
		return;
	case RELAY_TLS_VERIFY:
		fail_set(f, FAIL_CONFIG,
		    "relay %s: its certificate cannot be trusted: %s", relay,
		    st->detail);
		return;
	case RELAY_TLS_FAILED:
		fail_set(f, FAIL_CONFIG, "relay %s: TLS handshake failed: %s",
		    relay, st->detail);
		return;
	case RELAY_AUTH:
		fail_set(f, st->code >= 400 && st->code < 500 ? FAIL_TEMP
							       : FAIL_CONFIG,
		    "relay %s: authentication failed: %s%s%s", relay,
		    st->detail, sep, said);
		return;
	case RELAY_TOKEN_TEMP:
	case RELAY_TOKEN:
		/* kept for later like a relay that is down; on a refusal the
		 * caller also hears that the admin must act (backend.c) */
		fail_set(f, FAIL_TEMP, "%s", st->detail);
		return;
	case RELAY_INTERNAL:
	default:
		fail_set(f, FAIL_SOFTWARE, "relay %s: %s", relay, st->detail);
		return;
	}
}

int
verdict_transaction(const struct smtp_result *r, size_t nrcpt,
    const struct failure *io, struct failure *f)
{
	bool any_temp = false;

	switch (r->stage) {
	case STAGE_IO:
		fail_set(f, FAIL_TEMP, "%s%s", io->msg,
		    r->body_sent ? " (after the whole message was sent: it "
				   "may have been delivered)"
				 : "");
		return -1;
	case STAGE_MAIL:
	case STAGE_DATA:
	case STAGE_FINAL:
		fail_set(f, by_code(r->last.code, FAIL_UNAVAILABLE),
		    "the relay refused %s: %s",
		    r->stage == STAGE_MAIL   ? "the sender"
		    : r->stage == STAGE_DATA ? "DATA"
					     : "the message",
		    r->last.text);
		return -1;
	case STAGE_RCPT:
	case STAGE_NONE:
		break;
	}
	const struct smtp_reply *refused = &r->last;

	for (size_t i = nrcpt; i-- > 0;) {
		if (r->rcpt[i].code >= 400 && r->rcpt[i].code < 500)
			any_temp = true;
		if (r->rcpt[i].code >= 400)
			refused = &r->rcpt[i]; /* the first refusal */
	}
	if (r->stage == STAGE_RCPT) {
		fail_set(f, any_temp ? FAIL_TEMP : FAIL_NOUSER,
		    "the relay refused every recipient: %s", refused->text);
		return -1;
	}
	if (r->accepted < nrcpt) {
		fail_set(f, any_temp ? FAIL_TEMP : FAIL_NOUSER,
		    "sent to %zu of %zu recipients; refused: %s", r->accepted,
		    nrcpt, refused->text);
		return -1;
	}
	f->kind = FAIL_NONE;
	f->msg[0] = '\0';
	return 0;
}

size_t
verdict_refused_lines(const struct smtp_result *r, size_t nrcpt,
    const char *(*rcpt)(const void *ctx, size_t i), const void *ctx,
    int min_code, char *out)
{
	/* each shown byte takes at most 4 ("\\xNN") */
	char addr[ADDR_MAX * 4 + 4], said[NAMED_REPLY_MAX * 4 + 4];
	size_t refused = 0, n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < nrcpt; i++) {
		const char *a = rcpt(ctx, i);

		if (r->rcpt[i].code < min_code)
			continue;
		if (++refused > VERDICT_NAMED)
			continue;
		text_show(addr, sizeof(addr), a, strlen(a), ADDR_MAX);
		text_show(said, sizeof(said), r->rcpt[i].text,
		    strlen(r->rcpt[i].text), NAMED_REPLY_MAX);
		n += (size_t)snprintf(out + n, VERDICT_NAMED_SIZE - n,
		    "%srefused <%s>: %s", n > 0 ? "\n" : "", addr, said);
	}
	if (refused > VERDICT_NAMED)
		(void)snprintf(out + n, VERDICT_NAMED_SIZE - n,
		    "\nand %zu more refused (the log names each)",
		    refused - VERDICT_NAMED);
	return refused;
}
