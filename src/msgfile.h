/* msgfile.h - the normalized message on disk: an unnamed temporary file
 * written through a buffer, then read back by the back end */
#ifndef SAFEMAIL_MSGFILE_H
#define SAFEMAIL_MSGFILE_H

#include <stddef.h>

#include "fail.h"

#define MSGFILE_BUF (64 * 1024)

struct msgfile {
	int fd;
	unsigned long long size;
	size_t len; /* bytes waiting in buf */
	char buf[MSGFILE_BUF];
};

/* msgfile_create - an unnamed file (O_TMPFILE) in dir, mode 0600. */
int msgfile_create(struct msgfile *m, const char *dir, struct failure *f);

/* msgfile_write - a msg_write_cb */
int msgfile_write(void *ctx, const char *p, size_t len);

/* msgfile_finish - flush and rewind for reading; f on failure. */
int msgfile_finish(struct msgfile *m, struct failure *f);

/* msgfile_read - the next bytes (0 at the end); a smtp_io read_msg. */
int msgfile_read(void *ctx, char *buf, size_t cap, size_t *got,
    struct failure *f);

void msgfile_close(struct msgfile *m);

#endif
