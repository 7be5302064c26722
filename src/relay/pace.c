/* pace.c - a relay section's rate (see pace.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pace.h"
#include "rundir.h"
#include "text.h"

#define CLOCK_RESET_MS (3600LL * 1000)
/* 100 tries 10 ms apart: a second */
#define LOCK_TRIES 100

bool
pace_slot(long long now, long long next, long long interval,
    long long max_wait, long long *slot, long long *new_next)
{
	if (next > now + CLOCK_RESET_MS)
		next = now;
	*slot = next > now ? next : now;
	if (max_wait >= 0 && *slot - now > max_wait)
		return false;
	*new_next = *slot + interval;
	return true;
}

/* the stored next start, and the lock around it; -1 without the file */
static int
open_state(const struct conf *route)
{
	char name[CONF_ROUTE_NAME_MAX + 8];
	int dfd = rundir_open(), fd = -1;

	if (dfd < 0)
		return -1;
	(void)snprintf(name, sizeof(name), "rate-%s",
	    route->route_name[0] != '\0' ? route->route_name : "smtp");
	/* Never wait on the lock for long: its holder may be a relay client
	 * its own user has stopped (kill -STOP), and no user may hold up
	 * another's mail. Past the wait, this process paces alone. */
	fd = rundir_lock_file(dfd, name, LOCK_TRIES);
	if (fd < 0)
		log_emit(LOG_WARNING, "%s/%s: %s: pacing this process alone",
		    rundir_path(), name,
		    errno == EWOULDBLOCK ? "held by a process that does not "
					   "let go"
					 : strerror(errno));
	(void)close(dfd);
	return fd;
}

static long long
read_next(int fd)
{
	char buf[24];
	unsigned long v;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return text_parse_uint(buf, 999999999999999UL, &v) ? (long long)v : 0;
}

static bool
write_next(int fd, long long next)
{
	char buf[24];
	/* always the same width: no shorter text leaves a tail behind */
	int n = snprintf(buf, sizeof(buf), "%015lld\n", next);

	return n > 0 && pwrite(fd, buf, (size_t)n, 0) == n;
}

bool
pace_turn(const struct conf *route, long long max_wait, long long *waited)
{
	/* without the state file: this process's own pacing */
	static long long local_next;
	long long now, slot, next, interval;
	int fd;

	*waited = 0;
	if (route->rate == 0)
		return true;
	interval = 60000LL / route->rate;
	fd = open_state(route);
	now = clock_ms();
	if (!pace_slot(now, fd >= 0 ? read_next(fd) : local_next, interval,
		max_wait, &slot, &next)) {
		if (fd >= 0)
			(void)close(fd); /* the lock goes with it */
		return false;
	}
	/* a state that cannot be written paces this process at least */
	local_next = next;
	if (fd >= 0) {
		if (!write_next(fd, next))
			log_emit(LOG_WARNING, "%s/rate-%s: cannot be written: %s",
			    rundir_path(), route->route_name[0] != '\0'
				? route->route_name
				: "smtp",
			    strerror(errno));
		(void)close(fd);
	}
	*waited = slot - now;
	while (slot > now) {
		struct timespec ts = {(time_t)((slot - now) / 1000),
		    (long)((slot - now) % 1000) * 1000000L};

		(void)nanosleep(&ts, NULL);
		now = clock_ms();
	}
	return true;
}
