/* test_spawner - what the spawner (src/gate/spawner.c) does for a gate,
 * and what it refuses a gate a hostile message took over: commands other
 * than the gate's own, more than SPAWNER_RUNNING_MAX relay clients at
 * once, a background attempt without one of the caller's slots; the
 * service's way, a spawner asked for once from the listener. A fake
 * safemail-relay (a shell script) stands in for the real one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "spawner.h"
#include "tap.h"

static char dir[] = "/tmp/safemail-spawner-XXXXXX";

/* The spawner (another process) asked for a slot of uid's: a mark */
static void
slot_asked(uid_t uid)
{
	char mark[200];
	int fd;

	(void)snprintf(mark, sizeof(mark), "%s/slot-%u", dir, (unsigned)uid);
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		(void)close(fd);
}

static int
no_slot(uid_t uid, const char *qid)
{
	(void)qid;
	slot_asked(uid);
	return -1;
}

static int
a_slot(uid_t uid, const char *qid)
{
	(void)qid;
	slot_asked(uid);
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* As the service's listener does (listen.c): a spawner forked for one
 * connection's uid, its channel handed to the gate when it asks; the
 * answer is queued before the question (a SOCK_SEQPACKET pair). The
 * listener's end, or -1. */
static int
service_spawner(const struct startup *st, spawner_slot_fn slot, uid_t uid,
    struct failure *f)
{
	int sv[2], end;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (spawner_fork(st, true, slot, uid, &end, f) < 0)
		return -1;
	if (fdpass_send(sv[0], "k", 1, &end, 1) != 1)
		return -1;
	(void)close(end);
	spawner_via(sv[1]);
	return sv[0];
}

static pid_t
run(const char *const *args, struct failure *f)
{
	const int at[SPAWNER_FDS] = {-1, -1, -1, -1, -1, -1};

	return spawner_run(args, at, f);
}

int
main(void)
{
	struct startup st;
	struct failure f = {FAIL_NONE, ""};
	char path[200], mark[200];
	FILE *script;
	pid_t held[SPAWNER_RUNNING_MAX], pid;
	int started = 0, listener;

	if (mkdtemp(dir) == NULL)
		return 99;
	(void)snprintf(path, sizeof(path), "%s/safemail-relay", dir);
	script = fopen(path, "w");
	if (script == NULL)
		return 99;
	/* deliver: exit 7; standby: stay a while; one QID: leave a mark */
	(void)fprintf(script, "#!/bin/sh\ncase \"$1\" in\n"
			      "deliver) exit 7 ;;\n"
			      "standby) exec sleep 3 ;;\n"
			      "one) : > %s/one-\"$2\" ;;\nesac\n",
	    dir);
	(void)fclose(script);
	(void)chmod(path, 0755);
	memset(&st, 0, sizeof(st));
	(void)snprintf(st.libexec_dir, sizeof(st.libexec_dir), "%s", dir);

	ok(spawner_start(&st, &f) == 0 && spawner_on(),
	    "the spawner starts");
	{
		const char *deliver[] = {"safemail-relay", "deliver",
		    "1.500000", NULL};

		pid = run(deliver, &f);
		ok(pid > 0 && spawner_wait(pid) == 7,
		    "deliver TIME: started, its exit status (7) reported");
		ok(spawner_wait(pid) == -1,
		    "a pid waited for once is not the gate's any more");
	}
	{
		static const char *const refused[][6] = {
		    {"safemail-relay", "one", "AAAAAAAAAAAA", NULL},
		    {"safemail-relay", "standby", "stay", NULL},
		    {"safemail-relay", "queue", NULL},
		    {"/bin/sh", "deliver", "1.0", NULL},
		    {"safemail-relay", "deliver", "-v", "1.0", "x", NULL},
		    {"safemail-relay", "deliver", "/etc/passwd", NULL},
		    {"safemail-relay", "deliver", NULL},
		};

		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]);
		     i++) {
			pid = run(refused[i], &f);
			ok(pid < 0 && strstr(f.msg, "refuses"),
			    "not a command of the gate's: refused (%s %s): %s",
			    refused[i][1], refused[i][2] ? refused[i][2] : "",
			    f.msg);
		}
	}
	{
		const char *standby[] = {"safemail-relay", "standby", NULL};

		for (int i = 0; i < SPAWNER_RUNNING_MAX; i++)
			if ((held[i] = run(standby, &f)) > 0)
				started++;
		ok(started == SPAWNER_RUNNING_MAX,
		    "%d relay clients at once: started", started);
		pid = run(standby, &f);
		ok(pid < 0 && strstr(f.msg, "too many"),
		    "one more while they run: refused (%s)", f.msg);
		for (int i = 0; i < started; i++)
			(void)spawner_wait(held[i]);
		pid = run(standby, &f);
		ok(pid > 0, "once they ended: started again");
		if (pid > 0)
			(void)spawner_wait(pid);
	}
	{
		char why[200] = "";

		ok(spawner_background("AAAAAAAAAAAA", why, sizeof(why)) == 0,
		    "the set-ID path's background attempt (no slots): started");
		ok(spawner_background("../etc/passw", why, sizeof(why)) != 0,
		    "a background attempt for what is no queue id: refused");
	}
	spawner_end();
	listener = service_spawner(&st, no_slot, 1234, &f);
	ok(listener >= 0 && spawner_on(),
	    "a service's spawner, from its listener (its caller's slots)");
	{
		char why[200] = "", asked[8];

		ok(spawner_background("BBBBBBBBBBBB", why, sizeof(why)) != 0 &&
			strstr(why, "slot"),
		    "every slot taken: no background attempt (%s)", why);
		struct stat sb;

		(void)snprintf(mark, sizeof(mark), "%s/slot-1234", dir);
		ok(stat(mark, &sb) == 0,
		    "the slot asked for is the connection's uid's (1234)");
		ok(recv(listener, asked, sizeof(asked), MSG_DONTWAIT) == 1 &&
			asked[0] == 'S' &&
			recv(listener, asked, sizeof(asked), MSG_DONTWAIT) == 0,
		    "the gate asked its listener for a spawner once, on its "
		    "first request, and closed the channel after");
		(void)close(listener);
	}
	spawner_end();
	listener = service_spawner(&st, a_slot, 1234, &f);
	ok(listener >= 0, "and with a slot free");
	{
		char why[200] = "";

		ok(spawner_background("CCCCCCCCCCCC", why, sizeof(why)) == 0,
		    "a slot free: the background attempt runs");
		(void)close(listener);
	}
	spawner_end();
	{
		int sv[2];
		char why[200] = "";

		/* a listener that forks none (it cannot, or refuses) */
		ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ==
			    0 &&
			send(sv[0], "no", 2, 0) == 2,
		    "a listener that answers with no spawner");
		spawner_via(sv[1]);
		ok(spawner_background("DDDDDDDDDDDD", why, sizeof(why)) != 0 &&
			strstr(why, "gone") != NULL,
		    "no spawner from the listener: no relay client, said (%s)",
		    why);
		/* the gate is locked down by now: a fork of its own (what
		 * it does when it has no spawner) is killed by its filter */
		ok(spawner_on(),
		    "and the gate still goes through the spawner it was "
		    "refused: it never falls back to a fork of its own");
		f.kind = FAIL_NONE;
		ok(run((const char *const[]){"safemail-relay", "deliver", "1",
			   NULL},
			   &f) < 0 &&
			f.kind != FAIL_NONE,
		    "its next relay client: refused, said (%s)", f.msg);
		(void)close(sv[0]);
		spawner_end();
		ok(!spawner_on(), "spawner_end: no spawner any more");
	}
	for (int i = 0; i < 50; i++) {
		struct stat s;

		(void)snprintf(mark, sizeof(mark), "%s/one-CCCCCCCCCCCC", dir);
		if (stat(mark, &s) == 0)
			break;
		usleep(100000);
	}
	{
		struct stat s;
		char other[200];

		(void)snprintf(other, sizeof(other), "%s/one-BBBBBBBBBBBB", dir);
		ok(stat(mark, &s) == 0 && stat(other, &s) != 0,
		    "the one with a slot ran, the one without did not");
	}
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
