/* area.h - the spool's areas: the spool directory itself (0771) and q,
 * tmp, failed, corrupt and run in it (0770), root's (or the queue
 * user's) with the group safemail, as make install and the package's
 * postinst make them.
 *
 * A set-ID process running for a caller (the gate, the relay client it
 * starts) never makes one: made by it, the area would be the caller's,
 * who could then remove or replace what is in it (its own [limits]
 * counts, the OAuth2 token cache, other users' messages). A missing
 * area is made only by root, the queue user (a queue run) or a process
 * that is not set-ID (a test's copy with a spool of its own). Whoever
 * finds an area checks it before using it; one that is missing or wrong
 * is a failure (FAIL_TEMP, exit 75: the caller keeps its message) that
 * names the area and the fix. */
#ifndef SAFEMAIL_AREA_H
#define SAFEMAIL_AREA_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fail.h"

/* the modes make install gives them */
#define AREA_SPOOL_MODE 0771
#define AREA_MODE 0770

/* area_set_queue_user - the queue user's name (startup_queue_user), an
 * owner areas may have; the built-in one until this is called */
void area_set_queue_user(const char *name);

/* area_queue_uid - the queue user's uid, looked up once; 0 for a test's
 * "root", (uid_t)-1 when there is no such user */
uid_t area_queue_uid(void);

/* area_may_make - whether this process makes a missing area: root, the
 * queue user, or not set-ID */
bool area_may_make(void);

/* area_open_spool - the spool directory at path (O_RDONLY, never
 * made, never followed if a link), checked; -1 with f set */
int area_open_spool(const char *path, struct failure *f);

/* area_open - the area name in the spool directory spool_fd (opened by
 * area_open_spool; spool_path for messages): made when missing if make
 * and area_may_make(), then checked; -1 with f set */
int area_open(int spool_fd, const char *spool_path, const char *name,
    bool make, struct failure *f);

/* area_fault - what is wrong with an area of status st (top: the spool
 * directory itself), written into why; false when nothing is */
bool area_fault(const struct stat *st, bool top, char *why, size_t sz);

/* area_repair - root only: make every area (and the spool) that is
 * missing, and give each its owner (root), group (this process's) and
 * mode; what it did is logged and written to out. -1 with f set when
 * one cannot be repaired. */
int area_repair(const char *spool_path, FILE *out, struct failure *f);

#endif
