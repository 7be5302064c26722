/* check.h - "safemail --check": the admin's self-test. Prints the
 * effective configuration (password masked) and policy, then opens a
 * session with the relay as a delivery would (TLS, AUTH) and reports what
 * it found, and quits without sending anything. */
#ifndef SAFEMAIL_CHECK_H
#define SAFEMAIL_CHECK_H

#include "conf.h"
#include "fail.h"

int check_run(const struct conf *c, const char *path, const char *spool_path,
    struct failure *f);

#endif
