/* msgfile.c - the normalized message on disk */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
msgfile_read(void *ctx, char *buf, size_t cap, size_t *got,
    struct failure *f)
{
	struct msgfile *m = ctx;

	for (;;) {
		ssize_t n = read(m->fd, buf, cap);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_set(f, FAIL_IOERR, "cannot read the temporary "
						"file: %s",
			    strerror(errno));
			return -1;
		}
		*got = (size_t)n;
		return 0;
	}
}

void
msgfile_close(struct msgfile *m)
{
	if (m->fd >= 0)
		(void)close(m->fd);
	m->fd = -1;
}
