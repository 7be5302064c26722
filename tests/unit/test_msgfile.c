/* test_msgfile - a handed-over message is read privately and exactly:
 * msgfile_make_private gives a descriptor of our own (no offset shared
 * with the sender), msgfile_reader reads the checked size, no more, and
 * fails on a file that ends sooner (issue 26, point 1). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msgfile.h"
#include "tap.h"

static int
sealed_file(const char *text)
{
	int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fcntl(fd, F_ADD_SEALS, MSGFILE_SEALS) != 0)
		return -1;
	return fd;
}

/* all of r, chunk by chunk (cap 3): 0, or -1 with f */
static int
read_all(struct msgfile_reader *r, char *out, size_t cap, size_t *len,
    struct failure *f)
{
	size_t got = 1;

	*len = 0;
	while (got > 0) {
		if (msgfile_reader_read(r, out + *len, 3, &got, f) != 0)
			return -1;
		*len += got;
		if (*len + 3 > cap)
			return -1;
	}
	return 0;
}

int
main(void)
{
	const char *text = "Subject: x\r\n\r\nbody\r\n";
	struct failure f = {FAIL_NONE, ""};
	struct msgfile_reader r;
	char out[256];
	size_t len = 0;
	int fd = sealed_file(text), other, pipefd[2];
	struct stat a, b;

	ok(fd >= 0, "a sealed memory file");
	/* the sender's copy: the same open file description */
	other = dup(fd);
	ok(msgfile_make_private(fd) == 0, "made private");
	ok(fstat(fd, &a) == 0 && fstat(other, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev,
	    "the same file behind it");
	(void)lseek(other, 7, SEEK_SET);
	ok(lseek(fd, 0, SEEK_CUR) == 0,
	    "the sender moving its offset moves ours no more");
	ok((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	    "the descriptor keeps its close-on-exec flag");
	ok((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY,
	    "ours is read-only");

	msgfile_reader_init(&r, other, strlen(text));
	ok(read_all(&r, out, sizeof(out), &len, &f) == 0 &&
	    len == strlen(text) && memcmp(out, text, len) == 0,
	    "the reader reads from octet 0 whatever the offset, all of it");
	ok(lseek(other, 0, SEEK_CUR) == 7,
	    "and never moves the offset (explicit offsets only)");

	msgfile_reader_init(&r, fd, 10);
	ok(read_all(&r, out, sizeof(out), &len, &f) == 0 && len == 10 &&
	    memcmp(out, text, 10) == 0,
	    "never past the checked size, though the file is longer");

	msgfile_reader_init(&r, fd, strlen(text) + 1);
	ok(read_all(&r, out, sizeof(out), &len, &f) == -1 &&
	    f.kind == FAIL_IOERR && strstr(f.msg, "ends") != NULL,
	    "a file shorter than the checked size fails (%s)", f.msg);

	{
		int plain = memfd_create("u", MFD_CLOEXEC);

		ok(plain >= 0 && msgfile_make_private(plain) == -1 &&
		    errno == EINVAL, "an unsealed file is refused");
		(void)close(plain);
	}
	ok(pipe(pipefd) == 0 && msgfile_make_private(pipefd[0]) == -1 &&
	    errno == EINVAL, "a pipe (or FIFO) is refused, never opened");
	(void)close(fd);
	(void)close(other);
	return done_testing();
}
