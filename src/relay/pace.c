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

/* 100 tries 10 ms apart: a second */
#define LOCK_TRIES 100
/* the record: 15 digits and a newline, always that width */
#define RECORD_LEN 16

long long
pace_ahead_max(long long interval)
{
	return PACE_WAIT_ASYNC_MS + interval * (PACE_WAITERS_MAX + 1);
}

bool
pace_plausible(long long now, long long next, long long interval)
{
	return next <= now + pace_ahead_max(interval);
}

bool
pace_slot(long long now, long long next, long long interval,
    long long max_wait, long long *slot, long long *new_next)
{
	if (!pace_plausible(now, next, interval))
		next = now;
	*slot = next > now ? next : now;
	if (max_wait >= 0 && *slot - now > max_wait)
		return false;
	*new_next = *slot + interval;
	return true;
}

static const char *
route_name(const struct conf *route)
{
	return route->route_name[0] != '\0' ? route->route_name : "smtp";
}

/* the stored next start, and the lock around it; -1 without the file */
static int
open_state(const struct conf *route)
{
	char name[CONF_ROUTE_NAME_MAX + 8];
	int dfd = rundir_open(), fd = -1;

	if (dfd < 0)
		return -1;
	(void)snprintf(name, sizeof(name), "rate-%s", route_name(route));
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

/* The stored record (16 bytes: 15 digits, a newline), or none (an empty,
 * new file). Anything else is not obeyed: logged, and this message
 * starts from now and writes a good record over it. */
static bool
read_next(int fd, const struct conf *route, char record[RECORD_LEN],
    long long *next)
{
	char buf[RECORD_LEN + 1];
	unsigned long v;
	ssize_t n;

	*next = 0;
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return false;
	if (n == RECORD_LEN && buf[RECORD_LEN - 1] == '\n') {
		buf[RECORD_LEN - 1] = '\0';
		if (strspn(buf, "0123456789") == RECORD_LEN - 1 &&
		    text_parse_uint(buf, 999999999999999UL, &v)) {
			memcpy(record, buf, RECORD_LEN - 1);
			record[RECORD_LEN - 1] = '\n';
			*next = (long long)v;
			return true;
		}
	}
	log_emit(LOG_ERR, "%s/rate-%s: not a rate record: ignored, paced "
			  "from now",
	    rundir_path(), route_name(route));
	return false;
}

/* Replaced in place, whole: the record has one width, sits in one page
 * at offset 0, and the write is one pwrite, which no signal splits. Only
 * a file size limit could cut it short, and a back end runs with its
 * soft limit raised and refuses a hard one this low (startup.h); should
 * it be cut short all the same, the bytes it wrote are put back (the
 * old record had, and the limit allows, as many), so no reader ever
 * sees new high digits on old low ones. old: the record read, NULL for
 * none (the file is emptied again). */
static bool
write_next(int fd, const struct conf *route, const char *old, long long next)
{
	char buf[RECORD_LEN + 1];
	int n = snprintf(buf, sizeof(buf), "%015lld\n", next);
	ssize_t w;
	int saved;

	if (n != RECORD_LEN)
		return false;
	w = pwrite(fd, buf, RECORD_LEN, 0);
	if (w == RECORD_LEN)
		return true;
	saved = w < 0 ? errno : EFBIG;
	if (w > 0 && (old != NULL ? pwrite(fd, old, (size_t)w, 0) != w
				  : ftruncate(fd, 0) != 0))
		log_emit(LOG_ERR, "%s/rate-%s: a cut write could not be "
				  "undone: %s (the next reader ignores it)",
		    rundir_path(), route_name(route), strerror(errno));
	errno = saved;
	return false;
}

bool
pace_turn(const struct conf *route, long long max_wait, long long *waited)
{
	/* without the state file: this process's own pacing */
	static long long local_next;
	char record[RECORD_LEN];
	bool have_record = false;
	long long now, slot, next, interval, stored;
	int fd;

	*waited = 0;
	if (route->rate == 0)
		return true;
	interval = 60000LL / route->rate;
	fd = open_state(route);
	now = clock_ms();
	if (fd >= 0) {
		have_record = read_next(fd, route, record, &stored);
		if (have_record && !pace_plausible(now, stored, interval))
			log_emit(LOG_WARNING, "%s/rate-%s: a turn %lld s ahead, "
					      "more than any sender could "
					      "have reserved (%lld s; a "
					      "garbled record, or a reboot "
					      "restarted the clock): ignored, "
					      "paced from now",
			    rundir_path(), route_name(route),
			    (stored - now) / 1000,
			    pace_ahead_max(interval) / 1000);
	} else {
		stored = local_next;
	}
	if (!pace_slot(now, stored, interval, max_wait, &slot, &next)) {
		if (fd >= 0)
			(void)close(fd); /* the lock goes with it */
		return false;
	}
	/* a state that cannot be written paces this process at least */
	local_next = next;
	if (fd >= 0) {
		if (!write_next(fd, route, have_record ? record : NULL, next))
			log_emit(LOG_WARNING, "%s/rate-%s: cannot be written: %s",
			    rundir_path(), route_name(route), strerror(errno));
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
