/* limitstate.c - the counts of [limits] (see limitstate.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "limitstate.h"
#include "log.h"
#include "rundir.h"
#include "text.h"

/* 500 tries 10 ms apart: the lock is held for microseconds */
#define LOCK_TRIES 500

/* group.NAME and gid.N: the caller's real group or a supplementary one */
bool
limitstate_rule_gid(const struct limit_rule *r, gid_t *gid)
{
	struct group *g;

	if (r->who == WHO_GID) {
		*gid = (gid_t)r->id;
		return true;
	}
	g = getgrnam(r->name);
	if (g == NULL)
		return false;
	*gid = g->gr_gid;
	return true;
}

void
limitstate_resolve_groups(struct conf *c)
{
	for (size_t i = 0; i < c->nlimit_rules; i++) {
		struct limit_rule *r = &c->limit_rules[i];
		gid_t gid;

		if (r->who != WHO_GROUP)
			continue;
		/* matched as a gid (sendlimit.c); a name that does not
		 * resolve, by no caller: (gid_t)-1 is nobody's group */
		r->id = limitstate_rule_gid(r, &gid) ? (unsigned)gid
						     : (unsigned)(gid_t)-1;
		r->who = WHO_GID;
	}
}

static bool
in_group(const struct limit_rule *r, void *ctx)
{
	const struct limit_groups *g = ctx;
	gid_t want;

	if (!limitstate_rule_gid(r, &want))
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (g->gid[i] == want)
			return true;
	return false;
}

/* The directory, opened once per process (a gate that stays serves
 * many messages); -1 when it cannot be used. */
static int
state_dir(void)
{
	static int dfd = -1;

	if (dfd < 0)
		dfd = rundir_open();
	return dfd;
}

/* count-UID, opened and locked (rundir_lock_file): past a few seconds
 * the holder is a process of the same user that its user has stopped,
 * and only that user's mail waits. */
static int
open_locked(int dfd, const char *name, uid_t uid, struct failure *f)
{
	int fd = rundir_lock_file(dfd, name, LOCK_TRIES);

	if (fd < 0 && errno == EWOULDBLOCK)
		fail_set(f, FAIL_TEMP, "the counts of uid %u are held by another "
				       "of its processes",
		    (unsigned)uid);
	else if (fd < 0)
		fail_set(f, FAIL_TEMP, "%s/%s: %s", rundir_path(), name,
		    strerror(errno));
	return fd;
}

/* The one record: empty (a new file) is all zero. A record that is not
 * one, or holds counts no gate could have written, is not obeyed:
 * logged, and counted from 0 (and written over by the next message). */
static void
read_counts(int fd, const char *name, struct limit_record *old,
    struct limit_counts *c)
{
	ssize_t n;

	memset(c, 0, sizeof(*c));
	old->len = 0;
	do
		n = pread(fd, old->bytes, sizeof(old->bytes), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return;
	if (n > 0 && (size_t)n < sizeof(old->bytes))
		old->len = (size_t)n;
	if (n < 0 || (size_t)n >= sizeof(old->bytes) ||
	    !sendlimit_parse(old->bytes, (size_t)n, c))
		log_emit(LOG_ERR, "%s/%s: not a counts file: counted from 0",
		    rundir_path(), name);
	else if (!sendlimit_plausible(c))
		log_emit(LOG_ERR, "%s/%s: counts no gate could have written "
				  "(hour %lld, day %lld, marks %lld %lld): "
				  "ignored, counted from 0",
		    rundir_path(), name, c->hour, c->day, c->notified_hour,
		    c->notified_day);
	else
		return;
	memset(c, 0, sizeof(*c));
}

/* Replaced in place, whole: the record has one width whatever the counts
 * (sendlimit_format), sits in one page at offset 0 and goes in one
 * pwrite, which no signal splits, so a reader or a killed gate sees the
 * old record or the new. Only a file size limit could cut it short, and
 * the gate runs with its soft limit raised and refuses a hard one this
 * low (startup.h); cut short all the same, the bytes it wrote are put
 * back from the old record (as many as the limit just allowed), and the
 * count fails (75). No temporary file and rename: they cost 1.10x on
 * every message (bench/RESULTS.md, issue 17). */
static int
write_counts(int fd, const char *name, const struct limit_record *old,
    const struct limit_counts *c, struct failure *f)
{
	char buf[LIMIT_RECORD_MAX];
	size_t len;
	ssize_t w;

	if (!sendlimit_format(c, buf, sizeof(buf), &len)) {
		fail_set(f, FAIL_TEMP, "%s/%s: cannot be written: too long",
		    rundir_path(), name);
		return -1;
	}
	w = pwrite(fd, buf, len, 0);
	if (w == (ssize_t)len)
		return 0;
	fail_set(f, FAIL_TEMP, "%s/%s: cannot be written: %s", rundir_path(),
	    name, w < 0 ? strerror(errno) : "cut short");
	if (w > 0) {
		size_t back = (size_t)w < old->len ? (size_t)w : old->len;

		if ((back > 0 &&
			pwrite(fd, old->bytes, back, 0) != (ssize_t)back) ||
		    (back < (size_t)w && ftruncate(fd, (off_t)old->len) != 0))
			log_emit(LOG_ERR, "%s/%s: a cut write could not be "
					  "undone: %s (the next reader "
					  "ignores it)",
			    rundir_path(), name, strerror(errno));
	}
	return -1;
}

int
limitstate_admit(const struct conf *c, uid_t uid, const char *user,
    const struct limit_groups *groups, long long now, size_t nrcpt,
    struct limit_outcome *out, struct failure *f)
{
	char name[32];
	int dfd, fd, rc;

	memset(out, 0, sizeof(*out));
	out->notice_fd = -1;
	out->rule = sendlimit_pick(c->limit_rules, c->nlimit_rules, uid, user,
	    in_group, (void *)(uintptr_t)groups);
	if (out->rule == NULL)
		return 0;
	dfd = state_dir();
	if (dfd < 0) {
		fail_set(f, FAIL_TEMP, "%s: cannot keep the counts of "
				       "[limits] there",
		    rundir_path());
		return -1;
	}
	(void)snprintf(name, sizeof(name), "count-%u", (unsigned)uid);
	fd = open_locked(dfd, name, uid, f);
	if (fd < 0)
		return -1;
	read_counts(fd, name, &out->old, &out->counts);
	out->over = !sendlimit_admit(out->rule, &out->counts, now, nrcpt,
	    &out->hit);
	if (!out->over) {
		/* counted before the message goes anywhere: a gate killed
		 * now over-counts, never under */
		rc = write_counts(fd, name, &out->old, &out->counts, f);
	} else {
		rc = 0;
		out->notice_due = c->limit_notify[0] != '\0' &&
		    sendlimit_notice_due(&out->counts, out->hit, now);
	}
	if (out->notice_due) {
		/* kept locked until the notice is queued or not
		 * (limitstate_noticed): marked only once it is, and
		 * only one gate of this uid queues it */
		out->notice_fd = fd;
		(void)snprintf(out->name, sizeof(out->name), "%s", name);
	} else {
		(void)close(fd); /* the lock goes with it */
	}
	return rc;
}

void
limitstate_noticed(struct limit_outcome *out, bool queued)
{
	struct failure f = {FAIL_NONE, ""};

	if (out->notice_fd < 0)
		return;
	if (queued &&
	    write_counts(out->notice_fd, out->name, &out->old, &out->counts,
		&f) != 0)
		log_emit(LOG_ERR, "%s (the notice may be queued again)", f.msg);
	(void)close(out->notice_fd); /* the lock goes with it */
	out->notice_fd = -1;
}

int
limitstate_each(void (*fn)(uid_t uid, const struct limit_counts *c,
		    void *ctx),
    void *ctx, struct failure *f)
{
	int dfd = rundir_open();
	DIR *d;
	struct dirent *de;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		fail_set(f, FAIL_OSERR, "%s: cannot be read", rundir_path());
		if (dfd >= 0)
			(void)close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		unsigned long uid;
		struct limit_counts c;
		struct limit_record raw;

		if (strncmp(de->d_name, "count-", 6) != 0 ||
		    !text_parse_uint(de->d_name + 6, 4294967294UL, &uid))
			continue; /* count-UID.lock of an older build too */
		int fd = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0)
			continue;
		read_counts(fd, de->d_name, &raw, &c);
		(void)close(fd);
		fn((uid_t)uid, &c, ctx);
	}
	(void)closedir(d);
	return 0;
}
