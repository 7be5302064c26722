/* hdr.h - RFC 5322 header block push parser (pure) */
#ifndef SAFEMAIL_HDR_H
#define SAFEMAIL_HDR_H

#include <stdbool.h>
#include <stddef.h>

#include "fail.h"

/* One complete header field. raw is the field as it came, its physical
 * lines joined by CRLF (no final CRLF); value is the unfolded body after
 * the colon (RFC 5322 2.2.3: the CRLFs removed). */
struct hdr_field {
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
	const char *raw;
	size_t rawlen;
};

/* Called once per complete header field. Return 0 to go on. */
typedef int (*hdr_field_cb)(void *ctx, const struct hdr_field *fld);

struct hdr_parser {
	char *field; /* the field being read, lines joined by CRLF */
	size_t len;
	size_t cap;
	char *unfolded; /* the value without the CRLFs */
	size_t ucap;
	size_t total; /* bytes of the header block so far */
	size_t lines;
	bool ended;
	hdr_field_cb cb;
	void *ctx;
};

enum hdr_push {
	HDR_MORE, /* the line was a header line; push the next one */
	HDR_END,  /* the header block has ended before this line; the line
		   * is the first of the body (or the empty separator) */
	HDR_ERROR
};

void hdr_init(struct hdr_parser *h, hdr_field_cb cb, void *ctx);
void hdr_free(struct hdr_parser *h);

/* hdr_push_line - one line without its line ending. A line that is empty,
 * or is neither a continuation nor "name:" ends the block (RFC 5322 says a
 * line without a colon cannot be a header; such a line starts the body). */
enum hdr_push hdr_push_line(struct hdr_parser *h, const char *line,
    size_t len, struct failure *f);

/* hdr_finish - deliver the last field (at end of input or block). */
int hdr_finish(struct hdr_parser *h, struct failure *f);

/* hdr_name_is - case-insensitive field name comparison */
bool hdr_name_is(const char *name, size_t nlen, const char *want);

#endif
