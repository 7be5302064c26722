/* text.h - small pure helpers for bytes and strings */
#ifndef SAFEMAIL_TEXT_H
#define SAFEMAIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Copy s into out for display: control bytes and backslash escaped as \xNN,
 * cut to at most max input bytes with "..." appended. Always terminated. */
void text_show(char *out, size_t outsz, const char *s, size_t len, size_t max);

/* ASCII lower-case of one character; other bytes unchanged. */
static inline char
text_fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive equality of two NUL-terminated strings. */
bool text_ieq(const char *a, const char *b);

/* The same for [a, a+alen) against the NUL-terminated b. */
bool text_ieqn(const char *a, size_t alen, const char *b);

/* Lower-case ASCII letters in place. */
void text_lower(char *s);

/* True when [s, s+len) is well-formed UTF-8 with no control characters. */
bool text_is_clean_utf8(const char *s, size_t len);

/* True when s holds only ASCII decimal digits (at least one), and its value,
 * at most max, is stored in *out. */
bool text_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Copy src into dst of dstsz bytes; false (dst empty) when it does not fit. */
bool text_copy(char *dst, size_t dstsz, const char *src, size_t len);

/* Copy as much of src as fits into dst (for texts shown to people, such
 * as a relay's reply, where the start is what matters). */
void text_cut(char *dst, size_t dstsz, const char *src, size_t len);

#endif
