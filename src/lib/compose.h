/* compose.h - the header fields safemail adds (pure) */
#ifndef SAFEMAIL_COMPOSE_H
#define SAFEMAIL_COMPOSE_H

#include <stddef.h>
#include <time.h>

/* Large enough for any field below: a From: with a 256-byte full name
 * encoded three times over and a 254-byte address. */
#define COMPOSE_FIELD_MAX 2048

/* RFC 5322 3.3 date-time in local time: "Fri, 27 Nov 2026 11:00:24 +0100".
 * Returns the length, 0 if it does not fit. */
size_t compose_date(char *buf, size_t sz, time_t when);

/* "From: addr", or "From: display-name <addr>" with the name written as
 * an atom phrase, a quoted string, or RFC 2047 Q encoded words (UTF-8)
 * folded at 76 octets; no line nears 998. The name must be valid UTF-8
 * without control characters (argv.c checks -F). */
size_t compose_from(char *buf, size_t sz, const char *fullname,
    const char *addr);

/* "Message-ID: <id@domain>" */
size_t compose_message_id(char *buf, size_t sz, const char *id,
    const char *domain);

/* The trace field, as Postfix's sendmail writes it, so that abuse can be
 * traced to the submitting user:
 * "Received: by HOST (safemail, from userid UID)\r\n\tid QID; DATE" */
size_t compose_received(char *buf, size_t sz, const char *host,
    unsigned uid, const char *qid, time_t when);

#endif
