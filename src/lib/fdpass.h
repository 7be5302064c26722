/* fdpass.h - one packet with descriptors attached (SCM_RIGHTS) on a
 * SOCK_SEQPACKET socket: how the three programs hand files to each
 * other (handoff.h). */
#ifndef SAFEMAIL_FDPASS_H
#define SAFEMAIL_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one packet carries (a request's envelope and
 * message; a linger hello's namespaces, linger.h). */
#define FDPASS_MAX 3

/* fdpass_send - len bytes with nfds descriptors (1 to FDPASS_MAX) as one
 * packet. Returns the bytes sent, or -1. */
ssize_t fdpass_send(int sock, const void *data, size_t len, const int *fds,
    size_t nfds);

/* fdpass_receive - one packet into buf (cap bytes) with exactly nfds
 * descriptors (1 to FDPASS_MAX, close-on-exec) into fds. Returns its
 * length; 0 at the end of the stream; -1 for anything else (an error, a
 * truncated packet, another number of descriptors). Unless it returns a
 * length above 0, no descriptor it received is left open. */
ssize_t fdpass_receive(int sock, void *buf, size_t cap, int *fds,
    size_t nfds);

#endif
