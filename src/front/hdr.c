/* hdr.c - RFC 5322 header block push parser (pure) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "limits.h"
#include "text.h"

void
hdr_init(struct hdr_parser *h, hdr_field_cb cb, void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->ctx = ctx;
}

void
hdr_free(struct hdr_parser *h)
{
	free(h->field);
	free(h->unfolded);
	h->field = h->unfolded = NULL;
	h->len = h->cap = h->ucap = 0;
}

bool
hdr_name_is(const char *name, size_t nlen, const char *want)
{
	return text_ieqn(name, nlen, want);
}

/* RFC 5322 ftext: printable ASCII except ':'. */
static size_t
field_name_len(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] > ' ' && line[i] < 0x7f && line[i] != ':')
		i++;
	return i < len && line[i] == ':' && i > 0 ? i : 0;
}

static int
grow(char **buf, size_t *cap, size_t need, struct failure *f)
{
	size_t c = *cap == 0 ? 256 : *cap;
	char *grown;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	grown = realloc(*buf, c);
	if (grown == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	*buf = grown;
	*cap = c;
	return 0;
}

static int
append(struct hdr_parser *h, const char *p, size_t n, struct failure *f)
{
	if (h->len + n > HEADER_FIELD_MAX) {
		fail_set(f, FAIL_DATA, "a header field is longer than %d bytes",
		    HEADER_FIELD_MAX);
		return -1;
	}
	if (grow(&h->field, &h->cap, h->len + n + 1, f) != 0)
		return -1;
	memcpy(h->field + h->len, p, n);
	h->len += n;
	h->field[h->len] = '\0';
	return 0;
}

/* hdr_finish - deliver the pending field, if any */
int
hdr_finish(struct hdr_parser *h, struct failure *f)
{
	struct hdr_field fld;
	size_t nlen, vlen = 0;

	if (h->len == 0)
		return 0;
	nlen = field_name_len(h->field, h->len);
	if (grow(&h->unfolded, &h->ucap, h->len + 1, f) != 0)
		return -1;
	for (size_t i = nlen + 1; i < h->len; i++) {
		if (h->field[i] == '\r' && i + 1 < h->len &&
		    h->field[i + 1] == '\n') {
			i++;
			continue;
		}
		h->unfolded[vlen++] = h->field[i];
	}
	h->unfolded[vlen] = '\0';
	fld.name = h->field;
	fld.nlen = nlen;
	fld.value = h->unfolded;
	fld.vlen = vlen;
	fld.raw = h->field;
	fld.rawlen = h->len;
	h->len = 0;
	if (h->cb(h->ctx, &fld) != 0) {
		if (f->kind == FAIL_NONE)
			fail_set(f, FAIL_DATA, "header refused");
		return -1;
	}
	return 0;
}

/* hdr_push_line - see hdr.h */
enum hdr_push
hdr_push_line(struct hdr_parser *h, const char *line, size_t len,
    struct failure *f)
{
	if (h->ended)
		return HDR_END;
	if (memchr(line, '\0', len) != NULL) {
		fail_set(f, FAIL_DATA, "NUL byte in the header on line %zu",
		    h->lines + 1);
		return HDR_ERROR;
	}
	if (memchr(line, '\r', len) != NULL) {
		fail_set(f, FAIL_DATA, "bare CR in the header on line %zu",
		    h->lines + 1);
		return HDR_ERROR;
	}
	if (len > LINE_MAX_OCTETS) {
		fail_set(f, FAIL_DATA,
		    "header line %zu is longer than %d octets", h->lines + 1,
		    LINE_MAX_OCTETS);
		return HDR_ERROR;
	}
	h->total += len + 2;
	if (h->total > HEADER_BLOCK_MAX) {
		fail_set(f, FAIL_DATA, "the header block is larger than %d bytes",
		    HEADER_BLOCK_MAX);
		return HDR_ERROR;
	}
	if (len > 0 && (line[0] == ' ' || line[0] == '\t') && h->len > 0) {
		h->lines++;
		return append(h, "\r\n", 2, f) == 0 &&
			append(h, line, len, f) == 0
		    ? HDR_MORE
		    : HDR_ERROR;
	}
	if (len == 0 || field_name_len(line, len) == 0) {
		h->ended = true;
		return hdr_finish(h, f) == 0 ? HDR_END : HDR_ERROR;
	}
	if (hdr_finish(h, f) != 0)
		return HDR_ERROR;
	h->lines++;
	return append(h, line, len, f) == 0 ? HDR_MORE : HDR_ERROR;
}
