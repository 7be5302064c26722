/* startup.h - process hygiene before anything else runs */
#ifndef SAFEMAIL_STARTUP_H
#define SAFEMAIL_STARTUP_H

#include <stdbool.h>
#include <sys/resource.h>

#include "fail.h"

struct startup {
	bool secure; /* set-ID or otherwise AT_SECURE: no overrides at all */
	/* Test and benchmark overrides, honoured only when !secure. */
	char config_path[1024];
	char log_socket[108];
	char spool_path[1024];
	char libexec_dir[1024]; /* safemail-gate and safemail-relay */
	char queue_user[64];    /* who a queue run started by root becomes */
	char test_now[24];      /* the time [limits] counts at (tests) */
	char submit_socket[108]; /* the submission service's socket */
	char sandbox_test[8];   /* "trap" or "probe" (sandbox.h) */
};

/* startup_harden - fds 0-2 open (on /dev/null when closed), the next
 * keep_fds descriptors kept (what the front end hands the back end), every
 * other fd closed, umask 077, environment cleared to PATH only, cwd "/", no core
 * dumps. Reads the SAFEMAIL_CONFIG, SAFEMAIL_LOG_SOCKET, SAFEMAIL_SPOOL,
 * SAFEMAIL_LIBEXEC and SAFEMAIL_QUEUE_USER overrides first (never in a
 * set-ID process). Returns -1 when the process cannot be made
 * safe; nothing can be reported then, since stderr may be unusable. */
int startup_harden(struct startup *st, int keep_fds);

/* startup_backend - the gate and the relay client, right after
 * startup_harden: they run with the caller's uid and inherit its signal
 * state and resource limits, which must not decide where their work
 * stops. Every signal the caller ignored back to its default (SIGCHLD
 * too: their waitpid must see their children), the signal mask emptied,
 * SIGXFSZ ignored again (a write past a limit fails and is seen), and
 * the soft limits of file size, open files, CPU time, address space,
 * data and processes raised to the hard ones.
 * -1: it cannot be done (71). */
int startup_backend(void);

/* What a back end needs and cannot raise past a hard limit: a spool
 * file of file_size bytes (startup_file_size_need: max_message_size, or
 * its ceiling when 0, and an envelope's room) and STARTUP_NOFILE_NEED
 * descriptors. -1 with f set (FAIL_TEMP, 75) naming the limit. Memory
 * and CPU are not checked: running out of either fails a step or kills
 * the process between writes, and every state file is written whole
 * (pace.c, limitstate.c, token.c), so nothing is left half-written. */
#define STARTUP_NOFILE_NEED 64
unsigned long long startup_file_size_need(unsigned long max_message_size);
int startup_limits_enough(unsigned long long file_size, struct failure *f);

/* The configuration file and the spool directory: the build's paths, or
 * the overrides a process that is not set-ID took. */
const char *startup_config_path(const struct startup *st);
const char *startup_spool_path(const struct startup *st);
/* the submission service's socket (listen.h) */
const char *startup_submit_socket(const struct startup *st);
/* the user queue runs belong to (and that a relay client started by root
 * becomes) */
const char *startup_queue_user(const struct startup *st);

#endif
