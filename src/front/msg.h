/* msg.h - the message from the caller to the relay (pure: bytes in, bytes
 * out). The header block is parsed and held in memory (bounded by
 * HEADER_BLOCK_MAX); when it ends, a hook decides the envelope and adds
 * fields; then the header block is written out and the body streams
 * through the normalizer to the same writer, so a message of any size
 * passes in constant memory. */
#ifndef SAFEMAIL_MSG_H
#define SAFEMAIL_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "fail.h"
#include "hdr.h"
#include "norm.h"

enum msg_field_kind {
	MF_OTHER,
	MF_FROM,
	MF_SENDER,
	MF_TO,
	MF_CC,
	MF_BCC,
	MF_RESENT_TO,
	MF_RESENT_CC,
	MF_RESENT_BCC,
	MF_RETURN_PATH,
	MF_DATE,
	MF_MESSAGE_ID,
	MF_REPLY_TO
};

struct msg_field {
	enum msg_field_kind kind;
	bool kept;   /* written out (Bcc, Resent-Bcc, Return-Path are not) */
	char *raw;   /* "Name: value", physical lines joined by CRLF */
	size_t rawlen;
	char *value; /* unfolded, NUL-terminated */
};

struct msg;

/* Receives the normalized message: the header block, then body lines. */
typedef int (*msg_write_cb)(void *ctx, const char *p, size_t len);
/* Called once, when the header block is complete and before any of it is
 * written: decide the envelope, add fields with msg_add_field. */
typedef int (*msg_headers_cb)(void *ctx, struct msg *m, struct failure *f);

struct msg_options {
	bool ignore_dots;          /* -i: a lone "." line is content */
	enum norm_long long_lines; /* body lines over 998 octets */
	const char *domain;        /* qualifies bare names in headers; "" */
	unsigned long long max_size; /* bytes written; 0: no limit */
	msg_write_cb write;
	void *write_ctx;
	msg_headers_cb headers_done;
	void *headers_ctx;
};

enum msg_state { MS_FIRST, MS_HEADERS, MS_BODY };

struct msg {
	struct msg_options o;
	struct norm norm;
	struct hdr_parser hp;
	struct msg_field *fields;
	size_t nfields;
	char *prepend; /* added fields, CRLF-terminated: before the others */
	size_t prepend_len;
	char *append;  /* ... and after them */
	size_t append_len;
	enum msg_state state;
	bool eight_bit_headers;
	bool eight_bit_body;
	unsigned long long size; /* bytes written so far */
	struct failure *f;       /* during msg_push / msg_finish */
};

void msg_init(struct msg *m, const struct msg_options *o);
void msg_free(struct msg *m);

/* msg_push - feed bytes read from the caller. */
int msg_push(struct msg *m, const char *p, size_t len, struct failure *f);

/* msg_finish - end of input (or of the lone dot). */
int msg_finish(struct msg *m, struct failure *f);

/* msg_add_field - add a complete field ("Name: value", folded with CRLF
 * as needed, no final CRLF) before (first) or after the caller's fields.
 * Only from the headers_done hook. */
int msg_add_field(struct msg *m, bool first, const char *raw, size_t len,
    struct failure *f);

/* msg_count - how many fields of a kind the caller's header block had */
size_t msg_count(const struct msg *m, enum msg_field_kind kind);

#endif
