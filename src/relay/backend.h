/* backend.h - the back end's handling of one submitted message: sent now,
 * and when the relay fails temporarily, kept in the spool (unless
 * on_temp_failure = fail) with the recipients the relay did not take, so
 * that a message safemail accepted is never lost. */
#ifndef SAFEMAIL_BACKEND_H
#define SAFEMAIL_BACKEND_H

#include <stdbool.h>

#include "conf.h"
#include "deliver.h"
#include "fail.h"
#include "spool.h"
#include "spoolfmt.h"

/* backend_submit - e: the envelope (validated), msgfd: the normalized
 * message, spool_path: opened only after a temporary failure (when it
 * cannot be used, that failure is 75). started: CLOCK_MONOTONIC seconds
 * at submission. kept: a session kept from an earlier message (a relay
 * client that stays), or NULL for one of its own. 0: sent or spooled. */
int backend_submit(const struct conf *c, bool verbose,
    const struct spool_env *e, int msgfd, double started,
    const char *spool_path, struct outbound *kept, struct failure *f);

/* backend_verdict - the outcome as one SMTP reply line for a -bs client:
 * the relay's code when it gave one ("550 5.1.1 ..."), else one from the
 * failure kind (451 temporary, 554 permanent). */
void backend_verdict(const struct failure *f, int code, char *out,
    size_t sz);

/* The relay reply code that decided the last backend_submit (0: none). */
int backend_last_code(void);

/* The recipients the relay refused in the last backend_submit that failed
 * while others got the message (verdict_refused_lines: printable lines
 * joined by '\n'; those queued for later are not refused), or "". */
const char *backend_refused(void);

#endif
