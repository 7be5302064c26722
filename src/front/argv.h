/* argv.h - the sendmail command line and its policy (pure) */
#ifndef SAFEMAIL_ARGV_H
#define SAFEMAIL_ARGV_H

#include <stdbool.h>

#include "fail.h"

enum req_mode {
	MODE_DELIVER,     /* -bm, the default: read a message and send it */
	MODE_VERIFY,      /* -bv: print the envelope, send nothing */
	MODE_SMTP,        /* -bs: SMTP on standard input */
	MODE_PRINT_QUEUE, /* -bp, mailq */
	MODE_NEWALIASES,  /* -bi, newaliases */
	MODE_RUN_QUEUE    /* -q */
};

enum delivery_mode {
	DELIVERY_DEFAULT,
	DELIVERY_INTERACTIVE, /* -odi, -odf */
	DELIVERY_BACKGROUND,  /* -odb */
	DELIVERY_QUEUE        /* -odq */
};

enum body_type { BODY_UNSPECIFIED, BODY_7BIT, BODY_8BITMIME };

/* -N: DSN NOTIFY bits; 0 means not given. */
#define DSN_NEVER 0x1u
#define DSN_SUCCESS 0x2u
#define DSN_FAILURE 0x4u
#define DSN_DELAY 0x8u

enum dsn_ret { DSN_RET_UNSPECIFIED, DSN_RET_FULL, DSN_RET_HDRS };

/* What the caller asked for. Strings point into argv. */
struct request {
	const char *progname; /* basename of argv[0] */
	enum req_mode mode;
	bool recipients_from_headers; /* -t */
	bool ignore_dots;             /* -i, -oi */
	bool verbose;                 /* -v */
	const char *sender;           /* -f/-r value, NULL if not given */
	char sender_option;           /* 'f' or 'r' */
	const char *fullname;         /* -F value, NULL if not given */
	enum delivery_mode delivery;
	enum body_type body;
	unsigned dsn_notify;
	enum dsn_ret dsn_ret;
	const char *dsn_envid;
	const char *queue_select; /* -qI/-qR/-qS value */
	char queue_select_kind;   /* 'I', 'R', 'S' or 0 */
	int noperands;            /* recipient address lists */
	char *const *operands;
	int nignored; /* options accepted but meaning nothing here */
	const char *ignored[16];
};

/* argv_parse - POSIX parsing of argv with the three-group policy of
 * DESIGN.md: implemented, refused, unknown. On failure f says which option
 * and why (FAIL_USAGE or FAIL_CONFIG_OVERRIDE) and -1 is returned. */
int argv_parse(int argc, char *const argv[], struct request *req,
    struct failure *f);

/* argv_base_name - the program name without its directory */
const char *argv_base_name(const char *path);

#endif
