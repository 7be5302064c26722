/* compose.c - the header fields safemail adds (pure) */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "compose.h"

/* snprintf that reports 0 when the text does not fit. */
static size_t
fit(int n, size_t sz)
{
	return n < 0 || (size_t)n >= sz ? 0 : (size_t)n;
}

size_t
compose_date(char *buf, size_t sz, time_t when)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	long off;

	if (localtime_r(&when, &tm) == NULL || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return 0;
	off = tm.tm_gmtoff / 60;
	return fit(snprintf(buf, sz, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
		       days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		       off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
		       (off < 0 ? -off : off) % 60),
	    sz);
}

static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A phrase of atoms separated by single spaces needs no quoting. */
static bool
is_plain_phrase(const char *s)
{
	bool prev_space = true;

	for (; *s != '\0'; s++) {
		if (*s == ' ') {
			if (prev_space)
				return false;
			prev_space = true;
		} else if (is_atext((unsigned char)*s)) {
			prev_space = false;
		} else {
			return false;
		}
	}
	return !prev_space;
}

struct out {
	char *buf;
	size_t sz;
	size_t len;
	size_t line; /* octets on the current line */
	bool full;
};

static void
put(struct out *o, const char *p, size_t n)
{
	if (o->full || o->len + n >= o->sz) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
	for (size_t i = 0; i < n; i++)
		o->line = p[i] == '\n' ? 0 : o->line + 1;
}

/* Bytes of the UTF-8 sequence that starts with c (input is valid). */
static size_t
utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
}

/* RFC 2047 5(3): in a phrase, a Q encoded word may hold letters, digits
 * and "!*+-/"; space is "_"; the rest is "=XX". Words are at most 75
 * octets, a character is never split between two, and a word that would
 * pass 76 octets on its line starts a new folded line. */
static void
put_encoded(struct out *o, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	char word[80];
	size_t wlen = 0;
	const char *p = name;

	while (*p != '\0') {
		size_t n = utf8_len((unsigned char)*p);
		char enc[12];
		size_t elen = 0;

		for (size_t i = 0; i < n && p[i] != '\0'; i++) {
			unsigned char c = (unsigned char)p[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') ||
			    strchr("!*+-/", c) != NULL) {
				enc[elen++] = (char)c;
			} else if (c == ' ') {
				enc[elen++] = '_';
			} else {
				enc[elen++] = '=';
				enc[elen++] = hex[c >> 4];
				enc[elen++] = hex[c & 15];
			}
		}
		/* "=?UTF-8?Q?" + text + "?=": at most 75 octets, and its
		 * line at most 76 */
		if (wlen > 0 && (10 + wlen + elen + 2 > 75 ||
				    o->line + 10 + wlen + elen + 2 > 76)) {
			put(o, "=?UTF-8?Q?", 10);
			put(o, word, wlen);
			put(o, "?=\r\n ", 5);
			wlen = 0;
		}
		memcpy(word + wlen, enc, elen);
		wlen += elen;
		p += n;
	}
	if (wlen > 0) {
		put(o, "=?UTF-8?Q?", 10);
		put(o, word, wlen);
		put(o, "?=", 2);
	}
}

size_t
compose_from(char *buf, size_t sz, const char *fullname, const char *addr)
{
	struct out o = {buf, sz, 0, 0, false};
	bool ascii = true;

	if (sz > 0)
		buf[0] = '\0';
	put(&o, "From: ", 6);
	if (fullname != NULL && fullname[0] != '\0') {
		for (const char *p = fullname; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				ascii = false;
		if (!ascii) {
			put_encoded(&o, fullname);
		} else if (is_plain_phrase(fullname)) {
			put(&o, fullname, strlen(fullname));
		} else {
			put(&o, "\"", 1);
			for (const char *p = fullname; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					put(&o, "\\", 1);
				put(&o, p, 1);
			}
			put(&o, "\"", 1);
		}
		if (o.line + strlen(addr) + 3 > 78)
			put(&o, "\r\n", 2);
		put(&o, " <", 2);
		put(&o, addr, strlen(addr));
		put(&o, ">", 1);
	} else {
		put(&o, addr, strlen(addr));
	}
	return o.full ? 0 : o.len;
}

size_t
compose_message_id(char *buf, size_t sz, const char *id, const char *domain)
{
	return fit(snprintf(buf, sz, "Message-ID: <%s@%s>", id, domain), sz);
}

size_t
compose_received(char *buf, size_t sz, const char *host, unsigned uid,
    const char *qid, time_t when)
{
	char date[64];

	if (compose_date(date, sizeof(date), when) == 0)
		return 0;
	return fit(snprintf(buf, sz,
		       "Received: by %s (safemail, from userid %u)\r\n\tid %s; %s",
		       host, uid, qid, date),
	    sz);
}
