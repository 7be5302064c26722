/* test_sendlimit.c - [limits]: rules, the caller's rule, counting, the
 * state file, PHP's script header */
#include "config.h"

#include <string.h>

#include "gatecheck.h"
#include "sendlimit.h"
#include "tap.h"

static bool
in_shops(const struct limit_rule *r, void *ctx)
{
	(void)ctx;
	return (r->who == WHO_GROUP && strcmp(r->name, "shops") == 0) ||
	    (r->who == WHO_GID && r->id == 1000);
}

int
main(void)
{
	struct limit_rule rules[5], r;
	struct limit_counts c;
	enum limit_kind hit;
	char why[256], buf[256], file[64];
	size_t len;
	unsigned uid;

	ok(sendlimit_parse_rule("user.www-data",
	       "20/hour, 200/day, 500 rcpt/hour, 5000 rcpt/day, 50 rcpt/message, "
	       "hold",
	       &r, why, sizeof(why)) &&
		r.who == WHO_USER && strcmp(r.name, "www-data") == 0 &&
		r.max[LIMIT_MSG_HOUR] == 20 && r.max[LIMIT_MSG_DAY] == 200 &&
		r.max[LIMIT_RCPT_HOUR] == 500 && r.max[LIMIT_RCPT_DAY] == 5000 &&
		r.max[LIMIT_RCPT_MESSAGE] == 50 && r.over == LIMIT_HOLD,
	    "a full rule");
	ok(sendlimit_parse_rule("uid.33", "unlimited", &r, why, sizeof(why)) &&
		r.who == WHO_UID && r.id == 33 && r.unlimited,
	    "uid.33 = unlimited");
	ok(!sendlimit_parse_rule("uid.x", "1/hour", &r, why, sizeof(why)),
	    "uid.x: refused");
	ok(!sendlimit_parse_rule("user.a;b", "1/hour", &r, why, sizeof(why)),
	    "a name no user can have: refused");
	ok(!sendlimit_parse_rule("default", "", &r, why, sizeof(why)),
	    "no limit at all: refused");
	ok(!sendlimit_parse_rule("default", "hold", &r, why, sizeof(why)),
	    "only an action: refused");
	ok(!sendlimit_parse_rule("default", "1/hour, 2/hour", &r, why,
	       sizeof(why)),
	    "a limit twice: refused");
	ok(!sendlimit_parse_rule("default", "100000001/hour", &r, why,
	       sizeof(why)),
	    "over 100000000: refused");

	(void)sendlimit_parse_rule("default", "100/hour", &rules[0], why, 256);
	(void)sendlimit_parse_rule("group.shops", "30/hour", &rules[1], why,
	    256);
	(void)sendlimit_parse_rule("user.www-data", "20/hour", &rules[2], why,
	    256);
	(void)sendlimit_parse_rule("uid.1001", "10/hour", &rules[3], why, 256);
	(void)sendlimit_parse_rule("gid.1000", "40/hour", &rules[4], why, 256);
	ok(sendlimit_pick(rules, 5, 33, "www-data", in_shops, NULL) ==
		&rules[2],
	    "the user's rule over its groups' and default");
	ok(sendlimit_pick(rules, 5, 1001, "x", in_shops, NULL) == &rules[3],
	    "uid.N");
	ok(sendlimit_pick(rules, 5, 1002, "y", in_shops, NULL) == &rules[1],
	    "else the first group rule that names one of its groups");
	ok(sendlimit_pick(rules, 5, 1002, "y", NULL, NULL) == &rules[0],
	    "else default");
	ok(sendlimit_pick(rules + 1, 2, 1002, "y", NULL, NULL) == NULL,
	    "no default: no rule");

	(void)sendlimit_parse_rule("default",
	    "2/hour, 3/day, 4 rcpt/hour, 3 rcpt/message", &r, why, 256);
	memset(&c, 0, sizeof(c));
	ok(sendlimit_admit(&r, &c, 7200, 1, &hit) &&
		sendlimit_admit(&r, &c, 7201, 1, &hit) && c.msg_hour == 2,
	    "two messages an hour: counted");
	ok(!sendlimit_admit(&r, &c, 7202, 1, &hit) && hit == LIMIT_MSG_HOUR &&
		c.msg_hour == 2,
	    "the third: over 2/hour, not counted");
	ok(sendlimit_admit(&r, &c, 10800, 1, &hit) && c.msg_hour == 1 &&
		c.msg_day == 3,
	    "the next hour: counted again, the day has 3");
	ok(!sendlimit_admit(&r, &c, 10801, 1, &hit) && hit == LIMIT_MSG_DAY,
	    "then the day's 3 are used");
	ok(sendlimit_admit(&r, &c, 86400, 3, &hit) && c.msg_day == 1,
	    "the next day: counted again");
	ok(!sendlimit_admit(&r, &c, 86401, 4, &hit) &&
		hit == LIMIT_RCPT_MESSAGE,
	    "4 recipients in a message over 3 rcpt/message");
	ok(!sendlimit_admit(&r, &c, 86402, 2, &hit) && hit == LIMIT_RCPT_HOUR,
	    "3 + 2 recipients over 4 rcpt/hour");
	ok(sendlimit_notice_due(&c, LIMIT_RCPT_HOUR, 86402) &&
		!sendlimit_notice_due(&c, LIMIT_MSG_HOUR, 86403) &&
		sendlimit_notice_due(&c, LIMIT_MSG_DAY, 86404) &&
		!sendlimit_notice_due(&c, LIMIT_RCPT_DAY, 86405) &&
		sendlimit_notice_due(&c, LIMIT_MSG_HOUR, 90000),
	    "one notice per period: hourly limits share the hour's, daily "
	    "ones the day's");

	ok(sendlimit_format(&c, buf, sizeof(buf), &len), "state: written");
	{
		struct limit_counts back;

		ok(sendlimit_parse(buf, len, &back) &&
			memcmp(&back, &c, sizeof(c)) == 0,
		    "  read back the same");
		ok(!sendlimit_parse(buf, len - 1, &back),
		    "  without its last line end: not taken");
		ok(!sendlimit_parse("safemail-limits 1\nhour 1 2 3\nday 1 2 3\n"
				    "notified 1 2\nx\n",
		       strlen("safemail-limits 1\nhour 1 2 3\nday 1 2 3\n"
			      "notified 1 2\nx\n"),
		       &back),
		    "  anything more: not taken");
		ok(!sendlimit_parse("safemail-limits 1\nhour -1 2 3\nday 1 2 3\n"
				    "notified 1 2\n",
		       strlen("safemail-limits 1\nhour -1 2 3\nday 1 2 3\n"
			      "notified 1 2\n"),
		       &back),
		    "  a negative number: not taken");
	}

	/* issue 26: a record no gate could have written is not obeyed */
	{
		struct limit_counts p;

		memset(&p, 0, sizeof(p));
		ok(sendlimit_plausible(&p), "plausible: all zero (a new file)");
		ok(sendlimit_admit(&r, &p, 500000, 1, &hit) &&
			sendlimit_plausible(&p),
		    "plausible: counts a gate wrote");
		p.notified_hour = p.hour;
		p.notified_day = p.day;
		ok(sendlimit_plausible(&p),
		    "plausible: marked for the period counted");
		p.notified_hour = p.hour + 1;
		ok(!sendlimit_plausible(&p),
		    "not: a notice mark ahead of the hour counted");
		p.notified_hour = p.hour;
		p.hour = (p.day + 1) * 24;
		ok(!sendlimit_plausible(&p), "not: an hour outside the day");
		p.hour = p.day * 24;
		p.msg_hour = p.msg_day + 1;
		ok(!sendlimit_plausible(&p),
		    "not: more messages in the hour than in the day");
		p.msg_hour = 0;
		p.rcpt_hour = p.rcpt_day + 1;
		ok(!sendlimit_plausible(&p),
		    "not: more recipients in the hour than in the day");
		memset(&p, 0, sizeof(p));
		p.notified_hour = 5;
		ok(!sendlimit_plausible(&p),
		    "not: a notice mark with nothing counted");
	}

	{
		static const char msg[] =
		    "Received: x\r\nX-PHP-Originating-Script: 33:shop\x1b[1m.php"
		    "\r\nSubject: s\r\n\r\nX-PHP-Originating-Script: 0:body\r\n";

		ok(gatecheck_php_script(msg, sizeof(msg) - 1, &uid, file,
		       sizeof(file)) == PHP_SCRIPT_ONE &&
			uid == 33 && strcmp(file, "shop?[1m.php") == 0,
		    "the script header: uid and file, a control byte shown as ?");
		ok(gatecheck_php_script(msg + 59, sizeof(msg) - 60, &uid, file,
		       sizeof(file)) == PHP_SCRIPT_NONE,
		    "  one in the body is not a header");
		ok(gatecheck_php_script("X-PHP-Originating-Script: x:y\r\n\r\n",
		       33, &uid, file, sizeof(file)) == PHP_SCRIPT_MALFORMED,
		    "  not UID:FILE: malformed (gatecheck: test_gatecheck)");
	}
	return done_testing();
}
