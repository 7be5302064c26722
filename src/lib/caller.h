/* caller.h - who is calling us, for the log */
#ifndef SAFEMAIL_CALLER_H
#define SAFEMAIL_CALLER_H

#include <stddef.h>
#include <sys/types.h>

struct caller {
	uid_t uid;
	char user[64];   /* login name, or "?" */
	pid_t ppid;
	char parent[64]; /* the parent's program name from /proc, or "?" */
};

/* caller_identify - fill in uid, login name, parent pid and name */
void caller_identify(struct caller *c);

/* caller_self - this process's caller, identified on first use (a log
 * line, a Received field), so that a path that needs none pays nothing */
const struct caller *caller_self(void);

/* caller_rebind - the relay client the service keeps serves another
 * message: identify the caller again, with parent as the process that
 * called (0: the real parent); the same parent again keeps what is
 * known */
void caller_rebind(pid_t parent);

/* caller_serve_peer - the submission service's connection: the caller
 * is the uid SO_PEERCRED gave, whatever this process runs as; pid (0
 * across pid namespaces) names its front end in the log only. */
void caller_serve_peer(uid_t uid, pid_t pid);

/* caller_origin - the program that ran the front end (pid child): "NAME
 * (pid N, EXE, cwd DIR)", for the log lines of [limits] and PHP's
 * script. A set-ID process reads the exe and cwd links with its own
 * group set aside for the moment (the kernel allows them only to a
 * process with the target's credentials); each part is "?" when it
 * cannot be read. */
void caller_origin(pid_t child, char *buf, size_t sz);

/* local_host_name - the configured name if any, else this host's name
 * when it is a valid host name, else "localhost": for EHLO, Received:
 * and Message-ID. */
void local_host_name(const char *configured, char *buf, size_t sz);

#endif
