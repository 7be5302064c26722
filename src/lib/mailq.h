/* mailq.h - the queue for people: "mailq" / -bp, and the admin commands
 * safemail --delete, --hold and --release. */
#ifndef SAFEMAIL_MAILQ_H
#define SAFEMAIL_MAILQ_H

#include <stdbool.h>
#include <stdio.h>

#include "fail.h"
#include "spool.h"

/* mailq_print - the messages in q/ and failed/, Postfix-like with the
 * submitting uid as a column: everyone's, or only those uid submitted
 * (the uid of the envelope, which the gate wrote). */
int mailq_print(struct spool *sp, FILE *out, bool everyone, unsigned uid,
    struct failure *f);

enum queue_admin { ADMIN_DELETE, ADMIN_HOLD, ADMIN_RELEASE };

/* mailq_admin - act on one message (its queue id); a message being
 * delivered right now is refused (try again). */
int mailq_admin(struct spool *sp, enum queue_admin what, const char *qid,
    struct failure *f);

#endif
