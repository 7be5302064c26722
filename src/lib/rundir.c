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

#include "log.h"
#include "rundir.h"

#define RUN_DIR_MODE 0770
#define RUN_FILE_MODE 0660

static char path[4096 + 8];

void
rundir_set(const char *spool_path)
{
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
	struct stat st;
	int fd;

	if (path[0] == '\0')
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdir(path, RUN_DIR_MODE) == 0) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			(void)fchmod(fd, RUN_DIR_MODE); /* the umask is 077 */
	}
	if (fd >= 0 && (fstat(fd, &st) != 0 || (st.st_mode & 007) != 0)) {
		log_emit(LOG_WARNING, "%s: open to others (mode %04o): not used",
		    path, (unsigned)(st.st_mode & 07777));
		(void)close(fd);
		fd = -1;
	}
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
