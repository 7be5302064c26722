/* limitstate.c - the counts of [limits] (see limitstate.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "limitstate.h"
#include "log.h"
#include "rundir.h"
#include "text.h"

#define STATE_MODE 0660
#define STATE_MAX 256
/* 500 tries 10 ms apart: the lock is held for microseconds */
#define LOCK_TRIES 500

/* group.NAME and gid.N: the caller's real group or a supplementary one */
static bool
in_group(const struct limit_rule *r, void *ctx)
{
	gid_t groups[256];
	gid_t want;
	int n;

	(void)ctx;
	if (r->who == WHO_GID) {
		want = (gid_t)r->id;
	} else {
		struct group *g = getgrnam(r->name);

		if (g == NULL)
			return false;
		want = g->gr_gid;
	}
	if (getgid() == want)
		return true;
	n = getgroups((int)(sizeof(groups) / sizeof(*groups)), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

static int
lock_uid(int dfd, uid_t uid, struct failure *f)
{
	char name[40];
	int fd;

	(void)snprintf(name, sizeof(name), "count-%u.lock", (unsigned)uid);
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    STATE_MODE);
	if (fd < 0) {
		fail_set(f, FAIL_TEMP, "%s/%s: %s", rundir_path(), name,
		    strerror(errno));
		return -1;
	}
	(void)fchmod(fd, STATE_MODE); /* the umask is 077 */
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
		static const struct timespec pause = {0, 10 * 1000 * 1000};

		if (errno != EWOULDBLOCK || i == LOCK_TRIES) {
			fail_set(f, FAIL_TEMP, "the counts of uid %u are held by "
					       "another of its processes",
			    (unsigned)uid);
			(void)close(fd);
			return -1;
		}
		(void)nanosleep(&pause, NULL);
	}
	return fd;
}

static void
read_counts(int dfd, const char *name, struct limit_counts *c)
{
	char buf[STATE_MAX];
	ssize_t n = 0;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		O_NONBLOCK);

	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return; /* none yet */
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	(void)close(fd);
	if (n <= 0 || (size_t)n >= sizeof(buf) ||
	    !sendlimit_parse(buf, (size_t)n, c))
		log_emit(LOG_ERR, "%s/%s: not a counts file: counted from 0",
		    rundir_path(), name);
}

static int
write_counts(int dfd, const char *name, const struct limit_counts *c,
    struct failure *f)
{
	char buf[STATE_MAX], tmp[48];
	size_t len;
	ssize_t n;
	int fd;

	(void)snprintf(tmp, sizeof(tmp), "%s.new", name);
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, STATE_MODE);
	if (fd < 0 || !sendlimit_format(c, buf, sizeof(buf), &len)) {
		fail_set(f, FAIL_TEMP, "%s/%s: %s", rundir_path(), tmp,
		    fd < 0 ? strerror(errno) : "cannot be written");
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	(void)fchmod(fd, STATE_MODE);
	n = write(fd, buf, len);
	if (close(fd) != 0 || n != (ssize_t)len ||
	    renameat(dfd, tmp, dfd, name) != 0) {
		fail_set(f, FAIL_TEMP, "%s/%s: %s", rundir_path(), name,
		    strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

int
limitstate_admit(const struct conf *c, uid_t uid, const char *user,
    long long now, size_t nrcpt, struct limit_outcome *out,
    struct failure *f)
{
	char name[32];
	int dfd, lock, rc = -1;

	memset(out, 0, sizeof(*out));
	out->rule = sendlimit_pick(c->limit_rules, c->nlimit_rules, uid, user,
	    in_group, NULL);
	if (out->rule == NULL)
		return 0;
	dfd = rundir_open();
	if (dfd < 0) {
		fail_set(f, FAIL_TEMP, "%s: cannot keep the counts of "
				       "[limits] there",
		    rundir_path());
		return -1;
	}
	lock = lock_uid(dfd, uid, f);
	if (lock >= 0) {
		(void)snprintf(name, sizeof(name), "count-%u", (unsigned)uid);
		read_counts(dfd, name, &out->counts);
		out->over = !sendlimit_admit(out->rule, &out->counts, now, nrcpt,
		    &out->hit);
		if (out->over)
			out->notice_due =
			    sendlimit_notice_due(&out->counts, out->hit, now);
		/* counted (or the notice marked) before the message goes
		 * anywhere: a gate killed now over-counts, never under */
		rc = (!out->over || out->notice_due)
		    ? write_counts(dfd, name, &out->counts, f)
		    : 0;
		(void)close(lock);
	}
	(void)close(dfd);
	return rc;
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

		if (strncmp(de->d_name, "count-", 6) != 0 ||
		    !text_parse_uint(de->d_name + 6, 4294967294UL, &uid))
			continue;
		read_counts(dirfd(d), de->d_name, &c);
		fn((uid_t)uid, &c, ctx);
	}
	(void)closedir(d);
	return 0;
}
