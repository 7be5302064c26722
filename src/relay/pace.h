/* pace.h - [smtp] rate: at most that many messages a minute through a
 * relay section, spread evenly (one every 60/rate seconds) across every
 * process that sends through it: queue runs and their workers, the
 * background attempt of the async path, and synchronous callers. Each
 * message reserves its start under a lock in <spool>/run/rate-NAME and
 * sleeps until it; one that would wait longer than its path may is left
 * in the queue instead. The lock is never waited on for more than a
 * second: a holder its user has stopped loosens the pace, it blocks
 * nobody's mail. */
#ifndef SAFEMAIL_PACE_H
#define SAFEMAIL_PACE_H

#include <stdbool.h>

#include "conf.h"
#include "limits.h"

/* The most a caller waits for its turn: a synchronous caller a little,
 * the background attempt longer, a queue run as long as it takes. */
#define PACE_WAIT_SYNC_MS 5000LL
#define PACE_WAIT_ASYNC_MS 60000LL
#define PACE_WAIT_FOREVER -1LL

/* The most processes that may hold a turn each, waiting as long as it
 * takes: the connections of a few queue runs at once (a timer's, root's,
 * a flush). */
#define PACE_WAITERS_MAX (4 * CONF_CONNECTIONS_MAX)

/* pace_ahead_max - pure: how far ahead of now the next start can be
 * when every sender reserved it honestly: a background attempt's
 * minute, and an interval for each waiter that waits as long as it
 * takes, and one more. pace_plausible: next is within it. A stored next
 * further ahead (a garbled record, a clock set back) is not obeyed. */
long long pace_ahead_max(long long interval);
bool pace_plausible(long long now, long long next, long long interval);

/* pace_slot - pure. now and next (the earliest start not yet taken, in
 * ms), the interval between starts: the start this message gets (*slot)
 * and the next to store; false, nothing reserved, when the start is more
 * than max_wait ms away (max_wait < 0: any wait). A next that is not
 * pace_plausible is taken as now. */
bool pace_slot(long long now, long long next, long long interval,
    long long max_wait, long long *slot, long long *new_next);

/* pace_turn - wait for this message's turn on route (returns at once
 * without a rate); false: it would wait more than max_wait ms, and
 * nothing was reserved. *waited: the ms slept. */
bool pace_turn(const struct conf *route, long long max_wait, long long *waited);

#endif
