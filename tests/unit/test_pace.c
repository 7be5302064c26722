/* test_pace.c - a relay section's rate: the slot each message gets */
#include "config.h"

#include "pace.h"
#include "tap.h"

int
main(void)
{
	long long slot, next;

	ok(pace_slot(1000, 0, 100, 0, &slot, &next) && slot == 1000 &&
		next == 1100,
	    "nothing taken: now, and the next a interval later");
	ok(pace_slot(1000, 1100, 100, 500, &slot, &next) && slot == 1100 &&
		next == 1200,
	    "a burst: each start an interval after the last");
	ok(!pace_slot(1000, 1600, 100, 500, &slot, &next),
	    "a turn further than the wait allowed: nothing reserved");
	ok(pace_slot(1000, 1500, 100, 500, &slot, &next) && slot == 1500,
	    "exactly the wait allowed: taken");
	ok(pace_slot(1000, 64000, 100, PACE_WAIT_FOREVER, &slot, &next) &&
		slot == 64000,
	    "a queue run waits as long as it takes");
	ok(pace_slot(1000, 1000 + 3600LL * 1000 + 1, 100, PACE_WAIT_FOREVER,
	       &slot, &next) &&
		slot == 1000 && next == 1100,
	    "a next more than an hour ahead (a clock reset) is taken as now");

	/* what honest senders can have reserved: a background attempt's
	 * minute and an interval for every waiter of the queue runs */
	ok(pace_ahead_max(1000) == 60000 + 1000LL * (PACE_WAITERS_MAX + 1),
	    "rate 60: at most %lld ms ahead", pace_ahead_max(1000));
	ok(pace_plausible(0, pace_ahead_max(1000), 1000) &&
		!pace_plausible(0, pace_ahead_max(1000) + 1, 1000),
	    "plausible up to that bound, not a ms beyond");
	ok(pace_ahead_max(60000) >= 60000LL * CONF_CONNECTIONS_MAX,
	    "rate 1: a queue run's connections each waiting a minute still "
	    "fit");
	/* issue 26: a write cut at 9 bytes (new high digits, old low ones)
	 * left a turn 16 minutes ahead that every sender obeyed */
	ok(pace_slot(1765000000000LL, 1765000000000LL + 16 * 60000, 1000,
	       PACE_WAIT_SYNC_MS, &slot, &next) &&
		slot == 1765000000000LL && next == 1765000001000LL,
	    "rate 60, a turn 16 minutes ahead: not obeyed, taken as now");
	ok(pace_slot(1765000000000LL, 1765000000000LL + 100000, 1000,
	       PACE_WAIT_SYNC_MS, &slot, &next) &&
		slot == 1765000000000LL,
	    "rate 60, a turn 100 s ahead (a write cut at 10 bytes): not "
	    "obeyed");
	ok(pace_slot(5000, 100, 100, 0, &slot, &next) && slot == 5000,
	    "a next in the past: now");
	return done_testing();
}
