/* conffile.c - open, check and read /etc/safemail.ini (I/O)
 *
 * The file is opened without following links and judged on the open
 * descriptor (no race between a check and the open): a regular file, owned
 * by root (or by the caller in a process that is not set-ID), writable by
 * nobody else, at most CONF_FILE_MAX bytes, and not readable by others
 * when it holds a password. The text is parsed by conf_parse (pure). A
 * password_file is read by the relay client's load only, under the same
 * rules and never readable by others. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "limits.h"

void
conf_trust_for(struct conf_trust *t, bool secure)
{
	t->caller_uid = getuid();
	t->caller_may_own = !secure;
	/* set-ID: the group we were given is the one the file must have */
	t->require_group = secure && getegid() != getgid();
	t->group = getegid();
}

/* The text with the password line's value replaced (one line, since
 * continuation lines are refused). */
static char *
redact(const char *buf, size_t len, unsigned line, size_t *outlen)
{
	static const char stand_in[] = "password = (held by the back end)";
	const char *start = buf, *end = buf + len, *eol;
	char *out = malloc(len + sizeof(stand_in) + 1);
	size_t o = 0;
	unsigned n = 1;

	if (out == NULL)
		return NULL;
	while (start < end) {
		eol = memchr(start, '\n', (size_t)(end - start));
		eol = eol != NULL ? eol + 1 : end;
		if (n == line) {
			memcpy(out + o, stand_in, sizeof(stand_in) - 1);
			o += sizeof(stand_in) - 1;
			out[o++] = '\n';
		} else {
			memcpy(out + o, start, (size_t)(eol - start));
			o += (size_t)(eol - start);
		}
		start = eol;
		n++;
	}
	*outlen = o;
	return out;
}

/* The size bytes of fd in a new buffer (one more for a NUL), or NULL
 * with f set; label names the file in the message. */
static char *
read_whole(int fd, size_t size, const char *label, struct failure *f)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (buf == NULL) {
		fail_set(f, FAIL_OSERR, "%s: out of memory", label);
		return NULL;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail_set(f, FAIL_CONFIG, "%s: cannot read: %s", label,
			    n == 0 ? "file shrank" : strerror(errno));
			explicit_bzero(buf, got);
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	buf[size] = '\0';
	return buf;
}

/* The file password_file names: judged on the open descriptor as the
 * configuration is (owned by root, or by the caller in a process that is
 * not set-ID; set-ID: root and the group, nothing for others; never
 * writable by group or others), and never readable by others. Its text,
 * less one final line end, is the password: one line of any length up to
 * SECRET_FILE_MAX (the configuration's line limit does not apply). */
#define SECRET_FILE_MAX 65536
static int
read_secret(const char *path, const struct conf_trust *trust, char **out,
    struct failure *f)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK);

	if (fd < 0) {
		fail_set(f, FAIL_CONFIG, "password_file %s: cannot open: %s",
		    path,
		    errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail_set(f, FAIL_CONFIG, "password_file %s: not a regular file",
		    path);
		goto fail;
	}
	if ((st.st_uid != 0 &&
		!(trust->caller_may_own && st.st_uid == trust->caller_uid)) ||
	    (trust->require_group && st.st_gid != trust->group) ||
	    (st.st_mode & 027) != 0) {
		fail_set(f, FAIL_CONFIG,
		    "password_file %s: must be owned by root%s, writable by "
		    "its owner only and unreadable by others (is %u:%u mode "
		    "%04o); make it 0640 root:safemail",
		    path, trust->require_group ? " with the group safemail" : "",
		    (unsigned)st.st_uid, (unsigned)st.st_gid,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size > SECRET_FILE_MAX) {
		fail_set(f, FAIL_CONFIG, "password_file %s: larger than %d "
					 "bytes",
		    path, SECRET_FILE_MAX);
		goto fail;
	}
	{
		char label[4200];

		(void)snprintf(label, sizeof(label), "password_file %s", path);
		buf = read_whole(fd, (size_t)st.st_size, label, f);
	}
	if (buf == NULL)
		goto fail;
	got = (size_t)st.st_size;
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	buf[got] = '\0';
	if (got == 0 || memchr(buf, '\0', got) != NULL ||
	    memchr(buf, '\n', got) != NULL || memchr(buf, '\r', got) != NULL) {
		fail_set(f, FAIL_CONFIG, "password_file %s: %s", path,
		    got == 0 ? "is empty"
			     : "must hold one line (no NUL, CR or LF inside)");
		goto fail;
	}
	(void)close(fd);
	*out = buf;
	return 0;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, got);
		free(buf);
	}
	(void)close(fd);
	return -1;
}

static int
load(const char *path, const struct conf_trust *trust, struct conf *c,
    char **policy, size_t *plen, struct failure *f)
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
	if (trust->require_group &&
	    (st.st_uid != 0 || st.st_gid != trust->group ||
		(st.st_mode & 007) != 0)) {
		fail_set(f, FAIL_CONFIG,
		    "%s: must be owned by root, group %u, and have no "
		    "permissions for others (is %u:%u mode %04o): refused",
		    path, (unsigned)trust->group, (unsigned)st.st_uid,
		    (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
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
	buf = read_whole(fd, (size_t)st.st_size, path, f);
	if (buf == NULL)
		goto out;
	got = (size_t)st.st_size;
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
	/* the relay client's load (no policy to hand on) needs the secret;
	 * the gate's does not read it */
	if (policy == NULL && c->password_file != NULL &&
	    read_secret(c->password_file, trust, &c->password, f) != 0) {
		conf_free(c);
		goto out;
	}
	if (policy != NULL) {
		*policy = c->password != NULL
		    ? redact(buf, got, c->password_line, plen)
		    : malloc(got + 1);
		if (*policy == NULL) {
			fail_set(f, FAIL_OSERR, "%s: out of memory", path);
			conf_free(c);
			goto out;
		}
		if (c->password == NULL) {
			memcpy(*policy, buf, got);
			*plen = got;
		}
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

int
conf_load(const char *path, const struct conf_trust *trust, struct conf *c,
    struct failure *f)
{
	return load(path, trust, c, NULL, NULL, f);
}

int
conf_load_policy(const char *path, const struct conf_trust *trust,
    struct conf *c, char **policy, size_t *len, struct failure *f)
{
	return load(path, trust, c, policy, len, f);
}
