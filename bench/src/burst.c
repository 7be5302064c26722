/* burst - N callers at once from several uids: forks N children, each
 * takes its uid (uid i % number of uids, its gid, no supplementary
 * groups) and the message file as standard input, then waits at a
 * barrier (a pipe the parent closes once all are forked) and execs the
 * program. Prints one line per caller, "LATENCY_MS EXIT", where latency
 * runs from the barrier's release to the caller's end, then "total MS".
 * Usage: burst N MSGFILE UID:GID[,UID:GID...] PROGRAM [ARG...] */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CALLERS 1000
#define MAX_UIDS 100

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static pid_t pids[MAX_CALLERS];
	static double ended[MAX_CALLERS];
	static int codes[MAX_CALLERS];
	unsigned uids[MAX_UIDS], gids[MAX_UIDS];
	int n, nuid = 0, barrier[2], left;
	char *list, *tok;
	double start;

	if (argc < 5 || (n = atoi(argv[1])) < 1 || n > MAX_CALLERS) {
		fprintf(stderr, "usage: burst N MSGFILE UID:GID[,...] PROGRAM "
				"[ARG...]\n");
		return 2;
	}
	list = argv[3];
	for (tok = strtok(list, ","); tok != NULL && nuid < MAX_UIDS;
	     tok = strtok(NULL, ","))
		if (sscanf(tok, "%u:%u", &uids[nuid], &gids[nuid]) == 2)
			nuid++;
	if (nuid == 0 || pipe(barrier) != 0)
		return 2;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0) {
			char c;
			int in = open(argv[2], O_RDONLY);
			int null = open("/dev/null", O_WRONLY);

			(void)close(barrier[1]);
			if (in < 0 || null < 0 || dup2(in, 0) < 0 ||
			    dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
			    setgroups(0, NULL) != 0 ||
			    setgid(gids[i % nuid]) != 0 ||
			    setuid(uids[i % nuid]) != 0)
				_exit(126);
			(void)close(in);
			(void)close(null);
			while (read(barrier[0], &c, 1) < 0 && errno == EINTR)
				;
			(void)close(barrier[0]);
			execv(argv[4], argv + 4);
			_exit(127);
		}
	}
	(void)close(barrier[0]);
	start = now_ms();
	(void)close(barrier[1]); /* all of them go */
	for (left = n; left > 0;) {
		int ws;
		pid_t pid = wait(&ws);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++)
			if (pids[i] == pid) {
				ended[i] = now_ms();
				codes[i] = WIFEXITED(ws) ? WEXITSTATUS(ws)
							 : 128 + WTERMSIG(ws);
				left--;
				break;
			}
	}
	{
		double last = start;

		for (int i = 0; i < n; i++) {
			printf("%.3f %d\n", ended[i] - start, codes[i]);
			if (ended[i] > last)
				last = ended[i];
		}
		printf("total %.3f\n", last - start);
	}
	return 0;
}
