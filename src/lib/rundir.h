/* rundir.h - <spool>/run, the back end's shared state: the relay
 * clients' sockets (linger.c), the OAuth2 token cache (token.c) and the
 * relays' pacing (pace.c). Mode 0770, the group safemail: every relay
 * client and the queue runner reach it, no caller does. */
#ifndef SAFEMAIL_RUNDIR_H
#define SAFEMAIL_RUNDIR_H

/* rundir_set - the spool it is under; set once by the relay client */
void rundir_set(const char *spool_path);

/* rundir_open - a descriptor of the directory (made on first use), or -1
 * (unset, or open to others: logged) */
int rundir_open(void);

/* rundir_path - "<spool>/run", for messages ("" when unset) */
const char *rundir_path(void);

#endif
