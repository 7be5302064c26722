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

void msgfile_close(struct msgfile *m);

/* msgfile_make_private - fd (a file another process handed over) made a
 * new open file description of the same sealed memory file, on the same
 * descriptor number: a descriptor passed with SCM_RIGHTS shares its file
 * offset with the sender's copy, which could move it while we read. 0,
 * or -1 with errno (fd is then unchanged). */
int msgfile_make_private(int fd);

/* A message read at explicit offsets only (pread), never past the size
 * that was checked: what is sent or stored is exactly what was checked,
 * whoever else holds the descriptor. */
struct msgfile_reader {
	int fd;
	unsigned long long off;
	unsigned long long size;
};

void msgfile_reader_init(struct msgfile_reader *r, int fd,
    unsigned long long size);

/* msgfile_reader_read - the next bytes (0 once size bytes were read); a
 * file that ends before size fails: it is not the one that was checked.
 * A smtp_io read_msg. */
int msgfile_reader_read(void *ctx, char *buf, size_t cap, size_t *got,
    struct failure *f);

#endif
