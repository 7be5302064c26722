/* limitstats.c - safemail --stats (see limitstats.h) */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "limitstate.h"
#include "limitstats.h"
#include "text.h"

struct row {
	uid_t uid;
	struct limit_counts c;
};

struct rows {
	struct row *v;
	size_t n;
	bool failed;
};

static void
collect(uid_t uid, const struct limit_counts *c, void *ctx)
{
	struct rows *r = ctx;
	struct row *grown = realloc(r->v, (r->n + 1) * sizeof(*grown));

	if (grown == NULL) {
		r->failed = true;
		return;
	}
	r->v = grown;
	r->v[r->n].uid = uid;
	r->v[r->n++].c = *c;
}

static int
by_uid(const void *a, const void *b)
{
	uid_t x = ((const struct row *)a)->uid, y = ((const struct row *)b)->uid;

	return x < y ? -1 : x > y;
}

/* a group rule for another user: its groups from the group database */
struct who {
	const char *user;
	gid_t gid;
};

static bool
member(const struct limit_rule *r, void *ctx)
{
	const struct who *w = ctx;
	gid_t groups[256];
	int n = (int)(sizeof(groups) / sizeof(*groups));
	gid_t want;

	if (w->user == NULL || !limitstate_rule_gid(r, &want))
		return false;
	if (getgrouplist(w->user, w->gid, groups, &n) < 0)
		n = 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

/* JSON strings here are user names and rule labels: no quote, no
 * backslash, no control byte can be in them, but say so safely anyway */
static void
json_string(FILE *out, const char *s)
{
	(void)fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\' || ch < 0x20)
			(void)fprintf(out, "\\u%04x", ch);
		else
			(void)fputc(ch, out);
	}
	(void)fputc('"', out);
}

int
limitstats_print(const struct conf *c, FILE *out, bool json, long long now,
    struct failure *f)
{
	struct rows rows = {NULL, 0, false};

	if (limitstate_each(collect, &rows, f) != 0)
		return -1;
	if (rows.failed) {
		free(rows.v);
		fail_set(f, FAIL_OSERR, "out of memory");
		return -1;
	}
	qsort(rows.v, rows.n, sizeof(*rows.v), by_uid);
	if (json)
		(void)fprintf(out, "{\"hour_start\":%lld,\"day_start\":%lld,"
				   "\"callers\":[",
		    now / 3600 * 3600, now / 86400 * 86400);
	else
		(void)fprintf(out, "%-7s %-16s %-24s %9s %9s %9s %9s\n", "UID",
		    "USER", "RULE", "MSG/HOUR", "RCPT/HOUR", "MSG/DAY",
		    "RCPT/DAY");
	for (size_t i = 0; i < rows.n; i++) {
		const struct limit_counts *k = &rows.v[i].c;
		struct passwd *pw = getpwuid(rows.v[i].uid);
		struct who w = {pw != NULL ? pw->pw_name : NULL,
		    pw != NULL ? pw->pw_gid : 0};
		char user[64];
		const struct limit_rule *r = sendlimit_pick(c->limit_rules,
		    c->nlimit_rules, rows.v[i].uid, w.user, member, &w);
		/* counts of a period that is over are 0 now */
		bool hour = k->hour == now / 3600, day = k->day == now / 86400;
		unsigned long v[4] = {hour ? k->msg_hour : 0,
		    hour ? k->rcpt_hour : 0, day ? k->msg_day : 0,
		    day ? k->rcpt_day : 0};

		(void)snprintf(user, sizeof(user), "%s",
		    w.user != NULL ? w.user : "?");
		if (!json) {
			(void)fprintf(out, "%-7u %-16s %-24s %9lu %9lu %9lu %9lu\n",
			    (unsigned)rows.v[i].uid, user,
			    r != NULL ? r->label : "(none)", v[0], v[1], v[2],
			    v[3]);
			continue;
		}
		(void)fprintf(out, "%s{\"uid\":%u,\"user\":", i > 0 ? "," : "",
		    (unsigned)rows.v[i].uid);
		json_string(out, user);
		(void)fprintf(out, ",\"rule\":");
		if (r != NULL)
			json_string(out, r->label);
		else
			(void)fprintf(out, "null");
		(void)fprintf(out, ",\"hour\":{\"messages\":%lu,\"recipients\":"
				   "%lu},\"day\":{\"messages\":%lu,"
				   "\"recipients\":%lu}",
		    v[0], v[1], v[2], v[3]);
		if (r != NULL && !r->unlimited)
			(void)fprintf(out, ",\"limits\":{\"messages_per_hour\":%lu,"
					   "\"messages_per_day\":%lu,"
					   "\"recipients_per_hour\":%lu,"
					   "\"recipients_per_day\":%lu,"
					   "\"recipients_per_message\":%lu,"
					   "\"over\":\"%s\"}",
			    r->max[LIMIT_MSG_HOUR], r->max[LIMIT_MSG_DAY],
			    r->max[LIMIT_RCPT_HOUR], r->max[LIMIT_RCPT_DAY],
			    r->max[LIMIT_RCPT_MESSAGE],
			    sendlimit_action_name(r->over));
		(void)fprintf(out, "}");
	}
	if (json)
		(void)fprintf(out, "]}\n");
	free(rows.v);
	return 0;
}
