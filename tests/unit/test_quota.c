/* test_quota - how much of the spool one user may hold */
#include "config.h"

#include <string.h>

#include "quota.h"
#include "tap.h"

static int
judge(const struct quota_limits *l, unsigned long msgs,
    unsigned long long bytes, unsigned long long free_bytes,
    unsigned long long size, struct failure *f)
{
	struct quota_usage u = {msgs, bytes, free_bytes};

	f->kind = FAIL_NONE;
	f->msg[0] = '\0';
	return quota_check(l, &u, size, 33, f);
}

int
main(void)
{
	const struct quota_limits l = {3, 1000, 500};
	const struct quota_limits none = {0, 0, 0};
	struct failure f;

	ok(judge(&l, 2, 900, 10000, 100, &f) == 0,
	    "under every limit: queued (%s)", f.msg);
	ok(judge(&l, 3, 0, 10000, 1, &f) == -1 && f.kind == FAIL_TEMP &&
	    strstr(f.msg, "max_queued_messages 3") != NULL &&
	    strstr(f.msg, "uid 33") != NULL,
	    "the uid's message count at the limit: 75, naming it (%s)", f.msg);
	ok(judge(&l, 0, 901, 10000, 100, &f) == -1 && f.kind == FAIL_TEMP &&
	    strstr(f.msg, "max_queued_size (1000)") != NULL,
	    "one byte over the uid's bytes: refused (%s)", f.msg);
	ok(judge(&l, 0, 0, 10000, 1001, &f) == -1 && f.kind == FAIL_TEMP,
	    "one message larger than the whole allowance: refused");
	ok(judge(&l, 0, 0, 10000, 1000, &f) == 0,
	    "exactly the allowance: queued");
	ok(judge(&l, 0, 0, 599, 100, &f) == -1 && f.kind == FAIL_TEMP &&
	    strstr(f.msg, "min_free_space (500)") != NULL,
	    "it would eat into the free reserve: refused (%s)", f.msg);
	ok(judge(&l, 0, 0, 400, 1, &f) == -1 && f.kind == FAIL_TEMP,
	    "already below the reserve: refused, no wrap-around");
	ok(judge(&l, 0, 0, 600, 100, &f) == 0,
	    "exactly down to the reserve: queued");
	ok(judge(&none, 999999, ~0ULL, 0, ~0ULL, &f) == 0,
	    "0 means no limit for each of the three");
	ok(judge(&l, 0, ~0ULL - 5, 10000, 100, &f) == -1,
	    "a huge count does not wrap past the byte limit");
	return done_testing();
}
