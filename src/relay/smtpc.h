/* smtpc.h - one SMTP mail transaction on a session that relay.c opened
 * (greeting, EHLO, TLS and AUTH done by libcurl): MAIL, RCPT, DATA with
 * dot-stuffing, and every reply. Pure: the transport and the message are
 * callbacks, so it is unit-tested against scripted replies.
 *
 * libcurl 7.88 cannot send BODY=, DSN parameters or report each RCPT
 * reply, and mis-sends with INFILESIZE (notes/libcurl-and-inih.md), so the
 * transaction is ours and libcurl (CONNECT_ONLY) only carries the bytes. */
#ifndef SAFEMAIL_SMTPC_H
#define SAFEMAIL_SMTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "fail.h"
#include "limits.h"

/* One reply: the code and its lines joined by " " (truncated, unescaped:
 * log it through log_emit, which makes it printable); SMTP_REPLY_TEXT is
 * in limits.h, for the spool files that keep replies too. */
struct smtp_reply {
	int code; /* 0: none (the connection failed first) */
	char text[SMTP_REPLY_TEXT];
};

struct smtp_io {
	void *ctx;
	/* Send all len bytes, or fail (f filled in). */
	int (*send)(void *ctx, const char *p, size_t len, struct failure *f);
	/* Receive at least one byte into buf; end of stream is a failure. */
	int (*recv)(void *ctx, char *buf, size_t cap, size_t *got,
	    struct failure *f);
	/* The next bytes of the normalized message; 0 bytes at its end. */
	void *msg_ctx;
	int (*read_msg)(void *msg_ctx, char *buf, size_t cap, size_t *got,
	    struct failure *f);
	/* -v: one command or reply line; NULL when not tracing. */
	void (*trace)(void *ctx, bool sent, const char *line, size_t len);
	/* Told what the next reply answers ("MAIL", "RCPT", "DATA", "the
	 * message"), for errors that name it; may be NULL. */
	void (*awaiting)(void *ctx, const char *command);
};

/* What the relay said it can do (its EHLO reply, after TLS). */
struct smtp_caps {
	bool pipelining;
	bool eight_bit_mime;
	bool smtputf8;
	bool dsn;
	bool size;
	unsigned long long size_max; /* 0: no limit given */
};

/* Parse one EHLO keyword line ("SIZE 10240000", "PIPELINING"). */
void smtp_caps_line(struct smtp_caps *caps, const char *line, size_t len);

struct smtp_txn {
	const char *sender; /* "" for the null sender */
	size_t nrcpt;
	const char *(*rcpt)(const void *ctx, size_t i);
	const void *rcpt_ctx;
	unsigned long long size; /* for SIZE= */
	bool eight_bit;          /* BODY=8BITMIME when offered */
	bool smtputf8;           /* SMTPUTF8 when offered */
	const char *dsn_notify;  /* "SUCCESS,FAILURE", "NEVER" or NULL */
	const char *dsn_ret;     /* "FULL", "HDRS" or NULL */
	const char *dsn_envid;   /* or NULL */
};

enum smtp_stage {
	STAGE_NONE,   /* done: at least one recipient has the message */
	STAGE_MAIL,   /* MAIL FROM refused */
	STAGE_RCPT,   /* every recipient refused */
	STAGE_DATA,   /* DATA refused */
	STAGE_FINAL,  /* the message refused after its end */
	STAGE_IO      /* the connection failed (f says how) */
};

struct smtp_result {
	enum smtp_stage stage;
	bool body_sent;        /* the message's end was sent: a failure now
				* may still have delivered it */
	struct smtp_reply last; /* the reply that decided the stage */
	struct smtp_reply *rcpt; /* one per recipient (caller allocates) */
	size_t accepted;
	unsigned long long wire_bytes; /* message bytes sent, stuffed */
};

/* smtp_transaction - run one transaction. Returns 0 when the relay
 * accepted the message for at least one recipient (check accepted against
 * nrcpt), -1 otherwise (stage says where; for STAGE_IO f says why). */
int smtp_transaction(const struct smtp_io *io, const struct smtp_caps *caps,
    const struct smtp_txn *t, struct smtp_result *r, struct failure *f);

/* smtp_read_reply - one whole reply (for relay.c's own commands). */
struct smtp_reader {
	char buf[4096];
	size_t len;
};
int smtp_read_reply(const struct smtp_io *io, struct smtp_reader *rd,
    struct smtp_reply *rep, struct failure *f);

#endif
