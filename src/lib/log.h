/* log.h - the one way out for log lines (facility mail): syslog, or the
 * submission service's standard error, where containers look (docker
 * logs, kubectl logs) */
#ifndef SAFEMAIL_LOG_H
#define SAFEMAIL_LOG_H

#include <syslog.h>

/* [mail] log = auto | syslog | stderr. auto: syslog when /dev/log exists,
 * else stderr. stderr means the service's own standard error, never a
 * caller's: the listener writes its lines there itself, the processes
 * below it (relay clients included) send theirs to its log socket
 * (<spool>/run/log, the service user's alone). A process that cannot
 * reach it (the set-ID path, which runs as the caller) uses syslog when
 * /dev/log exists, else says nothing. */
enum log_target { LOG_TARGET_AUTO, LOG_TARGET_SYSLOG, LOG_TARGET_STDERR };

/* log_init - open syslog, or note that there is none (auto: stderr);
 * when test_socket is not NULL (only ever in a process that is not
 * set-ID), lines go to that datagram socket instead, in the same
 * "<PRI>safemail[PID]: text" form syslog would send. */
void log_init(const char *test_socket);

/* log_set_run_dir - <spool>/run, where the service's log socket is */
void log_set_run_dir(const char *run_dir);

/* log_use - the configured target, once the configuration is read */
void log_use(enum log_target t);

/* log_to_stderr - lines go to the service's standard error */
int log_to_stderr(void);

/* log_own_stderr - the listener: its own lines, when they go to stderr,
 * are written on its standard error itself (from its start: a
 * configuration it cannot read is said there too) */
void log_own_stderr(void);

/* log_forget_own - a child of the listener that stays (a connection's):
 * the listener's stream is not its to write */
void log_forget_own(void);

/* log_service_open - the listener: it binds <run>/log (0700: the
 * service user's) for the lines of the processes below it. The socket,
 * nonblocking, or -1 (errno). */
int log_service_open(void);

/* log_service_drain - the listener: the lines waiting on its log
 * socket, written to its standard error */
void log_service_drain(int fd);

/* log_service_close - the listener ends: its socket's name removed */
void log_service_close(int fd);

/* log_reopen - after a process closed every descriptor it did not know
 * (the log's among them): the log's opened again, where it went */
void log_reopen(void);

/* log_emit - format, escape control bytes, cap the length, send. Never
 * passes caller data as a format. */
void log_emit(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
