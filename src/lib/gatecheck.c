/* gatecheck.c - what the gate itself holds a submission to (pure; see
 * gatecheck.h) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatecheck.h"
#include "text.h"
#include "limits.h"

static const char trace_prefix[] = "Received: by ";
static const char trace_mark[] = " (safemail, from userid ";

static bool
name_char(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* "Received" field name, any case */
static bool
is_received(const char *p, size_t len)
{
	return len >= 9 && strncasecmp(p, "Received:", 9) == 0;
}

/* The host of the trace line "Received: by HOST (safemail, from userid
 * N)": its offset and length after the prefix, or 0 when the line is not
 * one. */
static size_t
trace_host(const char *p, size_t len, const char **host)
{
	const char *mark;
	size_t plen = sizeof(trace_prefix) - 1;

	if (len <= plen || strncasecmp(p, trace_prefix, plen) != 0)
		return 0;
	mark = memmem(p + plen, len - plen, trace_mark, sizeof(trace_mark) - 1);
	if (mark == NULL || mark == p + plen)
		return 0;
	*host = p + plen;
	return (size_t)(mark - *host);
}

/* The first field: this back end's trace line for uid. */
static bool
own_trace(const char *p, size_t len, unsigned uid)
{
	const char *host;
	size_t hlen = trace_host(p, len, &host);
	char tail[64];
	int n = snprintf(tail, sizeof(tail), "%s%u)", trace_mark, uid);

	return hlen > 0 && n > 0 &&
	    len == sizeof(trace_prefix) - 1 + hlen + (size_t)n &&
	    memcmp(host + hlen, tail, (size_t)n) == 0;
}

/* The first field is the trace field the front end writes on this host:
 * the same name, byte for byte (a decoy first would let a forged one of
 * this host pass below it). */
static int
first_field(const char *line, size_t n, unsigned uid, const char *this_host,
    struct failure *f)
{
	const char *host;
	size_t hlen;

	if (!own_trace(line, n, uid)) {
		fail_set(f, FAIL_DATA,
		    "the message does not start with the trace field of uid %u",
		    uid);
		return -1;
	}
	hlen = trace_host(line, n, &host);
	if (hlen != strlen(this_host) || memcmp(host, this_host, hlen) != 0) {
		fail_set(f, FAIL_DATA,
		    "the trace field names the host %.*s, not this host (%s)",
		    (int)(hlen < 64 ? hlen : 64), host, this_host);
		return -1;
	}
	return 0;
}

/* The continuation of the first field is the front end's "\tid QID;
 * DATE" and nothing else: no second clause hides in the trusted field. */
static bool
own_trace_tail(const char *p, size_t n)
{
	size_t i = 4;

	if (n < 4 + SPOOL_QID_LEN + 3 || memcmp(p, "\tid ", 4) != 0)
		return false;
	for (; i < 4 + SPOOL_QID_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	if (p[i++] != ';' || p[i++] != ' ')
		return false;
	for (; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && strchr(" ,:+-", p[i]) == NULL)
			return false;
	return true;
}

static bool
host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.';
}

/* Does the field text name host as a word of its own (any case, a
 * trailing dot allowed)? */
static bool
names_host(const char *p, size_t n, const char *host, size_t hlen)
{
	for (size_t i = 0; hlen > 0 && i + hlen <= n; i++) {
		size_t end = i + hlen;

		if (strncasecmp(p + i, host, hlen) != 0 ||
		    (i > 0 && host_char(p[i - 1])))
			continue;
		while (end < n && p[end] == '.')
			end++;
		if (end == n || !host_char(p[end]))
			return true;
	}
	return false;
}

/* A later Received field, whole (with its continuation lines), that
 * mentions safemail and this host in any spelling: a second hop through
 * this host's safemail, which only a caller writes (two spaces, a tab, a
 * fold, "from HOST by HOST", "HOST." all count). */
static bool
forged_hop(const char *p, size_t n, const char *host, size_t hlen)
{
	static const char word[] = "safemail";
	bool says_safemail = false;

	for (size_t i = 0; i + sizeof(word) - 1 <= n && !says_safemail; i++)
		says_safemail = strncasecmp(p + i, word, sizeof(word) - 1) == 0;
	return says_safemail && names_host(p, n, host, hlen);
}

/* Where the header field starting at p ends: after its last line's
 * CRLF (continuation lines start with a space or a tab). */
static size_t
field_length(const char *p, size_t len)
{
	size_t at = 0;

	do {
		const char *lf = memchr(p + at, '\n', len - at);

		at = lf != NULL ? (size_t)(lf - p) + 1 : len;
	} while (at < len && (p[at] == ' ' || p[at] == '\t'));
	return at;
}

int
gatecheck_message(const char *p, size_t len, unsigned uid,
    const char *this_host, struct failure *f)
{
	const char *own_host = NULL;
	size_t own_hlen = 0, lineno = 0, fields = 0, first_tails = 0;
	bool header = true;

	if (len < 2 || p[len - 2] != '\r' || p[len - 1] != '\n') {
		fail_set(f, FAIL_DATA, "the message does not end with CRLF");
		return -1;
	}
	for (size_t at = 0; at < len;) {
		const char *line = p + at;
		size_t n = 0;

		lineno++;
		/* one line: no NUL, CR only before LF, LF only after CR */
		while (line[n] != '\r' && line[n] != '\n' && line[n] != '\0')
			n++;
		if (line[n] == '\0') {
			fail_set(f, FAIL_DATA, "line %zu holds a NUL", lineno);
			return -1;
		}
		if (line[n] == '\n' || line[n + 1] != '\n') {
			fail_set(f, FAIL_DATA, "line %zu holds a bare %s", lineno,
			    line[n] == '\n' ? "LF" : "CR");
			return -1;
		}
		if (n > LINE_MAX_OCTETS) {
			fail_set(f, FAIL_DATA,
			    "line %zu is longer than %d octets", lineno,
			    LINE_MAX_OCTETS);
			return -1;
		}
		at += n + 2;
		if (!header)
			continue;
		if (n == 0) {
			header = false;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (fields == 0) {
				fail_set(f, FAIL_DATA, "the header block "
						       "starts with a "
						       "continuation line");
				return -1;
			}
			if (fields == 1 && (first_tails++ > 0 ||
					       !own_trace_tail(line, n))) {
				fail_set(f, FAIL_DATA, "line %zu: the trace "
						       "field goes on with "
						       "other text",
				    lineno);
				return -1;
			}
			continue;
		}
		{
			size_t name = 0;

			while (name < n && name_char((unsigned char)line[name]))
				name++;
			if (name == 0 || name == n || line[name] != ':') {
				fail_set(f, FAIL_DATA,
				    "line %zu is not a header field", lineno);
				return -1;
			}
		}
		if (fields++ == 0) {
			if (first_field(line, n, uid, this_host, f) != 0)
				return -1;
			own_hlen = trace_host(line, n, &own_host);
		} else if (is_received(line, n) &&
		    forged_hop(line, field_length(line, (size_t)(p + len - line)),
			own_host, own_hlen)) {
			fail_set(f, FAIL_DATA,
			    "line %zu: a forged safemail trace field", lineno);
			return -1;
		}
	}
	if (header) {
		fail_set(f, FAIL_DATA, "the header block does not end");
		return -1;
	}
	return 0;
}

void
gatecheck_bookkeeping(struct spool_env *e, long long now)
{
	e->created = now;
	e->next_try = now;
	e->attempts = 0;
	e->held = false;
	e->is_bounce = false;
	e->error[0] = '\0';
	e->script[0] = '\0'; /* the gate's to find in the message */
	e->origin[0] = '\0'; /* and to read from /proc */
	for (size_t i = 0; i < e->nrcpt; i++) {
		e->rcpt[i].state = RCPT_PENDING;
		e->rcpt[i].reply[0] = '\0';
	}
}

/* One X-PHP-Originating-Script value (after the colon): "UID:FILE" */
static bool
php_script_value(const char *v, size_t vl, unsigned *uid, char *file,
    size_t filesz)
{
	size_t k = 0, o = 0;
	char digits[12];
	unsigned long u;

	while (k < vl && (v[k] == ' ' || v[k] == '\t'))
		k++;
	while (k < vl && v[k] >= '0' && v[k] <= '9' && o < sizeof(digits) - 1)
		digits[o++] = v[k++];
	digits[o] = '\0';
	if (k >= vl || v[k] != ':' || !text_parse_uint(digits, 4294967295UL, &u))
		return false;
	k++;
	for (o = 0; k < vl && o + 1 < filesz; k++)
		file[o++] = v[k] >= 0x20 && v[k] < 0x7f ? v[k] : '?';
	file[o] = '\0';
	*uid = (unsigned)u;
	return true;
}

enum php_script
gatecheck_php_script(const char *p, size_t len, unsigned *uid, char *file,
    size_t filesz)
{
	static const char name[] = "x-php-originating-script:";
	const size_t nl = sizeof(name) - 1;
	enum php_script found = PHP_SCRIPT_NONE;
	size_t i = 0;

	while (i < len) {
		const char *eol = memchr(p + i, '\n', len - i);
		size_t end = eol != NULL ? (size_t)(eol - p) : len;
		size_t n = end > i && p[end - 1] == '\r' ? end - 1 - i : end - i;

		if (n == 0)
			break; /* the end of the header block */
		if (n >= nl && text_ieqn(p + i, nl, name)) {
			/* one that says who, or none: a second (which did
			 * PHP write?) or a malformed one says nothing */
			if (found != PHP_SCRIPT_NONE)
				return PHP_SCRIPT_SEVERAL;
			if (!php_script_value(p + i + nl, n - nl, uid, file,
				filesz))
				return PHP_SCRIPT_MALFORMED;
			found = PHP_SCRIPT_ONE;
		}
		i = end + 1;
	}
	return found;
}
