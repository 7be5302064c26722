/* token.h - the relay client's OAuth2 access token (auth = xoauth2 or
 * oauthbearer): from the cache under <spool>/run, or from the token
 * endpoint over HTTPS (libcurl, a handle of its own), with the
 * client-credentials or the refresh-token grant (RFC 6749 4.4, 6).
 *
 * The cache is a file per client and mailbox, mode 0660 in <spool>/run
 * (rundir.h): every relay client and the queue runner share it, no
 * caller can reach it; without the directory a token serves one session. The client secret, the refresh token and the
 * access token never reach a log line, stderr or an argv. */
#ifndef SAFEMAIL_TOKEN_H
#define SAFEMAIL_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "oauth2.h"

/* token_get - a token usable now. fresh: skip the cache (--check, or a
 * token the relay has just refused). *fetched: it came from the endpoint.
 * why: what failed, for people, naming the step and the endpoint. */
enum oauth2_outcome token_get(const struct conf *c, bool fresh, bool verbose,
    struct oauth2_token *tok, bool *fetched, char *why, size_t whysz);

/* token_forget - the relay refused tok: drop it from the cache (unless
 * another process has already put a newer one there). */
void token_forget(const struct conf *c, const struct oauth2_token *tok);

#endif
