/* norm.h - the message body on the wire: CRLF, bounded lines (pure) */
#ifndef SAFEMAIL_NORM_H
#define SAFEMAIL_NORM_H

#include <stdbool.h>
#include <stddef.h>

#include "fail.h"
#include "limits.h"

/* Receives one normalized line ending in CRLF per call. split is true
 * when the input line went on past 998 octets and this piece does not end
 * it (the rest comes in the next call). */
typedef int (*norm_out_cb)(void *ctx, const char *p, size_t len, bool split);

enum norm_long { NORM_LONG_SPLIT, NORM_LONG_REFUSE };

struct norm {
	bool ignore_dots;      /* -i: a lone "." line is content */
	enum norm_long long_lines;
	norm_out_cb out;
	void *ctx;
	/* state */
	char line[LINE_MAX_OCTETS + 2]; /* and its CRLF */
	size_t len;
	bool pending_cr; /* a CR seen at the end of the last chunk */
	bool ended;      /* a lone "." ended the message */
	bool continued;  /* this line is the rest of a split one */
	size_t lineno;
	size_t bytes;    /* bytes written out */
};

void norm_init(struct norm *n, bool ignore_dots, enum norm_long long_lines,
    norm_out_cb out, void *ctx);

/* norm_push - feed input bytes. LF and CRLF both end a line and leave as
 * CRLF; a bare CR (not followed by LF) and NUL are refused (FAIL_DATA),
 * so that no receiver can find an end of data libcurl did not write
 * (SMTP smuggling). Lines over 998 octets are split, or refused. Without
 * ignore_dots a line holding a single "." ends the message and the rest
 * of the input is discarded, never parsed. libcurl does the dot-stuffing:
 * never here. */
int norm_push(struct norm *n, const char *p, size_t len, struct failure *f);

/* norm_finish - end of input: a missing final newline is added. */
int norm_finish(struct norm *n, struct failure *f);

#endif
