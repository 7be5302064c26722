/* linger.h - the relay client kept loaded for a while after it sent a
 * message ([smtp] linger seconds), so that the next message of the same
 * user is sent without loading libcurl again.
 *
 * It waits on a socket in the spool, <spool>/run/relay.UID.TAG (UID: the
 * user who submits; TAG: the configuration file's identity, so that a
 * client never takes a message under another configuration than the
 * gate's), which only the spool's group can reach: the area is
 * 0770 root:safemail. Both ends check the other's credentials as well
 * (SO_PEERCRED): the gate only talks to a listener of the spool's group
 * running as the same user (or any, for root, whose relay client runs as
 * the safemail user), the relay client only to a gate of the spool's
 * group submitting for its user. A busy or departed relay client is not
 * listening: the gate then starts one as before.
 *
 * On the socket (SOCK_SEQPACKET), after the usual 'R': the gate sends the
 * caller's standard error (one descriptor, so that the one line of a
 * failure reaches the right caller), then the request as on fd 3; the
 * relay client answers with the exit code. */
#ifndef SAFEMAIL_LINGER_H
#define SAFEMAIL_LINGER_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The area under the spool, made by make install (or on first use). */
#define LINGER_AREA "run"

/* linger_tag - the configuration file's identity (device, inode,
 * change time) as 16 hex digits: a changed file gets another socket. */
#define LINGER_TAG_SIZE 17
void linger_tag(const struct stat *conf, char tag[LINGER_TAG_SIZE]);

/* The relay client's place while it waits. */
struct linger_spot {
	int listen_fd;
	uid_t submitter; /* whose messages it takes */
	gid_t group;     /* the area's group: the peers must have it */
	dev_t dev;       /* the socket file it made, to remove only that */
	ino_t ino;
	char path[108];
};

/* linger_connect - the gate's side: a connected socket to a relay client
 * waiting for this process's user, or -1 when there is none. Receiving
 * on it times out after LINGER_READY_WAIT_S (the gate clears that once
 * it has the 'R'). */
#define LINGER_READY_WAIT_S 2
int linger_connect(const char *spool_path, const char *tag);

/* linger_listen - the relay client's side: listen on the submitter's
 * socket (a new one, renamed over any older one). -1 when it cannot (the
 * client then just ends). */
int linger_listen(struct linger_spot *ls, const char *spool_path,
    uid_t submitter, const char *tag);

/* linger_accept - the next gate within ms milliseconds, its credentials
 * checked; the listener is closed either way (a busy client takes no
 * one). Returns the connection, or -1 (time is up: the socket file is
 * removed when it is still this client's). */
int linger_accept(struct linger_spot *ls, int ms);

/* linger_leave - remove the socket file when it is still this client's */
void linger_leave(struct linger_spot *ls);

/* linger_detach - the relay client stays on after its caller: its own
 * session, descriptors 0-2 on /dev/null, so that nobody waits for it. */
int linger_detach(void);

/* One descriptor (the caller's standard error) over the socket. */
int linger_send_fd(int sock, int fd);
int linger_receive_fd(int sock);

/* The exit code of one message, 0-255; receive returns -1 when the
 * socket closed without one. */
int linger_send_result(int sock, int code);
int linger_receive_result(int sock);

#endif
