/* argv.c - the sendmail command line and its policy (pure)
 *
 * POSIX rules (notes/security.md 2.3): options end at the first operand or
 * at "--", never permuted; values attached or separate; grouping only among
 * the flags without values. Every option is implemented, refused or unknown;
 * refused and unknown options fail closed, naming the option. A value that
 * begins with '-' is refused: it can only come from argument injection. */
#include "config.h"

#include <string.h>

#include "argv.h"
#include "limits.h"
#include "text.h"

/* Flags without values that may be grouped, as in "-ti". */
static const char group_flags[] = "tivnmUG";

const char *
argv_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int
refuse(struct failure *f, const char *opt, const char *why)
{
	char shown[96];

	text_show(shown, sizeof(shown), opt, strlen(opt), 48);
	fail_set(f, FAIL_USAGE, "option %s refused: %s", shown, why);
	return -1;
}

static void
note_ignored(struct request *req, const char *arg)
{
	if (req->nignored < (int)(sizeof(req->ignored) / sizeof(req->ignored[0])))
		req->ignored[req->nignored++] = arg;
}

/* Apply one grouped flag. */
static void
set_flag(struct request *req, char c, const char *arg)
{
	switch (c) {
	case 't':
		req->recipients_from_headers = true;
		break;
	case 'i':
		req->ignore_dots = true;
		break;
	case 'v':
		req->verbose = true;
		break;
	default: /* n, m, U, G: meaningless for a relay client */
		note_ignored(req, arg);
		break;
	}
}

static int
set_mode(struct request *req, enum req_mode mode, const char *arg,
    struct failure *f)
{
	if (req->mode != MODE_DELIVER && req->mode != mode)
		return refuse(f, arg, "conflicts with an earlier mode option");
	req->mode = mode;
	return 0;
}

/* -b modes. */
static int
opt_b(struct request *req, const char *arg, struct failure *f)
{
	const char *m = arg + 2;

	if (strcmp(m, "m") == 0)
		return 0;
	if (strcmp(m, "v") == 0)
		return set_mode(req, MODE_VERIFY, arg, f);
	if (strcmp(m, "s") == 0)
		return set_mode(req, MODE_SMTP, arg, f);
	if (strcmp(m, "p") == 0)
		return set_mode(req, MODE_PRINT_QUEUE, arg, f);
	if (strcmp(m, "i") == 0)
		return set_mode(req, MODE_NEWALIASES, arg, f);
	if (*m == '\0')
		return refuse(f, arg, "a mode letter is required");
	return refuse(f, arg,
	    "this mode is not supported (daemon, test and debug modes are "
	    "refused)");
}

/* -o options: only the harmless ones of sendmail's set. */
static int
opt_o(struct request *req, const char *arg, struct failure *f)
{
	const char *o = arg + 2;

	if (strcmp(o, "i") == 0 || strcmp(o, "itrue") == 0) {
		req->ignore_dots = true;
		return 0;
	}
	if (strcmp(o, "em") == 0 || strcmp(o, "ee") == 0 ||
	    strcmp(o, "ep") == 0 || strcmp(o, "eq") == 0 ||
	    strcmp(o, "ew") == 0 || strcmp(o, "m") == 0) {
		note_ignored(req, arg);
		return 0;
	}
	if (strcmp(o, "di") == 0 || strcmp(o, "df") == 0) {
		req->delivery = DELIVERY_INTERACTIVE;
		return 0;
	}
	if (strcmp(o, "db") == 0) {
		req->delivery = DELIVERY_BACKGROUND;
		return 0;
	}
	if (strcmp(o, "dq") == 0) {
		req->delivery = DELIVERY_QUEUE;
		return 0;
	}
	return refuse(f, arg,
	    "-o options other than -oi, -oe*, -od*, -om change the "
	    "configuration");
}

static int
opt_n(struct request *req, const char *opt, const char *v, struct failure *f)
{
	char word[16];
	const char *p = v;

	if (text_ieq(v, "never")) {
		req->dsn_notify = DSN_NEVER;
		return 0;
	}
	req->dsn_notify = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (!text_copy(word, sizeof(word), p, n))
			return refuse(f, opt, "expects never or "
					      "success,failure,delay");
		if (text_ieq(word, "success"))
			req->dsn_notify |= DSN_SUCCESS;
		else if (text_ieq(word, "failure"))
			req->dsn_notify |= DSN_FAILURE;
		else if (text_ieq(word, "delay"))
			req->dsn_notify |= DSN_DELAY;
		else
			return refuse(f, opt, "expects never or "
					      "success,failure,delay");
		p += n;
		if (*p == ',')
			p++;
		if (*p == '\0' && p[-1] == ',')
			return refuse(f, opt, "empty item in the list");
	}
	if (req->dsn_notify == 0)
		return refuse(f, opt, "expects never or success,failure,delay");
	return 0;
}

static bool
is_envid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > ENVID_MAX)
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f)
			return false;
	return true;
}

/* Options that take a value. */
static int
opt_value(struct request *req, char c, const char *opt, const char *v,
    struct failure *f)
{
	unsigned long n;

	switch (c) {
	case 'f':
	case 'r':
		if (req->sender != NULL)
			return refuse(f, opt, "the sender is given twice");
		req->sender = v;
		req->sender_option = c;
		return 0;
	case 'F':
		if (req->fullname != NULL)
			return refuse(f, opt, "the full name is given twice");
		if (strlen(v) > FULLNAME_MAX)
			return refuse(f, opt, "the full name is too long");
		if (!text_is_clean_utf8(v, strlen(v)))
			return refuse(f, opt,
			    "control characters or invalid UTF-8 in the full "
			    "name");
		req->fullname = v;
		return 0;
	case 'B':
		if (text_ieq(v, "7BIT"))
			req->body = BODY_7BIT;
		else if (text_ieq(v, "8BITMIME"))
			req->body = BODY_8BITMIME;
		else
			return refuse(f, opt, "expects 7BIT or 8BITMIME");
		return 0;
	case 'N':
		return opt_n(req, opt, v, f);
	case 'R':
		if (text_ieq(v, "full"))
			req->dsn_ret = DSN_RET_FULL;
		else if (text_ieq(v, "hdrs"))
			req->dsn_ret = DSN_RET_HDRS;
		else
			return refuse(f, opt, "expects full or hdrs");
		return 0;
	case 'V':
		if (!is_envid(v))
			return refuse(f, opt,
			    "the envelope id must be 1 to 100 printable "
			    "characters");
		req->dsn_envid = v;
		return 0;
	case 'h':
		if (!text_parse_uint(v, 999, &n))
			return refuse(f, opt, "expects a hop count");
		note_ignored(req, opt);
		return 0;
	case 'L':
		/* A syslog tag elsewhere; ignored, never used as a format. */
		note_ignored(req, opt);
		return 0;
	}
	return refuse(f, opt, "internal: unexpected option");
}

/* -q, -qI<id>, -qR<domain>, -qS<sender>. */
static int
opt_q(struct request *req, const char *arg, struct failure *f)
{
	char kind = arg[2];

	if (set_mode(req, MODE_RUN_QUEUE, arg, f) != 0)
		return -1;
	if (kind == '\0')
		return 0;
	if ((kind != 'I' && kind != 'R' && kind != 'S') || arg[3] == '\0' ||
	    arg[3] == '-')
		return refuse(f, arg,
		    "only -q, -qI<id>, -qR<domain> and -qS<sender> are "
		    "supported (no daemon intervals)");
	if (req->queue_select_kind != 0)
		return refuse(f, arg, "one queue selection at a time");
	req->queue_select_kind = kind;
	req->queue_select = arg + 3;
	return 0;
}

/* Options refused outright, with the reason an admin reads in the log. */
static const char *
refused_reason(char c)
{
	switch (c) {
	case 'X':
		return "it names a log file (the PHP mail() web-shell vector)";
	case 'D':
		return "it names a debug output file";
	case 'd':
		return "debugging is not available";
	case 'O':
		return "it changes the configuration";
	case 'M':
		return "macros and message operations are not available";
	case 'Q':
		return "quarantine is not available";
	case 'p':
		return "protocol and Perl options are not available";
	default:
		return NULL;
	}
}

/* argv_parse - see argv.h */
int
argv_parse(int argc, char *const argv[], struct request *req,
    struct failure *f)
{
	int i;

	memset(req, 0, sizeof(*req));
	f->kind = FAIL_NONE;
	f->msg[0] = '\0';
	if (argc < 1 || argv == NULL || argv[0] == NULL) {
		fail_set(f, FAIL_USAGE, "started without a program name");
		return -1;
	}
	req->progname = argv_base_name(argv[0]);
	if (strcmp(req->progname, "mailq") == 0)
		req->mode = MODE_PRINT_QUEUE;
	else if (strcmp(req->progname, "newaliases") == 0)
		req->mode = MODE_NEWALIASES;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		char c;

		if (arg[0] != '-' || arg[1] == '\0')
			break; /* the first operand ends the options */
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		c = arg[1];
		if (c == '-')
			return refuse(f, arg, "unknown option");
		if (strchr(group_flags, c) != NULL) {
			for (const char *p = arg + 1; *p; p++) {
				if (strchr(group_flags, *p) == NULL) {
					char opt[3] = {'-', *p, '\0'};

					return refuse(f, opt,
					    "only -t -i -v -n -m -U -G may be "
					    "grouped");
				}
				set_flag(req, *p, arg);
			}
			continue;
		}
		switch (c) {
		case 'f':
		case 'r':
		case 'F':
		case 'B':
		case 'N':
		case 'R':
		case 'V':
		case 'h':
		case 'L': {
			char opt[3] = {'-', c, '\0'};
			const char *v = arg + 2;

			if (*v == '\0') {
				if (i + 1 >= argc) {
					fail_set(f, FAIL_USAGE,
					    "option %s needs a value", opt);
					return -1;
				}
				v = argv[++i];
			}
			if (v[0] == '-')
				return refuse(f, arg,
				    "its value begins with '-' (argument "
				    "injection)");
			if (opt_value(req, c, opt, v, f) != 0)
				return -1;
			continue;
		}
		case 'o':
			if (opt_o(req, arg, f) != 0)
				return -1;
			continue;
		case 'b':
			if (opt_b(req, arg, f) != 0)
				return -1;
			continue;
		case 'q':
			if (opt_q(req, arg, f) != 0)
				return -1;
			continue;
		case 'C': {
			char shown[96];

			text_show(shown, sizeof(shown), arg, strlen(arg), 48);
			fail_set(f, FAIL_CONFIG_OVERRIDE,
			    "option %s refused: the configuration file cannot "
			    "be chosen by the caller",
			    shown);
			return -1;
		}
		case 'X':
			/* Postfix's -XV (VERP) is harmless; any other -X
			 * names a file. */
			if (strcmp(arg, "-XV") == 0 ||
			    (strncmp(arg, "-XV", 3) == 0 && strlen(arg) == 5 &&
				arg[3] > ' ' && arg[4] > ' ')) {
				note_ignored(req, arg);
				continue;
			}
			return refuse(f, arg, refused_reason('X'));
		case 'A':
			if (strcmp(arg, "-Am") == 0 || strcmp(arg, "-Ac") == 0) {
				note_ignored(req, arg);
				continue;
			}
			return refuse(f, arg, "unknown option");
		default: {
			const char *why = refused_reason(c);

			return refuse(f, arg, why != NULL ? why
							  : "unknown option");
		}
		}
	}
	req->operands = argv + i;
	req->noperands = argc - i;
	if (req->noperands > 0 && req->mode != MODE_DELIVER &&
	    req->mode != MODE_VERIFY) {
		fail_set(f, FAIL_USAGE,
		    "recipients are not accepted in this mode");
		return -1;
	}
	return 0;
}
