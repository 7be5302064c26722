/* caller.h - who is calling us, for the log */
#ifndef SAFEMAIL_CALLER_H
#define SAFEMAIL_CALLER_H

#include <sys/types.h>

struct caller {
	uid_t uid;
	char user[64];   /* login name, or "?" */
	pid_t ppid;
	char parent[64]; /* the parent's program name from /proc, or "?" */
};

/* caller_identify - fill in uid, login name, parent pid and name */
void caller_identify(struct caller *c);

#endif
