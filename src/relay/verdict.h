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

/* At most this many refused recipients are named on stderr; the log
 * names each. */
#define VERDICT_NAMED 10
/* The bytes verdict_refused_lines writes at most (with its '\0'). */
#define VERDICT_NAMED_SIZE (VERDICT_NAMED * 2048 + 64)

/* verdict_refused_lines - the recipients the relay refused (a reply code
 * of at least min_code) of a message that others got, for stderr: one
 * line each, "refused <ADDR>: REPLY", made printable (the addresses come
 * from the caller, the replies from the relay), at most VERDICT_NAMED,
 * then "and N more refused (the log names each)"; joined by '\n', no
 * '\n' at the end. out holds VERDICT_NAMED_SIZE bytes. Returns how many
 * were refused in all. */
size_t verdict_refused_lines(const struct smtp_result *r, size_t nrcpt,
    const char *(*rcpt)(const void *ctx, size_t i), const void *ctx,
    int min_code, char *out);

#endif
