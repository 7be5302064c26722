/* test_oauth2.c - the token endpoint's answer and the cache format */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth2.h"
#include "tap.h"

static struct oauth2_token tok;
static char why[512];

static enum oauth2_outcome
answer(long status, const char *body)
{
	return oauth2_parse_answer(status, body, strlen(body), 1000, &tok, why,
	    sizeof(why));
}

int
main(void)
{
	char big[OAUTH2_TOKEN_MAX + 200], buf[OAUTH2_TOKEN_MAX + 128];
	size_t len;

	ok(answer(200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
		       "\"ext_expires_in\":3599,\"access_token\":\"eyJ0.a-b_c.d\"}"
		       "\r\n") == OAUTH2_OK &&
		strcmp(tok.value, "eyJ0.a-b_c.d") == 0 &&
		tok.expires_at == 1000 + 3599,
	    "Microsoft's answer: the token and its expiry");
	ok(answer(200, "{\"access_token\":\"ya29.x\",\"expires_in\":\"3600\","
		       "\"token_type\":\"bearer\",\"scope\":\"https://mail."
		       "google.com/\"}") == OAUTH2_OK &&
		tok.expires_at == 4600,
	    "expires_in as a string (Azure AD v1), token_type any case");
	ok(answer(200, "{\"access_token\":\"t\"}") == OAUTH2_OK &&
		tok.expires_at == 0 && !oauth2_fresh(&tok, 1000),
	    "no expires_in: used once, never taken as fresh from a cache");
	ok(answer(200, "{\"access_token\":\"a\\u0001auth=Bearer x\","
		       "\"expires_in\":60}") == OAUTH2_TEMP &&
		tok.value[0] == '\0' && strstr(why, "no usable access_token"),
	    "a control byte in the token (AUTH line injection): not used");
	ok(answer(200, "{\"access_token\":\"a b\"}") == OAUTH2_TEMP,
	    "a space in the token: not used");
	ok(answer(200, "{\"access_token\":\"t\",\"token_type\":\"mac\"}") ==
		OAUTH2_REFUSED,
	    "a token that is not a bearer token: refused");
	ok(answer(200, "{\"access_token\":42}") == OAUTH2_TEMP,
	    "access_token not a string");
	ok(answer(200, "[\"access_token\"]") == OAUTH2_TEMP &&
		strstr(why, "not a JSON object"),
	    "not an object");
	ok(answer(200, "{\"access_token\":\"t\"} trailing") == OAUTH2_TEMP,
	    "text after the object");
	ok(answer(200, "{\"access_token\":\"t\"") == OAUTH2_TEMP,
	    "a cut answer");
	ok(answer(200, "{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}") == OAUTH2_TEMP,
	    "nesting deeper than 8: not parsed");
	ok(answer(200, "{\"access_token\":\"t\",\"expires_in\":-5}") ==
		    OAUTH2_OK &&
		tok.expires_at == 0,
	    "a negative expires_in is no expiry");
	ok(answer(200, "{\"access_token\":\"t\",\"expires_in\":"
		       "99999999999999999999}") == OAUTH2_OK &&
		tok.expires_at == 0,
	    "an absurd expires_in is no expiry, not an overflow");

	memset(big, 'A', sizeof(big));
	memcpy(big, "{\"access_token\":\"", 17);
	memcpy(big + 17 + OAUTH2_TOKEN_MAX + 1, "\"}", 3);
	ok(answer(200, big) == OAUTH2_TEMP, "a token over 16 KiB: not used");
	memcpy(big + 17 + OAUTH2_TOKEN_MAX, "\"}", 3);
	ok(answer(200, big) == OAUTH2_OK &&
		strlen(tok.value) == OAUTH2_TOKEN_MAX,
	    "a token of exactly 16 KiB is taken");

	ok(answer(401, "{\"error\":\"invalid_client\",\"error_description\":"
		       "\"AADSTS7000215: Invalid client secret provided.\\r\\n"
		       "Trace ID: 1\"}") == OAUTH2_REFUSED,
	    "401 invalid_client: refused");
	is_str(why, "invalid_client: AADSTS7000215: Invalid client secret "
		    "provided. (HTTP 401)",
	    "  the error and the first line of its description");
	ok(answer(400, "{\"error\":\"invalid_grant\",\"error_description\":"
		       "\"Bad \\u001b[31mRequest\"}") == OAUTH2_REFUSED,
	    "400 invalid_grant: refused");
	is_str(why, "invalid_grant: Bad \\x1b[31mRequest (HTTP 400)",
	    "  a terminal escape in the description is shown harmless");
	ok(answer(400, "{\"error\":\"temporarily_unavailable\"}") ==
		OAUTH2_TEMP,
	    "temporarily_unavailable: try later");
	ok(answer(503, "<html>busy</html>") == OAUTH2_TEMP, "503: try later");
	is_str(why, "HTTP 503 without an OAuth2 error", "  said so");
	ok(answer(429, "") == OAUTH2_TEMP, "429: try later");
	ok(answer(404, "not found") == OAUTH2_REFUSED, "404: the admin's");
	ok(answer(302, "") == OAUTH2_REFUSED && strstr(why, "redirects"),
	    "a redirect is not followed: the admin's");

	/* the cache file */
	(void)snprintf(tok.value, sizeof(tok.value), "eyJ.tok-en_1");
	tok.expires_at = 5000;
	ok(oauth2_cache_format(&tok, buf, sizeof(buf), &len), "cache: written");
	is_str(buf, "safemail-oauth2 1\nexpires 5000\ntoken eyJ.tok-en_1\n",
	    "  its format");
	{
		struct oauth2_token back;

		ok(oauth2_cache_parse(buf, len, &back) &&
			strcmp(back.value, tok.value) == 0 &&
			back.expires_at == 5000,
		    "  read back");
		ok(oauth2_fresh(&back, 5000 - OAUTH2_EXPIRY_MARGIN - 1) &&
			!oauth2_fresh(&back, 5000 - OAUTH2_EXPIRY_MARGIN),
		    "  fresh until a minute before it expires");
		ok(oauth2_cache_plausible(&back, 5000 - OAUTH2_EXPIRES_IN_MAX) &&
			!oauth2_cache_plausible(&back,
			    4999 - OAUTH2_EXPIRES_IN_MAX),
		    "  plausible up to ten years ahead, not a second more");
		ok(!oauth2_cache_parse(buf, len - 1, &back) &&
			back.value[0] == '\0',
		    "  without its last line end: not taken");
		buf[len - 3] = '\x01';
		ok(!oauth2_cache_parse(buf, len, &back),
		    "  a control byte: not taken");
		ok(!oauth2_cache_parse("safemail-oauth2 1\nexpires x\ntoken t\n",
		       34, &back),
		    "  a bad expiry: not taken");
		ok(!oauth2_cache_parse("safemail-oauth2 2\nexpires 1\ntoken t\n",
		       34, &back),
		    "  another version: not taken");
	}
	oauth2_wipe(&tok);
	ok(tok.value[0] == '\0' && tok.expires_at == 0, "wiped");
	return done_testing();
}
