/* log.h - the one way out to syslog (facility mail) */
#ifndef SAFEMAIL_LOG_H
#define SAFEMAIL_LOG_H

#include <syslog.h>

/* log_init - open syslog; when test_socket is not NULL (only ever in a
 * process that is not set-ID), lines go to that datagram socket instead,
 * in the same "<PRI>safemail[PID]: text" form syslog would send. */
void log_init(const char *test_socket);

/* log_emit - format, escape control bytes, cap the length, send. Never
 * passes caller data as a format. */
void log_emit(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
