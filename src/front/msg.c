/* msg.c - the message from the caller to the relay (pure) */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "limits.h"
#include "msg.h"

static const struct {
	const char *name;
	enum msg_field_kind kind;
	bool kept;
} field_kinds[] = {
	{"From", MF_FROM, true},
	{"Sender", MF_SENDER, true},
	{"To", MF_TO, true},
	{"Cc", MF_CC, true},
	{"Bcc", MF_BCC, false},
	{"Resent-To", MF_RESENT_TO, true},
	{"Resent-Cc", MF_RESENT_CC, true},
	{"Resent-Bcc", MF_RESENT_BCC, false},
	/* The relay's receiver writes Return-Path from the envelope; one from
	 * the caller would contradict it. */
	{"Return-Path", MF_RETURN_PATH, false},
	{"Date", MF_DATE, true},
	{"Message-ID", MF_MESSAGE_ID, true},
	{"Reply-To", MF_REPLY_TO, true},
};

static void
on_fail_default(struct failure *f, enum fail_kind kind, const char *what)
{
	if (f->kind == FAIL_NONE)
		fail_set(f, kind, "%s", what);
}

static bool
has_eight_bit(const char *p, size_t len)
{
	size_t i = 0;

	/* eight bytes at a time: this runs over every line of the body */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			return true;
	}
	for (; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

static int
write_out(struct msg *m, const char *p, size_t len)
{
	m->size += len;
	if (m->o.max_size != 0 && m->size > m->o.max_size) {
		fail_set(m->f, FAIL_DATA,
		    "the message is larger than max_message_size (%llu bytes)",
		    m->o.max_size);
		return -1;
	}
	if (m->o.write(m->o.write_ctx, p, len) != 0) {
		on_fail_default(m->f, FAIL_IOERR, "cannot write the message");
		return -1;
	}
	return 0;
}

/* Where "@domain" goes for each bare name of an address list. */
struct bare_names {
	size_t ends[64];
	size_t n;
	bool too_many;
};

static int
note_bare(void *ctx, const char *spec, size_t len, size_t end)
{
	struct bare_names *b = ctx;
	char norm[ADDR_BUFSZ];

	if (addr_check(spec, len, ADDR_PROFILE_RECIPIENT, norm) != ADDR_BARE)
		return 0;
	if (b->n == sizeof(b->ends) / sizeof(b->ends[0])) {
		b->too_many = true;
		return 1;
	}
	b->ends[b->n++] = end;
	return 0;
}

static bool
is_crlf(const char *raw, size_t len, size_t i)
{
	return raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n';
}

/* Rewrite fld->raw with "@domain" after each bare name ("root" ->
 * "root@example.com"), keeping the caller's folding. A list that does not
 * parse is left as it is: -t refuses it later, and a header the envelope
 * does not use is the caller's business. */
static int
qualify(struct msg *m, const struct hdr_field *fld, char **raw,
    size_t *rawlen)
{
	struct bare_names b;
	const char *err;
	size_t dlen = strlen(m->o.domain);
	size_t vpos = 0, bi = 0, out = 0, line = 0;
	char *q;

	memset(&b, 0, sizeof(b));
	if (dlen == 0 || addr_list_parse(fld->value, fld->vlen, note_bare, &b,
			     &err) != ALIST_OK ||
	    b.n == 0)
		return 0;
	q = malloc(fld->rawlen + b.n * (dlen + 1) + 1);
	if (q == NULL) {
		fail_set(m->f, FAIL_OSERR, "out of memory");
		return -1;
	}
	/* Walk the raw field, counting value bytes (CRLFs are not in the
	 * unfolded value) to find each insertion point. */
	memcpy(q, fld->raw, fld->nlen + 1);
	out = line = fld->nlen + 1;
	for (size_t i = fld->nlen + 1;;) {
		while (bi < b.n && b.ends[bi] == vpos) {
			q[out++] = '@';
			memcpy(q + out, m->o.domain, dlen);
			out += dlen;
			line += dlen + 1;
			bi++;
		}
		if (line > LINE_MAX_OCTETS) {
			free(q);
			fail_set(m->f, FAIL_DATA,
			    "the %.*s: field would have a line longer than %d "
			    "octets once its names are qualified",
			    (int)fld->nlen, fld->name, LINE_MAX_OCTETS);
			return -1;
		}
		if (i >= fld->rawlen)
			break;
		if (is_crlf(fld->raw, fld->rawlen, i)) {
			q[out++] = '\r';
			q[out++] = '\n';
			i += 2;
			line = 0;
			continue;
		}
		q[out++] = fld->raw[i++];
		vpos++;
		line++;
	}
	q[out] = '\0';
	*raw = q;
	*rawlen = out;
	return 0;
}

static int
on_field(void *ctx, const struct hdr_field *fld)
{
	struct msg *m = ctx;
	struct msg_field *grown, *mf;
	enum msg_field_kind kind = MF_OTHER;
	bool kept = true;
	char *raw = NULL, *value;
	size_t rawlen = fld->rawlen;

	for (size_t i = 0; i < sizeof(field_kinds) / sizeof(field_kinds[0]);
	     i++)
		if (hdr_name_is(fld->name, fld->nlen, field_kinds[i].name)) {
			kind = field_kinds[i].kind;
			kept = field_kinds[i].kept;
			break;
		}
	if (has_eight_bit(fld->raw, fld->rawlen))
		m->eight_bit_headers = true;
	if (kind == MF_FROM || kind == MF_TO || kind == MF_CC ||
	    kind == MF_RESENT_TO || kind == MF_RESENT_CC) {
		if (qualify(m, fld, &raw, &rawlen) != 0)
			return -1;
	}
	grown = realloc(m->fields, (m->nfields + 1) * sizeof(*m->fields));
	value = malloc(fld->vlen + 1);
	if (raw == NULL) { /* not rewritten: kept as it came */
		raw = malloc(rawlen + 1);
		if (raw != NULL)
			memcpy(raw, fld->raw, rawlen);
	}
	if (grown != NULL)
		m->fields = grown;
	if (grown == NULL || value == NULL || raw == NULL) {
		free(value);
		free(raw);
		fail_set(m->f, FAIL_OSERR, "out of memory");
		return -1;
	}
	mf = &m->fields[m->nfields++];
	mf->kind = kind;
	mf->kept = kept;
	mf->raw = raw;
	mf->rawlen = rawlen;
	mf->value = value;
	memcpy(value, fld->value, fld->vlen);
	value[fld->vlen] = '\0';
	return 0;
}

void
msg_init(struct msg *m, const struct msg_options *o)
{
	memset(m, 0, sizeof(*m));
	m->o = *o;
	if (m->o.domain == NULL)
		m->o.domain = "";
	hdr_init(&m->hp, on_field, m);
}

void
msg_free(struct msg *m)
{
	for (size_t i = 0; i < m->nfields; i++) {
		free(m->fields[i].raw);
		free(m->fields[i].value);
	}
	free(m->fields);
	free(m->prepend);
	free(m->append);
	hdr_free(&m->hp);
	memset(m, 0, sizeof(*m));
}

size_t
msg_count(const struct msg *m, enum msg_field_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nfields; i++)
		n += m->fields[i].kind == kind;
	return n;
}

int
msg_add_field(struct msg *m, bool first, const char *raw, size_t len,
    struct failure *f)
{
	char **buf = first ? &m->prepend : &m->append;
	size_t *blen = first ? &m->prepend_len : &m->append_len;
	char *grown;

	if (*blen + len + 2 > HEADER_BLOCK_MAX) {
		fail_set(f, FAIL_SOFTWARE, "added header fields too large");
		return -1;
	}
	grown = realloc(*buf, *blen + len + 2);
	if (grown == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	memcpy(grown + *blen, raw, len);
	memcpy(grown + *blen + len, "\r\n", 2);
	*buf = grown;
	*blen += len + 2;
	return 0;
}

/* The header block is complete: let the hook decide, then write it out.
 * blank_follows: the line that ended the block is the empty separator. */
static int
end_headers(struct msg *m, bool blank_follows)
{
	m->state = MS_BODY;
	if (m->o.headers_done != NULL &&
	    m->o.headers_done(m->o.headers_ctx, m, m->f) != 0) {
		on_fail_default(m->f, FAIL_SOFTWARE, "header hook failed");
		return -1;
	}
	if (m->prepend_len > 0 &&
	    write_out(m, m->prepend, m->prepend_len) != 0)
		return -1;
	for (size_t i = 0; i < m->nfields; i++) {
		const struct msg_field *mf = &m->fields[i];

		if (!mf->kept)
			continue;
		if (write_out(m, mf->raw, mf->rawlen) != 0 ||
		    write_out(m, "\r\n", 2) != 0)
			return -1;
	}
	if (m->append_len > 0 && write_out(m, m->append, m->append_len) != 0)
		return -1;
	/* A body that starts without the empty line (a line that is no
	 * header, or no body at all) gets one, as Postfix does. */
	if (!blank_follows && write_out(m, "\r\n", 2) != 0)
		return -1;
	return 0;
}

static int
on_line(void *ctx, const char *p, size_t len, bool split)
{
	struct msg *m = ctx;
	size_t linelen = len - 2; /* without the CRLF */

	if (m->state == MS_BODY) {
		if (!m->eight_bit_body && has_eight_bit(p, linelen))
			m->eight_bit_body = true;
		return write_out(m, p, len);
	}
	if (m->state == MS_FIRST) {
		m->state = MS_HEADERS;
		/* An mbox separator line, not a header: dropped. */
		if (!split && linelen >= 5 && memcmp(p, "From ", 5) == 0)
			return 0;
	}
	switch (hdr_push_line(&m->hp, p, linelen, m->f)) {
	case HDR_MORE:
		if (split) {
			fail_set(m->f, FAIL_DATA,
			    "a header line is longer than %d octets",
			    LINE_MAX_OCTETS);
			return -1;
		}
		return 0;
	case HDR_END:
		if (end_headers(m, linelen == 0) != 0)
			return -1;
		return on_line(m, p, len, split);
	case HDR_ERROR:
	default:
		return -1;
	}
}

int
msg_push(struct msg *m, const char *p, size_t len, struct failure *f)
{
	if (m->norm.out == NULL)
		norm_init(&m->norm, m->o.ignore_dots, m->o.long_lines, on_line,
		    m);
	m->f = f;
	return norm_push(&m->norm, p, len, f);
}

int
msg_finish(struct msg *m, struct failure *f)
{
	if (m->norm.out == NULL)
		norm_init(&m->norm, m->o.ignore_dots, m->o.long_lines, on_line,
		    m);
	m->f = f;
	if (norm_finish(&m->norm, f) != 0)
		return -1;
	if (m->state != MS_BODY) {
		if (hdr_finish(&m->hp, f) != 0)
			return -1;
		return end_headers(m, false);
	}
	return 0;
}
