/* spoolfmt.h - the envelope file of a spooled message (pure): written by
 * safemail, and read back as hostile input (a spool file may be corrupt,
 * truncated or planted), so the reader is strict and bounded.
 *
 *   safemail-spool 1
 *   id 4F2A1B3C5D6E
 *   created 1795777783
 *   uid 33
 *   sender shop@example.com        ("sender" alone: the null sender)
 *   size 1234
 *   attempts 2
 *   next 1795778083
 *   flags 8bit,utf8,held,bounce    (any, or none)
 *   notify SUCCESS,FAILURE         (optional; DSN -N)
 *   ret HDRS                       (optional; DSN -R)
 *   envid abc                      (optional; DSN -V, printable ASCII)
 *   error 451 4.3.0 try later      (optional: the last failure)
 *   script 33:x.php                (optional: X-PHP-Originating-Script,
 *                                   as the gate found it in the message)
 *   origin php (pid 1, /usr/bin/php8.2, cwd /var/www)  (optional: the
 *                                   program that called, as the gate read
 *                                   it, with a script or when held)
 *   rcpt pending a@example.org
 *   rcpt sent b@example.org
 *   rcpt failed c@example.org 550 5.1.1 no such user
 *   end
 *
 * Lines end in LF; every key but rcpt appears at most once, in this order
 * or any other; "end" must be the last line (a truncated file is refused).
 */
#ifndef SAFEMAIL_SPOOLFMT_H
#define SAFEMAIL_SPOOLFMT_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "fail.h"
#include "limits.h"

#define SPOOL_QID_LEN 12
#define SPOOL_ENV_MAX (4 * 1024 * 1024)

enum rcpt_state { RCPT_PENDING, RCPT_SENT, RCPT_FAILED };

struct spool_rcpt {
	enum rcpt_state state;
	char addr[ADDR_BUFSZ];
	char reply[SMTP_REPLY_TEXT]; /* for failed ones: why */
};

struct spool_env {
	char qid[SPOOL_QID_LEN + 1];
	long long created;
	long long next_try;
	unsigned uid;
	unsigned attempts;
	bool null_sender;
	char sender[ADDR_BUFSZ];
	unsigned long long size;
	bool eight_bit;
	bool eight_bit_headers;
	bool held;
	bool is_bounce; /* a DSN we made: never bounced itself */
	char notify[32];
	char ret[8];
	char envid[ENVID_MAX + 1];
	char error[SMTP_REPLY_TEXT];
	char script[256]; /* "UID:FILE", printable ASCII; "" none */
	char origin[512]; /* caller_origin(), printable; "" none */
	size_t nrcpt;
	struct spool_rcpt *rcpt;
};

/* spool_qid_ok - 12 upper-case hex digits (also safe as a file name) */
bool spool_qid_ok(const char *s, size_t len);

/* spool_env_format - the file's text, malloc'd; NULL when out of memory. */
/* spool_env_head_uid - the uid line of an envelope's first lines (the
 * quota's count of a user's messages reads no more; pure) */
bool spool_env_head_uid(const char *buf, size_t len, unsigned *uid);

char *spool_env_format(const struct spool_env *e, size_t *len);

/* spool_env_parse - strict; FAIL_DATA with the line on error. e->rcpt is
 * allocated (spool_env_free). */
int spool_env_parse(const char *buf, size_t len, struct spool_env *e,
    struct failure *f);

void spool_env_free(struct spool_env *e);

/* spool_pending - recipients still to try */
size_t spool_pending(const struct spool_env *e);

/* spool_next_try - when the next attempt is due after attempts failures:
 * the retry schedule's entry (the last one repeats). */
long long spool_next_try(long long now, unsigned attempts,
    const unsigned long *retry, size_t nretry);

#endif
