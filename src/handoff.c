/* handoff.c - front end to back end (see handoff.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"

#ifndef SAFEMAIL_RELAY_PATH
#define SAFEMAIL_RELAY_PATH "/usr/libexec/safemail/safemail-relay"
#endif

int
handoff_envelope(const struct spool_env *e, struct failure *f)
{
	size_t len, off = 0;
	char *text = spool_env_format(e, &len);
	int fd;

	if (text == NULL) {
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	fd = memfd_create("safemail-envelope", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	while (fd >= 0 && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)close(fd);
			fd = -1;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	/* Sealed: what the back end reads is what was written here. */
	if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
				 F_SEAL_WRITE | F_SEAL_SEAL) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		fail_set(f, FAIL_OSERR, "cannot hand the envelope over: %s",
		    strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	return fd;
}

static const char *
relay_path(const struct startup *st)
{
	return st->relay_path[0] != '\0' ? st->relay_path
					 : SAFEMAIL_RELAY_PATH;
}

/* Put fd on target; fds above 4 first, so that the two never collide. */
static int
place(int fd, int target)
{
	if (fd < 0)
		return 0;
	return dup2(fd, target) == target ? 0 : -1;
}

void
handoff_deliver_args(const char *args[5], char started[32], const char *mode,
    bool verbose, double at)
{
	int n = 0;

	(void)snprintf(started, 32, "%.6f", at);
	args[n++] = "safemail-relay";
	args[n++] = mode;
	if (verbose)
		args[n++] = "-v";
	args[n++] = started;
	args[n] = NULL;
}

int
handoff_exec(const struct startup *st, const char *const *args, int envfd,
    int msgfd, struct failure *f)
{
	char env_path[] = "PATH=/usr/bin:/bin";
	char env_config[1100], env_spool[1100], env_log[140];
	char *envp[5], *argv[8];
	int n = 0, high_env = -1, high_msg = -1;
	size_t a;

	/* execve takes char *const[]: copy the pointers, not the strings */
	for (a = 0; args[a] != NULL && a < sizeof(argv) / sizeof(argv[0]) - 1;
	     a++)
		memcpy(&argv[a], &args[a], sizeof(argv[a]));
	argv[a] = NULL;
	envp[n++] = env_path;
	if (!st->secure) {
		if (st->config_path[0] != '\0') {
			(void)snprintf(env_config, sizeof(env_config),
			    "SAFEMAIL_CONFIG=%s", st->config_path);
			envp[n++] = env_config;
		}
		if (st->spool_path[0] != '\0') {
			(void)snprintf(env_spool, sizeof(env_spool),
			    "SAFEMAIL_SPOOL=%s", st->spool_path);
			envp[n++] = env_spool;
		}
		if (st->log_socket[0] != '\0') {
			(void)snprintf(env_log, sizeof(env_log),
			    "SAFEMAIL_LOG_SOCKET=%s", st->log_socket);
			envp[n++] = env_log;
		}
	}
	envp[n] = NULL;
	if (envfd >= 0)
		high_env = fcntl(envfd, F_DUPFD_CLOEXEC, 10);
	if (msgfd >= 0)
		high_msg = fcntl(msgfd, F_DUPFD_CLOEXEC, 10);
	if ((envfd >= 0 && high_env < 0) || (msgfd >= 0 && high_msg < 0) ||
	    place(high_env, HANDOFF_ENVELOPE_FD) != 0 ||
	    place(high_msg, HANDOFF_MESSAGE_FD) != 0) {
		fail_set(f, FAIL_OSERR, "cannot hand the message over: %s",
		    strerror(errno));
		return -1;
	}
	(void)execve(relay_path(st), argv, envp);
	fail_set(f, FAIL_OSERR, "cannot run the back end %s: %s",
	    relay_path(st), strerror(errno));
	return -1;
}

int
handoff_run(const struct startup *st, const char *const *args, int envfd,
    int msgfd, char *status, size_t ssz, struct failure *f)
{
	int pipefd[2], wstatus = 0;
	size_t got = 0;
	pid_t pid;

	status[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		fail_set(f, FAIL_OSERR, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fail_set(f, FAIL_OSERR, "fork: %s", strerror(errno));
		(void)close(pipefd[0]);
		(void)close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		struct failure cf = {FAIL_NONE, ""};
		int e2 = envfd >= 0 ? fcntl(envfd, F_DUPFD_CLOEXEC, 10) : -1;
		int m2 = msgfd >= 0 ? fcntl(msgfd, F_DUPFD_CLOEXEC, 10) : -1;

		/* the verdict pipe lands on 5, the others on 3 and 4 */
		if (dup2(pipefd[1], HANDOFF_STATUS_FD) == HANDOFF_STATUS_FD)
			(void)handoff_exec(st, args, e2, m2, &cf);
		_exit(71);
	}
	(void)close(pipefd[1]);
	while (got + 1 < ssz) {
		ssize_t n = read(pipefd[0], status + got, ssz - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	status[got] = '\0';
	(void)close(pipefd[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

void
handoff_detached(const struct startup *st, const char *qid)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_emit(LOG_WARNING, "%s: cannot start the background attempt "
				      "(%s); the next queue run sends it",
		    qid, strerror(errno));
		return;
	}
	if (pid > 0) {
		(void)waitpid(pid, NULL, 0);
		return;
	}
	/* The child: a new session, then a grandchild that outlives it. */
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		const char *args[] = {"safemail-relay", "one", qid, NULL};
		struct failure f = {FAIL_NONE, ""};

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(0);
		(void)handoff_exec(st, args, -1, -1, &f);
		log_emit(LOG_WARNING, "%s: %s; the next queue run sends it", qid,
		    f.msg);
		_exit(0);
	}
}
