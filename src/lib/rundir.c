/* rundir.c - <spool>/run (see rundir.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "rundir.h"

#define RUN_DIR_MODE 0770

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
