/* test_area.c - what makes an area of the spool wrong (area.h), as a
 * process that is not set-ID sees it; the set-ID side is shown on an
 * installed copy (tests/integ/trust_areas.py) */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "area.h"
#include "tap.h"

static struct stat
dir_of(uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | mode;
	st.st_uid = uid;
	st.st_gid = gid;
	return st;
}

static bool
fault_has(const struct stat *st, bool top, const char *word)
{
	char why[160] = "";

	return area_fault(st, top, why, sizeof(why)) &&
	    strstr(why, word) != NULL;
}

int
main(void)
{
	char why[160], tmpl[] = "/tmp/test_area.XXXXXX";
	struct failure f = {FAIL_NONE, ""};
	struct stat st, link = dir_of(0, getegid(), 0777);
	uid_t stranger = 54321;
	int top, fd;

	area_set_queue_user("no-such-queue-user-here");
	st = dir_of(geteuid(), getegid(), AREA_MODE);
	ok(!area_fault(&st, false, why, sizeof(why)), "0770, its own: sound");
	st = dir_of(0, getegid(), AREA_SPOOL_MODE);
	ok(!area_fault(&st, true, why, sizeof(why)), "the spool 0771: sound");
	st = dir_of(geteuid(), getegid(), 0777);
	ok(fault_has(&st, false, "open to others"), "0777: open to others");
	st = dir_of(geteuid(), getegid(), 0775);
	ok(fault_has(&st, false, "open to others"),
	    "0775: open to others too (make install gives them nothing)");
	st = dir_of(0, getegid(), 0773);
	ok(fault_has(&st, true, "writable by others"),
	    "the spool writable by others");
	if (geteuid() != stranger) {
		st = dir_of(stranger, getegid(), AREA_MODE);
		ok(fault_has(&st, false, "owned by uid 54321"),
		    "owned by another user: wrong");
	}
	link.st_mode = S_IFLNK | 0777;
	ok(fault_has(&link, false, "symbolic link"), "a symbolic link");
	link.st_mode = S_IFREG | 0770;
	ok(fault_has(&link, false, "not a directory"), "a file");

	/* not set-ID: a missing area is made, 0770 */
	if (mkdtemp(tmpl) == NULL)
		return 1;
	top = area_open_spool(tmpl, &f);
	ok(top >= 0, "the spool opens: %s", f.msg);
	fd = area_open(top, tmpl, "run", false, &f);
	ok(fd < 0 && f.kind == FAIL_TEMP && strstr(f.msg, "missing") &&
		strstr(f.msg, "safemail --check --repair"),
	    "missing, not to be made: FAIL_TEMP naming the fix: %s", f.msg);
	fd = area_open(top, tmpl, "run", true, &f);
	ok(fd >= 0 && fstat(fd, &st) == 0 &&
		(st.st_mode & 07777) == AREA_MODE,
	    "missing, made by a process that is not set-ID: 0770");
	if (fd >= 0)
		(void)close(fd);
	if (fchmodat(top, "run", 0777, 0) != 0)
		perror("fchmodat");
	fd = area_open(top, tmpl, "run", true, &f);
	ok(fd < 0 && strstr(f.msg, "open to others (mode 0777"),
	    "then 0777: refused: %s", f.msg);
	(void)unlinkat(top, "run", AT_REMOVEDIR);
	if (symlinkat("/tmp", top, "run") != 0)
		perror("symlinkat");
	fd = area_open(top, tmpl, "run", true, &f);
	ok(fd < 0 && strstr(f.msg, "symbolic link"),
	    "a link in its place: refused, not followed: %s", f.msg);
	(void)unlinkat(top, "run", 0);
	(void)close(top);
	(void)rmdir(tmpl);
	return done_testing();
}
