/* gatecheck.h - what the gate holds a submission to by itself (pure).
 *
 * The front end normalizes the message, but a caller can speak the
 * gate's protocol directly (SECURITY.md): so the gate checks, in one
 * pass over the sealed message, the invariants the normalizer promises
 * (CRLF only, no bare CR or LF, no NUL, no line over 998 octets, a
 * well-formed header block that ends), and that the first field is the
 * trace field of the caller's uid on this host, named as the front end
 * names it (local_host_name), with no second one of this host's safemail
 * below it. The bookkeeping fields of the envelope are the back
 * end's, never the caller's. */
#ifndef SAFEMAIL_GATECHECK_H
#define SAFEMAIL_GATECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "fail.h"
#include "spoolfmt.h"

/* gatecheck_message - 0, or -1 with FAIL_DATA naming the first fault.
 * this_host: the name the front end writes in the trace field. */
int gatecheck_message(const char *p, size_t len, unsigned uid,
    const char *this_host, struct failure *f);

enum php_script {
	PHP_SCRIPT_NONE,      /* no such field */
	PHP_SCRIPT_ONE,       /* exactly one, UID:FILE */
	PHP_SCRIPT_MALFORMED, /* one that is not UID:FILE */
	PHP_SCRIPT_SEVERAL    /* more than one */
};

/* gatecheck_php_script - PHP's "X-PHP-Originating-Script: UID:FILE"
 * (mail.add_x_header) in the header block. PHP_SCRIPT_ONE: its uid, and
 * the file name with anything but printable ASCII shown as '?', cut to
 * filesz - 1. PHP writes one field, first: more than one, or one that is
 * not UID:FILE, is not PHP's alone and names nobody. */
enum php_script gatecheck_php_script(const char *p, size_t len,
    unsigned *uid, char *file, size_t filesz);

/* gatecheck_bookkeeping - a new submission's state, whatever the caller
 * wrote: created and next try now, no attempts, not held, not a bounce,
 * no error, every recipient pending. */
void gatecheck_bookkeeping(struct spool_env *e, long long now);

#endif
