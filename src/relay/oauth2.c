/* oauth2.c - the token endpoint's answer and the cache format (oauth2.h) */
#include "config.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth2.h"
#include "text.h"

/* Ten years: more than any endpoint gives, less than any overflow. */

bool
oauth2_token_ok(const char *s, size_t len)
{
	if (len == 0 || len > OAUTH2_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static const char *
string_field(json_object *o, const char *name, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* expires_in: a number, or (older Azure AD v1 answers) a string of
 * digits; -1 when absent or unusable */
static long long
expires_in(json_object *o)
{
	json_object *v;
	unsigned long n;

	if (!json_object_object_get_ex(o, "expires_in", &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		return i > 0 && i <= OAUTH2_EXPIRES_IN_MAX ? (long long)i : -1;
	}
	if (json_object_is_type(v, json_type_string) &&
	    text_parse_uint(json_object_get_string(v),
		(unsigned long)OAUTH2_EXPIRES_IN_MAX, &n) &&
	    n > 0)
		return (long long)n;
	return -1;
}

/* "error: description" for people, both shown safely */
static void
describe_error(json_object *o, char *why, size_t whysz, long status)
{
	size_t elen = 0, dlen = 0;
	const char *err = o != NULL ? string_field(o, "error", &elen) : NULL;
	const char *desc =
	    o != NULL ? string_field(o, "error_description", &dlen) : NULL;
	char e[80], d[320];

	if (err == NULL) {
		(void)snprintf(why, whysz, "HTTP %ld without an OAuth2 error",
		    status);
		return;
	}
	text_show(e, sizeof(e), err, elen, 64);
	if (desc == NULL) {
		(void)snprintf(why, whysz, "%s (HTTP %ld)", e, status);
		return;
	}
	/* Microsoft's descriptions run over several lines: the first is
	 * the one that says what is wrong */
	for (size_t i = 0; i < dlen; i++)
		if (desc[i] == '\r' || desc[i] == '\n') {
			dlen = i;
			break;
		}
	text_show(d, sizeof(d), desc, dlen, 300);
	(void)snprintf(why, whysz, "%s: %s (HTTP %ld)", e, d, status);
}

/* an "error" that says the endpoint, not the request, is at fault */
static bool
temporary_error(json_object *o)
{
	size_t len;
	const char *err = o != NULL ? string_field(o, "error", &len) : NULL;

	return err != NULL && (strcmp(err, "temporarily_unavailable") == 0 ||
				  strcmp(err, "server_error") == 0);
}

static json_object *
parse_json(const char *body, size_t len)
{
	struct json_tokener *tk;
	json_object *o;
	size_t end;

	if (len == 0 || len > OAUTH2_BODY_MAX)
		return NULL;
	tk = json_tokener_new_ex(8);
	if (tk == NULL)
		return NULL;
	o = json_tokener_parse_ex(tk, body, (int)len);
	end = json_tokener_get_parse_end(tk);
	if (o != NULL && json_tokener_get_error(tk) == json_tokener_success &&
	    json_object_is_type(o, json_type_object)) {
		while (end < len && (body[end] == ' ' || body[end] == '\t' ||
					body[end] == '\r' || body[end] == '\n'))
			end++;
		if (end == len) {
			json_tokener_free(tk);
			return o;
		}
	}
	json_object_put(o);
	json_tokener_free(tk);
	return NULL;
}

enum oauth2_outcome
oauth2_parse_answer(long status, const char *body, size_t len, long long now,
    struct oauth2_token *tok, char *why, size_t whysz)
{
	json_object *o = parse_json(body, len);
	enum oauth2_outcome out;

	oauth2_wipe(tok);
	why[0] = '\0';
	if (status == 200) {
		size_t tlen = 0, tylen = 0;
		const char *t = o != NULL ? string_field(o, "access_token", &tlen)
					  : NULL;
		const char *type =
		    o != NULL ? string_field(o, "token_type", &tylen) : NULL;
		long long in = o != NULL ? expires_in(o) : -1;

		if (o == NULL) {
			(void)snprintf(why, whysz, "%s",
			    "HTTP 200 but the answer is not a JSON object");
			out = OAUTH2_TEMP;
		} else if (t == NULL || !oauth2_token_ok(t, tlen)) {
			(void)snprintf(why, whysz,
			    "HTTP 200 but no usable access_token (%s)",
			    t == NULL ? "none" : "not 1 to 16384 visible ASCII "
						 "characters");
			out = OAUTH2_TEMP;
		} else if (type != NULL && !text_ieq(type, "bearer")) {
			(void)snprintf(why, whysz, "%s",
			    "token_type is not Bearer");
			out = OAUTH2_REFUSED;
		} else {
			memcpy(tok->value, t, tlen);
			tok->value[tlen] = '\0';
			tok->expires_at = in > 0 ? now + in : 0;
			out = OAUTH2_OK;
		}
	} else if (status == 408 || status == 429 || status >= 500 ||
		   temporary_error(o)) {
		describe_error(o, why, whysz, status);
		out = OAUTH2_TEMP;
	} else if (status >= 300 && status < 400) {
		(void)snprintf(why, whysz,
		    "the endpoint redirects (HTTP %ld): set oauth2_token_url "
		    "to the final address",
		    status);
		out = OAUTH2_REFUSED;
	} else {
		describe_error(o, why, whysz, status);
		out = OAUTH2_REFUSED;
	}
	json_object_put(o);
	return out;
}

static const char cache_magic[] = "safemail-oauth2 1\n";

bool
oauth2_cache_format(const struct oauth2_token *tok, char *buf, size_t bufsz,
    size_t *len)
{
	int n = snprintf(buf, bufsz, "%sexpires %lld\ntoken %s\n", cache_magic,
	    tok->expires_at, tok->value);

	if (n < 0 || (size_t)n >= bufsz)
		return false;
	*len = (size_t)n;
	return true;
}

bool
oauth2_cache_parse(const char *buf, size_t len, struct oauth2_token *tok)
{
	const size_t ml = sizeof(cache_magic) - 1;
	const char *p = buf, *end = buf + len, *nl;
	char digits[24];
	unsigned long exp;
	size_t n;

	oauth2_wipe(tok);
	if (len < ml || memcmp(p, cache_magic, ml) != 0)
		return false;
	p += ml;
	if ((size_t)(end - p) < 8 || memcmp(p, "expires ", 8) != 0)
		return false;
	p += 8;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL || (size_t)(nl - p) >= sizeof(digits))
		return false;
	memcpy(digits, p, (size_t)(nl - p));
	digits[nl - p] = '\0';
	if (!text_parse_uint(digits, 99999999999UL, &exp))
		return false;
	p = nl + 1;
	if ((size_t)(end - p) < 6 || memcmp(p, "token ", 6) != 0)
		return false;
	p += 6;
	if (end - p < 2 || end[-1] != '\n')
		return false;
	n = (size_t)(end - 1 - p);
	if (!oauth2_token_ok(p, n))
		return false;
	memcpy(tok->value, p, n);
	tok->value[n] = '\0';
	tok->expires_at = (long long)exp;
	return true;
}

bool
oauth2_cache_plausible(const struct oauth2_token *tok, long long now)
{
	return tok->expires_at <= now + OAUTH2_EXPIRES_IN_MAX;
}

bool
oauth2_fresh(const struct oauth2_token *tok, long long now)
{
	return tok->value[0] != '\0' &&
	    now < tok->expires_at - OAUTH2_EXPIRY_MARGIN;
}

void
oauth2_wipe(struct oauth2_token *tok)
{
	explicit_bzero(tok->value, sizeof(tok->value));
	tok->expires_at = 0;
}
