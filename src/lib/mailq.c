/* mailq.c - the queue for people (see mailq.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mailq.h"
#include "text.h"

static void
when(long long t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sz, "%a %b %e %H:%M:%S", &tm) == 0)
		(void)snprintf(buf, sz, "%lld", t);
}

/* The detail lines start under the sender */
#define IN "%51s"

static void
print_one(FILE *out, const struct spool_env *e, bool failed_area)
{
	char arrival[32], next[32];
	long long now = (long long)time(NULL);

	when(e->created, arrival, sizeof(arrival));
	(void)fprintf(out, "%-12s%c %8llu %-20s %7u  %s\n", e->qid,
	    failed_area ? '#' : e->held ? '!' : ' ', e->size, arrival, e->uid,
	    e->null_sender ? "MAILER-DAEMON" : e->sender);
	if (failed_area)
		(void)fprintf(out, IN "(failed: kept for the admin)\n", "");
	else if (e->held)
		(void)fprintf(out, IN "(held: safemail --release %s)\n", "",
		    e->qid);
	if (e->error[0] != '\0')
		(void)fprintf(out, IN "(%s)\n", "", e->error);
	if (e->script[0] != '\0')
		(void)fprintf(out, IN "(script %s)\n", "", e->script);
	if (e->origin[0] != '\0')
		(void)fprintf(out, IN "(from %s)\n", "", e->origin);
	if (!failed_area && !e->held) {
		when(e->next_try, next, sizeof(next));
		(void)fprintf(out, IN "(age %lld s, %u attempts, next try %s)\n",
		    "", now - e->created, e->attempts,
		    e->next_try <= now ? "at the next queue run" : next);
	}
	for (size_t i = 0; i < e->nrcpt; i++) {
		if (e->rcpt[i].state == RCPT_SENT)
			continue;
		(void)fprintf(out, IN "%s\n", "", e->rcpt[i].addr);
		if (e->rcpt[i].state == RCPT_FAILED)
			(void)fprintf(out, IN "  (%s)\n", "", e->rcpt[i].reply);
	}
	(void)fprintf(out, "\n");
}

int
mailq_print(struct spool *sp, FILE *out, bool everyone, unsigned uid,
    struct failure *f)
{
	unsigned long long bytes = 0;
	size_t count = 0;

	for (int area = 0; area < 2; area++) {
		char(*ids)[SPOOL_QID_LEN + 1];
		size_t n;

		if (spool_list(sp, area == 1, &ids, &n, f) != 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			struct spool_env e;
			struct failure ef = {FAIL_NONE, ""};

			if (spool_read_env(sp, area == 1, ids[i], &e, &ef) != 0)
				continue; /* gone meanwhile, or corrupt */
			/* the uid the gate wrote (its caller's, checked) */
			if (!everyone && e.uid != uid) {
				spool_env_free(&e);
				continue;
			}
			if (count++ == 0)
				(void)fprintf(out,
				    "-Queue ID-  --Size-- ----Arrival Time---- "
				    "--UID-- -Sender/Recipient-------\n");
			print_one(out, &e, area == 1);
			bytes += e.size;
			spool_env_free(&e);
		}
		free(ids);
	}
	if (count == 0)
		(void)fprintf(out, "Mail queue is empty\n");
	else
		(void)fprintf(out, "-- %llu Kbytes in %zu Request%s.\n",
		    (bytes + 1023) / 1024, count, count == 1 ? "" : "s");
	return 0;
}

int
mailq_admin(struct spool *sp, enum queue_admin what, const char *qid,
    struct failure *f)
{
	struct spool_item it;

	if (!spool_qid_ok(qid, strlen(qid))) {
		fail_set(f, FAIL_USAGE, "'%.40s' is not a queue id", qid);
		return -1;
	}
	switch (spool_take(sp, qid, &it, f)) {
	case TAKE_BUSY:
		fail_set(f, FAIL_TEMP, "%s is being delivered; try again",
		    qid);
		return -1;
	case TAKE_GONE:
		if (what == ADMIN_DELETE) {
			char name[32];

			/* a message in failed/ */
			(void)snprintf(name, sizeof(name), "%s.env", qid);
			if (unlinkat(sp->failed, name, 0) == 0) {
				(void)snprintf(name, sizeof(name), "%s.msg",
				    qid);
				(void)unlinkat(sp->failed, name, 0);
				log_emit(LOG_INFO, "%s: deleted by the admin "
						   "(failed/)",
				    qid);
				return 0;
			}
		}
		fail_set(f, FAIL_USAGE, "no message %s in the queue", qid);
		return -1;
	case TAKE_RETRY:
	case TAKE_CORRUPT:
		spool_release(&it);
		return -1;
	case TAKE_OK:
		break;
	}
	if (what == ADMIN_DELETE) {
		if (spool_remove(sp, qid, f) != 0)
			goto fail;
		log_emit(LOG_INFO, "%s: deleted by the admin", qid);
	} else {
		it.env.held = what == ADMIN_HOLD;
		if (what == ADMIN_RELEASE)
			it.env.next_try = 0;
		if (spool_update(sp, &it.env, f) != 0)
			goto fail;
		log_emit(LOG_INFO, "%s: %s by the admin", qid,
		    what == ADMIN_HOLD ? "held" : "released");
	}
	spool_release(&it);
	return 0;
fail:
	spool_release(&it);
	return -1;
}
