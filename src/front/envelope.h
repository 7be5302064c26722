/* envelope.h - the envelope: one sender, a bounded set of recipients */
#ifndef SAFEMAIL_ENVELOPE_H
#define SAFEMAIL_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "conf.h"
#include "fail.h"

struct envelope {
	bool null_sender;
	char sender[ADDR_BUFSZ];
	size_t nrcpt;
	size_t cap;
	size_t max;
	char (*rcpt)[ADDR_BUFSZ];
};

void envelope_init(struct envelope *e, size_t max);
void envelope_free(struct envelope *e);

/* envelope_add_list - parse an address list (an argv operand or a header
 * value), expand bare names through [aliases], qualify them with domain,
 * check each address in the strict grammar and add it unless already there.
 * Errors use bad_kind (FAIL_USAGE for argv, FAIL_DATA for headers), except
 * a bare name that cannot be resolved (FAIL_NOUSER). where names the source
 * in messages ("recipient", "To: header"). */
int envelope_add_list(struct envelope *e, const struct conf *c, const char *s,
    size_t len, const char *where, enum fail_kind bad_kind, struct failure *f);

#endif
