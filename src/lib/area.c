/* area.c - the spool's areas (see area.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "area.h"
#include "log.h"
#include "startup.h"

#define FIX "run `safemail --check --repair` as root"

static const char *queue_name;

void
area_set_queue_user(const char *name)
{
	queue_name = name;
}

/* AT_SECURE, read here rather than passed in: no caller can forget it */
static bool
set_id(void)
{
	return getauxval(AT_SECURE) != 0;
}

static const char *
queue_user(void)
{
	static const struct startup none;

	return queue_name != NULL ? queue_name : startup_queue_user(&none);
}

/* looked up once, and only when an area is not root's: never on the
 * common path. (uid_t)-1 when there is no such user. */
uid_t
area_queue_uid(void)
{
	static bool looked;
	static uid_t uid = (uid_t)-1;
	struct passwd *pw;

	if (looked)
		return uid;
	looked = true;
	if (strcmp(queue_user(), "root") == 0)
		return uid = 0; /* a test's copy (not set-ID) only */
	pw = getpwnam(queue_user());
	if (pw != NULL)
		uid = pw->pw_uid;
	return uid;
}

/* root, the queue user, and a process that is not set-ID itself (a
 * test's spool is its own) */
static bool
trusted_owner(uid_t uid)
{
	return uid == 0 || (!set_id() && uid == geteuid()) ||
	    uid == area_queue_uid();
}

bool
area_may_make(void)
{
	return !set_id() || trusted_owner(geteuid());
}

/* Root that is not set-ID (an admin's command) runs with its own group:
 * there the group is not checked (and what it makes gets the spool's).
 * Everyone else reaches the areas through its group: the one set-ID
 * programs run with. */
static bool
group_checked(void)
{
	return set_id() || geteuid() != 0;
}

bool
area_fault(const struct stat *st, bool top, char *why, size_t sz)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	bool by_group = geteuid() != 0 && geteuid() != st->st_uid;

	if (S_ISLNK(st->st_mode))
		(void)snprintf(why, sz, "a symbolic link, not a directory");
	else if (!S_ISDIR(st->st_mode))
		(void)snprintf(why, sz, "not a directory");
	else if (!trusted_owner(st->st_uid))
		(void)snprintf(why, sz, "owned by uid %u, not by root or %s",
		    (unsigned)st->st_uid, queue_user());
	else if (top && (mode & 002) != 0)
		(void)snprintf(why, sz, "writable by others (mode %04o)", mode);
	else if (!top && (mode & 007) != 0)
		(void)snprintf(why, sz, "open to others (mode %04o, not %04o)",
		    mode, (unsigned)AREA_MODE);
	else if (group_checked() && st->st_gid != getegid() &&
	    (!top || (mode & 020) != 0))
		(void)snprintf(why, sz, "%sgroup %u, not %u (safemail's)",
		    top ? "writable by " : "of ", (unsigned)st->st_gid,
		    (unsigned)getegid());
	else if (!top && by_group && (mode & 070) != 070)
		(void)snprintf(why, sz, "closed to its group (mode %04o, not "
					"%04o)",
		    mode, (unsigned)AREA_MODE);
	else
		return false;
	return true;
}

/* A missing area, made by one who may: 0770, and, made by root that
 * runs with a group of its own, given the spool's group. */
static int
make_area(int spool_fd, const char *name)
{
	struct stat top;
	int fd;

	if (mkdirat(spool_fd, name, AREA_MODE) != 0 && errno != EEXIST)
		return -1;
	fd = openat(spool_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	if (fd < 0)
		return -1;
	(void)fchmod(fd, AREA_MODE); /* the umask is 077 */
	/* a group that cannot be given shows in area_fault's check */
	if (!group_checked() && fstat(spool_fd, &top) == 0 &&
	    fchown(fd, (uid_t)-1, top.st_gid) != 0)
		log_emit(LOG_WARNING, "spool area %s: cannot give it group %u: "
				      "%s",
		    name, (unsigned)top.st_gid, strerror(errno));
	return fd;
}

int
area_open(int spool_fd, const char *spool_path, const char *name,
    bool make, struct failure *f)
{
	char why[160];
	struct stat st;
	int fd = openat(spool_fd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int err = errno; /* area_may_make may look up a user */

	if (fd < 0 && err == ENOENT && make && area_may_make()) {
		fd = make_area(spool_fd, name);
		err = errno;
		if (fd >= 0)
			log_emit(LOG_NOTICE, "spool area %s/%s made (it was "
					     "missing)",
			    spool_path, name);
	}
	if (fd < 0) {

		if (err == ENOENT)
			fail_set(f, FAIL_TEMP, "spool area %s/%s is missing: "
					       "%s",
			    spool_path, name, FIX);
		else if (fstatat(spool_fd, name, &st, AT_SYMLINK_NOFOLLOW) ==
			0 &&
		    area_fault(&st, false, why, sizeof(why)))
			fail_set(f, FAIL_TEMP, "spool area %s/%s: %s: %s",
			    spool_path, name, why, FIX);
		else
			fail_set(f, FAIL_TEMP, "spool area %s/%s: %s: %s",
			    spool_path, name, strerror(err), FIX);
		return -1;
	}
	if (fstat(fd, &st) != 0)
		(void)snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (!area_fault(&st, false, why, sizeof(why)))
		return fd;
	fail_set(f, FAIL_TEMP, "spool area %s/%s: %s: %s", spool_path, name,
	    why, FIX);
	(void)close(fd);
	return -1;
}

int
area_open_spool(const char *path, struct failure *f)
{
	char why[160];
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			fail_set(f, FAIL_TEMP, "the spool %s is missing: %s",
			    path, FIX);
		else
			fail_set(f, FAIL_TEMP, "the spool %s: %s: %s", path,
			    strerror(errno), FIX);
		return -1;
	}
	if (fstat(fd, &st) != 0)
		(void)snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (!area_fault(&st, true, why, sizeof(why)))
		return fd;
	fail_set(f, FAIL_TEMP, "the spool %s: %s: %s", path, why, FIX);
	(void)close(fd);
	return -1;
}

/* ---- repair (root's safemail --check --repair) ---- */

struct want {
	const char *name;
	mode_t mode;
};

static const struct want wanted[] = {{"q", AREA_MODE}, {"tmp", AREA_MODE},
    {"failed", AREA_MODE}, {"corrupt", AREA_MODE}, {"run", AREA_MODE}};

static void
said(FILE *out, const char *where, const char *what)
{
	log_emit(LOG_NOTICE, "repaired %s: %s", where, what);
	(void)fprintf(out, "repaired %s: %s\n", where, what);
}

/* Owner root, the group this process runs with, the mode: what differs
 * is set, and said. */
static int
set_owner_mode(int fd, const char *where, mode_t mode, FILE *out,
    struct failure *f)
{
	struct stat st;
	char what[120];

	if (fstat(fd, &st) != 0) {
		fail_set(f, FAIL_OSERR, "%s: %s", where, strerror(errno));
		return -1;
	}
	if (st.st_uid == 0 && st.st_gid == getegid() &&
	    (st.st_mode & 07777) == mode)
		return 0;
	/* the owner first: a change of owner may clear the mode's bits */
	if (fchown(fd, 0, getegid()) != 0 || fchmod(fd, mode) != 0) {
		fail_set(f, FAIL_OSERR, "%s: %s", where, strerror(errno));
		return -1;
	}
	(void)snprintf(what, sizeof(what), "was uid %u, group %u, mode %04o; "
					   "now root, group %u, %04o",
	    (unsigned)st.st_uid, (unsigned)st.st_gid,
	    (unsigned)(st.st_mode & 07777), (unsigned)getegid(),
	    (unsigned)mode);
	said(out, where, what);
	return 0;
}

/* The entry name in dfd a directory (made when missing; a symbolic link
 * removed, anything else that is no directory moved aside), open. */
static int
repair_entry(int dfd, const char *name, const char *where, mode_t mode,
    FILE *out, struct failure *f)
{
	char aside[64];
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISDIR(st.st_mode)) {
		(void)snprintf(aside, sizeof(aside), "%s.not-a-directory", name);
		if (S_ISLNK(st.st_mode) ? unlinkat(dfd, name, 0) != 0
					: renameat(dfd, name, dfd, aside) != 0) {
			fail_set(f, FAIL_OSERR, "%s: %s", where,
			    strerror(errno));
			return -1;
		}
		said(out, where,
		    S_ISLNK(st.st_mode) ? "a symbolic link, removed"
					: "not a directory, moved aside");
	}
	if (mkdirat(dfd, name, mode) == 0)
		said(out, where, "made (it was missing)");
	else if (errno != EEXIST) {
		fail_set(f, FAIL_OSERR, "%s: %s", where, strerror(errno));
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	if (fd < 0) {
		fail_set(f, FAIL_OSERR, "%s: %s", where, strerror(errno));
		return -1;
	}
	if (set_owner_mode(fd, where, mode, out, f) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
area_repair(const char *spool_path, FILE *out, struct failure *f)
{
	char where[4200];
	int top, fd;

	if (geteuid() != 0) {
		fail_set(f, FAIL_NOPERM, "--repair is for root only");
		return -1;
	}
	/* the spool itself: never a link followed, never moved aside (its
	 * parent is the admin's); made when missing */
	if (mkdir(spool_path, AREA_SPOOL_MODE) == 0)
		said(out, spool_path,
		    "made (it was missing)");
	top = open(spool_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0) {
		fail_set(f, FAIL_OSERR, "the spool %s: %s: not repaired",
		    spool_path, strerror(errno));
		return -1;
	}
	if (set_owner_mode(top, spool_path, AREA_SPOOL_MODE, out, f) != 0) {
		(void)close(top);
		return -1;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		(void)snprintf(where, sizeof(where), "%s/%s", spool_path,
		    wanted[i].name);
		fd = repair_entry(top, wanted[i].name, where, wanted[i].mode,
		    out, f);
		if (fd < 0) {
			(void)close(top);
			return -1;
		}
		(void)close(fd);
	}
	(void)close(top);
	return 0;
}
