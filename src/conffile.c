/* conffile.c - open, check and read /etc/safemail.ini (I/O)
 *
 * The file is opened without following links and judged on the open
 * descriptor (no race between a check and the open): a regular file, owned
 * by root (or by the caller in a process that is not set-ID), writable by
 * nobody else, at most CONF_FILE_MAX bytes, and not readable by others
 * when it holds a password. The text is parsed by conf_parse (pure). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "limits.h"

/* conf_load - open without following links, check ownership and modes on
 * the open descriptor, read it whole, parse it. */
int
conf_load(const char *path, const struct conf_trust *trust, struct conf *c,
    struct failure *f)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd;
	int rc = -1;

	conf_defaults(c);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK);
	if (fd < 0) {
		fail_set(f, FAIL_CONFIG, "%s: cannot open: %s", path,
		    errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		fail_set(f, FAIL_CONFIG, "%s: cannot stat: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail_set(f, FAIL_CONFIG, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 &&
	    !(trust->caller_may_own && st.st_uid == trust->caller_uid)) {
		fail_set(f, FAIL_CONFIG,
		    "%s: owned by uid %u, not root: refused", path,
		    (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fail_set(f, FAIL_CONFIG,
		    "%s: writable by group or others (mode %04o): refused",
		    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > CONF_FILE_MAX) {
		fail_set(f, FAIL_CONFIG, "%s: larger than %d bytes", path,
		    CONF_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		fail_set(f, FAIL_OSERR, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail_set(f, FAIL_CONFIG, "%s: cannot read: %s", path,
			    n == 0 ? "file shrank" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	if (conf_parse(buf, got, path, c, f) != 0)
		goto out;
	if (c->password != NULL && (st.st_mode & S_IROTH)) {
		fail_set(f, FAIL_CONFIG,
		    "%s:%u: password: the file is readable by others (mode "
		    "%04o); make it 0640 root:safemail",
		    path, c->password_line, (unsigned)(st.st_mode & 07777));
		conf_free(c);
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, got);
		free(buf);
	}
	close(fd);
	return rc;
}
