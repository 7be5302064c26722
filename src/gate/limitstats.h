/* limitstats.h - safemail --stats [--json]: each caller's counts of
 * [limits] for the current hour and day, with its rule, for the admin
 * and for monitoring to graph */
#ifndef SAFEMAIL_LIMITSTATS_H
#define SAFEMAIL_LIMITSTATS_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"
#include "fail.h"

int limitstats_print(const struct conf *c, FILE *out, bool json,
    long long now, struct failure *f);

#endif
