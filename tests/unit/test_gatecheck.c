/* test_gatecheck - the gate's own message check and bookkeeping */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gatecheck.h"
#include "tap.h"

#define TRACE "Received: by web1 (safemail, from userid 33)\r\n" \
	      "\tid 0123456789AB; Sun, 6 Dec 2026 20:00:00 +0000\r\n"

static int
check(const char *msg, size_t len, unsigned uid, struct failure *f)
{
	f->kind = FAIL_NONE;
	f->msg[0] = '\0';
	return gatecheck_message(msg, len, uid, "web1", f);
}

static void
refused(const char *msg, size_t len, const char *why, const char *name)
{
	struct failure f;

	ok(check(msg, len, 33, &f) == -1 && f.kind == FAIL_DATA &&
	    strstr(f.msg, why) != NULL,
	    "%s: refused (%s)", name, f.msg);
}

int
main(void)
{
	static const char good[] = TRACE "Subject: x\r\n\r\nhi\r\n.\r\n";
	struct failure f;
	char *longline;

	ok(check(good, sizeof(good) - 1, 33, &f) == 0,
	    "a normalized message passes (%s)", f.msg);
	ok(check(TRACE "\r\n", sizeof(TRACE "\r\n") - 1, 33, &f) == 0,
	    "headers only, no body: passes");
	refused(good, sizeof(good) - 1 - 2, "CRLF", "no final CRLF");
	refused("", 0, "CRLF", "empty");
#define R(text, why, name) refused(text, sizeof(text) - 1, why, name)
	R(TRACE "Subject: x\r\n\r\nhi\r.\r\nMAIL FROM:<a@b>\r\n", "bare CR",
	    "\\r.\\r\\n smuggling");
	R(TRACE "Subject: x\r\n\r\nhi\n.\nRSET\r\n", "bare LF",
	    "\\n.\\n smuggling");
	R(TRACE "Subject: x\r\n\r\nh\0i\r\n", "NUL", "a NUL");
	R(TRACE "Subject: x\r\n\r\nhi\r\r\n", "bare CR", "CR CR LF");
	R(TRACE "Subject: x\r\nno colon here\r\n\r\nhi\r\n",
	    "not a header field", "a header line without a colon");
	R(TRACE ": empty name\r\n\r\nhi\r\n", "not a header field",
	    "an empty field name");
	R(TRACE "Subject: x\r\n", "does not end", "no end of header");
	R(" folded\r\n" TRACE "\r\nhi\r\n", "continuation",
	    "a continuation first");
	R("Subject: x\r\n\r\nhi\r\n", "trace field", "no trace field");
	R("Received: by web1 (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "trace field of uid 33", "another uid's trace field");
	R("Received: by web1 (safemail, from userid 330)\r\n\r\nhi\r\n",
	    "trace field", "a longer uid");
	R(TRACE "Received: by web1 (safemail, from userid 0)\r\n\tid X; "
		"date\r\n\r\nhi\r\n",
	    "forged", "a second trace field of this host, uid 0");
	R(TRACE "received: BY WEB1 (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "forged", "the same in another case");
	/* every spelling of a second hop through this host (the red team's,
	 * issue 26) */
	R(TRACE "Received: by  web1 (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "forged", "two spaces");
	R(TRACE "Received: by\tweb1 (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "forged", "a tab");
	R(TRACE "Received: by web1  (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "forged", "two spaces after the host");
	R(TRACE "Received: by web1\r\n (safemail, from userid 0)\r\n\r\n"
		"hi\r\n",
	    "forged", "folded");
	R(TRACE "Received: from web1 by web1 (safemail, from userid 0)\r\n"
		"\r\nhi\r\n",
	    "forged", "from HOST by HOST");
	R(TRACE "Received: by web1. (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "forged", "a trailing dot");
	R(TRACE "Received: from x\r\n by WEB1 (SafeMail, from userid 0)\r\n"
		"\r\nhi\r\n",
	    "forged", "on a continuation line, another case");
	R("Received: by web1 (safemail, from userid 33)\r\n"
	  "\tby web1 (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "goes on with other text", "a second clause in the first field");
	R(TRACE "\tid 0123456789AB; date\r\n\r\nhi\r\n",
	    "goes on with other text", "two continuation lines");
	{
		static const char near[] = TRACE
		    "Received: by web10 (safemail, from userid 0)\r\n"
		    "Received: by aweb1 (safemail, from userid 0)\r\n"
		    "Received: by web1 (postfix)\r\n\r\nhi\r\n";

		ok(check(near, sizeof(near) - 1, 33, &f) == 0,
		    "other hosts whose names contain this one, and this host "
		    "without safemail, pass (%s)", f.msg);
	}
	{
		static const char other[] = TRACE
		    "Received: by mx.other.example (safemail, from userid 0)"
		    "\r\n\tid X; date\r\nSubject: resent\r\n\r\nhi\r\n";

		ok(check(other, sizeof(other) - 1, 33, &f) == 0,
		    "another host's safemail hop (a resent message) passes");
	}
	/* the first trace field names this host, as the front end does */
	R("Received: by decoy (safemail, from userid 33)\r\n"
	  "Received: by web1 (safemail, from userid 0)\r\n\r\nhi\r\n",
	    "names the host decoy, not this host (web1)",
	    "a decoy host first, uid 0 of this host below");
	R("Received: by WEB1 (safemail, from userid 33)\r\n\r\nhi\r\n",
	    "not this host", "this host in another case than the front end's");
	R("Received: by web1.example (safemail, from userid 33)\r\n\r\n"
	  "hi\r\n",
	    "not this host", "a longer name");
	R("Received: by web (safemail, from userid 33)\r\n\r\nhi\r\n",
	    "not this host", "a shorter name");
	longline = malloc(4096);
	if (longline != NULL) {
		size_t n = strlen(TRACE "Subject: x\r\n\r\n");

		memcpy(longline, TRACE "Subject: x\r\n\r\n", n);
		memset(longline + n, 'a', 998);
		memcpy(longline + n + 998, "\r\n", 2);
		ok(check(longline, n + 1000, 33, &f) == 0,
		    "a 998-octet line passes");
		memset(longline + n, 'a', 999);
		memcpy(longline + n + 999, "\r\n", 2);
		refused(longline, n + 1001, "longer than 998", "999 octets");
		free(longline);
	}
	{
		struct spool_rcpt r[2];
		struct spool_env e;

		memset(&e, 0, sizeof(e));
		memset(r, 0, sizeof(r));
		e.created = e.next_try = 4102444800LL; /* 2100-01-01 */
		e.attempts = 7;
		e.held = e.is_bounce = true;
		strcpy(e.error, "forged");
		r[0].state = RCPT_SENT;
		r[1].state = RCPT_FAILED;
		strcpy(r[1].reply, "x");
		e.rcpt = r;
		e.nrcpt = 2;
		gatecheck_bookkeeping(&e, 1796500000LL);
		ok(e.created == 1796500000LL && e.next_try == 1796500000LL &&
		    e.attempts == 0 && !e.held && !e.is_bounce &&
		    e.error[0] == '\0' && r[0].state == RCPT_PENDING &&
		    r[1].state == RCPT_PENDING && r[1].reply[0] == '\0',
		    "the bookkeeping is the back end's: year 2100 rewritten");
	}
	{
		unsigned uid = 7;
		char file[16];
#define S(text) gatecheck_php_script(text, sizeof(text) - 1, &uid, file, \
	    sizeof(file))

		ok(S(TRACE "Subject: x\r\n\r\nX-PHP-Originating-Script: "
			   "0:b.php\r\n") == PHP_SCRIPT_NONE,
		    "php script: none in the header (one in the body)");
		ok(S(TRACE "X-PHP-Originating-Script: 33:shop.php\r\n\r\n") ==
			PHP_SCRIPT_ONE &&
			uid == 33 && strcmp(file, "shop.php") == 0,
		    "php script: one, uid and file");
		ok(S(TRACE "X-PHP-Originating-Script: 33:a.php\r\nSubject: x"
			   "\r\nx-php-originating-script: 0:b.php\r\n\r\n") ==
			PHP_SCRIPT_SEVERAL,
		    "php script: a second one (another case) is several");
		ok(S(TRACE "X-PHP-Originating-Script: 33:a.php\r\n"
			   "X-PHP-Originating-Script: 33:a.php\r\n\r\n") ==
			PHP_SCRIPT_SEVERAL,
		    "php script: the same one twice is several too");
		ok(S(TRACE "X-PHP-Originating-Script: shop.php\r\n"
			   "X-PHP-Originating-Script: 33:a.php\r\n\r\n") ==
			PHP_SCRIPT_MALFORMED,
		    "php script: a malformed first, then one of uid 33: "
		    "malformed");
		ok(S(TRACE "X-PHP-Originating-Script:\r\n\r\n") ==
			PHP_SCRIPT_MALFORMED,
		    "php script: an empty one is malformed");
		ok(S(TRACE "X-PHP-Originating-Script: 99999999999:a\r\n\r\n") ==
			PHP_SCRIPT_MALFORMED,
		    "php script: a uid past 32 bits is malformed");
#undef S
	}
	return done_testing();
}
