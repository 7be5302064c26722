/* conffile.c - open, check and read /etc/safemail.ini (I/O)
 *
 * The file is opened without following links and judged on the open
 * descriptor (no race between a check and the open): a regular file, owned
 * by root (or by the caller in a process that is not set-ID), writable by
 * nobody else, at most CONF_FILE_MAX bytes, and not readable by others
 * when it holds a password. The text is parsed by conf_parse (pure); the
 * gate's policy for the front end is written from that (confpolicy.c). A
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

#include "caller.h"
#include "conf.h"
#include "handoff.h"
#include "limits.h"
#include "log.h"

void
conf_trust_for(struct conf_trust *t, bool secure)
{
	t->caller_uid = getuid();
	t->caller_may_own = !secure;
	/* set-ID: the group we were given is the one the file must have */
	t->require_group = secure && getegid() != getgid();
	t->group = getegid();
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

/* The file a *_file key (password_file, oauth2_client_secret_file,
 * oauth2_refresh_token_file) names: judged on the open descriptor as the
 * configuration is (owned by root, or by the caller in a process that is
 * not set-ID; set-ID: root and the group, nothing for others; never
 * writable by group or others), and never readable by others. Its text,
 * less one final line end, is the secret: one line of any length up to
 * SECRET_FILE_MAX (the configuration's line limit does not apply). */
#define SECRET_FILE_MAX 65536
static int
read_secret(const char *key, const char *path, const struct conf_trust *trust,
    char **out, struct failure *f)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK);

	if (fd < 0) {
		fail_set(f, FAIL_CONFIG, "%s %s: cannot open: %s",
		    key, path,
		    errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail_set(f, FAIL_CONFIG, "%s %s: not a regular file",
		    key, path);
		goto fail;
	}
	if ((st.st_uid != 0 &&
		!(trust->caller_may_own && st.st_uid == trust->caller_uid)) ||
	    (trust->require_group && st.st_gid != trust->group) ||
	    (st.st_mode & 027) != 0) {
		fail_set(f, FAIL_CONFIG,
		    "%s %s: must be owned by root%s, writable by "
		    "its owner only and unreadable by others (is %u:%u mode "
		    "%04o); make it 0640 root:safemail",
		    key, path, trust->require_group ? " with the group safemail" : "",
		    (unsigned)st.st_uid, (unsigned)st.st_gid,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size > SECRET_FILE_MAX) {
		fail_set(f, FAIL_CONFIG, "%s %s: larger than %d bytes", key,
		    path, SECRET_FILE_MAX);
		goto fail;
	}
	{
		char label[4200];

		(void)snprintf(label, sizeof(label), "%s %s", key, path);
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
		fail_set(f, FAIL_CONFIG, "%s %s: %s", key, path,
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

/* The secrets the *_file keys name, for the relay client, in [smtp]
 * and in each [smtp.NAME]. */
static int
read_secret_files(struct conf *c, const struct conf_trust *trust,
    struct failure *f)
{
	struct conf_oauth2 *o = &c->oauth2;

	for (size_t i = 0; i < c->nroutes; i++)
		if (read_secret_files(c->routes[i], trust, f) != 0)
			return -1;
	if (c->password_file != NULL &&
	    read_secret("password_file", c->password_file, trust, &c->password,
		f) != 0)
		return -1;
	if (o->client_secret_file != NULL &&
	    read_secret("oauth2_client_secret_file", o->client_secret_file,
		trust, &o->client_secret, f) != 0)
		return -1;
	if (o->refresh_token_file != NULL &&
	    read_secret("oauth2_refresh_token_file", o->refresh_token_file,
		trust, &o->refresh_token, f) != 0)
		return -1;
	return 0;
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
	/* the secrets' lines: [smtp] and each [smtp.NAME] */
	unsigned lines[3 * (CONF_ROUTES_MAX + 1)], secret_line = 0;
	size_t nlines = 0;
	const char *secret_key = "";

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
	for (size_t k = 0; k <= c->nroutes; k++) {
		const struct conf *one = k == 0 ? c : c->routes[k - 1];

		lines[3 * k] = one->password != NULL ? one->password_line : 0;
		lines[3 * k + 1] = one->oauth2.client_secret != NULL
		    ? one->client_secret_line
		    : 0;
		lines[3 * k + 2] = one->oauth2.refresh_token != NULL
		    ? one->refresh_token_line
		    : 0;
	}
	nlines = 3 * (c->nroutes + 1);
	for (size_t i = nlines; i-- > 0;)
		if (lines[i] != 0 && (secret_line == 0 || lines[i] < secret_line)) {
			static const char *const names[] = {"password",
			    "oauth2_client_secret", "oauth2_refresh_token"};

			secret_line = lines[i];
			secret_key = names[i % 3];
		}
	if (secret_line != 0 && (st.st_mode & S_IROTH)) {
		fail_set(f, FAIL_CONFIG,
		    "%s:%u: %s: the file is readable by others (mode "
		    "%04o); make it 0640 root:safemail",
		    path, secret_line, secret_key,
		    (unsigned)(st.st_mode & 07777));
		conf_free(c);
		goto out;
	}
	/* the relay client's load (no policy to hand on) needs the secrets;
	 * the gate's does not read them */
	if (policy == NULL && read_secret_files(c, trust, f) != 0) {
		conf_free(c);
		goto out;
	}
	/* the gate's name for this host goes to the front end, which may
	 * run in a namespace with a host name of its own (an app container
	 * beside the service's): both then write and check the same one */
	if (policy != NULL && c->helo_name[0] == '\0')
		local_host_name(NULL, c->helo_name, sizeof(c->helo_name));
	/* written from what was parsed, never from the file's text; the
	 * front end's recv() takes HANDOFF_PACKET_MAX - 1 bytes with the
	 * packet's mark */
	if (policy != NULL &&
	    conf_policy_text(c, HANDOFF_PACKET_MAX - 2, policy, plen, f) != 0) {
		conf_free(c);
		goto out;
	}
	/* from here on this process's lines go where the file says */
	log_use(c->log_target);
	rc = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, got);
		free(buf);
	}
	close(fd);
	return rc;
}

bool
conf_file_unchanged(const char *path, const struct stat *was)
{
	struct stat now;

	return stat(path, &now) == 0 && now.st_dev == was->st_dev &&
	    now.st_ino == was->st_ino && now.st_size == was->st_size &&
	    now.st_mode == was->st_mode && now.st_uid == was->st_uid &&
	    now.st_gid == was->st_gid &&
	    now.st_mtim.tv_sec == was->st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == was->st_mtim.tv_nsec &&
	    now.st_ctim.tv_sec == was->st_ctim.tv_sec &&
	    now.st_ctim.tv_nsec == was->st_ctim.tv_nsec;
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
