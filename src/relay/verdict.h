/* verdict.h - what a relay's answer means for the caller (pure): the
 * failure kind (main.c turns it into the exit code) and one line. The
 * SMTP reply code decides, not libcurl's error alone: curl gives the same
 * error for 4xx and 5xx (notes/libcurl-and-inih.md 7). */
#ifndef SAFEMAIL_VERDICT_H
#define SAFEMAIL_VERDICT_H

#include "fail.h"
#include "relay.h"
#include "smtpc.h"

/* The session could not be opened. */
void verdict_session(const struct relay_status *st, const char *relay,
    struct failure *f);

/* The transaction ran (r) or broke (io carries the I/O failure). nrcpt
 * recipients were tried. Returns 0 only when every recipient has it. */
int verdict_transaction(const struct smtp_result *r, size_t nrcpt,
    const struct failure *io, struct failure *f);

#endif
