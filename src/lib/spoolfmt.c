/* spoolfmt.c - the envelope file of a spooled message (pure) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spoolfmt.h"
#include "strbuf.h"
#include "text.h"

#define MAGIC "safemail-spool 1"
#define SPOOL_LINE_MAX 1200
#define NUMBER_MAX 1099511627776ULL /* 2^40: any time, size or count */

bool
spool_qid_ok(const char *s, size_t len)
{
	if (len != SPOOL_QID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

size_t
spool_pending(const struct spool_env *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nrcpt; i++)
		n += e->rcpt[i].state == RCPT_PENDING;
	return n;
}

long long
spool_next_try(long long now, unsigned attempts, const unsigned long *retry,
    size_t nretry)
{
	size_t i;

	if (nretry == 0)
		return now + 3600;
	i = attempts == 0 ? 0 : attempts - 1;
	if (i >= nretry)
		i = nretry - 1;
	return now + (long long)retry[i];
}

/* ---- writing ---- */

/* A relay's text on one line of printable bytes. */
static void
put_text(struct strbuf *b, const char *s)
{
	for (size_t i = 0; s[i] != '\0' && i < SMTP_REPLY_TEXT; i++) {
		char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];

		strbuf_put(b, &c, 1);
	}
}

bool
spool_env_head_uid(const char *buf, size_t len, unsigned *uid)
{
	static const char head[] = MAGIC "\nid ";
	const char *p, *end = buf + len;
	unsigned long v = 0;
	size_t digits = 0;

	if (len < sizeof(head) - 1 || memcmp(buf, head, sizeof(head) - 1) != 0)
		return false;
	/* the id and created lines, then "uid N\n" */
	p = memchr(buf + sizeof(head) - 1, '\n', len - (sizeof(head) - 1));
	if (p == NULL || (p = memchr(p + 1, '\n', (size_t)(end - p - 1))) ==
			     NULL ||
	    end - p < 6 || memcmp(p + 1, "uid ", 4) != 0)
		return false;
	for (p += 5; p < end && *p >= '0' && *p <= '9' && digits < 10;
	     p++, digits++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (digits == 0 || p >= end || *p != '\n' || v > 0xffffffffUL)
		return false;
	*uid = (unsigned)v;
	return true;
}

char *
spool_env_format(const struct spool_env *e, size_t *len)
{
	static const char *const states[] = {"pending", "sent", "failed"};
	struct strbuf b = {NULL, 0, 0, false};
	const char *sep = "";

	strbuf_putf(&b, MAGIC "\nid %s\ncreated %lld\nuid %u\nsender%s%s\n", e->qid,
	    e->created, e->uid, e->null_sender ? "" : " ",
	    e->null_sender ? "" : e->sender);
	strbuf_putf(&b, "size %llu\nattempts %u\nnext %lld\nflags", e->size,
	    e->attempts, e->next_try);
	if (e->eight_bit) {
		strbuf_putf(&b, "%s8bit", " ");
		sep = ",";
	}
	if (e->eight_bit_headers) {
		strbuf_putf(&b, "%sutf8", *sep ? sep : " ");
		sep = ",";
	}
	if (e->held) {
		strbuf_putf(&b, "%sheld", *sep ? sep : " ");
		sep = ",";
	}
	if (e->is_bounce)
		strbuf_putf(&b, "%sbounce", *sep ? sep : " ");
	strbuf_put(&b, "\n", 1);
	if (e->notify[0] != '\0')
		strbuf_putf(&b, "notify %s\n", e->notify);
	if (e->ret[0] != '\0')
		strbuf_putf(&b, "ret %s\n", e->ret);
	if (e->envid[0] != '\0')
		strbuf_putf(&b, "envid %s\n", e->envid);
	if (e->script[0] != '\0') {
		strbuf_put(&b, "script ", 7);
		put_text(&b, e->script);
		strbuf_put(&b, "\n", 1);
	}
	if (e->origin[0] != '\0') {
		strbuf_put(&b, "origin ", 7);
		put_text(&b, e->origin);
		strbuf_put(&b, "\n", 1);
	}
	if (e->error[0] != '\0') {
		strbuf_put(&b, "error ", 6);
		put_text(&b, e->error);
		strbuf_put(&b, "\n", 1);
	}
	for (size_t i = 0; i < e->nrcpt; i++) {
		strbuf_putf(&b, "rcpt %s %s", states[e->rcpt[i].state],
		    e->rcpt[i].addr);
		if (e->rcpt[i].state == RCPT_FAILED) {
			strbuf_put(&b, " ", 1);
			put_text(&b, e->rcpt[i].reply);
		}
		strbuf_put(&b, "\n", 1);
	}
	strbuf_put(&b, "end\n", 4);
	return strbuf_take(&b, len);
}

/* ---- reading ---- */

void
spool_env_free(struct spool_env *e)
{
	free(e->rcpt);
	e->rcpt = NULL;
	e->nrcpt = 0;
}

static bool
number(const char *v, unsigned long long max, unsigned long long *out)
{
	unsigned long long n = 0;

	if (*v == '\0' || strlen(v) > 20)
		return false;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return false;
		n = n * 10 + (unsigned)(*v - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

static bool
printable(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

static bool
address(const char *v, char out[ADDR_BUFSZ])
{
	return addr_check(v, strlen(v), ADDR_PROFILE_RECIPIENT, out) == ADDR_OK;
}

static bool
flags(struct spool_env *e, const char *v)
{
	char word[16];

	while (*v != '\0') {
		size_t n = strcspn(v, ",");

		if (n == 0 || n >= sizeof(word))
			return false;
		memcpy(word, v, n);
		word[n] = '\0';
		if (strcmp(word, "8bit") == 0)
			e->eight_bit = true;
		else if (strcmp(word, "utf8") == 0)
			e->eight_bit_headers = true;
		else if (strcmp(word, "held") == 0)
			e->held = true;
		else if (strcmp(word, "bounce") == 0)
			e->is_bounce = true;
		else
			return false;
		v += n;
		if (*v == ',')
			v++;
	}
	return true;
}

static bool
rcpt(struct spool_env *e, char *v)
{
	static const char *const states[] = {"pending", "sent", "failed"};
	struct spool_rcpt *r, *grown;
	char *addr = strchr(v, ' '), *reply;
	int st = -1;

	if (addr == NULL || e->nrcpt >= RCPT_CEILING)
		return false;
	*addr++ = '\0';
	for (int i = 0; i < 3; i++)
		if (strcmp(v, states[i]) == 0)
			st = i;
	reply = strchr(addr, ' ');
	if (reply != NULL)
		*reply++ = '\0';
	if (st < 0 || (reply != NULL) != (st == RCPT_FAILED) ||
	    (reply != NULL && !printable(reply, SMTP_REPLY_TEXT - 1)))
		return false;
	grown = realloc(e->rcpt, (e->nrcpt + 1) * sizeof(*e->rcpt));
	if (grown == NULL)
		return false;
	e->rcpt = grown;
	r = &e->rcpt[e->nrcpt];
	r->state = (enum rcpt_state)st;
	r->reply[0] = '\0';
	if (!address(addr, r->addr))
		return false;
	if (reply != NULL)
		memcpy(r->reply, reply, strlen(reply) + 1);
	e->nrcpt++;
	return true;
}

/* One "key value" line; each key but rcpt once (seen is a bit set). */
static bool
field(struct spool_env *e, char *line, unsigned *seen)
{
	static const char *const keys[] = {"id", "created", "uid", "sender",
	    "size", "attempts", "next", "flags", "notify", "ret", "envid",
	    "error", "script", "origin"};
	char *v = strchr(line, ' ');
	unsigned long long n;
	int k = -1;

	if (v != NULL)
		*v++ = '\0';
	else
		v = line + strlen(line);
	if (strcmp(line, "rcpt") == 0)
		return rcpt(e, v);
	for (int i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++)
		if (strcmp(line, keys[i]) == 0)
			k = i;
	if (k < 0 || (*seen & (1u << k)) != 0)
		return false;
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return spool_qid_ok(v, strlen(v)) &&
		    text_copy(e->qid, sizeof(e->qid), v, strlen(v));
	case 1:
		if (!number(v, NUMBER_MAX, &n))
			return false;
		e->created = (long long)n;
		return true;
	case 2:
		if (!number(v, 4294967295ULL, &n))
			return false;
		e->uid = (unsigned)n;
		return true;
	case 3:
		e->null_sender = *v == '\0';
		return e->null_sender || address(v, e->sender);
	case 4:
		return number(v, NUMBER_MAX, &e->size);
	case 5:
		if (!number(v, 1000000, &n))
			return false;
		e->attempts = (unsigned)n;
		return true;
	case 6:
		if (!number(v, NUMBER_MAX, &n))
			return false;
		e->next_try = (long long)n;
		return true;
	case 7:
		return flags(e, v);
	case 8:
		return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ,") == strlen(v) &&
		    text_copy(e->notify, sizeof(e->notify), v, strlen(v));
	case 9:
		return (strcmp(v, "FULL") == 0 || strcmp(v, "HDRS") == 0) &&
		    text_copy(e->ret, sizeof(e->ret), v, strlen(v));
	case 10:
		for (const char *p = v; *p != '\0'; p++)
			if (*p <= ' ' || *p >= 0x7f)
				return false;
		return text_copy(e->envid, sizeof(e->envid), v, strlen(v));
	case 11:
		return printable(v, SMTP_REPLY_TEXT - 1) &&
		    text_copy(e->error, sizeof(e->error), v, strlen(v));
	case 12:
		return printable(v, sizeof(e->script) - 1) &&
		    text_copy(e->script, sizeof(e->script), v, strlen(v));
	case 13:
		return printable(v, sizeof(e->origin) - 1) &&
		    text_copy(e->origin, sizeof(e->origin), v, strlen(v));
	default:
		return false;
	}
}

int
spool_env_parse(const char *buf, size_t len, struct spool_env *e,
    struct failure *f)
{
	char line[SPOOL_LINE_MAX + 1];
	size_t pos = 0, lineno = 0;
	unsigned seen = 0;
	bool ended = false;

	memset(e, 0, sizeof(*e));
	if (len > SPOOL_ENV_MAX || memchr(buf, '\0', len) != NULL) {
		fail_set(f, FAIL_DATA, "too large, or holds a NUL byte");
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n;

		lineno++;
		if (nl == NULL || ended) {
			fail_set(f, FAIL_DATA, "line %zu: %s", lineno,
			    ended ? "text after 'end'" : "no final newline");
			goto bad;
		}
		n = (size_t)(nl - (buf + pos));
		if (n > SPOOL_LINE_MAX) {
			fail_set(f, FAIL_DATA, "line %zu: too long", lineno);
			goto bad;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (lineno == 1) {
			if (strcmp(line, MAGIC) != 0) {
				fail_set(f, FAIL_DATA, "not a safemail spool "
						       "file");
				goto bad;
			}
			continue;
		}
		if (strcmp(line, "end") == 0) {
			ended = true;
			continue;
		}
		if (!field(e, line, &seen)) {
			fail_set(f, FAIL_DATA, "line %zu: invalid", lineno);
			goto bad;
		}
	}
	/* id, created, sender and size are required, and a recipient. */
	if (!ended || (seen & 0x1b) != 0x1b || e->nrcpt == 0) {
		fail_set(f, FAIL_DATA, "%s",
		    ended ? "a required line is missing"
			  : "truncated (no 'end' line)");
		goto bad;
	}
	return 0;
bad:
	spool_env_free(e);
	return -1;
}
