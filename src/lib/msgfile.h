/* msgfile.h - the normalized message: an unnamed memory file (memfd)
 * written through a buffer, sealed, then read back by the back end */
#ifndef SAFEMAIL_MSGFILE_H
#define SAFEMAIL_MSGFILE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>

#include "fail.h"

#define MSGFILE_BUF (64 * 1024)

struct msgfile {
	int fd;
	unsigned long long size;
	size_t len; /* bytes waiting in buf */
	char buf[MSGFILE_BUF];
};

/* The seals a handed-over file carries: nobody, not even the process
 * that wrote it, can change it any more. */
#define MSGFILE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

/* msgfile_create - an unnamed, sealable memory file (memfd). */
int msgfile_create(struct msgfile *m, struct failure *f);

/* msgfile_sealed - fd carries MSGFILE_SEALS (the back end's check) */
bool msgfile_sealed(int fd);

/* msgfile_write - a msg_write_cb */
int msgfile_write(void *ctx, const char *p, size_t len);

/* msgfile_finish - flush, seal and rewind for reading; f on failure. */
int msgfile_finish(struct msgfile *m, struct failure *f);

/* msgfile_read - the next bytes (0 at the end); a smtp_io read_msg. */
int msgfile_read(void *ctx, char *buf, size_t cap, size_t *got,
    struct failure *f);

void msgfile_close(struct msgfile *m);

#endif
