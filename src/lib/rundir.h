/* rundir.h - <spool>/run, the back end's shared state: the relay
 * clients' sockets (linger.c), the OAuth2 token cache (token.c) and the
 * relays' pacing (pace.c). Mode 0770, the group safemail: every relay
 * client and the queue runner reach it, no caller does. */
#ifndef SAFEMAIL_RUNDIR_H
#define SAFEMAIL_RUNDIR_H

/* rundir_set - the spool it is under; set once by the relay client */
void rundir_set(const char *spool_path);

/* rundir_open - a descriptor of the directory, checked (area.h: made
 * when missing only by who may), or -1 (unset, or missing or wrong:
 * logged) */
int rundir_open(void);

/* rundir_lock_file - NAME in the directory dfd, opened read-write (made
 * on first use, 0660 for the group) and locked (flock LOCK_EX), trying
 * every 10 ms up to tries times: the lock is held for microseconds, and
 * a holder that does not let go is a process its user has stopped, which
 * must not hold up anyone for long. -1 with errno (EWOULDBLOCK: still
 * held after the tries). */
int rundir_lock_file(int dfd, const char *name, int tries);

/* rundir_path - "<spool>/run", for messages ("" when unset) */
const char *rundir_path(void);

#endif
