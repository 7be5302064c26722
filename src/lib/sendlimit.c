/* sendlimit.c - per-caller limits (see sendlimit.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "sendlimit.h"
#include "strbuf.h"
#include "text.h"

#define LIMIT_CEILING 100000000UL

static const struct {
	const char *unit;
	enum limit_kind kind;
} units[] = {
	/* the longer units first: "5 rcpt/hour" ends in "/hour" too */
	{" rcpt/hour", LIMIT_RCPT_HOUR},
	{" rcpt/day", LIMIT_RCPT_DAY},
	{" rcpt/message", LIMIT_RCPT_MESSAGE},
	{"/hour", LIMIT_MSG_HOUR},
	{"/day", LIMIT_MSG_DAY},
};

const char *
sendlimit_kind_name(enum limit_kind k)
{
	static const char *const names[LIMIT_KINDS] = {
	    [LIMIT_MSG_HOUR] = "messages an hour",
	    [LIMIT_MSG_DAY] = "messages a day",
	    [LIMIT_RCPT_HOUR] = "recipients an hour",
	    [LIMIT_RCPT_DAY] = "recipients a day",
	    [LIMIT_RCPT_MESSAGE] = "recipients a message"};

	return k < LIMIT_KINDS ? names[k] : "?";
}

const char *
sendlimit_action_name(enum limit_action a)
{
	return a == LIMIT_HOLD ? "hold" : a == LIMIT_REFUSE ? "refuse" : "defer";
}

/* "user.www-data", "uid.33", "group.shop", "gid.1000", "default" */
static bool
parse_who(const char *key, struct limit_rule *r, char *why, size_t whysz)
{
	static const struct {
		const char *prefix;
		enum limit_who who;
	} whos[] = {{"user.", WHO_USER}, {"uid.", WHO_UID},
	    {"group.", WHO_GROUP}, {"gid.", WHO_GID}};
	unsigned long id;

	if (strcmp(key, "default") == 0) {
		r->who = WHO_DEFAULT;
		return true;
	}
	for (size_t i = 0; i < sizeof(whos) / sizeof(*whos); i++) {
		size_t pl = strlen(whos[i].prefix);
		const char *name = key + pl;
		size_t n = strlen(name);

		if (strncmp(key, whos[i].prefix, pl) != 0)
			continue;
		r->who = whos[i].who;
		if (r->who == WHO_UID || r->who == WHO_GID) {
			if (!text_parse_uint(name, 4294967294UL, &id))
				break;
			r->id = (unsigned)id;
			return true;
		}
		/* the names useradd and groupadd allow */
		for (size_t k = 0; k < n; k++)
			if (!((name[k] >= 'a' && name[k] <= 'z') ||
				(name[k] >= 'A' && name[k] <= 'Z') ||
				(name[k] >= '0' && name[k] <= '9') ||
				strchr("._-$", name[k]) != NULL))
				n = 0;
		if (n == 0 || n >= sizeof(r->name))
			break;
		memcpy(r->name, name, n + 1);
		return true;
	}
	(void)snprintf(why, whysz, "%s",
	    "a rule is default, user.NAME, uid.N, group.NAME or gid.N");
	return false;
}

bool
sendlimit_parse_rule(const char *key, const char *value, struct limit_rule *r,
    char *why, size_t whysz)
{
	const char *p = value;
	bool any = false;

	memset(r, 0, sizeof(*r));
	r->over = LIMIT_DEFER;
	(void)snprintf(r->label, sizeof(r->label), "%.79s", key);
	if (!parse_who(key, r, why, whysz))
		return false;
	if (strcmp(value, "unlimited") == 0) {
		r->unlimited = true;
		return true;
	}
	while (*p != '\0') {
		char item[48];
		size_t n;
		unsigned long num;
		bool done = false;

		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= sizeof(item))
			goto bad;
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if (strcmp(item, "defer") == 0 || strcmp(item, "hold") == 0 ||
		    strcmp(item, "refuse") == 0) {
			r->over = item[0] == 'd' ? LIMIT_DEFER
			    : item[0] == 'h'	 ? LIMIT_HOLD
						 : LIMIT_REFUSE;
			continue;
		}
		for (size_t i = 0; i < sizeof(units) / sizeof(*units) && !done;
		     i++) {
			size_t ul = strlen(units[i].unit);
			char digits[16];

			if (n <= ul || strcmp(item + n - ul, units[i].unit) != 0 ||
			    n - ul >= sizeof(digits))
				continue;
			memcpy(digits, item, n - ul);
			digits[n - ul] = '\0';
			if (!text_parse_uint(digits, LIMIT_CEILING, &num) ||
			    num == 0 || r->max[units[i].kind] != 0)
				goto bad;
			r->max[units[i].kind] = num;
			done = any = true;
		}
		if (!done)
			goto bad;
	}
	if (any)
		return true;
bad:
	(void)snprintf(why, whysz, "%s",
	    "expects unlimited, or limits such as 20/hour, 200/day, "
	    "500 rcpt/hour, 5000 rcpt/day, 50 rcpt/message (1 to 100000000, "
	    "each once) and defer, hold or refuse");
	return false;
}

const struct limit_rule *
sendlimit_pick(const struct limit_rule *rules, size_t n, uid_t uid,
    const char *user, bool (*in_group)(const struct limit_rule *r, void *ctx),
    void *ctx)
{
	const struct limit_rule *group = NULL, *dflt = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct limit_rule *r = &rules[i];

		switch (r->who) {
		case WHO_USER:
			if (user != NULL && strcmp(r->name, user) == 0)
				return r;
			break;
		case WHO_UID:
			if (r->id == (unsigned)uid)
				return r;
			break;
		case WHO_GROUP:
		case WHO_GID:
			if (group == NULL && in_group != NULL && in_group(r, ctx))
				group = r;
			break;
		case WHO_DEFAULT:
			dflt = r;
			break;
		}
	}
	return group != NULL ? group : dflt;
}

static void
roll(struct limit_counts *c, long long now)
{
	if (c->hour != now / 3600) {
		c->hour = now / 3600;
		c->msg_hour = c->rcpt_hour = 0;
	}
	if (c->day != now / 86400) {
		c->day = now / 86400;
		c->msg_day = c->rcpt_day = 0;
	}
}

bool
sendlimit_admit(const struct limit_rule *r, struct limit_counts *c,
    long long now, size_t nrcpt, enum limit_kind *hit)
{
	unsigned long after[LIMIT_KINDS];

	roll(c, now);
	if (r == NULL || r->unlimited)
		goto count;
	after[LIMIT_MSG_HOUR] = c->msg_hour + 1;
	after[LIMIT_MSG_DAY] = c->msg_day + 1;
	after[LIMIT_RCPT_HOUR] = c->rcpt_hour + nrcpt;
	after[LIMIT_RCPT_DAY] = c->rcpt_day + nrcpt;
	after[LIMIT_RCPT_MESSAGE] = nrcpt;
	/* a message that no period would let through says so first */
	if (r->max[LIMIT_RCPT_MESSAGE] != 0 &&
	    after[LIMIT_RCPT_MESSAGE] > r->max[LIMIT_RCPT_MESSAGE]) {
		*hit = LIMIT_RCPT_MESSAGE;
		return false;
	}
	for (int k = 0; k < LIMIT_RCPT_MESSAGE; k++)
		if (r->max[k] != 0 && after[k] > r->max[k]) {
			*hit = (enum limit_kind)k;
			return false;
		}
count:
	c->msg_hour++;
	c->msg_day++;
	c->rcpt_hour += nrcpt;
	c->rcpt_day += nrcpt;
	return true;
}

bool
sendlimit_notice_due(struct limit_counts *c, enum limit_kind hit,
    long long now)
{
	bool daily = hit == LIMIT_MSG_DAY || hit == LIMIT_RCPT_DAY;
	long long period = daily ? now / 86400 : now / 3600;
	long long *mark = daily ? &c->notified_day : &c->notified_hour;

	if (*mark == period)
		return false;
	*mark = period;
	return true;
}

bool
sendlimit_format(const struct limit_counts *c, char *buf, size_t sz,
    size_t *len)
{
	/* one width whatever the numbers: the record is rewritten in place */
	int n = snprintf(buf, sz,
	    "safemail-limits 1\nhour %012lld %012lu %012lu\n"
	    "day %012lld %012lu %012lu\nnotified %012lld %012lld\n",
	    c->hour, c->msg_hour, c->rcpt_hour, c->day, c->msg_day,
	    c->rcpt_day, c->notified_hour, c->notified_day);

	if (n < 0 || (size_t)n >= sz)
		return false;
	*len = (size_t)n;
	return true;
}

bool
sendlimit_plausible(const struct limit_counts *c)
{
	/* a gate writes counts rolled to one moment (roll): the hour in
	 * the day, the hour's counts part of the day's, and a notice mark
	 * only for a period that was counted */
	if (c->hour == 0 && c->day == 0)
		return c->msg_hour == 0 && c->rcpt_hour == 0 &&
		    c->msg_day == 0 && c->rcpt_day == 0 &&
		    c->notified_hour == 0 && c->notified_day == 0;
	return c->hour / 24 == c->day && c->msg_hour <= c->msg_day &&
	    c->rcpt_hour <= c->rcpt_day && c->notified_hour <= c->hour &&
	    c->notified_day <= c->day;
}

/* "word N N[ N]\n" at *p: the numbers into v[0..n-1] */
static bool
parse_line(const char **p, const char *end, const char *word, size_t n,
    unsigned long long *v)
{
	size_t wl = strlen(word);

	if ((size_t)(end - *p) <= wl || memcmp(*p, word, wl) != 0)
		return false;
	*p += wl;
	for (size_t i = 0; i < n; i++) {
		char digits[24];
		size_t k = 0;
		unsigned long num;

		if (*p >= end || **p != ' ')
			return false;
		(*p)++;
		while (*p + k < end && (*p)[k] >= '0' && (*p)[k] <= '9' &&
		    k < sizeof(digits) - 1)
			k++;
		memcpy(digits, *p, k);
		digits[k] = '\0';
		if (!text_parse_uint(digits, 999999999999UL, &num))
			return false;
		v[i] = num;
		*p += k;
	}
	if (*p >= end || **p != '\n')
		return false;
	(*p)++;
	return true;
}

bool
sendlimit_parse(const char *buf, size_t len, struct limit_counts *c)
{
	static const char magic[] = "safemail-limits 1\n";
	const char *p = buf, *end = buf + len;
	unsigned long long h[3], d[3], nt[2];

	memset(c, 0, sizeof(*c));
	if (len < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1) != 0)
		return false;
	p += sizeof(magic) - 1;
	if (!parse_line(&p, end, "hour", 3, h) ||
	    !parse_line(&p, end, "day", 3, d) ||
	    !parse_line(&p, end, "notified", 2, nt) || p != end)
		return false;
	c->hour = (long long)h[0];
	c->msg_hour = (unsigned long)h[1];
	c->rcpt_hour = (unsigned long)h[2];
	c->day = (long long)d[0];
	c->msg_day = (unsigned long)d[1];
	c->rcpt_day = (unsigned long)d[2];
	c->notified_hour = (long long)nt[0];
	c->notified_day = (long long)nt[1];
	return true;
}

char *
sendlimit_notice(const struct limit_notice *n, size_t *len)
{
	struct strbuf b = {NULL, 0, 0, false};
	char date[64];
	bool daily = n->hit == LIMIT_MSG_DAY || n->hit == LIMIT_RCPT_DAY;
	const char *action = n->rule->over == LIMIT_HOLD
	    ? "held for the admin (safemail --release QID, or --delete)"
	    : n->rule->over == LIMIT_REFUSE ? "refused (exit 77)"
					    : "deferred (exit 75, not kept)";

	(void)compose_date(date, sizeof(date), (time_t)n->now);
	strbuf_putf(&b, "From: safemail <%s>\r\nTo: <%s>\r\n", n->from, n->to);
	strbuf_putf(&b, "Subject: safemail on %s: uid %u (%s) over its limit "
			"of %lu %s\r\n",
	    n->host, n->uid, n->user, n->rule->max[n->hit],
	    sendlimit_kind_name(n->hit));
	strbuf_putf(&b, "Date: %s\r\nMessage-ID: <%s.limit@%s>\r\n", date,
	    n->qid, n->host);
	strbuf_putf(&b, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0"
			"\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
	strbuf_putf(&b, "uid %u (%s) on %s went over its rule %s of [limits]:"
			"\r\n%lu %s.\r\n\r\n",
	    n->uid, n->user, n->host, n->rule->label, n->rule->max[n->hit],
	    sendlimit_kind_name(n->hit));
	strbuf_putf(&b, "Its mail over the limit is %s.\r\n\r\n", action);
	strbuf_putf(&b, "The first message over it: %s from <%s>, %zu "
			"recipients,\r\nsent by %s%s%s.\r\n",
	    n->qid, n->sender, n->nrcpt, n->parent,
	    n->script[0] != '\0' ? ", script " : "", n->script);
	strbuf_putf(&b, "Counted this hour: %lu messages, %lu recipients; "
			"today: %lu messages, %lu recipients.\r\n\r\n",
	    n->counts->msg_hour, n->counts->rcpt_hour, n->counts->msg_day,
	    n->counts->rcpt_day);
	strbuf_putf(&b, "This notice is sent once per rule and %s for this "
			"caller.\r\n",
	    daily ? "day" : "hour");
	return strbuf_take(&b, len);
}
