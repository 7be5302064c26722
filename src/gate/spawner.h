/* spawner.h - the gate's way to start relay clients once it is locked
 * down (sandbox_gate.h).
 *
 * seccomp filters and Landlock domains pass to every child and through
 * execve: a relay client started by a locked-down gate could neither
 * load its libraries nor reach the network. So before the gate locks
 * itself down it forks the spawner, which stays as it was (it reads no
 * input but the gate's requests) and starts relay clients for it: only
 * safemail-relay, in one of its modes (deliver, verdict, standby, one),
 * with the descriptors the gate hands over, and says when each ended.
 * A gate taken over by a hostile message gains nothing it did not have:
 * it could start those before.
 *
 * The protocol (SOCK_SEQPACKET, one request and one answer at a time):
 *   'x' MASK ARGS...   start a relay client; MASK says which of the
 *                      descriptors 0-5 follow (SCM_RIGHTS, in order);
 *                      answer 'p' PID, or 'e' LINE
 *   'w' PID            wait for it; answer 's' STATUS (-1: not normally)
 *   'b' QID            a background attempt (safemail-relay one QID) in
 *                      a session of its own, holding the slot the spawner
 *                      takes (the service); answer 's' 0, or 'e' LINE
 * A gate taken over by a message is held to what it did before: at most
 * SPAWNER_RUNNING_MAX relay clients at once, the caller's background
 * slots counted by the spawner. */
#ifndef SAFEMAIL_SPAWNER_H
#define SAFEMAIL_SPAWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fail.h"
#include "startup.h"

#define SPAWNER_FDS 6
/* relay clients one gate may have running at once */
#define SPAWNER_RUNNING_MAX 4

/* A background attempt's slot for qid, of the service's caller uid (held
 * while it runs), or -1 when every one is taken */
typedef int (*spawner_slot_fn)(uid_t uid, const char *qid);

/* spawner_fork - fork a spawner (st: the relay's path and the
 * environment it gets) and give the gate's end of its channel in
 * *gate_end. die_with_parent: it ends when the process that forked it
 * does, and every relay client it starts when it ends (the service's);
 * slot: the spawner takes a background attempt's slot itself, uid's (the
 * service), or NULL (the set-ID path's attempts are its caller's own
 * processes). Its pid, or -1 with f set. */
pid_t spawner_fork(const struct startup *st, bool die_with_parent,
    spawner_slot_fn slot, uid_t uid, int *gate_end, struct failure *f);

/* spawner_start - the set-ID gate's: its own spawner, forked now. 0, or
 * -1 with f set. */
int spawner_start(const struct startup *st, struct failure *f);

/* spawner_via - the service's connection: its spawner comes from the
 * listener (listen.h), asked for on this channel when first needed, so
 * that a connection the kept relay client serves forks none. The
 * protocol: 'S', answered by 'k' with the gate's end of a new spawner's
 * channel (SCM_RIGHTS); one a connection. */
void spawner_via(int listener);

/* spawner_end - the channel closed: the spawner ends (tests) */
void spawner_end(void);

/* spawner_on - the gate has one (it is locked down, or about to be):
 * its relay clients go through the spawner, also when the listener
 * gave it none (then each is refused), never through a fork of its own */
bool spawner_on(void);

/* spawner_run - start safemail-relay with args (args[0] its name), fds[i]
 * on descriptor i (-1: none; 0-2 then /dev/null). Its pid, or -1 with f
 * set. */
pid_t spawner_run(const char *const *args, const int fds[SPAWNER_FDS],
    struct failure *f);

/* spawner_wait - its exit status once it ended; -1 when it did not exit
 * normally or is unknown. */
int spawner_wait(pid_t pid);

/* spawner_background - safemail-relay one QID, detached (its own
 * session, descriptors 0-2 on /dev/null), holding the slot the spawner
 * took while it runs. 0, or -1 with why. */
int spawner_background(const char *qid, char *why, size_t whysz);

#endif
