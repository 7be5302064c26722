/* spool.c - the spool directory (see spool.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "area.h"
#include "log.h"
#include "msgfile.h"
#include "rundir.h"
#include "spool.h"

/* Files and areas belong to the group (safemail): the gate writes them
 * for whichever user submitted, the queue runner (user safemail) takes,
 * locks, rewrites and removes them. Nobody else gets any bit. */
#define FILE_MODE 0660

void
spool_close(struct spool *sp)
{
	int *fds[] = {&sp->quota_lock, &sp->run, &sp->dir, &sp->q, &sp->tmp,
	    &sp->failed, &sp->corrupt};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			(void)close(*fds[i]);
		*fds[i] = -1;
	}
}

int
spool_open(struct spool *sp, const char *path, struct failure *f)
{
	struct stat st;

	sp->dir = sp->q = sp->tmp = sp->failed = sp->corrupt = -1;
	sp->run = sp->quota_lock = -1;
	(void)snprintf(sp->path, sizeof(sp->path), "%s", path);
	sp->dir = area_open_spool(path, f);
	if (sp->dir < 0)
		return -1;
	if (fstat(sp->dir, &st) != 0) {
		fail_set(f, FAIL_OSERR, "spool %s: %s", path, strerror(errno));
		spool_close(sp);
		return -1;
	}
	sp->owner = st.st_uid;
	sp->group = st.st_gid;
	/* run/ too: a spool whose run/ is missing or wrong is refused as a
	 * whole (area.h); it holds the quota lock */
	if ((sp->q = area_open(sp->dir, path, "q", true, f)) < 0 ||
	    (sp->tmp = area_open(sp->dir, path, "tmp", true, f)) < 0 ||
	    (sp->failed = area_open(sp->dir, path, "failed", true, f)) < 0 ||
	    (sp->corrupt = area_open(sp->dir, path, "corrupt", true, f)) < 0 ||
	    (sp->run = area_open(sp->dir, path, "run", true, f)) < 0) {
		spool_close(sp);
		return -1;
	}
	return 0;
}

int
spool_check(const char *path, struct failure *f)
{
	struct spool sp;

	if (spool_open(&sp, path, f) != 0)
		return -1;
	spool_close(&sp);
	return 0;
}

int
spool_tmpfile(struct spool *sp, struct failure *f)
{
	int fd = openat(sp->tmp, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
	    FILE_MODE);

	if (fd < 0) {
		fail_set(f, FAIL_OSERR, "spool %s/tmp: %s", sp->path,
		    strerror(errno));
		return -1;
	}
	(void)fchmod(fd, FILE_MODE); /* the umask is 077 */
	return fd;
}

int
spool_new_qid(char qid[SPOOL_QID_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char r[SPOOL_QID_LEN / 2];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	for (size_t i = 0; i < sizeof(r); i++) {
		qid[2 * i] = hex[r[i] >> 4];
		qid[2 * i + 1] = hex[r[i] & 15];
	}
	qid[SPOOL_QID_LEN] = '\0';
	return 0;
}

int
spool_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write name in tmp/, fsync it, rename it to dest in q/ (or dir). */
static int
write_file(struct spool *sp, const char *data, size_t len, const char *tmpname,
    int destdir, const char *dest, struct failure *f)
{
	int fd = openat(sp->tmp, tmpname,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);

	if (fd < 0) {
		fail_set(f, FAIL_OSERR, "spool %s/tmp/%s: %s", sp->path, tmpname,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, FILE_MODE) != 0 || spool_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		fail_set(f, FAIL_IOERR, "spool %s/tmp/%s: %s", sp->path,
		    tmpname, strerror(errno));
		(void)close(fd);
		(void)unlinkat(sp->tmp, tmpname, 0);
		return -1;
	}
	(void)close(fd);
	if (renameat(sp->tmp, tmpname, destdir, dest) != 0) {
		fail_set(f, FAIL_IOERR, "spool %s: rename %s: %s", sp->path,
		    dest, strerror(errno));
		(void)unlinkat(sp->tmp, tmpname, 0);
		return -1;
	}
	return 0;
}

static int
write_env(struct spool *sp, const struct spool_env *e, struct failure *f)
{
	char tmpname[64], dest[32];
	size_t len;
	char *text = spool_env_format(e, &len);
	int rc;

	if (text == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	(void)snprintf(tmpname, sizeof(tmpname), "%s.env.%ld", e->qid,
	    (long)getpid());
	(void)snprintf(dest, sizeof(dest), "%s.env", e->qid);
	rc = write_file(sp, text, len, tmpname, sp->q, dest, f);
	free(text);
	if (rc == 0 && fsync(sp->q) != 0) {
		fail_set(f, FAIL_IOERR, "spool %s/q: fsync: %s", sp->path,
		    strerror(errno));
		return -1;
	}
	return rc;
}

/* Link the unnamed file fd in tmp/ into q/ as dest, durable. */
static int
link_in(struct spool *sp, int fd, const char *dest, struct failure *f)
{
	char procpath[64];

	(void)snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
	if (fsync(fd) != 0 ||
	    linkat(AT_FDCWD, procpath, sp->q, dest, AT_SYMLINK_FOLLOW) != 0) {
		fail_set(f, FAIL_IOERR, "spool %s: cannot store the message: "
					"%s",
		    sp->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Exactly size octets of msgfd, read at explicit offsets (whoever else
 * holds the descriptor cannot move what is read), into a new file of
 * ours; the copy must end up of that size. */
static int
copy_in(struct spool *sp, int msgfd, unsigned long long size,
    const char *dest, struct failure *f)
{
	struct msgfile_reader in;
	struct stat st;
	char buf[65536];
	size_t got = 1;
	int out = spool_tmpfile(sp, f);

	if (out < 0)
		return -1;
	msgfile_reader_init(&in, msgfd, size);
	while (got > 0) {
		if (msgfile_reader_read(&in, buf, sizeof(buf), &got, f) != 0)
			goto fail;
		if (got > 0 && spool_write_all(out, buf, got) != 0)
			goto io;
	}
	if (fstat(out, &st) != 0)
		goto io;
	if ((unsigned long long)st.st_size != size) {
		fail_set(f, FAIL_IOERR, "spool %s: the copy of the message "
					"holds %llu octets, not %llu",
		    sp->path, (unsigned long long)st.st_size, size);
		goto fail;
	}
	if (link_in(sp, out, dest, f) != 0)
		goto fail;
	(void)close(out);
	return 0;
io:
	fail_set(f, FAIL_IOERR, "spool %s: cannot store the message: %s",
	    sp->path, strerror(errno));
fail:
	(void)close(out);
	return -1;
}

/* The envelope after the message: a .env in q/ always has its .msg. */
static int
commit_env(struct spool *sp, const char *dest, const struct spool_env *e,
    struct failure *f)
{
	if (write_env(sp, e, f) != 0) {
		(void)unlinkat(sp->q, dest, 0);
		return -1;
	}
	return 0;
}

int
spool_commit(struct spool *sp, int msgfd, const struct spool_env *e,
    struct failure *f)
{
	char dest[32];

	(void)snprintf(dest, sizeof(dest), "%s.msg", e->qid);
	if (copy_in(sp, msgfd, e->size, dest, f) != 0)
		return -1;
	return commit_env(sp, dest, e, f);
}

int
spool_commit_own(struct spool *sp, int tmpfd, const struct spool_env *e,
    struct failure *f)
{
	char dest[32];
	struct stat st;

	(void)snprintf(dest, sizeof(dest), "%s.msg", e->qid);
	if (fstat(tmpfd, &st) != 0 ||
	    (unsigned long long)st.st_size != e->size) {
		fail_set(f, FAIL_IOERR, "spool %s: the message file is not of "
					"its envelope's size",
		    sp->path);
		return -1;
	}
	if (link_in(sp, tmpfd, dest, f) != 0)
		return -1;
	return commit_env(sp, dest, e, f);
}

int
spool_update(struct spool *sp, const struct spool_env *e, struct failure *f)
{
	return write_env(sp, e, f);
}

/* Spool files are hostile input: a regular file with one link, not
 * writable by others (by the group only when it is the spool's), owned by
 * us, the spool's owner or its group. */
static bool
safe_file(const struct spool *sp, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1 &&
	    (st->st_mode & 002) == 0 &&
	    ((st->st_mode & 020) == 0 || st->st_gid == sp->group) &&
	    (st->st_uid == geteuid() || st->st_uid == sp->owner ||
		st->st_gid == sp->group);
}

/* An error that says nothing about the file: out of descriptors or
 * memory (the starter's limits), an I/O error, no permission (a run as
 * the wrong user). The message is skipped and tried next run, never
 * moved aside. */
static bool
transient(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM ||
	    err == ENOBUFS || err == EIO || err == EACCES || err == EPERM ||
	    err == EINTR || err == EAGAIN;
}

/* Whether an open of NAME that failed with err is worth trying again:
 * the error says nothing about the file, and the file itself (not
 * followed) passes the checks. A planted file we may not open is
 * corrupt, not busy. */
static bool
retry_open(const struct spool *sp, const char *name, int err)
{
	struct stat st;

	if (!transient(err))
		return false;
	if (fstatat(sp->q, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return true; /* cannot tell: leave it */
	return safe_file(sp, &st);
}

/* 0; -1: the file is too large (its content is wrong); -2: it could not
 * be read (transient) */
static int
read_all(int fd, char **out, size_t *len, size_t max)
{
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &st) != 0)
		return -2;
	if (st.st_size < 0 || (size_t)st.st_size > max)
		return -1;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return -2;
	while (got < (size_t)st.st_size) {
		/* at explicit offsets: a handed-over envelope's offset is
		 * shared with its sender */
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got,
		    (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n == 0 ? -1 : -2; /* shorter than it says */
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int
spool_env_read_fd(int fd, struct spool_env *e, struct failure *f)
{
	char *text;
	size_t len;
	int rc;

	rc = read_all(fd, &text, &len, SPOOL_ENV_MAX);
	if (rc != 0) {
		fail_set(f, rc == -2 ? FAIL_IOERR : FAIL_DATA, "cannot read it%s%s",
		    rc == -2 ? ": " : "", rc == -2 ? strerror(errno) : "");
		return rc;
	}
	rc = spool_env_parse(text, len, e, f);
	free(text);
	return rc;
}

static int
parse_env_fd(int fd, const char *qid, struct spool_env *e, struct failure *f)
{
	int rc = spool_env_read_fd(fd, e, f);

	if (rc == 0 && strcmp(e->qid, qid) != 0) {
		fail_set(f, FAIL_DATA, "its id is %s", e->qid);
		spool_env_free(e);
		return -1;
	}
	return rc;
}

enum spool_take
spool_take(struct spool *sp, const char *qid, struct spool_item *it,
    struct failure *f)
{
	char env_name[32], msg_name[32];
	struct stat st, now;

	it->envfd = it->msgfd = -1;
	memset(&it->env, 0, sizeof(it->env));
	(void)snprintf(env_name, sizeof(env_name), "%s.env", qid);
	(void)snprintf(msg_name, sizeof(msg_name), "%s.msg", qid);
	it->envfd = openat(sp->q, env_name,
	    O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (it->envfd < 0) {
		if (errno == ENOENT)
			return TAKE_GONE;
		int err = errno;

		fail_set(f, FAIL_DATA, "%s: %s", env_name, strerror(err));
		return retry_open(sp, env_name, err) ? TAKE_RETRY : TAKE_CORRUPT;
	}
	if (fstat(it->envfd, &st) != 0) {
		fail_set(f, FAIL_IOERR, "%s: %s", env_name, strerror(errno));
		goto retry;
	}
	if (!safe_file(sp, &st)) {
		fail_set(f, FAIL_DATA, "%s: not a safe regular file", env_name);
		goto corrupt;
	}
	if (flock(it->envfd, LOCK_EX | LOCK_NB) != 0) {
		spool_release(it);
		return TAKE_BUSY;
	}
	/* Renamed over or removed while we waited: someone else had it. */
	if (fstatat(sp->q, env_name, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
	    now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
		spool_release(it);
		return TAKE_GONE;
	}
	switch (parse_env_fd(it->envfd, qid, &it->env, f)) {
	case 0:
		break;
	case -2:
		goto retry;
	default:
		goto corrupt;
	}
	it->msgfd = openat(sp->q, msg_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (it->msgfd < 0) {
		int err = errno;

		fail_set(f, FAIL_DATA, "%s: %s", msg_name, strerror(err));
		if (retry_open(sp, msg_name, err))
			goto retry;
		goto corrupt;
	}
	if (fstat(it->msgfd, &st) != 0) {
		fail_set(f, FAIL_IOERR, "%s: %s", msg_name, strerror(errno));
		goto retry;
	}
	if (!safe_file(sp, &st) ||
	    (unsigned long long)st.st_size != it->env.size) {
		fail_set(f, FAIL_DATA, "%s: not a safe regular file of the "
				       "recorded size",
		    msg_name);
		goto corrupt;
	}
	return TAKE_OK;
retry:
	spool_release(it);
	return TAKE_RETRY;
corrupt:
	spool_release(it);
	return TAKE_CORRUPT;
}

void
spool_release(struct spool_item *it)
{
	if (it->msgfd >= 0)
		(void)close(it->msgfd);
	if (it->envfd >= 0)
		(void)close(it->envfd); /* and the lock with it */
	it->msgfd = it->envfd = -1;
	spool_env_free(&it->env);
}

int
spool_remove(struct spool *sp, const char *qid, struct failure *f)
{
	char name[32];

	(void)snprintf(name, sizeof(name), "%s.env", qid);
	if (unlinkat(sp->q, name, 0) != 0 && errno != ENOENT) {
		fail_set(f, FAIL_IOERR, "spool: unlink %s: %s", name,
		    strerror(errno));
		return -1;
	}
	(void)snprintf(name, sizeof(name), "%s.msg", qid);
	(void)unlinkat(sp->q, name, 0);
	/* No fsync: a removal lost in a crash only means the message is
	 * sent once more (at least once), never lost; Postfix does the same. */
	return 0;
}

int
spool_move_name(struct spool *sp, const char *name)
{
	char dest[300];

	(void)snprintf(dest, sizeof(dest), "%.200s.%lld", name,
	    (long long)time(NULL));
	if (renameat(sp->q, name, sp->corrupt, dest) != 0)
		return -1;
	log_emit(LOG_WARNING, "spool: moved %s aside to corrupt/%s", name,
	    dest);
	return 0;
}

int
spool_move(struct spool *sp, const char *qid, bool corrupt)
{
	static const char *const ext[] = {".env", ".msg"};
	int rc = 0;

	/* The .msg first: an .env in q/ without it is taken as corrupt. */
	for (int i = 1; i >= 0; i--) {
		char name[32];

		(void)snprintf(name, sizeof(name), "%s%s", qid, ext[i]);
		if (corrupt) {
			if (spool_move_name(sp, name) != 0 && errno != ENOENT)
				rc = -1;
		} else if (renameat(sp->q, name, sp->failed, name) != 0 &&
		    errno != ENOENT) {
			rc = -1;
		}
	}
	(void)fsync(sp->q);
	return rc;
}

static int
cmp_ids(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The uid the envelope of NAME.msg names; (uid_t)-1 when it names
 * none (gone meanwhile, or not an envelope). */
static uid_t
envelope_uid(const struct spool *sp, const char *msg_name)
{
	char name[SPOOL_QID_LEN + 5], head[160];
	unsigned uid;
	ssize_t n = -1;
	int fd;

	(void)snprintf(name, sizeof(name), "%.*s.env", SPOOL_QID_LEN,
	    msg_name);
	fd = openat(sp->q, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				       O_NONBLOCK);
	if (fd >= 0) {
		n = pread(fd, head, sizeof(head), 0);
		(void)close(fd);
	}
	return n > 0 && spool_env_head_uid(head, (size_t)n, &uid) ? (uid_t)uid
								  : (uid_t)-1;
}

int
spool_usage(struct spool *sp, uid_t uid, struct quota_usage *u,
    struct failure *f)
{
	/* getdents64 into the stack, not readdir: no 32 KiB buffer mapped
	 * and unmapped on every submission (this is on the hot path) */
	char buf[8192] __attribute__((aligned(8)));
	struct statvfs vfs;
	ssize_t n;

	memset(u, 0, sizeof(*u));
	if (fstatvfs(sp->dir, &vfs) != 0 || lseek(sp->q, 0, SEEK_SET) != 0) {
		fail_set(f, FAIL_OSERR, "spool %s: %s", sp->path,
		    strerror(errno));
		return -1;
	}
	/* what an unprivileged writer may use: f_bavail, not f_bfree */
	u->free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	/* A message's .msg is written once, by the submitting process: on
	 * the set-ID path its owner is the submitter (the .env is rewritten
	 * by the queue runner after each attempt); the submission service
	 * writes every user's as the queue user, and its .env names the
	 * user (the uid the kernel gave the service, caller.h): counted on
	 * either path, so that a user who uses both has one share. */
	while ((n = getdents64(sp->q, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de =
			    (const struct dirent64 *)(const void *)(buf + off);
			size_t len = strlen(de->d_name);
			struct stat st;

			off += de->d_reclen;
			if (len != SPOOL_QID_LEN + 4 ||
			    strcmp(de->d_name + SPOOL_QID_LEN, ".msg") != 0 ||
			    fstatat(sp->q, de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) != 0 ||
			    (st.st_uid != uid &&
				((st.st_uid != geteuid() &&
				     st.st_uid != area_queue_uid()) ||
				    envelope_uid(sp, de->d_name) != uid)))
				continue;
			u->messages++;
			u->bytes += (unsigned long long)st.st_size;
		}
	}
	if (n < 0) {
		fail_set(f, FAIL_OSERR, "spool %s: %s", sp->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* 10 ms apart: a second at most */
#define QUOTA_LOCK_TRIES 100

int
spool_quota(struct spool *sp, const struct quota_limits *l, uid_t uid,
    unsigned long long size, struct failure *f)
{
	struct quota_usage u;
	char name[32];

	if (l->max_messages == 0 && l->max_bytes == 0 && l->min_free == 0)
		return 0;
	/* the count and the commit as one step for this uid, until
	 * spool_close: else parallel submissions each see room for one
	 * more. A holder that does not let go is one of this user's own
	 * (stopped): only its mail waits. */
	(void)snprintf(name, sizeof(name), "quota-%u", (unsigned)uid);
	if (sp->quota_lock < 0 &&
	    (sp->quota_lock = rundir_lock_file(sp->run, name,
		 QUOTA_LOCK_TRIES)) < 0) {
		fail_set(f, FAIL_TEMP, "spool %s/run/%s: %s: try again later",
		    sp->path, name,
		    errno == EWOULDBLOCK ? "held by another submission of "
					   "this user"
					 : strerror(errno));
		return -1;
	}
	if (spool_usage(sp, uid, &u, f) != 0)
		return -1;
	return quota_check(l, &u, size, (unsigned)uid, f);
}

int
spool_list(struct spool *sp, bool failed_area,
    char (**ids)[SPOOL_QID_LEN + 1], size_t *n, struct failure *f)
{
	int fd = dup(failed_area ? sp->failed : sp->q);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t cap = 0;

	*ids = NULL;
	*n = 0;
	if (d == NULL) {
		if (fd >= 0)
			(void)close(fd);
		fail_set(f, FAIL_OSERR, "spool %s: %s", sp->path,
		    strerror(errno));
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (len == SPOOL_QID_LEN + 4 &&
		    spool_qid_ok(de->d_name, SPOOL_QID_LEN) &&
		    (strcmp(de->d_name + SPOOL_QID_LEN, ".msg") == 0))
			continue;
		if (len != SPOOL_QID_LEN + 4 ||
		    !spool_qid_ok(de->d_name, SPOOL_QID_LEN) ||
		    strcmp(de->d_name + SPOOL_QID_LEN, ".env") != 0) {
			if (!failed_area)
				(void)spool_move_name(sp, de->d_name);
			continue;
		}
		if (*n == cap) {
			size_t c = cap == 0 ? 64 : cap * 2;
			char(*grown)[SPOOL_QID_LEN + 1] =
			    realloc(*ids, c * sizeof(**ids));

			if (grown == NULL) {
				(void)closedir(d);
				free(*ids);
				*ids = NULL;
				fail_set(f, FAIL_OSERR, "out of memory");
				return -1;
			}
			*ids = grown;
			cap = c;
		}
		memcpy((*ids)[*n], de->d_name, SPOOL_QID_LEN);
		(*ids)[*n][SPOOL_QID_LEN] = '\0';
		(*n)++;
	}
	(void)closedir(d);
	if (*n > 1)
		qsort(*ids, *n, sizeof(**ids), cmp_ids);
	return 0;
}

int
spool_read_env(struct spool *sp, bool failed_area, const char *qid,
    struct spool_env *e, struct failure *f)
{
	char name[32];
	struct stat st;
	int fd, rc;

	(void)snprintf(name, sizeof(name), "%s.env", qid);
	fd = openat(failed_area ? sp->failed : sp->q, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !safe_file(sp, &st)) {
		fail_set(f, FAIL_DATA, "%s: %s", name,
		    fd < 0 ? strerror(errno) : "not a safe regular file");
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	rc = parse_env_fd(fd, qid, e, f);
	(void)close(fd);
	return rc;
}

/* One directory of the sweep: names that pass keep() are left alone. */
static size_t
sweep_dir(struct spool *sp, int dirfd, const char *area, long long max_age,
    bool (*keep)(struct spool *sp, const char *name))
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	long long now = (long long)time(NULL);
	size_t removed = 0;

	if (d == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || keep(sp, de->d_name))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) ||
		    now - (long long)st.st_mtime < max_age)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0) {
			removed++;
			log_emit(LOG_WARNING, "spool: removed %s/%s, left by "
					      "an unfinished submission",
			    area, de->d_name);
		}
	}
	(void)closedir(d);
	return removed;
}

/* In q/: everything but a QID.msg without its QID.env is kept (stray
 * names are spool_list's to move aside). */
static bool
keep_in_q(struct spool *sp, const char *name)
{
	char env[32];
	struct stat st;

	if (strlen(name) != SPOOL_QID_LEN + 4 ||
	    !spool_qid_ok(name, SPOOL_QID_LEN) ||
	    strcmp(name + SPOOL_QID_LEN, ".msg") != 0)
		return true;
	(void)snprintf(env, sizeof(env), "%.12s.env", name);
	return fstatat(sp->q, env, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool
keep_none(struct spool *sp, const char *name)
{
	(void)sp;
	(void)name;
	return false;
}

size_t
spool_sweep(struct spool *sp, long long max_age)
{
	return sweep_dir(sp, sp->q, "q", max_age, keep_in_q) +
	    sweep_dir(sp, sp->tmp, "tmp", max_age, keep_none);
}
