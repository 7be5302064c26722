/* handoff.h - the front end (safemail: argv, policy, the message; no
 * libcurl, no TLS) hands a message to the back end (safemail-relay) by
 * exec: the envelope, formatted as a spool envelope and sealed in a memfd,
 * on descriptor 3, the normalized message file on descriptor 4. The back
 * end parses the envelope again, strictly, and trusts nothing else of the
 * front end. A refused invocation, -bv and an async submission never load
 * libcurl or OpenSSL at all. */
#ifndef SAFEMAIL_HANDOFF_H
#define SAFEMAIL_HANDOFF_H

#include <stdbool.h>

#include "fail.h"
#include "spoolfmt.h"
#include "startup.h"

#define HANDOFF_ENVELOPE_FD 3
#define HANDOFF_MESSAGE_FD 4

/* handoff_envelope - a sealed memfd holding e's text, at offset 0. */
int handoff_envelope(const struct spool_env *e, struct failure *f);

/* handoff_exec - replace this process by the back end with args (args[0]
 * is its name); envfd and msgfd (or -1) land on descriptors 3 and 4. The
 * overrides the front end honoured (not set-ID) are passed on. Returns
 * only on failure. */
int handoff_exec(const struct startup *st, const char *const *args,
    int envfd, int msgfd, struct failure *f);

/* handoff_detached - start the back end in the background for one
 * spooled message: its own session, descriptors 0-2 on /dev/null, so the
 * caller neither waits for it nor has its pipes held open. */
void handoff_detached(const struct startup *st, const char *qid);

#endif
