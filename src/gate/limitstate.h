/* limitstate.h - the gate's side of [limits]: each caller's counts in
 * <spool>/run/count-UID (rundir.h), read and replaced whole under a lock
 * of that uid's own, so that parallel submissions neither over- nor
 * under-count and a crash leaves the old counts or the new, never half.
 * The caller cannot reach the directory; a user who stops its own gate
 * while it holds the lock holds up only its own mail. */
#ifndef SAFEMAIL_LIMITSTATE_H
#define SAFEMAIL_LIMITSTATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "fail.h"
#include "sendlimit.h"

#define LIMIT_RECORD_MAX 256

/* count-UID's record as read: a write cut short is undone with it */
struct limit_record {
	char bytes[LIMIT_RECORD_MAX];
	size_t len;
};

struct limit_outcome {
	const struct limit_rule *rule; /* NULL: no rule names the caller */
	bool over;
	enum limit_kind hit;
	bool notice_due;             /* the first time in this period */
	struct limit_counts counts;  /* after this message (the mark set) */
	/* notice_due: count-UID still locked, for limitstate_noticed */
	int notice_fd;
	char name[32];
	struct limit_record old;
};

/* The caller's groups, its primary one first (the set-ID path: the
 * process's real ones; the service: the connection's, SO_PEERCRED and
 * SO_PEERGROUPS), which group.NAME and gid.N rules match */
struct limit_groups {
	gid_t gid[257];
	size_t n;
};

/* limitstate_resolve_groups - group.NAME rules named by gid from now on
 * (a locked-down gate reads no /etc/group); a name that does not resolve
 * stays, and matches nobody */
void limitstate_resolve_groups(struct conf *c);

/* limitstate_admit - count one message of nrcpt recipients for uid (in
 * groups) at
 * now under its rule; over the limit nothing is counted. -1 (f set, a
 * temporary failure) when the counts cannot be kept. notice_due (only
 * with limit_notify set): the caller queues the notice and then calls
 * limitstate_noticed, whatever happened. */
int limitstate_admit(const struct conf *c, uid_t uid, const char *user,
    const struct limit_groups *groups, long long now, size_t nrcpt,
    struct limit_outcome *out, struct failure *f);

/* limitstate_noticed - the period's notice marked sent when queued
 * (else not, and the next message over the limit tries again); the lock
 * let go. Nothing when no notice was due. */
void limitstate_noticed(struct limit_outcome *out, bool queued);

/* limitstate_rule_gid - the gid a group.NAME or gid.N rule names (false:
 * no such group) */
bool limitstate_rule_gid(const struct limit_rule *r, gid_t *gid);

/* limitstate_each - every uid's counts, for --stats */
int limitstate_each(void (*fn)(uid_t uid, const struct limit_counts *c,
			void *ctx),
    void *ctx, struct failure *f);

#endif
