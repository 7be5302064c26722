/* strbuf.c - a growing text buffer (see strbuf.h) */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define PIECE_MAX 1200

void
strbuf_put(struct strbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 1024 : b->cap;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->p, cap);
		if (grown == NULL) {
			b->failed = true;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
strbuf_putf(struct strbuf *b, const char *fmt, ...)
{
	char piece[PIECE_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(piece)) {
		b->failed = true;
		return;
	}
	strbuf_put(b, piece, (size_t)n);
}

char *
strbuf_take(struct strbuf *b, size_t *len)
{
	char *p = b->p;

	if (b->failed) {
		free(b->p);
		p = NULL;
	}
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
