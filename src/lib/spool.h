/* spool.h - the spool directory: messages kept until the relay takes
 * them. The back end's side of DESIGN.md (a later issue runs it setgid).
 *
 *   SPOOL/tmp/      files being written (unnamed O_TMPFILE, or *.tmp)
 *   SPOOL/q/        QID.msg (the normalized message) and QID.env (the
 *                   envelope and each recipient's state, spoolfmt.h)
 *   SPOOL/failed/   messages nothing more can be done with, kept for the
 *                   admin (mailq lists them)
 *   SPOOL/corrupt/  files that failed the checks, moved aside
 *
 * A message is accepted when its QID.env is renamed into q/ (after the
 * .msg is linked and both are fsync'd, and then the directory): a crash
 * before leaves nothing the runner will see, a crash after leaves it
 * whole. Every file is opened without following links and checked with
 * fstat on the open descriptor. */
#ifndef SAFEMAIL_SPOOL_H
#define SAFEMAIL_SPOOL_H

#include <stdbool.h>
#include <sys/types.h>

#include "fail.h"
#include "quota.h"
#include "spoolfmt.h"

struct spool {
	int dir;
	int q, tmp, failed, corrupt;
	int run;        /* <spool>/run, for the quota lock */
	int quota_lock; /* held from spool_quota to spool_close, or -1 */
	uid_t owner; /* of the spool directory */
	gid_t group;
	char path[1024];
};

/* spool_new_qid - a fresh random queue id (12 upper-case hex digits) */
int spool_new_qid(char qid[SPOOL_QID_LEN + 1]);

/* spool_write_all - write len bytes to fd (EINTR, short writes) */
int spool_write_all(int fd, const char *p, size_t len);

/* spool_open - open the layout under path, and check every area (run/
 * too): area.h says who makes a missing one. FAIL_TEMP names the area
 * that is missing or wrong, and the fix. */
int spool_open(struct spool *sp, const char *path, struct failure *f);
void spool_close(struct spool *sp);

/* spool_check - spool_open and close: every area there and sound */
int spool_check(const char *path, struct failure *f);

/* spool_tmpfile - an unnamed file in SPOOL/tmp for a message. */
int spool_tmpfile(struct spool *sp, struct failure *f);

/* spool_commit - copy exactly e->size octets of the message in msgfd (a
 * file handed over: read at explicit offsets, never linked into the
 * spool) and make it and its envelope durable under e->qid. */
int spool_commit(struct spool *sp, int msgfd, const struct spool_env *e,
    struct failure *f);

/* spool_commit_own - the same for a spool_tmpfile this process wrote
 * itself (a notice, a bounce): given its name, no copy. */
int spool_commit_own(struct spool *sp, int tmpfd, const struct spool_env *e,
    struct failure *f);

/* spool_usage - what uid holds in q/ (messages, bytes) and the bytes
 * free on the spool's file system. */
int spool_usage(struct spool *sp, uid_t uid, struct quota_usage *u,
    struct failure *f);

/* spool_quota - 0 when a new message of size bytes from uid may be
 * queued under l (quota.h); -1 with FAIL_TEMP when a limit says no (or
 * the uid's quota lock cannot be had within a second), FAIL_OSERR when
 * the spool cannot be measured. With any limit set it takes the uid's
 * lock <spool>/run/quota-UID and holds it until spool_close, so that the
 * count and the commit that follows are one step. */
int spool_quota(struct spool *sp, const struct quota_limits *l, uid_t uid,
    unsigned long long size, struct failure *f);

/* spool_update - replace the envelope file atomically (state changes). */
int spool_update(struct spool *sp, const struct spool_env *e,
    struct failure *f);

/* A message taken for delivery: its envelope locked (flock), so that no
 * other runner sends it at the same time. */
struct spool_item {
	int envfd;
	int msgfd;
	struct spool_env env;
};

enum spool_take { TAKE_OK, TAKE_BUSY, TAKE_GONE, TAKE_RETRY, TAKE_CORRUPT };

/* spool_take - lock and read QID.env and open QID.msg. TAKE_CORRUPT sets
 * f (the files fail the checks or the parser: the caller moves them
 * aside); TAKE_RETRY sets f (they could not be read for a reason that is
 * not theirs: out of descriptors or memory, EIO, EACCES; left alone). */
enum spool_take spool_take(struct spool *sp, const char *qid,
    struct spool_item *it, struct failure *f);
void spool_release(struct spool_item *it);

/* spool_remove - the message is done: the envelope goes first. */
int spool_remove(struct spool *sp, const char *qid, struct failure *f);

/* spool_move - move QID.env and QID.msg from q/ to failed/ or corrupt/. */
int spool_move(struct spool *sp, const char *qid, bool corrupt);

/* spool_move_name - move one stray or unsafe entry of q/ to corrupt/. */
int spool_move_name(struct spool *sp, const char *name);

/* spool_list - the QIDs with an envelope in q/ (or failed/), sorted;
 * names that are neither QID.env nor QID.msg are moved to corrupt/ and
 * logged. *ids is malloc'd, QID_LEN + 1 bytes each. */
int spool_list(struct spool *sp, bool failed_area, char (**ids)[SPOOL_QID_LEN + 1],
    size_t *n, struct failure *f);

/* spool_sweep - remove what a crash left behind, older than max_age
 * seconds: a QID.msg in q/ whose envelope never came (the submission did
 * not finish, so nobody was told it was accepted), and files in tmp/.
 * Returns how many were removed; each is logged. */
size_t spool_sweep(struct spool *sp, long long max_age);

/* spool_env_read_fd - read (at most SPOOL_ENV_MAX bytes) and parse the
 * envelope file open on fd, from its current offset. -1: not a valid
 * envelope; -2: it could not be read (out of memory, EIO). */
int spool_env_read_fd(int fd, struct spool_env *e, struct failure *f);

/* spool_read_env - read an envelope without locking it (mailq). */
int spool_read_env(struct spool *sp, bool failed_area, const char *qid,
    struct spool_env *e, struct failure *f);

#endif
