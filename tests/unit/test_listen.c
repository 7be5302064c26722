/* test_listen - the listener's side of the connections' spawners
 * (src/gate/listen.c, listen.h): a connection's child asks once for a
 * spawner on a channel of its own; what else it sends closes that
 * channel; it holds no other connection's channel; the spawner the
 * listener forked for it ends when it does. The listener runs for real
 * (listen_run on a socket in a private directory); each connection's
 * child runs a session of this test's, which says on the connection what
 * it saw, and the spawner is a stand-in that only waits, as a real one
 * blocked on a relay client would. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "handoff.h"
#include "listen.h"
#include "tap.h"

static char dir[] = "/tmp/safemail-listen-XXXXXX";
static char path[80];

/* the descriptors open in this process (the listing's own not counted) */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n - 1;
}

/* Ask the listener for a spawner: "k" (one came), "none" (the channel
 * closed: reset, when the question was left unread), or "unanswered" */
static const char *
ask(int ctl)
{
	struct timeval tv = {5, 0};
	char answer[4];
	int fd = -1;
	ssize_t n;

	(void)setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(ctl, "S", 1, MSG_NOSIGNAL) != 1)
		return "none";
	n = fdpass_receive(ctl, answer, sizeof(answer), &fd, 1);
	if (n == 1 && answer[0] == 'k') {
		(void)close(fd);
		return "k";
	}
	return n < 0 && errno == EAGAIN ? "unanswered" : "none";
}

static void
say(const char *what)
{
	(void)send(HANDOFF_CHANNEL_FD, what, strlen(what), MSG_NOSIGNAL);
}

/* A connection's child: the test's command first, then what it saw */
static int
session(const struct listen_peer *peer)
{
	char cmd[16], line[64];
	ssize_t n = recv(HANDOFF_CHANNEL_FD, cmd, sizeof(cmd) - 1, 0);

	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	if (strcmp(cmd, "fds") == 0) {
		(void)snprintf(line, sizeof(line), "%d", open_fds());
		say(line);
	} else if (strcmp(cmd, "twice") == 0) {
		const char *first = ask(peer->spawner);

		(void)snprintf(line, sizeof(line), "%s %s", first,
		    ask(peer->spawner));
		say(line);
	} else if (strcmp(cmd, "junk") == 0) {
		(void)send(peer->spawner, "X", 1, MSG_NOSIGNAL);
		say(ask(peer->spawner));
	} else if (strcmp(cmd, "hold") == 0) {
		say(ask(peer->spawner));
	} else if (strcmp(cmd, "empty") == 0) {
		/* a packet of no bytes: nothing its gate sends */
		(void)send(peer->spawner, "", 0, MSG_NOSIGNAL);
		say(ask(peer->spawner));
	} else if (strcmp(cmd, "withfd") == 0) {
		/* the request with a descriptor attached: the write end of
		 * a pipe, which nobody may keep (its read end sees EOF) */
		int p[2], fd = -1;
		char answer[4], c;
		struct pollfd pf;
		const char *kept = "held";

		if (pipe(p) != 0)
			return 0;
		if (fdpass_send(peer->spawner, "S", 1, &p[1], 1) == 1 &&
		    fdpass_receive(peer->spawner, answer, sizeof(answer), &fd,
			1) == 1 &&
		    answer[0] == 'k')
			(void)close(fd);
		else
			answer[0] = '?';
		(void)close(p[1]);
		pf.fd = p[0];
		pf.events = POLLIN;
		if (poll(&pf, 1, 5000) == 1 && read(p[0], &c, 1) == 0)
			kept = "dropped";
		(void)snprintf(line, sizeof(line), "%c %s", answer[0], kept);
		say(line);
	}
	/* until the test hangs up */
	while (recv(HANDOFF_CHANNEL_FD, cmd, sizeof(cmd), 0) > 0)
		;
	return 0;
}

/* The stand-in spawner: waits for ever; its pid in <dir>/spawner */
static pid_t
fake_spawner(const struct listen_peer *peer, int *gate_end)
{
	char mark[256];
	int sv[2];
	pid_t pid;
	FILE *f;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* as the real one: nothing of the listener's held, ends with
		 * it (and so never holds the test's output open) */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(1);
		for (int fd = 3; fd < 1024; fd++)
			(void)close(fd);
		for (;;)
			pause();
	}
	(void)close(sv[1]);
	*gate_end = sv[0];
	(void)snprintf(mark, sizeof(mark), "%s/spawner", dir);
	if ((f = fopen(mark, "w")) != NULL) {
		fprintf(f, "%ld %u\n", (long)pid, (unsigned)peer->uid);
		(void)fclose(f);
	}
	return pid;
}

static int
connect_to(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	return fd;
}

/* A connection with cmd sent: its child's answer in out; the socket */
static int
converse(const char *cmd, char *out, size_t cap)
{
	int fd = connect_to();
	ssize_t n;

	out[0] = '\0';
	if (fd < 0 || send(fd, cmd, strlen(cmd), 0) < 0)
		return fd;
	n = recv(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	return fd;
}

/* The process with pid is gone (or a zombie: it ended) */
static int
ended(pid_t pid)
{
	char p[64], stat[256];
	FILE *f;
	char *close_paren;
	int yes = 1;

	(void)snprintf(p, sizeof(p), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(p, "r")) == NULL)
		return 1;
	if (fgets(stat, sizeof(stat), f) != NULL &&
	    (close_paren = strrchr(stat, ')')) != NULL)
		yes = close_paren[2] == 'Z';
	(void)fclose(f);
	return yes;
}

int
main(void)
{
	struct listen_opts o;
	char a[64], b[64], mark[256];
	pid_t listener, spawner = -1;
	unsigned uid = 0;
	int fa, fb;

	if (mkdtemp(dir) == NULL)
		return 99;
	(void)snprintf(path, sizeof(path), "%s/submit", dir);
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.activated = -1;
	o.log_fd = -1;
	o.session = session;
	o.spawner = fake_spawner;
	listener = fork();
	if (listener == 0) {
		struct failure f = {FAIL_NONE, ""};

		_exit(listen_run(&o, &f) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 200 && access(path, F_OK) != 0; i++)
		usleep(25000);

	fa = converse("fds", a, sizeof(a));
	fb = converse("fds", b, sizeof(b));
	ok(a[0] != '\0' && strcmp(a, b) == 0,
	    "a second connection's child holds no more descriptors than the "
	    "first's (%s, %s): not the first's channel to the listener",
	    a, b);
	(void)close(fa);
	(void)close(fb);

	fa = converse("twice", a, sizeof(a));
	ok(strcmp(a, "k none") == 0,
	    "a spawner on the first request; the channel closed after it "
	    "(%s)", a);
	(void)close(fa);

	fa = converse("junk", a, sizeof(a));
	ok(strcmp(a, "none") == 0,
	    "a request its gate never makes: the channel closed, no spawner "
	    "(%s)", a);
	(void)close(fa);

	fa = converse("empty", a, sizeof(a));
	ok(strcmp(a, "none") == 0,
	    "an empty packet: the channel closed, no spawner (%s)", a);
	(void)close(fa);

	fa = converse("withfd", a, sizeof(a));
	ok(strcmp(a, "k dropped") == 0,
	    "a descriptor sent with the request: a spawner, and the listener "
	    "kept no copy of the descriptor (%s)", a);
	(void)close(fa);

	(void)snprintf(mark, sizeof(mark), "%s/spawner", dir);
	(void)unlink(mark);
	fa = converse("hold", a, sizeof(a));
	{
		FILE *f = fopen(mark, "r");
		long pid = -1;

		if (f != NULL) {
			if (fscanf(f, "%ld %u", &pid, &uid) != 2)
				pid = -1;
			(void)fclose(f);
		}
		spawner = (pid_t)pid;
	}
	ok(strcmp(a, "k") == 0 && spawner > 0 && !ended(spawner) &&
		uid == (unsigned)getuid(),
	    "a spawner forked for the connection of uid %u, running", uid);
	(void)close(fa);
	for (int i = 0; i < 200 && spawner > 0 && !ended(spawner); i++)
		usleep(25000);
	ok(spawner > 0 && ended(spawner),
	    "the connection's child ended: the listener ended its spawner");

	(void)kill(listener, SIGTERM);
	(void)waitpid(listener, NULL, 0);
	(void)unlink(mark);
	(void)rmdir(dir);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
