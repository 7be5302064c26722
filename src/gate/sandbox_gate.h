/* sandbox_gate.h - the gate's lock-down (sandbox_gate.c), on both paths
 * (the service's connection child and the set-ID gate): after the caller
 * is identified, the configuration read and the policy sent, before the
 * first request (the front end reads the message meanwhile). */
#ifndef SAFEMAIL_SANDBOX_GATE_H
#define SAFEMAIL_SANDBOX_GATE_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"
#include "fail.h"
#include "sandbox.h"
#include "spawner.h"
#include "startup.h"

/* gate_lockdown - the spawner (spawner.h: the relay clients from now
 * on): the listener's, asked for on listener_channel (the service's
 * connection), or, -1, one forked now (the set-ID gate); then
 * no_new_privs, Landlock and the gate's seccomp list. c->sandbox off:
 * nothing. -1 with f set (FAIL_TEMP) when the filter cannot be
 * installed: the caller says so and ends, nothing queued. */
int gate_lockdown(const struct conf *c, const struct startup *st,
    int listener_channel, const char *conf_path, const char *spool_path,
    struct failure *f);

/* gate_lockdown_listing - the same lock-down for the listing (mailq: it
 * reads every queued envelope it shows), which starts no relay client:
 * no spawner. */
int gate_lockdown_listing(const struct conf *c, const struct startup *st,
    const char *conf_path, const char *spool_path, struct failure *f);

/* gate_sandbox_calls - the gate's seccomp list added to p's tables:
 * its policy's, and the generator's of the filters built with the
 * programs (src/tools/sandbox-bpf.c) */
void gate_sandbox_calls(struct sandbox_policy *p);

/* gate_locked - the gate is locked down (no file outside the spool, no
 * execve: relay clients through the spawner) */
bool gate_locked(void);

/* gate_sandbox_print - the line safemail --check prints for the gate */
void gate_sandbox_print(const struct conf *c, const char *spool_path,
    FILE *out);

#endif
