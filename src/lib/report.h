/* report.h - the one place that turns a failure into what the caller
 * sees: the sysexits code, one line on stderr, one line in the log.
 * Shared by the front end (safemail) and the back end (safemail-relay). */
#ifndef SAFEMAIL_REPORT_H
#define SAFEMAIL_REPORT_H

#include <stdbool.h>

#include "caller.h"
#include "fail.h"

/* exit_code - the sysexits code of a failure kind */
int exit_code(enum fail_kind kind);

/* report - "safemail: MSG" on stderr and a log line (refusals, the
 * attempts an admin must see, with the caller's identity); returns the
 * exit code. */
int report(const struct caller *who, const struct failure *f, bool refusal);

/* report_caller - a log line about the caller: "KIND: uid=.. user=..
 * ppid=.. parent=..: MESSAGE" (refused, error, warning). */
void report_caller(int prio, const struct caller *who, const char *kind,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* report_line - only the stderr line (when the log line is written
 * elsewhere, as a delivery's is); returns the exit code. */
int report_line(const struct failure *f);

/* report_by_hand - a back-end program run with a command line of its
 * own: refused (64), logged with the caller */
int report_by_hand(const char *program);

#endif
