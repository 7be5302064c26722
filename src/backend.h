/* backend.h - what happens to a submitted message: sent now, or spooled
 * (async = yes, -odq, -odb; or after a temporary failure) so that a
 * message safemail accepted is never lost. */
#ifndef SAFEMAIL_BACKEND_H
#define SAFEMAIL_BACKEND_H

#include <stdbool.h>

#include "argv.h"
#include "conf.h"
#include "fail.h"
#include "spool.h"
#include "submit.h"

struct backend_options {
	bool verbose;
	enum delivery_mode delivery; /* -od* */
	unsigned dsn_notify;
	enum dsn_ret dsn_ret;
	const char *dsn_envid;
	bool body_8bitmime;
	unsigned uid;
};

/* backend_submit - sp is the open spool, or NULL when it cannot be used
 * (then a temporary failure exits 75). 0: sent, or safely spooled. */
int backend_submit(const struct conf *c, const struct backend_options *o,
    const struct submission *s, struct spool *sp, struct failure *f);

#endif
