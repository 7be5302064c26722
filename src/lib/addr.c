/* addr.c - envelope address grammar and RFC 5322 address lists (pure)
 *
 * The envelope grammar is deliberately narrower than RFC 5321: every address
 * that reaches the relay must be harmless on a command line, in a shell, in
 * an SMTP command and in a log (notes/security.md 4.2). Quoted local parts,
 * address literals, comments and non-ASCII are refused, never repaired. */
#include "config.h"

#include <string.h>

#include "addr.h"
#include "text.h"

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* One character of a local-part word. */
static bool
is_word_char(unsigned char c, enum addr_profile prof)
{
	if (is_alpha(c) || is_digit(c))
		return true;
	if (c == '_' || c == '+' || c == '=' || c == '-')
		return true;
	return prof == ADDR_PROFILE_RECIPIENT && c == '\'';
}

/* local = word *("." word) */
static enum addr_status
check_local(const unsigned char *p, size_t len, enum addr_profile prof)
{
	size_t word = 0;

	if (len == 0)
		return ADDR_BAD_LOCAL;
	if (len > ADDR_LOCAL_MAX)
		return ADDR_LOCAL_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x80)
			return ADDR_NON_ASCII;
		if (p[i] == '.') {
			if (word == 0)
				return ADDR_BAD_LOCAL;
			word = 0;
			continue;
		}
		if (!is_word_char(p[i], prof))
			return ADDR_BAD_LOCAL;
		word++;
	}
	return word == 0 ? ADDR_BAD_LOCAL : ADDR_OK;
}

/* addr_check_hostname - see addr.h */
bool
addr_check_hostname(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t label = 0;

	if (len == 0 || len > ADDR_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && !(c == '-' && label > 0))
			return false;
		if (++label > ADDR_LABEL_MAX)
			return false;
	}
	return label > 0 && p[len - 1] != '-';
}

/* addr_check_domain - a host name with two labels or more and a letter in
 * the last one; why it fails is told apart for the messages. */
enum addr_status
addr_check_domain(const char *s, size_t len, char out[ADDR_BUFSZ])
{
	const char *last_dot;
	bool tld_letter = false;

	if (len == 0)
		return ADDR_BAD_DOMAIN;
	if (s[0] == '[')
		return ADDR_DOMAIN_LITERAL;
	if (len > ADDR_DOMAIN_MAX)
		return ADDR_TOO_LONG;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return ADDR_NON_ASCII;
	if (!addr_check_hostname(s, len))
		return ADDR_BAD_DOMAIN;
	last_dot = memrchr(s, '.', len);
	if (last_dot == NULL)
		return ADDR_SINGLE_LABEL;
	for (const char *q = last_dot + 1; q < s + len; q++)
		if (is_alpha((unsigned char)*q))
			tld_letter = true;
	if (!tld_letter)
		return ADDR_NUMERIC_TLD;
	memcpy(out, s, len);
	out[len] = '\0';
	text_lower(out);
	return ADDR_OK;
}

/* addr_check - one mailbox in the strict grammar, or a bare local name */
enum addr_status
addr_check(const char *s, size_t len, enum addr_profile prof,
    char out[ADDR_BUFSZ])
{
	const unsigned char *p = (const unsigned char *)s;
	const char *at;
	size_t local_len;
	enum addr_status st;

	if (len == 0)
		return ADDR_EMPTY;
	if (p[0] == '-')
		return ADDR_LEADING_DASH;
	if (len > ADDR_MAX)
		return ADDR_TOO_LONG;
	at = memchr(s, '@', len);
	if (at == NULL) {
		st = check_local(p, len, prof);
		if (st != ADDR_OK)
			return st;
		memcpy(out, s, len);
		out[len] = '\0';
		return ADDR_BARE;
	}
	local_len = (size_t)(at - s);
	st = check_local(p, local_len, prof);
	if (st != ADDR_OK)
		return st;
	st = addr_check_domain(at + 1, len - local_len - 1, out + local_len + 1);
	if (st != ADDR_OK)
		return st;
	memcpy(out, s, local_len);
	out[local_len] = '@';
	return ADDR_OK;
}

/* addr_qualify - append the configured domain to a bare name */
enum addr_status
addr_qualify(const char *bare, const char *domain, enum addr_profile prof,
    char out[ADDR_BUFSZ])
{
	char tmp[ADDR_MAX + 2];
	size_t b = strlen(bare);
	size_t d = strlen(domain);

	if (b + 1 + d > ADDR_MAX)
		return ADDR_TOO_LONG;
	memcpy(tmp, bare, b);
	tmp[b] = '@';
	memcpy(tmp + b + 1, domain, d);
	return addr_check(tmp, b + 1 + d, prof, out);
}

/* addr_strerror - a few words for each status */
const char *
addr_strerror(enum addr_status st)
{
	switch (st) {
	case ADDR_OK:
		return "valid";
	case ADDR_BARE:
		return "has no domain";
	case ADDR_EMPTY:
		return "is empty";
	case ADDR_TOO_LONG:
		return "is too long";
	case ADDR_LEADING_DASH:
		return "begins with '-'";
	case ADDR_BAD_LOCAL:
		return "has a local part outside the allowed characters";
	case ADDR_LOCAL_TOO_LONG:
		return "has a local part over 64 octets";
	case ADDR_BAD_DOMAIN:
		return "has an invalid domain";
	case ADDR_DOMAIN_LITERAL:
		return "has an address literal as domain";
	case ADDR_SINGLE_LABEL:
		return "has a domain without a dot";
	case ADDR_NUMERIC_TLD:
		return "has a numeric top-level domain";
	case ADDR_NON_ASCII:
		return "is not ASCII";
	}
	return "is invalid";
}

/* ---- RFC 5322 address lists ---- */

enum tok_type { T_END, T_ATOM, T_QSTR, T_LITERAL, T_SPECIAL, T_ERROR };

struct tok {
	enum tok_type type;
	const char *p; /* the token's bytes (quotes included for T_QSTR) */
	size_t len;
};

struct lexer {
	const unsigned char *s;
	size_t len;
	size_t pos;
	const char *err;
};

static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true; /* RFC 6532 UTF-8; the envelope check refuses it */
	if (is_alpha(c) || is_digit(c))
		return true;
	return strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL && c != '\0';
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Skip whitespace and nested comments. */
static bool
skip_cfws(struct lexer *lx)
{
	while (lx->pos < lx->len) {
		unsigned char c = lx->s[lx->pos];

		if (is_wsp(c)) {
			lx->pos++;
			continue;
		}
		if (c != '(')
			return true;
		size_t depth = 0;
		do {
			c = lx->s[lx->pos];
			if (c == '\\') {
				if (lx->pos + 1 >= lx->len)
					break;
				lx->pos++;
				c = lx->s[lx->pos];
				if (c < 0x20 && !is_wsp(c))
					break;
			} else if (c == '(') {
				if (++depth > ADDR_COMMENT_DEPTH_MAX) {
					lx->err = "comments nested too deep";
					return false;
				}
			} else if (c == ')') {
				depth--;
			} else if ((c < 0x20 && !is_wsp(c)) || c == 0x7f) {
				lx->err = "control character in a comment";
				return false;
			}
			lx->pos++;
		} while (depth > 0 && lx->pos < lx->len);
		if (depth > 0) {
			lx->err = "unterminated comment";
			return false;
		}
	}
	return true;
}

static struct tok
next_tok(struct lexer *lx)
{
	struct tok t = {T_ERROR, NULL, 0};
	size_t start;
	unsigned char c;

	if (!skip_cfws(lx))
		return t;
	if (lx->pos >= lx->len) {
		t.type = T_END;
		return t;
	}
	start = lx->pos;
	c = lx->s[start];
	t.p = (const char *)lx->s + start;
	if (c == '"' || c == '[') {
		unsigned char close = c == '"' ? '"' : ']';

		lx->pos++;
		while (lx->pos < lx->len && lx->s[lx->pos] != close) {
			unsigned char d = lx->s[lx->pos];

			if ((d < 0x20 && !is_wsp(d)) || d == 0x7f) {
				lx->err = "control character in a quoted string";
				return t;
			}
			if (d == '\\')
				lx->pos++;
			lx->pos++;
		}
		if (lx->pos >= lx->len) {
			lx->err = c == '"' ? "unterminated quoted string"
					   : "unterminated address literal";
			return t;
		}
		lx->pos++;
		t.type = c == '"' ? T_QSTR : T_LITERAL;
		t.len = lx->pos - start;
		return t;
	}
	if (strchr("<>:;@,.", c) != NULL) {
		lx->pos++;
		t.type = T_SPECIAL;
		t.len = 1;
		return t;
	}
	if (!is_atext(c)) {
		lx->err = c < 0x20 || c == 0x7f ? "control character"
						: "character not allowed here";
		return t;
	}
	while (lx->pos < lx->len && is_atext(lx->s[lx->pos]))
		lx->pos++;
	t.type = T_ATOM;
	t.len = lx->pos - start;
	return t;
}

static bool
is_special(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->p[0] == c;
}

struct alist {
	struct lexer lx;
	struct tok cur;
	addr_list_cb cb;
	void *ctx;
	bool stopped;
	size_t spec_end; /* offset just past the last token put in a spec */
};

static void
advance(struct alist *al)
{
	al->cur = next_tok(&al->lx);
	if (al->cur.type == T_ERROR && al->lx.err == NULL)
		al->lx.err = "syntax error";
}

static bool
fail(struct alist *al, const char *why)
{
	if (al->lx.err == NULL)
		al->lx.err = why;
	return false;
}

/* Append token bytes to the reassembled address. */
static bool
append(struct alist *al, char *buf, size_t *n, const struct tok *t)
{
	if (*n + t->len > ADDR_MAX + 1)
		return false;
	al->spec_end = (size_t)((const unsigned char *)t->p - al->lx.s) +
	    t->len;
	memcpy(buf + *n, t->p, t->len);
	*n += t->len;
	return true;
}

static bool
emit(struct alist *al, const char *buf, size_t n)
{
	if (al->cb(al->ctx, buf, n, al->spec_end) != 0) {
		al->stopped = true;
		return false;
	}
	return true;
}

/* Domain after "@": dot-atom or literal, appended to buf. */
static bool
parse_domain(struct alist *al, char *buf, size_t *n)
{
	if (al->cur.type == T_LITERAL) {
		if (!append(al, buf, n, &al->cur))
			return fail(al, "address too long");
		advance(al);
		return true;
	}
	for (;;) {
		if (al->cur.type != T_ATOM)
			return fail(al, "domain expected after '@'");
		if (!append(al, buf, n, &al->cur))
			return fail(al, "address too long");
		advance(al);
		if (!is_special(&al->cur, '.'))
			return true;
		if (!append(al, buf, n, &al->cur))
			return fail(al, "address too long");
		advance(al);
	}
}

/* "@" and the domain after it, appended to buf. */
static bool
parse_at_domain(struct alist *al, char *buf, size_t *n)
{
	if (!append(al, buf, n, &al->cur))
		return fail(al, "address too long");
	advance(al);
	return parse_domain(al, buf, n);
}

/* Inside <...>: addr-spec, or a bare name. */
static bool
parse_angle(struct alist *al)
{
	char buf[ADDR_MAX + 2];
	size_t n = 0;

	advance(al); /* '<' */
	if (is_special(&al->cur, '@'))
		return fail(al, "source routes are not accepted");
	if (is_special(&al->cur, '>'))
		return fail(al, "empty address <>");
	while (al->cur.type == T_ATOM || al->cur.type == T_QSTR ||
	    is_special(&al->cur, '.')) {
		if (!append(al, buf, &n, &al->cur))
			return fail(al, "address too long");
		advance(al);
	}
	if (is_special(&al->cur, '@') && !parse_at_domain(al, buf, &n))
		return false;
	if (!is_special(&al->cur, '>'))
		return fail(al, "'>' expected");
	if (n == 0)
		return fail(al, "empty address");
	advance(al);
	return emit(al, buf, n);
}

/* One mailbox: name-addr or addr-spec (or a bare name). The words seen
 * first are either a display name or the local part. */
static bool
parse_mailbox(struct alist *al, bool in_group)
{
	char buf[ADDR_MAX + 2];
	size_t n = 0;
	size_t words = 0;
	bool fits = true;

	while (al->cur.type == T_ATOM || al->cur.type == T_QSTR ||
	    is_special(&al->cur, '.')) {
		if (fits && !append(al, buf, &n, &al->cur))
			fits = false; /* a long display name is fine */
		words++;
		if (words > ADDR_TOKENS_MAX)
			return fail(al, "too many words in one address");
		advance(al);
	}
	if (al->cur.type == T_ERROR)
		return false;
	if (is_special(&al->cur, '<'))
		return parse_angle(al);
	if (is_special(&al->cur, ':')) /* the caller takes groups */
		return fail(al, in_group ? "nested group" : "unexpected ':'");
	if (words == 0)
		return fail(al, "address expected");
	if (!fits)
		return fail(al, "address too long");
	if (is_special(&al->cur, '@') && !parse_at_domain(al, buf, &n))
		return false;
	return emit(al, buf, n);
}

/* addr_list_parse - see addr.h */
enum alist_status
addr_list_parse(const char *s, size_t len, addr_list_cb cb, void *ctx,
    const char **errstr)
{
	struct alist al;

	memset(&al, 0, sizeof(al));
	al.lx.s = (const unsigned char *)s;
	al.lx.len = len;
	al.cb = cb;
	al.ctx = ctx;
	*errstr = NULL;
	advance(&al);
	while (al.cur.type != T_END) {
		if (al.cur.type == T_ERROR)
			goto bad;
		if (is_special(&al.cur, ',')) {
			advance(&al); /* empty element */
			continue;
		}
		/* A group is "phrase :" - look ahead without consuming. */
		struct lexer save = al.lx;
		struct tok save_cur = al.cur;
		bool group = false;

		while (al.cur.type == T_ATOM || al.cur.type == T_QSTR ||
		    is_special(&al.cur, '.'))
			advance(&al);
		if (is_special(&al.cur, ':'))
			group = true;
		if (!group) {
			al.lx = save;
			al.cur = save_cur;
			if (!parse_mailbox(&al, false))
				goto bad;
		} else {
			advance(&al); /* ':' */
			while (!is_special(&al.cur, ';')) {
				if (al.cur.type == T_END) {
					fail(&al, "group without ';'");
					goto bad;
				}
				if (is_special(&al.cur, ',')) {
					advance(&al);
					continue;
				}
				if (!parse_mailbox(&al, true))
					goto bad;
				if (!is_special(&al.cur, ',') &&
				    !is_special(&al.cur, ';')) {
					fail(&al, "',' or ';' expected");
					goto bad;
				}
			}
			advance(&al); /* ';' */
		}
		if (al.cur.type != T_END && !is_special(&al.cur, ',')) {
			fail(&al, "',' expected between addresses");
			goto bad;
		}
	}
	return ALIST_OK;
bad:
	if (al.stopped)
		return ALIST_STOPPED;
	*errstr = al.lx.err != NULL ? al.lx.err : "syntax error";
	return ALIST_SYNTAX;
}
