/* test_argv.c - command-line parsing and the three-group policy */
#include "config.h"

#include <stdlib.h>

#include "argv.h"
#include "tap.h"

#define MAXARGS 16

/* Split "a b c" on spaces into argv (tests never need spaces in values
 * except where written with \x01, turned into a space). */
static int
split(const char *line, char **argv)
{
	static char buf[1024];
	int n = 0;
	char *p;

	snprintf(buf, sizeof(buf), "%s", line);
	p = buf;
	while (*p && n < MAXARGS - 1) {
		argv[n++] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	for (int i = 0; i < n; i++)
		for (char *q = argv[i]; *q; q++)
			if (*q == '\x01')
				*q = ' ';
	argv[n] = NULL;
	return n;
}

static const struct {
	const char *cmd;
	enum fail_kind want;
	const char *mention; /* substring of the message, when refused */
} policy[] = {
	/* Implemented and accepted forms. */
	{"sendmail -t -i", FAIL_NONE, NULL},
	{"sendmail -ti", FAIL_NONE, NULL},
	{"sendmail -t -i -oi -t", FAIL_NONE, NULL},
	{"sendmail -oi -fbounce@store.example.com -t", FAIL_NONE, NULL},
	{"sendmail -f bounce@store.example.com -t", FAIL_NONE, NULL},
	{"sendmail -r bounce@store.example.com -t", FAIL_NONE, NULL},
	{"sendmail -FCronDaemon -i -B8BITMIME -oem root", FAIL_NONE, NULL},
	{"sendmail -F CronDaemon -i -B 8BITMIME -oem root", FAIL_NONE, NULL},
	{"sendmail -FCronDaemon -i -odi -oem -oi -t -f root", FAIL_NONE, NULL},
	{"sendmail -i -fapp@example.com -- a@x.org b@y.org", FAIL_NONE, NULL},
	{"sendmail -oem -oi -B8BITMIME -f env@x.org -N failure,delay -R hdrs "
	 "-V id1 -- a@x.org",
	    FAIL_NONE, NULL},
	{"sendmail -N never a@x.org", FAIL_NONE, NULL},
	{"sendmail -odb -oem -t -i -v", FAIL_NONE, NULL},
	{"sendmail -odq -t", FAIL_NONE, NULL},
	{"sendmail -bs", FAIL_NONE, NULL},
	{"sendmail -bs -i", FAIL_NONE, NULL},
	{"sendmail -bv root", FAIL_NONE, NULL},
	{"sendmail -bp", FAIL_NONE, NULL},
	{"sendmail -bi", FAIL_NONE, NULL},
	{"sendmail -q", FAIL_NONE, NULL},
	{"sendmail -qIabc", FAIL_NONE, NULL},
	{"sendmail -h 17 -L tag -U -G -XV -Am a@x.org", FAIL_NONE, NULL},
	{"sendmail -t -i -L %n%n%n%n%s", FAIL_NONE, NULL},
	{"sendmail -f\x01 a@x.org", FAIL_NONE, NULL}, /* -f " " is a value */
	{"sendmail -- -X/tmp/x", FAIL_NONE, NULL}, /* an operand, refused later */
	/* Refused: files, configuration, debugging, modes. */
	{"sendmail -t -i -X /var/www/html/x.php", FAIL_USAGE, "-X"},
	{"sendmail -X/tmp/x", FAIL_USAGE, "-X/tmp/x"},
	{"sendmail -XVabc", FAIL_USAGE, "-XVabc"},
	{"sendmail -t -i -C/tmp/evil.cf", FAIL_CONFIG_OVERRIDE, "-C"},
	{"sendmail -C /tmp/evil.cf", FAIL_CONFIG_OVERRIDE, "-C"},
	{"sendmail -D /var/www/html/debug.php", FAIL_USAGE, "-D"},
	{"sendmail -d0.1", FAIL_USAGE, "-d0.1"},
	{"sendmail -bs -OHelpFile=/etc/shadow", FAIL_USAGE, "-OHelpFile"},
	{"sendmail -t -oL99", FAIL_USAGE, "-oL99"},
	{"sendmail -t -oQ/tmp/", FAIL_USAGE, "-oQ"},
	{"sendmail -t -oA/tmp/aliases", FAIL_USAGE, "-oA"},
	{"sendmail -t -oMa 10.0.0.1", FAIL_USAGE, "-oMa"},
	{"sendmail -t -oP /tmp/pid", FAIL_USAGE, "-oP"},
	{"sendmail -o", FAIL_USAGE, "-o"},
	{"sendmail -bd", FAIL_USAGE, "-bd"},
	{"sendmail -bh 127.0.0.1", FAIL_USAGE, "-bh"},
	{"sendmail -bt", FAIL_USAGE, "-bt"},
	{"sendmail -bP", FAIL_USAGE, "-bP"},
	{"sendmail -be", FAIL_USAGE, "-be"},
	{"sendmail -b", FAIL_USAGE, "-b"},
	{"sendmail -Mrm 1abcde", FAIL_USAGE, "-Mrm"},
	{"sendmail -ps", FAIL_USAGE, "-ps"},
	{"sendmail -t -z log", FAIL_USAGE, "-z"},
	{"sendmail -q15m", FAIL_USAGE, "-q15m"},
	{"sendmail -bv -bs", FAIL_USAGE, "-bs"},
	/* Unknown options fail closed, naming the option. */
	{"sendmail -t -Y", FAIL_USAGE, "-Y"},
	{"sendmail --help", FAIL_USAGE, "--help"},
	{"sendmail -Ax", FAIL_USAGE, "-Ax"},
	/* Grouping only among flags without values. */
	{"sendmail -tX/tmp/x", FAIL_USAGE, "-X"},
	{"sendmail -tfa@b.org", FAIL_USAGE, "-f"},
	/* Values. */
	{"sendmail -f", FAIL_USAGE, "-f needs a value"},
	{"sendmail -t -i -f -X/tmp/log", FAIL_USAGE, "begins with '-'"},
	{"sendmail -f-X/tmp/log a@x.org", FAIL_USAGE, "begins with '-'"},
	{"sendmail -F -X a@x.org", FAIL_USAGE, "begins with '-'"},
	{"sendmail -fa@x.org -fb@y.org -t", FAIL_USAGE, "twice"},
	{"sendmail -fa@x.org -rb@y.org -t", FAIL_USAGE, "twice"},
	{"sendmail -B BINARYMIME a@x.org", FAIL_USAGE, "8BITMIME"},
	{"sendmail -N sometimes a@x.org", FAIL_USAGE, "never"},
	{"sendmail -N failure, a@x.org", FAIL_USAGE, "-N"},
	{"sendmail -R body a@x.org", FAIL_USAGE, "hdrs"},
	{"sendmail -h lots a@x.org", FAIL_USAGE, "hop"},
	{"sendmail -F Shop\r\nBcc:\x01v@x.org a@x.org", FAIL_USAGE, "control"},
	{"sendmail -F \xff\xfe a@x.org", FAIL_USAGE, "UTF-8"},
	/* Operands in modes that take none. */
	{"sendmail -bp a@x.org", FAIL_USAGE, "recipients"},
	{"mailq a@x.org", FAIL_USAGE, "recipients"},
};

int
main(void)
{
	char *argv[MAXARGS];
	struct request req;
	struct failure f;
	int argc;

	for (size_t i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		int rc;

		argc = split(policy[i].cmd, argv);
		rc = argv_parse(argc, argv, &req, &f);
		ok((rc == 0) == (policy[i].want == FAIL_NONE) &&
			f.kind == policy[i].want,
		    "%s -> %s", policy[i].cmd,
		    policy[i].want == FAIL_NONE ? "accepted" : "refused");
		if (policy[i].mention != NULL)
			ok(strstr(f.msg, policy[i].mention) != NULL,
			    "  message names '%s': %s", policy[i].mention,
			    f.msg);
	}

	/* What the accepted forms mean. */
	argc = split("sendmail -FCronDaemon -i -B8BITMIME -oem ops@x.org,b@y.org",
	    argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 && req.ignore_dots &&
		!req.recipients_from_headers && req.body == BODY_8BITMIME &&
		strcmp(req.fullname, "CronDaemon") == 0 && req.noperands == 1 &&
		strcmp(req.operands[0], "ops@x.org,b@y.org") == 0,
	    "cron: -F, -i, -B, one operand holding a list");

	argc = split("/usr/sbin/sendmail -i rcpt@example.com -X/tmp/x", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 && req.noperands == 2 &&
		strcmp(req.operands[1], "-X/tmp/x") == 0,
	    "no permutation: an option after the first operand is an operand");

	argc = split("sendmail -i -f bounce@x.org -- -oQ/x@y.org", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 &&
		strcmp(req.sender, "bounce@x.org") == 0 &&
		req.sender_option == 'f' && req.noperands == 1 &&
		strcmp(req.operands[0], "-oQ/x@y.org") == 0,
	    "-- ends the options; the rest are operands");

	argc = split("sendmail -f <> -t", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 &&
		strcmp(req.sender, "<>") == 0,
	    "-f <> is a value (the null sender)");

	argc = split("/usr/bin/mailq", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 &&
		req.mode == MODE_PRINT_QUEUE,
	    "mailq by program name is -bp");
	argc = split("newaliases", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 && req.mode == MODE_NEWALIASES,
	    "newaliases by program name is -bi");
	argc = split("/usr/lib/sendmail -bs", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 && req.mode == MODE_SMTP &&
		strcmp(req.progname, "sendmail") == 0,
	    "-bs is SMTP mode; progname is the basename");
	argc = split("sendmail -N success,failure -R full -V env-1 a@x.org",
	    argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 &&
		req.dsn_notify == (DSN_SUCCESS | DSN_FAILURE) &&
		req.dsn_ret == DSN_RET_FULL &&
		strcmp(req.dsn_envid, "env-1") == 0,
	    "DSN options are recorded");
	argc = split("sendmail -odq -t", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 &&
		req.delivery == DELIVERY_QUEUE,
	    "-odq is recorded");
	argc = split("sendmail -qSbounce@x.org", argv);
	ok(argv_parse(argc, argv, &req, &f) == 0 &&
		req.mode == MODE_RUN_QUEUE && req.queue_select_kind == 'S' &&
		strcmp(req.queue_select, "bounce@x.org") == 0,
	    "-qS<sender> is recorded");

	/* argc == 0 (the pkexec pattern) is refused. */
	argv[0] = NULL;
	ok(argv_parse(0, argv, &req, &f) != 0 && f.kind == FAIL_USAGE,
	    "argc == 0 is refused");
	return done_testing();
}
