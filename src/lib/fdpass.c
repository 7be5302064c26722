/* fdpass.c - packets with descriptors attached (see fdpass.h) */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

ssize_t
fdpass_send(int sock, const void *data, size_t len, const int *fds,
    size_t nfds)
{
	char cbuf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	struct iovec iov = {(void *)(uintptr_t)data, len};
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds < 1 || nfds > FDPASS_MAX)
		return -1;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t
fdpass_receive(int sock, void *buf, size_t cap, int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	struct iovec iov = {buf, cap};
	struct msghdr mh;
	struct cmsghdr *cm;
	size_t got = 0;
	ssize_t n;

	for (size_t i = 0; i < nfds; i++)
		fds[i] = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		     i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (got < nfds)
				fds[got] = fd;
			else
				(void)close(fd);
			got++;
		}
	}
	if (n > 0 && got == nfds &&
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0)
		return n;
	for (size_t i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			(void)close(fds[i]);
		fds[i] = -1;
	}
	return n == 0 ? 0 : -1;
}
