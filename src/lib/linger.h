/* linger.h - the back end kept loaded for a while after a message
 * ([smtp] linger seconds), so that the same user's next message skips
 * the process starts: the relay client (libcurl, OpenSSL) and the gate.
 *
 * The relay client waits on a socket in the spool,
 * <spool>/run/relay.UID.TAG (UID: the user who submits; TAG: the
 * identity of the configuration file and of the program, and the
 * overrides, so that a process never takes a message under another
 * configuration or from another version than its caller's),
 * which only the spool's group can reach: the area is 0770 root:safemail.
 * The gate waits on <spool>/gate/UID/TAG: the directory is the user's
 * own, 0700 (the front end checks it), in an area only the group can
 * write (1731), so that no other user can bind the name or learn who
 * connects to it. Both ends always check the other's credentials
 * (SO_PEERCRED): the front end wants a gate of its own uid with the gate
 * program's group, the gate a front end of its uid; the gate wants a
 * relay client of the spool's group running as the same user (root: as
 * the queue user, whom its relay client becomes), the relay client a gate
 * of the spool's group submitting for its user. A busy or departed
 * process is not listening: a new one is started as before.
 *
 * A process that stays serves only callers in the sandbox of the one it
 * first served (which it inherited): the same mount, network and UTS
 * namespaces (the caller sends descriptors of its own, with its hello),
 * the same NoNewPrivs and seccomp state and the same cgroups (read from
 * /proc/PID). Any difference starts a new process, which inherits the
 * caller's sandbox: under NoNewPrivs, a gate without its group.
 *
 * On such a connection the caller first says hello (its resource
 * limits); the process answers (the gate with the policy, the relay
 * client with 'R') only when it takes the caller, so nothing is handed
 * over to one that then refuses; the caller then sends its standard
 * error (so that the one line of a failure reaches the right caller), and
 * everything goes as on a new process's fd 3; at the end the exit code
 * comes back as a message (linger_send_result). */
#ifndef SAFEMAIL_LINGER_H
#define SAFEMAIL_LINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "startup.h"

/* The areas under the spool, made by make install (or on first use:
 * run/ only by root, the queue user or a process that is not set-ID,
 * area.h; the gate's only by the spool's owner). */
#define LINGER_AREA "run"
#define LINGER_GATE_AREA "gate"

/* linger_tag - the identity (device, inode, change time) of the
 * configuration file and of the program that stays (its file: an
 * installed upgrade is a new one, never served by the old), and the
 * overrides in st, hashed to 16 hex digits: a change gets another
 * socket. */
#define LINGER_TAG_SIZE 17
void linger_tag(const struct stat *conf, const struct stat *program,
    const struct startup *st, char tag[LINGER_TAG_SIZE]);

/* A process's place while it waits: the relay client's, the gate's. */
struct linger_spot {
	int listen_fd;
	int dir_fd;      /* the directory of the socket */
	uid_t peer_uid;  /* whose calls it takes */
	gid_t peer_gid;  /* their group ((gid_t)-1: any) */
	dev_t dev;       /* the socket file it made, to remove only that */
	ino_t ino;
	char name[64];
};
#define LINGER_SPOT_INIT {-1, -1, 0, 0, 0, 0, ""}

/* linger_connect - the gate's side: a connected socket to a relay client
 * waiting for this process's user and running as relay_uid ((uid_t)-1:
 * none), or -1 when there is none. Receiving on it times out after
 * LINGER_READY_WAIT_S, until linger_answered. */
#define LINGER_READY_WAIT_S 2

/* The longest a process stays in all, however busy: a program installed
 * meanwhile takes over. */
#define LINGER_LIFE_S 300
int linger_connect(const char *spool_path, const char *tag, uid_t relay_uid);

/* linger_listen - the relay client's side: listen on the submitter's
 * socket (a new one, renamed over any older one). -1 when it cannot (the
 * client then just ends). ls: LINGER_SPOT_INIT, or a spot used before. */
int linger_listen(struct linger_spot *ls, const char *spool_path,
    uid_t submitter, const char *tag);

/* linger_accept - the next gate within ms milliseconds, its credentials
 * checked (*peer_pid: the gate); the listener is closed either way (a
 * busy client takes no one). Returns the connection, or -1 (time is up:
 * the socket file is removed when it is still this client's). */
int linger_accept(struct linger_spot *ls, int ms, pid_t *peer_pid);

/* linger_answered - the process took the caller (its 'R', its policy):
 * from now on no time limit but its own */
int linger_answered(int sock);

/* The gate's side of it: the front end connects (-1: no gate waits for
 * this user and tag), the gate listens (-1: it cannot), then takes the
 * next front end of its user with linger_accept. */
int linger_gate_connect(const char *spool_path, const char *tag,
    gid_t gate_gid);
int linger_gate_listen(struct linger_spot *ls, const char *spool_path,
    const char *tag);

/* linger_leave - remove the socket file when it is still this client's */
void linger_leave(struct linger_spot *ls);

/* linger_detach - the relay client stays on after its caller: its own
 * session, descriptors 0-2 on /dev/null, so that nobody waits for it. */
int linger_detach(void);

/* The sandbox a process that stays compares its callers with. */
/* mount, network; UTS: the host name the trace field names (gatecheck.h) */
#define LINGER_NS 3
struct linger_sandbox {
	dev_t ns_dev[LINGER_NS];
	ino_t ns_ino[LINGER_NS];
	unsigned long long cgroup; /* a hash of /proc/PID/cgroup */
	char confinement[96];      /* the NoNewPrivs and seccomp lines */
};

/* linger_sandbox_own - this process's; -1 when /proc does not say */
int linger_sandbox_own(struct linger_sandbox *sb);
bool linger_same_sandbox(const struct linger_sandbox *a,
    const struct linger_sandbox *b);

/* linger_confinement - the NoNewPrivs:, Seccomp: and Seccomp_filters:
 * lines of a /proc/PID/status text, each followed by ';' ("?" when they
 * do not fit in sz, which never matches). Pure, for the tests. */
void linger_confinement(const char *status, size_t len, char *out,
    size_t sz);

/* The caller's first message: a kind ('E'; the front end: 'S' when a
 * message will probably be sent at once, as safemail-gate serve -s) and
 * its resource limits, with its namespaces attached. Received: 0 only
 * when peer_pid (SO_PEERCRED) runs in the sandbox own. */
int linger_send_hello(int sock, char kind);
int linger_receive_hello(int sock, pid_t peer_pid,
    const struct linger_sandbox *own, char *kind,
    struct rlimit limits[RLIM_NLIMITS]);

/* The caller's standard error, sent only once the process answered: a
 * descriptor queued to a process that never reads it (stopped by its
 * user) would keep the caller's pipe open. */
int linger_send_fd(int sock, int fd);
int linger_receive_fd(int sock);

/* A process that stays serves only callers with its own resource limits
 * (soft and hard, every one), so that each caller's limits still apply
 * to its message: the relay client compares what the gate sent
 * (linger_same_limits), the gate reads the front end's from the kernel
 * (linger_same_limits_as: the front end is not trusted to say them,
 * and they are compared as a gate started by it would run with them,
 * startup_backend_limits). */
void linger_own_limits(struct rlimit limits[RLIM_NLIMITS]);
bool linger_same_limits(const struct rlimit limits[RLIM_NLIMITS]);
bool linger_same_limits_as(pid_t pid);

/* The exit code of one message, 0-255; receive returns -1 when the
 * socket closed without one. */
int linger_send_result(int sock, int code);
int linger_receive_result(int sock);

#endif
