/* linger.h - the submission service's relay client kept loaded after a
 * message ([smtp] linger: its session with the relay too), so that the
 * next message skips loading libcurl and OpenSSL and, within linger
 * seconds, the relay's greeting, TLS and AUTH. Only the service
 * (src/gate/listen.h) keeps one: the set-ID path runs as its caller, who
 * owns the processes, and always starts anew.
 *
 * The relay client waits on a socket in the spool,
 * <spool>/run/relay.UID.TAG (UID: the service's user; TAG: the identity
 * of the configuration file and of the program, and the overrides, so
 * that a process never takes a message under another configuration or
 * from another version), which only the spool's group can reach: the
 * area is 0770 root:safemail. Both ends check the other's credentials
 * (SO_PEERCRED): the same uid, the spool's group. A busy or departed
 * client is not listening: the gate starts a new one.
 *
 * On a connection the client answers 'R' when it takes the message; the
 * gate then sends its caller's standard error (so that the one line of a
 * failure reaches the right caller) and the request, as on a new
 * client's fd 3; the exit code comes back as a message
 * (linger_send_result). */
#ifndef SAFEMAIL_LINGER_H
#define SAFEMAIL_LINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "startup.h"

/* The area under the spool, made by make install (or on first use: only
 * by root, the queue user or a process that is not set-ID, area.h). */
#define LINGER_AREA "run"

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
 * checked (*peer_pid: the gate); taken, the listener is closed (a busy
 * client takes no one). Returns the connection, or -1 (time is up: with
 * leave, the socket file is removed when it is still this client's;
 * else it still listens). */
int linger_accept(struct linger_spot *ls, int ms, bool leave,
    pid_t *peer_pid);

/* linger_answered - the process took the caller (its 'R', its policy):
 * from now on no time limit but its own */
int linger_answered(int sock);

/* linger_leave - remove the socket file when it is still this client's */
void linger_leave(struct linger_spot *ls);

/* linger_detach - the relay client stays on after its caller: its own
 * session, descriptors 0-2 on /dev/null, so that nobody waits for it. */
int linger_detach(void);

/* The caller's standard error, sent only once the process answered: a
 * descriptor queued to a process that never reads it (stopped by its
 * user) would keep the caller's pipe open. */
int linger_send_fd(int sock, int fd);
int linger_receive_fd(int sock);

/* The exit code of one message, 0-255; receive returns -1 when the
 * socket closed without one. */
int linger_send_result(int sock, int code);
int linger_receive_result(int sock);

#endif
