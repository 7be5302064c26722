/* msgfile.c - the normalized message on disk */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msgfile.h"
#include "spool.h"

int
msgfile_create(struct msgfile *m, struct failure *f)
{
	m->len = 0;
	m->size = 0;
	/* Unnamed, and sealed once written: the back end reads exactly what
	 * the normalizer wrote, whatever the caller does meanwhile. */
	m->fd = memfd_create("safemail-message", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING);
	if (m->fd < 0) {
		fail_set(f, FAIL_OSERR, "cannot create the message file: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

bool
msgfile_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & MSGFILE_SEALS) == MSGFILE_SEALS;
}

int
msgfile_write(void *ctx, const char *p, size_t len)
{
	struct msgfile *m = ctx;

	m->size += len;
	if (m->len + len > sizeof(m->buf)) {
		if (spool_write_all(m->fd, m->buf, m->len) != 0)
			return -1;
		m->len = 0;
		if (len >= sizeof(m->buf))
			return spool_write_all(m->fd, p, len);
	}
	memcpy(m->buf + m->len, p, len);
	m->len += len;
	return 0;
}

int
msgfile_finish(struct msgfile *m, struct failure *f)
{
	if (spool_write_all(m->fd, m->buf, m->len) != 0) {
		fail_set(f, FAIL_IOERR, "cannot write the message to a "
					"temporary file: %s",
		    strerror(errno));
		return -1;
	}
	m->len = 0;
	if (fcntl(m->fd, F_ADD_SEALS, MSGFILE_SEALS) != 0) {
		fail_set(f, FAIL_OSERR, "cannot seal the message file: %s",
		    strerror(errno));
		return -1;
	}
	if (lseek(m->fd, 0, SEEK_SET) != 0) {
		fail_set(f, FAIL_IOERR, "cannot rewind the temporary file: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
msgfile_make_private(int fd)
{
	char path[64];
	struct stat was, now;
	int flags = fcntl(fd, F_GETFD), mine;

	/* sealed memory files only: no FIFO to block on, no file on a
	 * file system the caller controls */
	if (flags < 0 || fstat(fd, &was) != 0)
		return -1;
	if (!S_ISREG(was.st_mode) || !msgfile_sealed(fd)) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mine = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (mine < 0)
		return -1;
	if (fstat(mine, &now) != 0 || now.st_dev != was.st_dev ||
	    now.st_ino != was.st_ino) {
		(void)close(mine);
		errno = EINVAL;
		return -1;
	}
	if (dup3(mine, fd, (flags & FD_CLOEXEC) != 0 ? O_CLOEXEC : 0) != fd) {
		(void)close(mine);
		return -1;
	}
	(void)close(mine);
	return 0;
}

void
msgfile_reader_init(struct msgfile_reader *r, int fd, unsigned long long size)
{
	r->fd = fd;
	r->off = 0;
	r->size = size;
}

int
msgfile_reader_read(void *ctx, char *buf, size_t cap, size_t *got,
    struct failure *f)
{
	struct msgfile_reader *r = ctx;
	unsigned long long left = r->size - r->off;
	ssize_t n;

	*got = 0;
	if (left == 0)
		return 0;
	if (cap > left)
		cap = (size_t)left;
	do
		n = pread(r->fd, buf, cap, (off_t)r->off);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		fail_set(f, FAIL_IOERR, "the message file %s at octet %llu of "
					"%llu",
		    n < 0 ? strerror(errno) : "ends", r->off, r->size);
		return -1;
	}
	r->off += (unsigned long long)n;
	*got = (size_t)n;
	return 0;
}

void
msgfile_close(struct msgfile *m)
{
	if (m->fd >= 0)
		(void)close(m->fd);
	m->fd = -1;
}
