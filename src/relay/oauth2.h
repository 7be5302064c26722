/* oauth2.h - the OAuth2 token endpoint's answer and the token cache's
 * format (pure: no I/O; token.c does the fetching and the files).
 *
 * The answer is hostile input from the network: a bounded body, parsed
 * with json-c, and only the fields RFC 6749 section 5 names are used. The
 * token itself goes into the AUTH line (XOAUTH2, OAUTHBEARER), where the
 * \x01 separators and line ends mean structure, so only the visible ASCII
 * of RFC 6750's b64token is taken. */
#ifndef SAFEMAIL_OAUTH2_H
#define SAFEMAIL_OAUTH2_H

#include <stdbool.h>
#include <stddef.h>

/* A Microsoft 365 access token is 1.5 to 3 KiB, Google's about 250 bytes. */
#define OAUTH2_TOKEN_MAX 16384
/* The most of the endpoint's answer read. */
#define OAUTH2_BODY_MAX 65536
/* A token is used until this many seconds before it expires. */
#define OAUTH2_EXPIRY_MARGIN 60
/* The longest expires_in taken from an endpoint: ten years. */
#define OAUTH2_EXPIRES_IN_MAX 315360000LL

enum oauth2_outcome {
	OAUTH2_OK,
	OAUTH2_REFUSED, /* a 4xx with an OAuth2 "error": the admin must act */
	OAUTH2_TEMP,    /* 5xx, 429, or no usable answer: try again later */
};

struct oauth2_token {
	char value[OAUTH2_TOKEN_MAX + 1];
	long long expires_at; /* epoch seconds; 0: unknown */
};

/* oauth2_parse_answer - the endpoint's HTTP status and body. OAUTH2_OK:
 * tok filled in (expires_at from now and expires_in). Otherwise why is a
 * line for people: "invalid_client: AADSTS7000215: Invalid client
 * secret provided" with the description shown safely. */
enum oauth2_outcome oauth2_parse_answer(long status, const char *body,
    size_t len, long long now, struct oauth2_token *tok, char *why,
    size_t whysz);

/* oauth2_token_ok - visible ASCII (b64token and the like), 1 to
 * OAUTH2_TOKEN_MAX bytes */
bool oauth2_token_ok(const char *s, size_t len);

/* The cache file: "safemail-oauth2 1\nexpires EPOCH\ntoken TOKEN\n".
 * oauth2_cache_format writes it into buf (false: does not fit);
 * oauth2_cache_parse reads it back, false unless exact. */
bool oauth2_cache_format(const struct oauth2_token *tok, char *buf,
    size_t bufsz, size_t *len);
bool oauth2_cache_parse(const char *buf, size_t len,
    struct oauth2_token *tok);

/* oauth2_cache_plausible - an expiry an endpoint could have given at
 * now or before (at most OAUTH2_EXPIRES_IN_MAX ahead); a cache that
 * says more is not obeyed */
bool oauth2_cache_plausible(const struct oauth2_token *tok, long long now);

/* oauth2_fresh - usable at now: before expires_at less the margin */
bool oauth2_fresh(const struct oauth2_token *tok, long long now);

/* oauth2_wipe - clear the token's bytes */
void oauth2_wipe(struct oauth2_token *tok);

#endif
