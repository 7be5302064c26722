/* rundir.c - <spool>/run (see rundir.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "area.h"
#include "log.h"
#include "rundir.h"

#define RUN_FILE_MODE 0660

static char spool[4096];
static char path[4096 + 8];

void
rundir_set(const char *spool_path)
{
	(void)snprintf(spool, sizeof(spool), "%s", spool_path);
	(void)snprintf(path, sizeof(path), "%s/run", spool_path);
}

const char *
rundir_path(void)
{
	return path;
}

int
rundir_open(void)
{
	struct failure f = {FAIL_NONE, ""};
	int top, fd = -1;

	if (path[0] == '\0')
		return -1;
	top = area_open_spool(spool, &f);
	if (top >= 0) {
		fd = area_open(top, spool, "run", true, &f);
		(void)close(top);
	}
	if (fd < 0)
		log_emit(LOG_ERR, "%s", f.msg);
	return fd;
}

int
rundir_lock_file(int dfd, const char *name, int tries)
{
	static const struct timespec pause = {0, 10 * 1000 * 1000};
	int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, RUN_FILE_MODE);
		if (fd >= 0)
			(void)fchmod(fd, RUN_FILE_MODE); /* the umask is 077 */
		else if (errno == EEXIST)
			fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	}
	for (int i = 0; fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
		if (errno != EWOULDBLOCK || i == tries) {
			int saved = errno;

			(void)close(fd);
			errno = saved;
			return -1;
		}
		(void)nanosleep(&pause, NULL);
	}
	return fd;
}
