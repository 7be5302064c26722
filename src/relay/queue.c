/* queue.c - queue runs (see queue.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caller.h"
#include "clock.h"
#include "deliver.h"
#include "dsn.h"
#include "log.h"
#include "pace.h"
#include "queue.h"
#include "text.h"

#define HEADERS_MAX (64 * 1024)
#define SPOOL_SWEEP_AGE 86400

/* What one worker process does in a run. */
struct run {
	const struct conf *c;
	struct spool *sp;
	struct outbound *ob;
	/* relay sections whose session failed: the rest of their mail is
	 * left for later, other sections' goes on */
	const struct conf *down[CONF_ROUTES_MAX + 1];
	size_t ndown;
	char host[ADDR_BUFSZ];
	/* bounces made in this run, delivered before it ends */
	char (*todo)[SPOOL_QID_LEN + 1];
	size_t ntodo;
};

/* The original header block, for the bounce. */
static size_t
read_headers(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	char *end;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return 0;
	while (got < cap - 1) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			return (size_t)(end - buf) + 2;
	}
	/* cut at the last whole line */
	while (got > 0 && buf[got - 1] != '\n')
		got--;
	return got;
}

static void
add_todo(struct run *run, const char *qid)
{
	char(*grown)[SPOOL_QID_LEN + 1] =
	    realloc(run->todo, (run->ntodo + 1) * sizeof(*run->todo));

	if (grown == NULL)
		return; /* the next run takes it */
	run->todo = grown;
	memcpy(run->todo[run->ntodo++], qid, SPOOL_QID_LEN + 1);
}

/* Spool a delivery status notification for the failed recipients of e
 * back to its sender. */
static int
bounce(struct run *run, const struct spool_item *it)
{
	const struct spool_env *e = &it->env;
	struct dsn_rcpt *dr = calloc(e->nrcpt, sizeof(*dr));
	char *headers = malloc(HEADERS_MAX);
	char from[ADDR_BUFSZ + 16], *text = NULL;
	struct dsn_input in;
	struct spool_env b;
	struct spool_rcpt to;
	struct failure f = {FAIL_NONE, ""};
	size_t len = 0, n = 0;
	int fd = -1, rc = -1;

	if (dr == NULL || headers == NULL)
		goto out;
	for (size_t i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == RCPT_FAILED) {
			dr[n].addr = e->rcpt[i].addr;
			dr[n].reply = e->rcpt[i].reply;
			dr[n].status = strncmp(e->rcpt[i].reply, "expired", 7) == 0
			    ? "4.4.7"
			    : NULL;
			n++;
		}
	memset(&b, 0, sizeof(b));
	if (spool_new_qid(b.qid) != 0)
		goto out;
	(void)snprintf(from, sizeof(from), "MAILER-DAEMON@%s",
	    run->c->domain[0] != '\0' ? run->c->domain : run->host);
	memset(&in, 0, sizeof(in));
	in.host = run->host;
	in.from = from;
	in.to = e->sender;
	in.qid = e->qid;
	in.bounce_id = b.qid;
	in.arrival = (time_t)e->created;
	in.now = time(NULL);
	in.rcpt = dr;
	in.nrcpt = n;
	in.headers = headers;
	in.headers_len = read_headers(it->msgfd, headers, HEADERS_MAX);
	text = dsn_compose(&in, &len);
	if (text == NULL)
		goto out;
	b.created = (long long)in.now;
	b.uid = (unsigned)geteuid();
	b.null_sender = true;
	b.size = len;
	b.is_bounce = true;
	memset(&to, 0, sizeof(to));
	to.state = RCPT_PENDING;
	memcpy(to.addr, e->sender, strlen(e->sender) + 1);
	b.rcpt = &to;
	b.nrcpt = 1;
	fd = spool_tmpfile(run->sp, &f);
	if (fd < 0 || spool_write_all(fd, text, len) != 0 ||
	    spool_commit_own(run->sp, fd, &b, &f) != 0)
		goto out;
	log_emit(LOG_INFO, "%s: sender non-delivery notification: %s",
	    e->qid, b.qid);
	add_todo(run, b.qid);
	rc = 0;
out:
	if (rc != 0)
		log_emit(LOG_ERR, "%s: cannot make the bounce: %s", e->qid,
		    f.msg[0] != '\0' ? f.msg : "out of memory");
	if (fd >= 0)
		(void)close(fd);
	free(text);
	free(headers);
	free(dr);
	return rc;
}

/* The message is done for every recipient. Bounce what failed (never a
 * bounce, never to the null sender), then remove it. */
static void
finish(struct run *run, struct spool_item *it)
{
	struct spool_env *e = &it->env;
	struct failure f = {FAIL_NONE, ""};
	bool failed = false;

	for (size_t i = 0; i < e->nrcpt; i++)
		failed |= e->rcpt[i].state == RCPT_FAILED;
	if (failed && e->is_bounce) {
		/* A bounce that cannot be delivered goes to the admin once,
		 * else stays for the admin to see. */
		if (run->c->bounce_admin[0] != '\0' &&
		    strcmp(e->rcpt[0].addr, run->c->bounce_admin) != 0) {
			memcpy(e->rcpt[0].addr, run->c->bounce_admin,
			    strlen(run->c->bounce_admin) + 1);
			e->rcpt[0].state = RCPT_PENDING;
			e->rcpt[0].reply[0] = '\0';
			e->nrcpt = 1;
			e->next_try = 0;
			log_emit(LOG_WARNING, "%s: undeliverable bounce, sent "
					      "to bounce_admin <%s>",
			    e->qid, run->c->bounce_admin);
			if (spool_update(run->sp, e, &f) == 0)
				add_todo(run, e->qid);
			return;
		}
		log_emit(LOG_ERR, "%s: undeliverable bounce kept in failed/",
		    e->qid);
		(void)spool_move(run->sp, e->qid, false);
		return;
	}
	if (failed && e->null_sender) {
		log_emit(LOG_ERR, "%s: failed, and the null sender gets no "
				  "bounce: kept in failed/",
		    e->qid);
		(void)spool_move(run->sp, e->qid, false);
		return;
	}
	if (failed && bounce(run, it) != 0) {
		/* no bounce made: keep the message rather than lose it */
		(void)spool_move(run->sp, e->qid, false);
		return;
	}
	if (spool_remove(run->sp, e->qid, &f) != 0)
		log_emit(LOG_ERR, "%s: %s", e->qid, f.msg);
	else
		log_emit(LOG_INFO, "%s: removed", e->qid);
}

/* Recipients still pending, for the transaction. */
struct pending {
	const struct spool_env *e;
	size_t *index;
	size_t n;
};

static const char *
pending_at(const void *ctx, size_t i)
{
	const struct pending *p = ctx;

	return p->e->rcpt[p->index[i]].addr;
}

static void
try_message(struct run *run, struct spool_item *it)
{
	struct spool_env *e = &it->env;
	struct pending p = {e, NULL, 0};
	struct smtp_result res;
	struct outgoing m;
	struct failure f = {FAIL_NONE, ""};
	bool session_failed = false;
	long long now;

	p.index = calloc(e->nrcpt, sizeof(*p.index));
	memset(&res, 0, sizeof(res));
	res.rcpt = calloc(e->nrcpt, sizeof(*res.rcpt));
	if (p.index == NULL || res.rcpt == NULL)
		goto out;
	for (size_t i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == RCPT_PENDING)
			p.index[p.n++] = i;
	if (p.n > 0) {
		outgoing_from_env(&m, e, it->msgfd, clock_seconds());
		m.nrcpt = p.n;
		m.rcpt = pending_at;
		m.rcpt_ctx = &p;
		(void)outbound_send(run->ob, &m, &res, &session_failed, &f);
		if (session_failed && run->ndown < sizeof(run->down) /
			sizeof(run->down[0]))
			run->down[run->ndown++] =
			    conf_route_for(run->c, e->null_sender ? "" : e->sender);
		/* Each recipient's reply decides its state. A failure of the
		 * whole transaction applies to every pending recipient. */
		for (size_t k = 0; k < p.n; k++) {
			struct spool_rcpt *r = &e->rcpt[p.index[k]];
			const struct smtp_reply *rep = &res.rcpt[k];

			if (res.stage == STAGE_MAIL || res.stage == STAGE_DATA ||
			    res.stage == STAGE_FINAL)
				rep = &res.last;
			if (res.stage == STAGE_IO)
				continue;
			if (rep->code >= 200 && rep->code < 300 &&
			    res.stage == STAGE_NONE) {
				r->state = RCPT_SENT;
			} else if (rep->code >= 500) {
				r->state = RCPT_FAILED;
				(void)snprintf(r->reply, sizeof(r->reply), "%s",
				    rep->text);
			}
		}
		(void)snprintf(e->error, sizeof(e->error), "%s", f.msg);
	}
	now = (long long)time(NULL);
	if (spool_pending(e) > 0 && now - e->created >= (long long)run->c->max_age) {
		for (size_t i = 0; i < e->nrcpt; i++)
			if (e->rcpt[i].state == RCPT_PENDING) {
				e->rcpt[i].state = RCPT_FAILED;
				(void)snprintf(e->rcpt[i].reply,
				    sizeof(e->rcpt[i].reply),
				    "expired after %lld seconds in the queue: "
				    "%.300s",
				    now - e->created,
				    e->error[0] != '\0' ? e->error
							: "not delivered");
			}
		log_emit(LOG_ERR, "%s: expired (max_age %lu s)", e->qid,
		    run->c->max_age);
	}
	if (spool_pending(e) == 0) {
		finish(run, it);
		goto out;
	}
	e->attempts++;
	e->next_try = spool_next_try(now, e->attempts, run->c->retry,
	    run->c->nretry);
	if (spool_update(run->sp, e, &f) != 0)
		log_emit(LOG_ERR, "%s: %s", e->qid, f.msg);
out:
	free(p.index);
	free(res.rcpt);
}

static bool
selected(const struct spool_env *e, const struct queue_select *sel)
{
	switch (sel->kind) {
	case 'I':
		return strstr(e->qid, sel->value) != NULL;
	case 'S':
		return strstr(e->sender, sel->value) != NULL;
	case 'R':
		for (size_t i = 0; i < e->nrcpt; i++) {
			const char *at = strrchr(e->rcpt[i].addr, '@');

			if (e->rcpt[i].state == RCPT_PENDING && at != NULL &&
			    text_ieq(at + 1, sel->value))
				return true;
		}
		return false;
	default:
		return true;
	}
}

static bool
route_down(const struct run *run, const struct spool_env *e)
{
	const struct conf *route =
	    conf_route_for(run->c, e->null_sender ? "" : e->sender);

	for (size_t i = 0; i < run->ndown; i++)
		if (run->down[i] == route)
			return true;
	return false;
}

static bool
all_down(const struct run *run)
{
	return run->ndown > run->c->nroutes;
}

static void
handle(struct run *run, const char *qid, const struct queue_select *sel)
{
	struct spool_item it;
	struct failure f = {FAIL_NONE, ""};

	switch (spool_take(run->sp, qid, &it, &f)) {
	case TAKE_BUSY:
	case TAKE_GONE:
		return;
	case TAKE_RETRY:
		log_emit(LOG_WARNING, "%s: cannot be read now, left for the "
				      "next run: %s",
		    qid, f.msg);
		return;
	case TAKE_CORRUPT:
		log_emit(LOG_ERR, "%s: corrupt spool file moved aside: %s", qid,
		    f.msg);
		(void)spool_move(run->sp, qid, true);
		return;
	case TAKE_OK:
		break;
	}
	if (selected(&it.env, sel) && !it.env.held &&
	    !route_down(run, &it.env) &&
	    (sel->kind != 0 || it.env.next_try <= (long long)time(NULL)))
		try_message(run, &it);
	spool_release(&it);
}

static void
work(const struct conf *c, struct spool *sp,
    char (*ids)[SPOOL_QID_LEN + 1], size_t n, size_t worker, size_t workers,
    const struct queue_select *sel, bool verbose, long long pace_wait)
{
	struct run run;
	struct queue_select all = {0, NULL};

	memset(&run, 0, sizeof(run));
	run.c = c;
	run.sp = sp;
	run.ob = outbound_new(c, verbose);
	local_host_name(c->helo_name, run.host, sizeof(run.host));
	if (run.ob == NULL)
		return;
	outbound_set_pace_wait(run.ob, pace_wait);
	for (size_t i = worker; i < n && !all_down(&run); i += workers)
		handle(&run, ids[i], sel);
	for (size_t i = 0; i < run.ntodo && !all_down(&run); i++)
		handle(&run, run.todo[i], &all);
	outbound_free(run.ob);
	free(run.todo);
}

int
queue_run(const struct conf *c, struct spool *sp,
    const struct queue_select *sel, bool verbose, struct failure *f)
{
	char(*ids)[SPOOL_QID_LEN + 1];
	size_t n, workers;

	/* what crashes left, after a day: never a message anyone accepted */
	(void)spool_sweep(sp, SPOOL_SWEEP_AGE);
	if (spool_list(sp, false, &ids, &n, f) != 0)
		return -1;
	workers = c->connections < n ? c->connections : n;
	log_emit(LOG_INFO, "queue run: %zu messages, %zu connections", n,
	    workers);
	if (workers <= 1) {
		work(c, sp, ids, n, 0, 1, sel, verbose, PACE_WAIT_FOREVER);
	} else {
		/* One process per connection, each with its share. */
		pid_t *pids = calloc(workers, sizeof(*pids));

		for (size_t w = 0; pids != NULL && w < workers; w++) {
			pids[w] = fork();
			if (pids[w] == 0) {
				work(c, sp, ids, n, w, workers, sel, verbose,
				    PACE_WAIT_FOREVER);
				_exit(0);
			}
		}
		for (size_t w = 0; pids != NULL && w < workers; w++)
			if (pids[w] > 0)
				(void)waitpid(pids[w], NULL, 0);
		if (pids == NULL)
			work(c, sp, ids, n, 0, 1, sel, verbose,
			    PACE_WAIT_FOREVER);
		free(pids);
	}
	free(ids);
	return 0;
}

void
queue_run_one(const struct conf *c, struct spool *sp, const char *qid)
{
	struct queue_select sel = {'I', qid};
	char ids[1][SPOOL_QID_LEN + 1];

	(void)snprintf(ids[0], sizeof(ids[0]), "%s", qid);
	/* the async path's background attempt: its turn within a minute,
	 * else the queue run's */
	work(c, sp, ids, 1, 0, 1, &sel, false, PACE_WAIT_ASYNC_MS);
}
