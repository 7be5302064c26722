/* text.c - small pure helpers for bytes and strings */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

/* text_show - a printable, bounded rendering of untrusted bytes */
void
text_show(char *out, size_t outsz, const char *s, size_t len, size_t max)
{
	size_t o = 0;
	size_t i;

	if (outsz == 0)
		return;
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		size_t n;

		if (c < 0x20 || c == 0x7f || c == '\\') {
			(void)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			n = 4;
		} else {
			tmp[0] = (char)c;
			n = 1;
		}
		if (o + n + 1 > outsz)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (i < len && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* text_ieq - ASCII case-insensitive string equality */
bool
text_ieq(const char *a, const char *b)
{
	return text_ieqn(a, strlen(a), b);
}

/* text_ieqn - the same with a counted first string */
bool
text_ieqn(const char *a, size_t alen, const char *b)
{
	for (size_t i = 0; i < alen; i++)
		if (b[i] == '\0' || text_fold(a[i]) != text_fold(b[i]))
			return false;
	return b[alen] == '\0';
}

/* text_lower - lower-case ASCII in place */
void
text_lower(char *s)
{
	for (; *s; s++)
		*s = text_fold(*s);
}

/* text_is_clean_utf8 - well-formed UTF-8 (RFC 3629), no C0/C1 controls */
bool
text_is_clean_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += n + 1;
	}
	return true;
}

/* text_parse_uint - strict decimal number, no sign, no spaces, bounded */
bool
text_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned long d = (unsigned long)(*s - '0');

		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* text_copy - bounded copy that refuses to truncate */
bool
text_copy(char *dst, size_t dstsz, const char *src, size_t len)
{
	if (dstsz == 0)
		return false;
	if (len >= dstsz) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* text_cut - see text.h */
void
text_cut(char *dst, size_t dstsz, const char *src, size_t len)
{
	if (dstsz == 0)
		return;
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}
