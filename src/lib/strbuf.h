/* strbuf.h - a growing text buffer for the files safemail composes (spool
 * envelopes, bounces): appends never fail midway; a failed allocation or
 * an over-long formatted piece marks the buffer failed. */
#ifndef SAFEMAIL_STRBUF_H
#define SAFEMAIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *p; /* NUL-terminated */
	size_t len;
	size_t cap;
	bool failed;
};

void strbuf_put(struct strbuf *b, const char *s, size_t n);

/* strbuf_putf - one formatted piece of at most 1200 bytes */
void strbuf_putf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* strbuf_take - the text (the caller frees it), or NULL when failed. */
char *strbuf_take(struct strbuf *b, size_t *len);

#endif
