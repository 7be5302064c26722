/* fail.h - the kinds of failure; main.c alone maps them to exit codes */
#ifndef SAFEMAIL_FAIL_H
#define SAFEMAIL_FAIL_H

#include <stddef.h>

enum fail_kind {
	FAIL_NONE = 0,
	FAIL_USAGE,           /* bad or refused option, bad argv address */
	FAIL_CONFIG_OVERRIDE, /* an attempt to choose another configuration */
	FAIL_SENDER_DENIED,   /* -f valid but not allowed by policy */
	FAIL_NOPERM,          /* an admin command from a non-admin */
	FAIL_NOUSER,          /* a bare name with no alias and no domain */
	FAIL_DATA,            /* bad message bytes or headers */
	FAIL_NOINPUT,         /* standard input unreadable */
	FAIL_CONFIG,          /* bad or unsafe configuration */
	FAIL_UNAVAILABLE,     /* a service that is not available */
	FAIL_OSERR,           /* the system refused something we need */
	FAIL_IOERR,           /* a read or write failed */
	FAIL_SOFTWARE,        /* an internal error */
	FAIL_TEMP             /* try again later */
};

/* A failure and its one-line message, filled in by the pure modules. */
struct failure {
	enum fail_kind kind;
	char msg[512];
};

void fail_set(struct failure *f, enum fail_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
