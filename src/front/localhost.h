/* localhost.h - this machine's own names, so that root@web1 (mutt on a
 * host without a domain) is a local name, as Postfix treats $myhostname */
#ifndef SAFEMAIL_LOCALHOST_H
#define SAFEMAIL_LOCALHOST_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "conf.h"

/* localhost_fqdn_from_hosts - the canonical name an /etc/hosts text
 * gives host (the first name of the first line that lists it), when it
 * is another name with a dot: what `hostname -f` prints when the file
 * has the host. Pure. */
bool localhost_fqdn_from_hosts(const char *text, size_t len,
    const char *host, char out[ADDR_BUFSZ]);

/* localhost_add - add name (lower-cased) to c's local names, once, if it
 * is a valid host name and there is room. Pure. */
void localhost_add(struct conf *c, const char *name, size_t len);

/* localhost_learn - the host name (gethostname), its FQDN from
 * /etc/hosts (never DNS: a lookup could hang a caller) and the first
 * line of /etc/mailname, into c->local_names. */
void localhost_learn(struct conf *c);

#endif
