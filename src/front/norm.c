/* norm.c - the message body on the wire: CRLF, bounded lines (pure) */
#include "config.h"

#include <string.h>

#include "norm.h"

void
norm_init(struct norm *n, bool ignore_dots, enum norm_long long_lines,
    norm_out_cb out, void *ctx)
{
	memset(n, 0, sizeof(*n));
	n->ignore_dots = ignore_dots;
	n->long_lines = long_lines;
	n->out = out;
	n->ctx = ctx;
}

static int
emit(struct norm *n, bool split, struct failure *f)
{
	n->line[n->len] = '\r';
	n->line[n->len + 1] = '\n';
	if (n->out(n->ctx, n->line, n->len + 2, split) != 0) {
		if (f->kind == FAIL_NONE)
			fail_set(f, FAIL_IOERR, "cannot write the message");
		return -1;
	}
	n->bytes += n->len + 2;
	n->len = 0;
	return 0;
}

/* A complete line is in n->line. */
static int
end_line(struct norm *n, struct failure *f)
{
	bool rest = n->continued;

	n->lineno++;
	n->continued = false;
	if (!n->ignore_dots && !rest && n->len == 1 && n->line[0] == '.') {
		n->ended = true; /* the rest is discarded, never parsed */
		n->len = 0;
		return 0;
	}
	return emit(n, false, f);
}

static int
add_byte(struct norm *n, char c, struct failure *f)
{
	if (n->len == LINE_MAX_OCTETS) {
		if (n->long_lines == NORM_LONG_REFUSE) {
			fail_set(f, FAIL_DATA,
			    "line %zu is longer than %d octets", n->lineno + 1,
			    LINE_MAX_OCTETS);
			return -1;
		}
		/* Split as Postfix does: the line goes on, on the next. */
		if (emit(n, true, f) != 0)
			return -1;
		n->continued = true;
	}
	n->line[n->len++] = c;
	return 0;
}

static int
bare_cr(struct norm *n, struct failure *f)
{
	fail_set(f, FAIL_DATA, "bare CR on line %zu (refused: it could end "
			       "the data for some receivers)",
	    n->lineno + 1);
	return -1;
}

/* norm_push - see norm.h */
int
norm_push(struct norm *n, const char *p, size_t len, struct failure *f)
{
	for (size_t i = 0; i < len && !n->ended; i++) {
		char c = p[i];

		if (n->pending_cr) {
			n->pending_cr = false;
			if (c != '\n')
				return bare_cr(n, f);
			if (end_line(n, f) != 0)
				return -1;
			continue;
		}
		switch (c) {
		case '\0':
			fail_set(f, FAIL_DATA, "NUL byte on line %zu",
			    n->lineno + 1);
			return -1;
		case '\r':
			n->pending_cr = true;
			break;
		case '\n':
			if (end_line(n, f) != 0)
				return -1;
			break;
		default: {
			/* A run of ordinary bytes is copied at once, as far as
			 * the line has room; a full line goes to add_byte. */
			size_t room = LINE_MAX_OCTETS - n->len;
			size_t run = len - i < room ? len - i : room;
			const char *s = p + i, *stop;

			/* the first LF, CR or NUL ends the run: memchr scans
			 * many bytes at a time (c itself is none of them) */
			if ((stop = memchr(s, '\n', run)) != NULL)
				run = (size_t)(stop - s);
			if ((stop = memchr(s, '\r', run)) != NULL)
				run = (size_t)(stop - s);
			if ((stop = memchr(s, '\0', run)) != NULL)
				run = (size_t)(stop - s);
			if (room == 0) {
				if (add_byte(n, c, f) != 0)
					return -1;
				break;
			}
			memcpy(n->line + n->len, p + i, run);
			n->len += run;
			i += run - 1;
			break;
		}
		}
	}
	return 0;
}

/* norm_finish - see norm.h */
int
norm_finish(struct norm *n, struct failure *f)
{
	if (n->ended)
		return 0;
	if (n->pending_cr)
		return bare_cr(n, f);
	if (n->len > 0)
		return end_line(n, f);
	return 0;
}
