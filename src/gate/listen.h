/* listen.h - safemail-gate listen: the gate as a service of the
 * safemail user on a Unix socket, so that no caller needs a set-ID
 * program (SECURITY.md).
 *
 * The listener only accepts: it asks the kernel who connected
 * (SO_PEERCRED), refuses the overflow uid, keeps the per-user and total
 * caps, and hands each connection to a child of its own (fork), which
 * serves it exactly as the set-ID gate serves its front end (one
 * protocol, handoff.h) and ends with it.
 *
 * The service also keeps one relay client loaded (libcurl, OpenSSL, its
 * session with the relay for [smtp] linger seconds), its own child on a
 * socketpair: lent to one connection at a time (the child inherits the
 * socket), back when that child ends normally (a child that died may
 * have left it half-way: it is let go, and ends). A new one is started
 * when a connection comes and none is kept, at most once a second.
 *
 * A connection's child locks itself down (sandbox_gate.h) and can start
 * no program: when it needs a relay client of its own (none kept is
 * free, -v, a background attempt) it asks the listener, once, on a
 * channel of its own, for a spawner, which the listener forks and kills
 * when that child ends. A crash, a parse error or a
 * stall in one connection is that child's alone; the caller runs as
 * another uid and can neither signal, trace nor limit any of them.
 *
 * The socket is SOCK_SEQPACKET: connection-oriented like a stream, with
 * the message boundaries the protocol relies on (systemd:
 * ListenSequentialPacket=). Socket activation (LISTEN_PID, LISTEN_FDS:
 * one socket, on descriptor 3) needs no libsystemd; an activated
 * service ends after LISTEN_IDLE_EXIT_S without a connection (by
 * default: safemail-gate listen -i). */
#ifndef SAFEMAIL_LISTEN_H
#define SAFEMAIL_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

#include "fail.h"

/* The caps: connections one uid may hold at once, and in all */
#define LISTEN_MAX_PER_UID 32
#define LISTEN_MAX_TOTAL 256
/* An activated service ends after this long without a connection */
#define LISTEN_IDLE_EXIT_S 60
/* The overflow uid: a peer from a user namespace that does not map it */
#define LISTEN_OVERFLOW_UID 65534

/* Who connected, as the kernel says (pid: 0 across pid namespaces),
 * the relay client the service keeps, lent to this connection (relay:
 * its socket, -1: none free), and the connection's channel to the
 * listener (spawner: the child's end), on which it may ask once for a
 * spawner of its own (spawner.h, spawner_via) */
struct listen_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int relay;
	int spawner;
};

/* Start the relay client the service keeps loaded (safemail-relay
 * standby stay): its socket, *pid set; -1 when it cannot. */
typedef int (*listen_keep_relay)(pid_t *pid);

/* One connection, in a child of its own: conn is on descriptor 3; the
 * child's exit status is not looked at (the caller heard the outcome on
 * the socket). */
typedef int (*listen_session)(const struct listen_peer *peer);

/* listen_activated - the socket systemd passed (LISTEN_PID is ours,
 * LISTEN_FDS is 1): read before startup_harden clears the environment.
 * -1 when not activated. */
int listen_activated(void);

/* Start a queue run, the service's own child: its pid, -1 when it
 * cannot. */
typedef pid_t (*listen_queue_run)(void);

/* Fork a spawner for peer's connection (the listener's child, killed
 * when that connection's child ends): its pid and, in *gate_end, the
 * descriptor the connection's child gets; -1 when it cannot. */
typedef pid_t (*listen_start_spawner)(const struct listen_peer *peer,
    int *gate_end);

struct listen_opts {
	const char *path;      /* the socket's, unless activated */
	int activated;         /* systemd's socket, or -1 */
	unsigned idle_exit;    /* seconds with no connection; 0: never */
	unsigned queue_every;  /* -q: seconds between queue runs; 0: none */
	int log_fd;            /* the log socket (log.h), or -1 */
	listen_session session;
	listen_keep_relay keep;
	listen_queue_run queue;
	listen_start_spawner spawner;
};

/* listen_run - serve o->path (or the activated socket) until SIGTERM,
 * SIGINT or SIGHUP, or o->idle_exit seconds with no connection; a queue
 * run at the start and every o->queue_every seconds (one at a time); the
 * lines on o->log_fd written out. 0, or -1 with f set when it cannot
 * listen. */
int listen_run(const struct listen_opts *o, struct failure *f);

#endif
