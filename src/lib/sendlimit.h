/* sendlimit.h - [limits]: how much mail each caller may send (pure).
 *
 * A rule is "default", "user.NAME", "uid.N", "group.NAME" or "gid.N"
 * with a value such as "20/hour, 200/day, 500 rcpt/day, 50 rcpt/message,
 * hold" (or "unlimited"). The caller's rule is the most specific that
 * names it: its user (or uid), else a group it is in, else default.
 * Counts are per clock hour and per UTC day, kept per uid by the gate
 * (limitstate.c), which the caller cannot reach. */
#ifndef SAFEMAIL_SENDLIMIT_H
#define SAFEMAIL_SENDLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum limit_kind {
	LIMIT_MSG_HOUR,
	LIMIT_MSG_DAY,
	LIMIT_RCPT_HOUR,
	LIMIT_RCPT_DAY,
	LIMIT_RCPT_MESSAGE,
	LIMIT_KINDS
};

/* over the limit: 75 and nothing kept; queued held (0); 77 */
enum limit_action { LIMIT_DEFER, LIMIT_HOLD, LIMIT_REFUSE };

enum limit_who { WHO_DEFAULT, WHO_USER, WHO_UID, WHO_GROUP, WHO_GID };

struct limit_rule {
	enum limit_who who;
	char name[64]; /* user or group name */
	unsigned id;   /* uid or gid */
	bool unlimited;
	unsigned long max[LIMIT_KINDS]; /* 0: no such limit */
	enum limit_action over;
	char label[80]; /* the key as configured, for messages */
	unsigned line;
};

struct limit_counts {
	long long hour, day; /* the periods counted: now / 3600, now / 86400 */
	unsigned long msg_hour, rcpt_hour, msg_day, rcpt_day;
	long long notified_hour, notified_day; /* last period noticed */
};

/* sendlimit_parse_rule - key and value into r; false with why */
bool sendlimit_parse_rule(const char *key, const char *value,
    struct limit_rule *r, char *why, size_t whysz);

/* sendlimit_pick - the caller's rule, or NULL: a user or uid rule, else
 * the first group rule for a group it is in (in_group asks), else
 * default */
const struct limit_rule *sendlimit_pick(const struct limit_rule *rules,
    size_t n, uid_t uid, const char *user,
    bool (*in_group)(const struct limit_rule *r, void *ctx), void *ctx);

/* sendlimit_admit - one message of nrcpt recipients at now: true and
 * counted; false and *hit the first limit it would pass (nothing
 * counted). The counts of past periods are dropped first. */
bool sendlimit_admit(const struct limit_rule *r, struct limit_counts *c,
    long long now, size_t nrcpt, enum limit_kind *hit);

/* sendlimit_notice_due - over the limit hit at now: true once per period
 * of that limit (marked in c), for the notice to limit_notify */
bool sendlimit_notice_due(struct limit_counts *c, enum limit_kind hit,
    long long now);

/* The notice to limit_notify (CRLF lines, malloc'd; NULL: no memory). */
struct limit_notice {
	const char *host, *from, *to; /* this machine, MAILER-DAEMON@, limit_notify */
	const char *qid;              /* the first message over the limit */
	const char *sender;           /* its envelope sender */
	size_t nrcpt;
	unsigned uid;
	const char *user, *parent;    /* the caller's login and program */
	const char *script;           /* X-PHP-Originating-Script, or "" */
	const struct limit_rule *rule;
	enum limit_kind hit;
	const struct limit_counts *counts;
	long long now;
};
char *sendlimit_notice(const struct limit_notice *n, size_t *len);

/* "messages an hour" and the like; "defer", "hold", "refuse" */
const char *sendlimit_kind_name(enum limit_kind k);
const char *sendlimit_action_name(enum limit_action a);

/* The state file: "safemail-limits 1\nhour H M R\nday D M R\n
 * notified H D\n", each number 12 digits wide so the record's length
 * never changes; parse is strict (false: not a state file). */
bool sendlimit_format(const struct limit_counts *c, char *buf, size_t sz,
    size_t *len);
bool sendlimit_parse(const char *buf, size_t len, struct limit_counts *c);

/* sendlimit_plausible - counts a gate could have written (false: a
 * garbled or forged record, which is not obeyed): the hour within the
 * day, no more in the hour than in the day, no notice mark ahead of the
 * period counted; all zero for a new file */
bool sendlimit_plausible(const struct limit_counts *c);

#endif
