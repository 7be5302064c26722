/* queue.h - queue runs: deliver what the spool holds over reused relay
 * connections (at most [queue] connections in parallel), retry with the
 * configured backoff, bounce (RFC 3464) what fails for good or grows
 * older than max_age. Each message is locked while it is handled, so
 * that two runners never send it twice. */
#ifndef SAFEMAIL_QUEUE_H
#define SAFEMAIL_QUEUE_H

#include <stdbool.h>

#include "conf.h"
#include "fail.h"
#include "spool.h"

struct queue_select {
	char kind;         /* 0: all due; 'F' all (flush); 'I' id, 'R'
			    * recipient domain, 'S' sender (substring):
			    * selected messages are tried now, whatever
			    * their next try time (held ones never) */
	const char *value;
};

/* queue_run - one run; 0 unless the spool could not be read. */
int queue_run(const struct conf *c, struct spool *sp,
    const struct queue_select *sel, bool verbose, struct failure *f);

/* queue_run_one - try one message now (the back end's background attempt
 * after an async submission). */
void queue_run_one(const struct conf *c, struct spool *sp, const char *qid);

#endif
