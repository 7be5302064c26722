/* handoff.h - how the three programs hand work to each other.
 *
 * safemail (the front end: argv, policy, the message; no privilege, no
 * libcurl) starts safemail-gate (the back end's gate: setgid safemail,
 * reads the configuration, writes the spool; no libcurl) with a
 * SOCK_SEQPACKET socket on descriptor 3. The gate answers with the
 * policy: what the front end reads of the configuration, written from the
 * parsed file (conf_policy_text: no secret, no relay). The front
 * end then sends one request per message, with the envelope (spool
 * envelope format, sealed memfd) and the normalized message (sealed
 * memfd) attached as descriptors. The gate spools it, or execs
 * safemail-relay (libcurl) with the two on descriptors 3 and 4. Neither
 * back-end program trusts anything of the front end: the envelope is
 * parsed again strictly, both files must be sealed.
 *
 * The submission service (src/gate/listen.h) takes the set-ID gate's
 * place when it listens: the front end connects to it instead of
 * starting a gate, says hello, then everything goes as above; the exit
 * code comes back on the socket ("D" and one byte) after the front end
 * shut its side down, where the set-ID gate's comes as its exit status.
 * The relay client the service keeps loaded (listen.c) is lent to one
 * connection at a time: the gate says 'H', it answers 'R' (or 'F': its
 * configuration file changed, it ends), then as a new client. */
#ifndef SAFEMAIL_HANDOFF_H
#define SAFEMAIL_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fail.h"
#include "spoolfmt.h"
#include "startup.h"

/* safemail-gate serve: the socket to the front end; safemail-relay
 * standby: the socket to the gate */
#define HANDOFF_CHANNEL_FD 3
/* safemail-relay deliver|verdict: the envelope and the message */
#define HANDOFF_ENVELOPE_FD 3
#define HANDOFF_MESSAGE_FD 4
/* safemail-relay verdict (-bs): where its one-line SMTP verdict goes */
#define HANDOFF_STATUS_FD 5

/* How long a gate waits for a relay client's 'R' (one that is kept,
 * and stopped or gone, is replaced by a new one), and a kept client for
 * the packets of a message after its 'H' */
#define HANDOFF_READY_WAIT_S 2

/* The longest -bs verdict line (an SMTP reply) a back-end program hands
 * back, with its NUL */
#define HANDOFF_VERDICT_MAX 700

/* The largest packet on the socket: the policy (the configuration) */
#define HANDOFF_PACKET_MAX (64 * 1024 + 128)

/* One request: what to do with the message attached. */
struct handoff_req {
	bool queue;   /* into the spool (async), else send now */
	bool verdict; /* -bs: reply with an SMTP line and wait for more;
			 else the gate ends with the outcome's exit code */
	bool detach;  /* queued: a background attempt now (not -odq) */
	double started; /* CLOCK_MONOTONIC at submission, for the log */
};

/* The front end's end of the socket. */
struct handoff {
	pid_t pid;
	int sock;
};

/* handoff_open - connect to the submission service, or (nobody listens
 * there) start the set-ID gate (serve), and read the policy into buf
 * (cap bytes, NUL-terminated, *len without it). send_now tells the gate
 * that a message will probably be sent at once, so that it starts the
 * relay client while the front end reads it. Returns 0; -1 with f set;
 * or 1 when the gate ended without a policy (it reported why, on stderr
 * and in the log): *status is then its exit code. */
int handoff_open(const struct startup *st, struct handoff *h, bool verbose,
    bool send_now, char *buf, size_t cap, size_t *len, int *status,
    struct failure *f);

/* The submission service (src/gate/listen.h) speaks the same protocol
 * on its socket, after the front end's hello: 'H', 'S' (a message is
 * likely to be sent now) or 'E', 'v' (-v) or '-', then what only the
 * caller's process can know (its parent program, exe and cwd, for the
 * log: the service shows it as the caller's claim). The service answers
 * with the policy, or refuses in one packet: 'X', the exit code, one
 * line the front end prints. 'L' instead of 'S' or 'E': mailq, the
 * caller's stdout and stderr follow, the listing is written there, and
 * the exit code comes back. */
#define HANDOFF_CLAIM_MAX 512
int handoff_send_hello(int sock, char kind, bool verbose, const char *claim);
int handoff_receive_hello(int sock, char *kind, bool *verbose, char *claim,
    size_t sz);

/* handoff_service_list - mailq through the submission service: its exit
 * code; -2 when no service listens (the set-ID gate lists then), -1 when
 * it ended without one. */
int handoff_service_list(const struct startup *st);
int handoff_send_refusal(int sock, int code, const char *text);

/* The caller's standard error, sent only once the other side answered
 * (a descriptor queued to a process that never reads it would keep the
 * caller's pipe open); the exit code of one message, 0-255 ('D' and a
 * byte): receive returns -1 when the socket closed without one. */
int handoff_send_fd(int sock, int fd);
int handoff_receive_fd(int sock);
int handoff_send_result(int sock, int code);
int handoff_receive_result(int sock);

/* handoff_children_die_with_parent - from now on, what handoff_spawn
 * starts is killed when this process ends (the service's connection
 * children: nothing they start outlives them) */
void handoff_children_die_with_parent(void);

/* handoff_spawn - fork and exec the program at path with args, a
 * socket's other end on descriptor 3 (HANDOFF_CHANNEL_FD) of the child;
 * h gets the child and this end. When the exec fails the child says so
 * on stderr if loud, and ends with 71. */
int handoff_spawn(const struct startup *st, struct handoff *h,
    const char *path, const char *const *args, bool loud, struct failure *f);

/* handoff_send - one request with its two descriptors */
int handoff_send(struct handoff *h, const struct handoff_req *r, int envfd,
    int msgfd, struct failure *f);

/* handoff_reply - -bs: the gate's SMTP line for the last request (NUL-
 * terminated; "" when it sent none) */
void handoff_reply(struct handoff *h, char *line, size_t sz);

/* handoff_close - no more requests: the exit code of the gate (or the
 * relay it became), said on the socket by one that stays, else its exit
 * status; -1 when it died of a signal. */
int handoff_close(struct handoff *h);

/* handoff_envelope - a sealed memfd holding e's text, at offset 0. */
int handoff_envelope(const struct spool_env *e, struct failure *f);

/* handoff_read_files - what a back-end program checks of the two files
 * it is handed, trusting nothing: both sealed memory files, the envelope
 * valid in the strict spool format, the message a regular file of the
 * size the envelope gives. Both are read at explicit offsets only
 * (pread, mmap), never through the file offset the sender shares; the
 * gate also makes the caller's message a description of its own first
 * (msgfile_make_private). e is spool_env_free'd by the caller on
 * success only. */
int handoff_read_files(int envfd, int msgfd, struct spool_env *e,
    struct failure *f);

/* The gate's side: the policy packet, and the next request (0), the end
 * of requests (1) or a malformed one (-1). fds get the two descriptors. */
int handoff_send_policy(int sock, const char *text, size_t len);
int handoff_receive(int sock, struct handoff_req *r, int fds[2]);

/* handoff_parse_request - a request's text: "Q|S", "v|x", "d|-", then
 * the start time in decimal (pure; fuzzed with the envelope). */
int handoff_parse_request(const char *p, size_t n, struct handoff_req *r);

/* The programs, in $(pkglibexecdir) or, when not set-ID, in the
 * directory SAFEMAIL_LIBEXEC names. */
const char *handoff_gate_path(const struct startup *st, char *buf,
    size_t sz);
const char *handoff_relay_path(const struct startup *st, char *buf,
    size_t sz);

/* handoff_relay_args - "safemail-relay MODE [-v] STARTED" (MODE deliver,
 * or verdict for -bs) into args (5 slots); started is its buffer. */
void handoff_relay_args(const char *args[5], char started[32],
    const char *mode, bool verbose, double at);

/* handoff_exec - replace this process by the program at path with args;
 * envfd, msgfd and statusfd (each may be -1) land on descriptors 3, 4 and
 * 5. The overrides a process that is not set-ID honoured are passed on.
 * Returns only on failure. */
int handoff_exec(const struct startup *st, const char *path,
    const char *const *args, int envfd, int msgfd, int statusfd,
    struct failure *f);

#endif
