/* explain.h - the replies admins search the web for (Microsoft 365's
 * 5.7.139, Gmail's 5.7.9, an ESP's unverified sender, ...), each with one
 * sentence: the likely cause and the key or setting to change. Pure: a
 * table matched on the reply code, the enhanced status code and the
 * text; safemail.ini(5) lists the same table. */
#ifndef SAFEMAIL_EXPLAIN_H
#define SAFEMAIL_EXPLAIN_H

#include <stdbool.h>

#include "fail.h"

/* How the session authenticates: some replies mean another thing with
 * a password than with an OAuth2 token (Gmail's 535 5.7.8). */
enum explain_auth {
	EXPLAIN_PASSWORD,
	EXPLAIN_OAUTH2
};

/* explain_reply - the sentence for a relay's reply ("550 5.7.30 Basic
 * authentication is not supported ..."), or NULL when it is not a known
 * one. Only 4xx and 5xx replies are explained. */
const char *explain_reply(const char *reply, enum explain_auth auth);

/* explain_add - "; hint: SENTENCE" at the end of f->msg when the reply is
 * a known one (the message is cut to make room: the hint is the part the
 * admin acts on). Returns whether it added one. */
bool explain_add(struct failure *f, const char *reply,
    enum explain_auth auth);

#endif
