/* startup.h - process hygiene before anything else runs */
#ifndef SAFEMAIL_STARTUP_H
#define SAFEMAIL_STARTUP_H

#include <stdbool.h>

struct startup {
	bool secure; /* set-ID or otherwise AT_SECURE: no overrides at all */
	/* Test and benchmark overrides, honoured only when !secure. */
	char config_path[1024];
	char log_socket[108];
	char spool_path[1024];
	char libexec_dir[1024]; /* safemail-gate and safemail-relay */
	char queue_user[64];    /* who a queue run started by root becomes */
	char test_now[24];      /* the time [limits] counts at (tests) */
};

/* startup_harden - fds 0-2 open (on /dev/null when closed), the next
 * keep_fds descriptors kept (what the front end hands the back end), every
 * other fd closed, umask 077, environment cleared to PATH only, cwd "/", no core
 * dumps. Reads the SAFEMAIL_CONFIG, SAFEMAIL_LOG_SOCKET, SAFEMAIL_SPOOL,
 * SAFEMAIL_LIBEXEC and SAFEMAIL_QUEUE_USER overrides first (never in a
 * set-ID process). Returns -1 when the process cannot be made
 * safe; nothing can be reported then, since stderr may be unusable. */
int startup_harden(struct startup *st, int keep_fds);

/* The configuration file and the spool directory: the build's paths, or
 * the overrides a process that is not set-ID took. */
const char *startup_config_path(const struct startup *st);
const char *startup_spool_path(const struct startup *st);
/* the user queue runs belong to (and that a relay client started by root
 * becomes) */
const char *startup_queue_user(const struct startup *st);

#endif
