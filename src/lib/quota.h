/* quota.h - how much of the spool one user may hold (pure).
 *
 * A caller who queues faster than the relay takes, or while it is away,
 * must not fill the spool for everyone: each uid may keep at most
 * max_queued_messages messages and max_queued_size bytes in q/, and no
 * submission may bring the spool's file system below min_free_space
 * (the room the queue runner needs for bounces and its own state). The
 * spool measures (spool_usage), this judges. */
#ifndef SAFEMAIL_QUOTA_H
#define SAFEMAIL_QUOTA_H

#include "fail.h"

struct quota_limits {
	unsigned long max_messages;       /* per uid; 0: no limit */
	unsigned long long max_bytes;     /* per uid; 0: no limit */
	unsigned long long min_free;      /* bytes left free; 0: none */
};

struct quota_usage {
	unsigned long messages;           /* the uid's messages in q/ */
	unsigned long long bytes;         /* and their size */
	unsigned long long free_bytes;    /* available to the spool */
};

/* quota_check - 0 when a message of size bytes from uid fits, else -1
 * with FAIL_TEMP naming the limit (the caller may try again later). */
int quota_check(const struct quota_limits *l, const struct quota_usage *u,
    unsigned long long size, unsigned uid, struct failure *f);

#endif
