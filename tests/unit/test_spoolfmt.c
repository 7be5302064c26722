/* test_spoolfmt.c - the spool's envelope file: written, read back, and
 * refused when it is anything but what safemail writes */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "spoolfmt.h"
#include "tap.h"

static int
parse(const char *text, struct spool_env *e)
{
	struct failure f = {FAIL_NONE, ""};

	return spool_env_parse(text, strlen(text), e, &f);
}

#define HEAD "safemail-spool 1\nid 0123456789AB\ncreated 100\nsender a@x.org\n" \
	     "size 10\n"

int
main(void)
{
	struct spool_rcpt r[3];
	struct spool_env e, back;
	char *text;
	size_t len;

	memset(&e, 0, sizeof(e));
	memcpy(e.qid, "0123456789AB", 13);
	e.created = 1795777783;
	e.next_try = 1795777843;
	e.uid = 33;
	e.attempts = 2;
	memcpy(e.sender, "shop@example.com", 17);
	e.size = 1234;
	e.eight_bit = e.held = true;
	memcpy(e.notify, "SUCCESS,FAILURE", 16);
	memcpy(e.ret, "HDRS", 5);
	memcpy(e.envid, "id+2B1", 7);
	memcpy(e.error, "451 4.3.0 try\nlater\x01", 21);
	memset(r, 0, sizeof(r));
	r[0].state = RCPT_PENDING;
	memcpy(r[0].addr, "a@example.org", 14);
	r[1].state = RCPT_SENT;
	memcpy(r[1].addr, "b@example.org", 14);
	r[2].state = RCPT_FAILED;
	memcpy(r[2].addr, "c@example.org", 14);
	memcpy(r[2].reply, "550 5.1.1 no\r\nRCPT TO:<x@evil>", 31);
	e.rcpt = r;
	e.nrcpt = 3;
	text = spool_env_format(&e, &len);
	ok(text != NULL, "formatted");
	is_str(text,
	    "safemail-spool 1\nid 0123456789AB\ncreated 1795777783\nuid 33\n"
	    "sender shop@example.com\nsize 1234\nattempts 2\n"
	    "next 1795777843\nflags 8bit,held\nnotify SUCCESS,FAILURE\n"
	    "ret HDRS\nenvid id+2B1\nerror 451 4.3.0 try?later?\n"
	    "rcpt pending a@example.org\nrcpt sent b@example.org\n"
	    "rcpt failed c@example.org 550 5.1.1 no??RCPT TO:<x@evil>\nend\n",
	    "  one line per field; a relay's control bytes made '?'");
	ok(parse(text, &back) == 0, "read back");
	ok(back.nrcpt == 3 && back.rcpt[2].state == RCPT_FAILED &&
		strcmp(back.rcpt[2].reply, "550 5.1.1 no??RCPT TO:<x@evil>") ==
		    0 &&
		back.held && back.eight_bit && !back.is_bounce &&
		back.attempts == 2 && back.uid == 33 &&
		strcmp(back.sender, "shop@example.com") == 0 &&
		spool_pending(&back) == 1,
	    "  every field as written");
	spool_env_free(&back);
	free(text);

	ok(parse(HEAD "sender\nrcpt pending b@x.org\nend\n", &back) == -1,
	    "sender given twice is refused");
	ok(parse("safemail-spool 1\nid 0123456789AB\ncreated 1\nsender\n"
		 "size 0\nrcpt pending b@x.org\nend\n",
	       &back) == 0 &&
		back.null_sender,
	    "the null sender");
	spool_env_free(&back);
	ok(parse(HEAD "rcpt pending b@x.org\n", &back) == -1,
	    "truncated: no end line");
	ok(parse(HEAD "rcpt pending b@x.org\nend\nrcpt pending c@x.org\n",
	       &back) == -1,
	    "text after end");
	ok(parse(HEAD "end\n", &back) == -1, "no recipient");
	ok(parse("safemail-spool 1\nid 0123456789AB\nsender a@x.org\nsize 1\n"
		 "rcpt pending b@x.org\nend\n",
	       &back) == -1,
	    "a required line missing (created)");
	ok(parse(HEAD "rcpt pending -oQ/tmp@x.org\nend\n", &back) == -1,
	    "an invalid address is refused");
	ok(parse(HEAD "rcpt sent b@x.org 250 ok\nend\n", &back) == -1,
	    "a reply on a recipient that did not fail");
	ok(parse(HEAD "rcpt lost b@x.org\nend\n", &back) == -1,
	    "an unknown state");
	ok(parse(HEAD "colour blue\nrcpt pending b@x.org\nend\n", &back) == -1,
	    "an unknown key");
	ok(parse(HEAD "flags 8bit,setuid\nrcpt pending b@x.org\nend\n",
	       &back) == -1,
	    "an unknown flag");
	ok(parse(HEAD "attempts 99999999999\nrcpt pending b@x.org\nend\n",
	       &back) == -1,
	    "a number out of range");
	ok(parse("safemail-spool 2\n", &back) == -1, "another format version");
	ok(parse("safemail-spool 1\nid ../../etc/x\n", &back) == -1,
	    "an id that is no queue id");
	{
		static const char nul[] = "safemail-spool 1\nid 0123\0";

		struct failure f = {FAIL_NONE, ""};

		ok(spool_env_parse(nul, sizeof(nul) - 1, &back, &f) == -1,
		    "a NUL byte");
	}
	{
		unsigned long sched[] = {60, 300, 3600};

		ok(spool_next_try(1000, 1, sched, 3) == 1060 &&
			spool_next_try(1000, 2, sched, 3) == 1300 &&
			spool_next_try(1000, 9, sched, 3) == 4600,
		    "the retry schedule; its last step repeats");
	}
	ok(spool_qid_ok("0123456789AB", 12) && !spool_qid_ok("0123456789ab", 12) &&
		!spool_qid_ok("0123456789A", 11),
	    "queue ids: 12 upper-case hex digits");
	/* the quota's count reads only an envelope's head (spool.c) */
	{
		unsigned uid = 0;
		const char *head = "safemail-spool 1\nid 0123456789AB\n"
				   "created 1700000000\nuid 33\nsender a@b\n";

		ok(spool_env_head_uid(head, strlen(head), &uid) && uid == 33,
		    "the uid of an envelope's head");
		ok(!spool_env_head_uid(head, 40, &uid),
		    "a head cut before its uid line names nobody");
		ok(!spool_env_head_uid("safemail-spool 1\nid X\ncreated 1\n"
				       "uid 4294967296\n",
			   47, &uid),
		    "a uid past 32 bits names nobody");
		ok(!spool_env_head_uid("safemail-spool 2\nid X\ncreated 1\n"
				       "uid 3\n",
			   38, &uid),
		    "another format names nobody");
		ok(!spool_env_head_uid("safemail-spool 1\nid X\ncreated 1\n"
				       "uid \n",
			   37, &uid),
		    "an empty uid names nobody");
	}
	return done_testing();
}
