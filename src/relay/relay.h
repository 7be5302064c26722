/* relay.h - the session with the relay: connect, STARTTLS or implicit TLS,
 * certificate checks, EHLO, AUTH, done by libcurl (CONNECT_ONLY) but for
 * AUTH XOAUTH2, which is ours; then a byte transport for smtpc.c. With token.c (the OAuth2 endpoint)
 * and sandbox_relay.c (set-up before the lock-down) the only modules that
 * include curl.h. */
#ifndef SAFEMAIL_RELAY_H
#define SAFEMAIL_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "smtpc.h"

enum relay_error {
	RELAY_OK,
	RELAY_CONNECT,      /* cannot resolve or connect */
	RELAY_TIMEOUT,
	RELAY_REFUSED,      /* an error reply before MAIL (greeting, EHLO) */
	RELAY_TLS_REQUIRED, /* ssl = tls, STARTTLS missing or refused */
	RELAY_TLS_VERIFY,   /* certificate, host name, pin, CA file */
	RELAY_TLS_FAILED,   /* the handshake failed */
	RELAY_AUTH,         /* AUTH refused, or not offered */
	RELAY_IO,           /* the connection broke */
	RELAY_TOKEN,        /* the OAuth2 token endpoint refused the request */
	RELAY_TOKEN_TEMP,   /* it cannot be reached or gave no token */
	RELAY_INTERNAL
};

struct relay_status {
	enum relay_error error;
	int code;                    /* the relay's last reply code, or 0 */
	char reply[SMTP_REPLY_TEXT]; /* and its text */
	char detail[256];            /* what went wrong, for people */
	char relay[ADDR_BUFSZ + 8];  /* host:port it is about */
	char tls[32]; /* "TLSv1.3" when TLS was up before it failed, or "" */
};

struct relay_options {
	bool verbose;  /* -v: the dialogue on stderr, credentials redacted */
	const char *helo; /* checked host name for EHLO */
	/* told of each relay of the list given up for the next (its
	 * status), when set */
	void (*on_failover)(void *ctx, const struct relay_status *st);
	void *ctx;
	/* OAuth2: fetch a token even when the cache has one (--check) */
	bool fresh_token;
};

struct relay;

/* relay_set_trust - the CA store of a libcurl handle (curl.h's CURL):
 * tls_ca_file when set, else the system's hashed directory; shared by
 * the relay's session and the OAuth2 token endpoint (token.c) */
int relay_set_trust(void *curl, const struct conf *c);

/* relay_open - connect and get ready for MAIL FROM, trying the relays
 * of [smtp] host in order while one cannot be reached or used before MAIL
 * (relay.c: try_next). NULL on failure, with st filled in for the last
 * one tried. */
struct relay *relay_open(const struct conf *c, const struct relay_options *o,
    struct relay_status *st);

/* What the relay offers after TLS, and the transport for smtpc.c (its
 * read_msg is the caller's to set). */
const struct smtp_caps *relay_caps(const struct relay *r);
void relay_io(struct relay *r, struct smtp_io *io);

/* For logs and --check: "TLSv1.3" or "none"; the certificate's subject
 * and issuer; the EHLO keywords, one per line. */
const char *relay_tls_version(const struct relay *r);
void relay_peer(const struct relay *r, char *subject, size_t ssz,
    char *issuer, size_t isz);
const char *relay_ehlo_lines(const struct relay *r);
bool relay_authenticated(const struct relay *r);
/* host:port of the relay that took the session */
const char *relay_name(const struct relay *r);
/* OAuth2: where the token came from ("cached", "fetched from URL"),
 * "" without OAuth2 */
const char *relay_token_note(const struct relay *r);

/* relay_next_message - a session kept from an earlier message: false
 * when the relay has hung up or spoken out of turn meanwhile (close it
 * and open another); true, and message_timeout starts again, when it can
 * take the next MAIL FROM. */
bool relay_next_message(struct relay *r);

/* relay_close - quit politely (QUIT, bounded wait) when the session is in
 * step, or just drop the connection after a failure. */
void relay_close(struct relay *r, bool polite);

#endif
