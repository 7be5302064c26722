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
/* -bs: where the back end writes its one-line SMTP verdict */
#define HANDOFF_STATUS_FD 5

/* handoff_envelope - a sealed memfd holding e's text, at offset 0. */
int handoff_envelope(const struct spool_env *e, struct failure *f);

/* handoff_deliver_args - the back end's command line for one message:
 * "safemail-relay MODE [-v] STARTED" (MODE deliver, or verdict for -bs),
 * into args (5 slots); started is the buffer for the time. */
void handoff_deliver_args(const char *args[5], char started[32],
    const char *mode, bool verbose, double at);

/* handoff_exec - replace this process by the back end with args (args[0]
 * is its name); envfd and msgfd (or -1) land on descriptors 3 and 4. The
 * overrides the front end honoured (not set-ID) are passed on. Returns
 * only on failure. */
int handoff_exec(const struct startup *st, const char *const *args,
    int envfd, int msgfd, struct failure *f);

/* handoff_run - as handoff_exec, but in a child the front end waits for
 * (-bs, which carries many messages): the back end's SMTP-style verdict
 * ("250 2.0.0 ...", "550 5.1.1 ...") is read into status. Returns the
 * back end's exit status, or -1. */
int handoff_run(const struct startup *st, const char *const *args,
    int envfd, int msgfd, char *status, size_t ssz, struct failure *f);

/* handoff_detached - start the back end in the background for one
 * spooled message: its own session, descriptors 0-2 on /dev/null, so the
 * caller neither waits for it nor has its pipes held open. */
void handoff_detached(const struct startup *st, const char *qid);

#endif
