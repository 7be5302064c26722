/* bsmode.h - sendmail -bs: SMTP on standard input and output (bs.c),
 * with the command line's policy, each message handed to the back end. */
#ifndef SAFEMAIL_BSMODE_H
#define SAFEMAIL_BSMODE_H

#include "argv.h"
#include "caller.h"
#include "conf.h"
#include "handoff.h"

/* bsmode_run - the whole session; the exit status is 0 (clients ignore
 * it: the replies say everything). */
int bsmode_run(const struct request *req, const struct conf *c,
    const struct caller *who, struct handoff *h);

#endif
