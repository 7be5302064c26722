/* quota.c - see quota.h */
#include "config.h"

#include "quota.h"

int
quota_check(const struct quota_limits *l, const struct quota_usage *u,
    unsigned long long size, unsigned uid, struct failure *f)
{
	if (l->max_messages != 0 && u->messages >= l->max_messages) {
		fail_set(f, FAIL_TEMP, "the spool holds %lu messages of uid %u "
				       "(max_queued_messages %lu): not queued",
		    u->messages, uid, l->max_messages);
		return -1;
	}
	if (l->max_bytes != 0 &&
	    (size > l->max_bytes || u->bytes > l->max_bytes - size)) {
		fail_set(f, FAIL_TEMP, "the spool holds %llu bytes of uid %u; "
				       "%llu more would pass max_queued_size "
				       "(%llu): not queued",
		    u->bytes, uid, size, l->max_bytes);
		return -1;
	}
	if (l->min_free != 0 &&
	    (u->free_bytes < l->min_free || u->free_bytes - l->min_free < size)) {
		fail_set(f, FAIL_TEMP, "the spool's file system has %llu bytes "
				       "free; %llu more would pass min_free_space "
				       "(%llu): not queued",
		    u->free_bytes, size, l->min_free);
		return -1;
	}
	return 0;
}
