/* dsn.h - the bounce: an RFC 3464 delivery status notification (pure).
 * multipart/report; report-type=delivery-status with a text part for
 * people, the message/delivery-status part, and the original header
 * block as text/rfc822-headers. CRLF line ends, no line over 998. */
#ifndef SAFEMAIL_DSN_H
#define SAFEMAIL_DSN_H

#include <stddef.h>
#include <time.h>

struct dsn_rcpt {
	const char *addr;
	const char *reply;  /* the relay's reply, or why we gave up */
	const char *status; /* enhanced status code, "5.1.1"; NULL: from
			     * reply, else 5.0.0 */
};

struct dsn_input {
	const char *host;      /* Reporting-MTA */
	const char *from;      /* MAILER-DAEMON@domain */
	const char *to;        /* the original envelope sender */
	const char *qid;       /* of the original message */
	const char *bounce_id; /* of this report, for its Message-ID */
	time_t arrival;
	time_t now;
	const struct dsn_rcpt *rcpt;
	size_t nrcpt;
	const char *headers;   /* the original header block (CRLF) */
	size_t headers_len;
};

/* dsn_compose - the report, malloc'd (NULL when out of memory). */
char *dsn_compose(const struct dsn_input *in, size_t *len);

/* dsn_status - the enhanced status code at the start of a reply's text
 * ("550 5.1.1 ..." gives "5.1.1") into out (16 bytes), or fallback. */
void dsn_status(const char *reply, const char *fallback, char out[16]);

#endif
