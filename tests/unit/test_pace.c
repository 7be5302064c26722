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
	ok(pace_slot(1000, 900000, 100, PACE_WAIT_FOREVER, &slot, &next) &&
		slot == 900000,
	    "a queue run waits as long as it takes");
	ok(pace_slot(1000, 1000 + 3600LL * 1000 + 1, 100, PACE_WAIT_FOREVER,
	       &slot, &next) &&
		slot == 1000 && next == 1100,
	    "a next more than an hour ahead (a clock reset) is taken as now");
	ok(pace_slot(5000, 100, 100, 0, &slot, &next) && slot == 5000,
	    "a next in the past: now");
	return done_testing();
}
