/* deliver.h - the back end: hand one submission to the relay, log the
 * outcome. Its input is the narrow line DESIGN.md draws: an envelope and
 * a normalized message file (a later issue moves it into its own setgid
 * process). */
#ifndef SAFEMAIL_DELIVER_H
#define SAFEMAIL_DELIVER_H

#include <stdbool.h>

#include "argv.h"
#include "caller.h"
#include "conf.h"
#include "fail.h"
#include "submit.h"

struct delivery_options {
	bool verbose;         /* -v */
	unsigned dsn_notify;  /* -N bits */
	enum dsn_ret dsn_ret; /* -R */
	const char *dsn_envid; /* -V */
	bool body_8bitmime;   /* -B8BITMIME */
};

/* deliver - 0 when the relay accepted the message for every recipient;
 * otherwise f says why (kind from the relay's reply code). One log line
 * per message, one per refused recipient. */
int deliver(const struct conf *c, const struct delivery_options *o,
    const struct submission *s, const struct caller *who, struct failure *f);

#endif
