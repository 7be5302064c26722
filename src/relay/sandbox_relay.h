/* sandbox_relay.h - the relay client's lock-down (sandbox_relay.c): its
 * set-up done first (libcurl and OpenSSL loaded, the relays' and the
 * token endpoints' names resolved, CA files read into memory), then
 * no_new_privs, Landlock and its seccomp allow-list, before the first
 * byte from the gate, the spool or the network is read. */
#ifndef SAFEMAIL_SANDBOX_RELAY_H
#define SAFEMAIL_SANDBOX_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "fail.h"
#include "sandbox.h"
#include "startup.h"

/* relay_lockdown - set up, then lock down, for the mode of argv[1]
 * ("queue" may fork its workers; the others may not). [mail] sandbox =
 * no: the set-up only. -1 with f set (FAIL_TEMP: exit 75) when the
 * seccomp filter cannot be installed. */
int relay_lockdown(const struct conf *c, const struct startup *st,
    const char *mode, const char *conf_path, const char *spool_path,
    struct failure *f);

/* relay_sandbox_calls - the relay client's seccomp list added to pol's
 * tables, with a queue run's (queue: its workers) or without (deliver,
 * verdict, standby, one): its policy's, and the generator's of the
 * filters built with the programs (src/tools/sandbox-bpf.c) */
void relay_sandbox_calls(struct sandbox_policy *pol, bool queue);

/* relay_sandbox_print - the line safemail --check prints for the relay
 * client: what a delivery's relay client enforces on this kernel. */
void relay_sandbox_print(const struct conf *c, const char *spool_path,
    FILE *out);

/* relay_pin_name - after relay_lockdown: give curl (a CURL *) the
 * addresses host:port was resolved to before it, so that curl asks no
 * resolver. 0 (also when nothing was locked down), or -1 with why when
 * the name did not resolve then: the connection fails as a name that
 * does not resolve does. */
int relay_pin_name(void *curl, const char *host, unsigned port, char *why,
    size_t whysz);

/* relay_pin_url - the same for the host and port of url */
int relay_pin_url(void *curl, const char *url, char *why, size_t whysz);

/* relay_ca_blob - a CA file read into memory before the lock-down (a
 * struct curl_blob *), or NULL: curl reads the file itself. */
const void *relay_ca_blob(const char *path);

#endif
