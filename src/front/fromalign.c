/* fromalign.c - [mail] header_from = envelope (pure; see fromalign.h)
 *
 * Relays that check the From: against the account (Microsoft 365's
 * SendAs, DMARC alignment at the receiver) refuse a shop's "From:
 * sales@" sent through the mailbox "shop@". The envelope sender is the
 * one address the policy vouches for, so the From: is made to name it;
 * the author's address is kept where replies go. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fromalign.h"
#include "limits.h"
#include "strbuf.h"
#include "text.h"

/* RFC 5322 2.1.1: lines SHOULD be at most 78 octets */
#define FOLD_AT 78

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The field's value after the colon, as written (folds included) */
static const char *
raw_value(const struct msg_field *mf, size_t *len)
{
	const char *colon = memchr(mf->raw, ':', mf->rawlen);

	if (colon == NULL) { /* hdr.c delivers no field without one */
		*len = 0;
		return mf->raw + mf->rawlen;
	}
	*len = mf->rawlen - (size_t)(colon + 1 - mf->raw);
	return colon + 1;
}

/* The value without its folds, from raw (where bare names are already
 * qualified, unlike mf->value). NULL when out of memory. */
static char *
unfold(const char *p, size_t len, size_t *out)
{
	char *u = malloc(len + 1);
	size_t n = 0;

	if (u == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			continue;
		}
		u[n++] = p[i];
	}
	u[n] = '\0';
	*out = n;
	return u;
}

/* What an address list names: how many addresses, how many of them valid
 * mailboxes, and whether the first of them is the envelope sender. */
struct names {
	const char *sender;
	size_t count;
	size_t valid;
	bool first_is_sender;
};

static int
note_address(void *ctx, const char *spec, size_t len, size_t end)
{
	struct names *n = ctx;
	char norm[ADDR_BUFSZ];
	bool ok = len <= ADDR_MAX &&
	    addr_check(spec, len, ADDR_PROFILE_RECIPIENT, norm) == ADDR_OK;

	(void)end;
	if (n->count++ == 0)
		n->first_is_sender = ok && text_ieq(norm, n->sender);
	n->valid += ok;
	return 0;
}

/* false when the list does not parse */
static bool
names_of(const char *v, size_t len, const char *sender, struct names *n)
{
	const char *err;

	memset(n, 0, sizeof(*n));
	n->sender = sender;
	return addr_list_parse(v, len, note_address, n, &err) == ALIST_OK;
}

/* Past a quoted string, comment (comments nest) or domain literal that
 * starts at v[i]; the list parsed, so it ends. */
static size_t
skip_delimited(const char *v, size_t len, size_t i)
{
	char open = v[i];
	char close = open == '(' ? ')' : open == '[' ? ']' : '"';
	int depth = 0;

	for (i++; i < len; i++) {
		if (v[i] == '\\') {
			i++;
		} else if (open == '(' && v[i] == '(') {
			depth++;
		} else if (v[i] == close) {
			if (depth == 0)
				return i + 1;
			depth--;
		}
	}
	return len;
}

/* The display name of the first mailbox of a list that parses, as
 * written, white space at either end left out; *n = 0 when it has none
 * (an addr-spec, an empty group). In a group the group's name is not
 * the mailbox's. */
static const char *
first_display_name(const char *v, size_t len, size_t *n)
{
	size_t start = 0;
	bool content = false;

	*n = 0;
	for (size_t i = 0; i < len;) {
		char c = v[i];

		if (c == '"' || c == '(' || c == '[') {
			content = content || c != '(';
			i = skip_delimited(v, len, i);
			continue;
		}
		if (c == '<') {
			size_t s = start, e = i;

			while (s < e && is_wsp(v[s]))
				s++;
			while (e > s && is_wsp(v[e - 1]))
				e--;
			*n = e - s;
			return v + s;
		}
		if (c == ':' || ((c == ',' || c == ';') && !content)) {
			start = i + 1; /* a group's name, an empty element */
			content = false;
		} else if (c == ',' || c == ';') {
			return v; /* the first mailbox was an addr-spec */
		} else if (!is_wsp(c)) {
			content = true;
		}
		i++;
	}
	return v;
}

/* Every line of a field within 998 octets */
static bool
lines_fit(const char *p, size_t len)
{
	size_t line = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			line = 0;
			i++;
			continue;
		}
		if (++line > LINE_MAX_OCTETS)
			return false;
	}
	return true;
}

/* An unfolded field, folded before a run of white space wherever the
 * line would pass 78 octets, but for the value's first word, which stays
 * by the field name unless it would pass 998. A word never spans a fold
 * of the caller's (the CRLF comes before white space), so each fits the
 * 998 it fitted. */
static void
fold(struct strbuf *out, const char *u, size_t len)
{
	size_t line = 0, words = 0;

	for (size_t i = 0; i < len; words++) {
		size_t ws = i, word;

		while (i < len && is_wsp(u[i]))
			i++;
		word = i;
		while (i < len && !is_wsp(u[i]))
			i++;
		if (line > 0 && ws < word && word < i &&
		    (line + (i - ws) > LINE_MAX_OCTETS ||
			(words > 1 && line + (i - ws) > FOLD_AT))) {
			strbuf_put(out, "\r\n", 2);
			line = 0;
		}
		strbuf_put(out, u + ws, i - ws);
		line += i - ws;
	}
}

/* "From: NAME <sender>" or "From: sender", folded */
static char *
aligned_from(const char *value, size_t vlen, bool parses, const char *sender,
    size_t *len)
{
	struct strbuf u = {NULL, 0, 0, false}, out = {NULL, 0, 0, false};
	size_t nlen = 0;
	const char *name = parses ? first_display_name(value, vlen, &nlen)
				  : value;

	strbuf_put(&u, "From: ", 6);
	if (nlen > 0) {
		strbuf_put(&u, name, nlen);
		strbuf_put(&u, " <", 2);
		strbuf_put(&u, sender, strlen(sender));
		strbuf_put(&u, ">", 1);
	} else {
		strbuf_put(&u, sender, strlen(sender));
	}
	if (!u.failed)
		fold(&out, u.p, u.len);
	free(u.p);
	if (u.failed)
		out.failed = true;
	return strbuf_take(&out, len);
}

/* The Reply-To: field from the original From: fields that name a valid
 * address, each as the caller wrote it, "," at the start of a line of
 * its own between them; NULL with *len 0 when none does. */
static char *
reply_to(const struct msg *m, const char *sender, size_t *len, bool *oom)
{
	struct strbuf b = {NULL, 0, 0, false};
	size_t used = 0;

	*len = 0;
	*oom = false;
	for (size_t i = 0; i < m->nfields; i++) {
		const struct msg_field *mf = &m->fields[i];
		struct names n;
		size_t plen, ulen, first;
		const char *p;
		char *u;

		if (mf->kind != MF_FROM)
			continue;
		p = raw_value(mf, &plen);
		u = unfold(p, plen, &ulen);
		if (u == NULL) {
			free(b.p);
			*oom = true;
			return NULL;
		}
		if (!names_of(u, ulen, sender, &n) || n.valid == 0) {
			free(u);
			continue;
		}
		free(u);
		for (first = 0; first < plen && p[first] != '\r'; first++)
			;
		if (used++ == 0) {
			strbuf_put(&b, "Reply-To:", 9);
			/* "Reply-To:" is 4 octets longer than "From:" */
			if (9 + first > LINE_MAX_OCTETS) {
				strbuf_put(&b, "\r\n", 2);
				if (plen > 0 && !is_wsp(p[0]))
					strbuf_put(&b, " ", 1);
			}
		} else {
			strbuf_put(&b, "\r\n ,", 4);
		}
		strbuf_put(&b, p, plen);
	}
	if (used == 0)
		return NULL;
	if (b.failed)
		*oom = true;
	return strbuf_take(&b, len);
}

static int
out_of_memory(struct failure *f)
{
	fail_set(f, FAIL_OSERR, "out of memory");
	return -1;
}

static int
too_long(struct failure *f, const char *field)
{
	fail_set(f, FAIL_DATA,
	    "the %s: field would have a line longer than %d octets once "
	    "aligned to the envelope sender (header_from = envelope)",
	    field, LINE_MAX_OCTETS);
	return -1;
}

/* Replace the first From: field's text; the value follows it. */
static int
replace_from(struct msg_field *mf, char *raw, size_t rawlen,
    struct failure *f)
{
	size_t vlen;
	char *value = unfold(raw + 5, rawlen - 5, &vlen);

	if (value == NULL) {
		free(raw);
		return out_of_memory(f);
	}
	free(mf->raw);
	free(mf->value);
	mf->raw = raw;
	mf->rawlen = rawlen;
	mf->value = value;
	return 0;
}

/* Is the message's From: already the envelope sender alone? */
static int
already_aligned(const struct msg *m, const struct msg_field *from,
    const char *sender, bool *aligned, bool *parses, struct failure *f)
{
	struct names n;
	size_t plen, ulen;
	const char *p = raw_value(from, &plen);
	char *u = unfold(p, plen, &ulen);

	if (u == NULL)
		return out_of_memory(f);
	*parses = names_of(u, ulen, sender, &n);
	*aligned = *parses && msg_count(m, MF_FROM) == 1 && n.count == 1 &&
	    n.first_is_sender;
	free(u);
	return 0;
}

int
from_align(struct msg *m, const char *sender, struct failure *f)
{
	struct msg_field *from = NULL;
	bool aligned = false, parses = false, oom = false;
	char *raw = NULL, *rt = NULL, *u;
	size_t rawlen = 0, rtlen = 0, vlen, ulen;
	const char *v;

	for (size_t i = 0; i < m->nfields; i++)
		if (m->fields[i].kind == MF_SENDER)
			m->fields[i].kept = false;
		else if (m->fields[i].kind == MF_FROM && from == NULL)
			from = &m->fields[i];
	if (from == NULL)
		return 0; /* the From: the front end adds is the sender */
	if (already_aligned(m, from, sender, &aligned, &parses, f) != 0)
		return -1;
	if (aligned)
		return 0;
	if (msg_count(m, MF_REPLY_TO) == 0) {
		rt = reply_to(m, sender, &rtlen, &oom);
		if (oom)
			return out_of_memory(f);
		if (rt != NULL && !lines_fit(rt, rtlen)) {
			free(rt);
			return too_long(f, "Reply-To");
		}
	}
	v = raw_value(from, &vlen);
	u = unfold(v, vlen, &ulen);
	if (u != NULL)
		raw = aligned_from(u, ulen, parses, sender, &rawlen);
	free(u);
	if (raw == NULL) {
		free(rt);
		return out_of_memory(f);
	}
	if (!lines_fit(raw, rawlen)) {
		free(raw);
		free(rt);
		return too_long(f, "From");
	}
	if (rt != NULL && msg_add_field(m, false, rt, rtlen, f) != 0) {
		free(raw);
		free(rt);
		return -1;
	}
	free(rt);
	for (struct msg_field *mf = from + 1; mf < m->fields + m->nfields; mf++)
		if (mf->kind == MF_FROM)
			mf->kept = false;
	return replace_from(from, raw, rawlen, f);
}
