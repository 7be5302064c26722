/* confpriv.h - what the three parts of the configuration reader share
 * (not for other modules):
 *
 *   conf.c       the reader: lines, sections, [aliases], [limits] rules,
 *                [relay_by_sender], relay sections; conf_parse, the
 *                defaults, freeing
 *   confkeys.c   the typed key table: every key with its section, type,
 *                bounds and where it goes, and the parser of each type
 *   confcheck.c  the checks of keys taken together, once all are read
 */
#ifndef SAFEMAIL_CONFPRIV_H
#define SAFEMAIL_CONFPRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "fail.h"

enum section {
	SEC_NONE,
	SEC_MAIL,
	SEC_SMTP,
	SEC_QUEUE,
	SEC_ALIASES,
	SEC_BY_SENDER, /* [relay_by_sender] */
	SEC_LIMITS,
	SEC_GATE,      /* [gate]: the submission service */
	SEC_ROUTE,     /* [smtp.NAME]: the [smtp] keys, for a relay of its own */
	SEC_COUNT
};

enum key_id {
	K_DISABLE,
	K_ASYNC,
	K_RETURN_PATH,
	K_RETURN_PATH_EMAIL,
	K_DEFAULT_SENDER,
	K_ALLOWED_SENDERS,
	K_DOMAIN,
	K_ALLOW_NULL_SENDER,
	K_MAX_RECIPIENTS,
	K_HOST,
	K_PORT,
	K_SSL,
	K_AUTH,
	K_USERNAME,
	K_PASSWORD,
	K_TLS_VERIFY,
	K_TLS_CA_FILE,
	K_TLS_MIN_VERSION,
	K_LONG_LINES,
	K_MAX_MESSAGE_SIZE,
	K_HELO_NAME,
	K_CONNECT_TIMEOUT,
	K_COMMAND_TIMEOUT,
	K_MESSAGE_TIMEOUT,
	K_TLS_PIN,
	K_TLS_CLIENT_CERT,
	K_TLS_CLIENT_KEY,
	K_ALLOW_PLAINTEXT_AUTH,
	K_RETRY,
	K_MAX_AGE,
	K_ON_TEMP_FAILURE,
	K_BOUNCE_ADMIN,
	K_CONNECTIONS,
	K_BS_IDLE_TIMEOUT,
	K_LINGER,
	K_MAX_QUEUED_MESSAGES,
	K_MAX_QUEUED_SIZE,
	K_MIN_FREE_SPACE,
	K_PASSWORD_FILE,
	K_OAUTH2_TOKEN_URL,
	K_OAUTH2_TENANT,
	K_OAUTH2_CLIENT_ID,
	K_OAUTH2_CLIENT_SECRET,
	K_OAUTH2_CLIENT_SECRET_FILE,
	K_OAUTH2_SCOPE,
	K_OAUTH2_REFRESH_TOKEN,
	K_OAUTH2_REFRESH_TOKEN_FILE,
	K_RATE,
	K_LIMIT_NOTIFY,
	K_SCRIPT_UID_MUST_MATCH,
	K_HEADER_FROM,
	K_LOG,
	K_SUBMIT_USERS,
	K_SUBMIT_GROUPS,
	K_SANDBOX,
	K_COUNT
};

/* How a key's value is read (confkeys.c), and what safemail.ini(5) says
 * of it (tests/unit/test_keytable.c holds the two together). */
enum key_type {
	KT_BOOL,     /* yes/no: a bool */
	KT_ENUM,     /* one of choices: an enum (int-sized) */
	KT_FLAG,     /* one of two choices: a bool, true for the second */
	KT_UINT,     /* a number from min to max: unsigned */
	KT_ULONG,    /* the same: unsigned long */
	KT_ULLONG,   /* the same: unsigned long long */
	KT_DURATION, /* "90", "15m", "4h", "5d": unsigned long seconds */
	KT_ADDRESS,  /* a sender address (or a bare name, qualified later) */
	KT_PATH,     /* an absolute file name: char * */
	KT_SECRET,   /* up to max bytes of clean UTF-8: char *, wiped */
	KT_TEXT,     /* up to max bytes of visible ASCII: char * */
	KT_TEXT_SP,  /* the same, spaces allowed */
	KT_CUSTOM    /* a parser of its own */
};

struct reader;

struct conf_key {
	const char *name;
	enum section sec;
	enum key_type type;
	size_t off;                  /* where in struct conf */
	unsigned long long min, max; /* numbers: the bounds; texts: max */
	const char *what;            /* numbers: "a number of seconds" */
	const char *zero;            /* numbers: what 0 means, " (no limit)" */
	const char *const *choices;  /* enums and flags, NULL-terminated */
	bool (*parse)(struct reader *r, const char *key, const char *v);
	size_t line_off;             /* a secret's line number, or 0 */
};

extern const struct conf_key conf_keys[K_COUNT];
extern const char *const conf_section_names[SEC_COUNT];

struct reader {
	const char *buf;
	size_t len;
	size_t pos;
	unsigned line;
	const char *name; /* file name for messages */
	bool failed;
	struct failure *f;
	struct conf *c;
	enum section sec;
	unsigned sec_line[SEC_COUNT];
	/* where each key was set: main_key_line for the file's sections,
	 * route_key_line[i] in [smtp.NAME] number i (then c is that route's
	 * conf); key_line points at the one in use */
	unsigned *key_line;
	unsigned main_key_line[K_COUNT];
	unsigned route_key_line[CONF_ROUTES_MAX][K_COUNT];
	unsigned route_line[CONF_ROUTES_MAX];
	struct conf *main;
	/* [relay_by_sender] lines: the route names, resolved at the end */
	char (*by_sender_name)[CONF_ROUTE_NAME_MAX + 1];
	unsigned *by_sender_line;
};

void conf_error(struct reader *r, unsigned line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* confkeys.c */
bool conf_set_key(struct reader *r, enum key_id id, const char *key,
    const char *v);
bool conf_sender_value(struct reader *r, const char *key, const char *v,
    char out[ADDR_BUFSZ]);
bool conf_check_pattern(struct reader *r, const char *key, char *pat);

/* confpolicy.c: the keys the front end is sent (an allow-list) */
extern const enum key_id conf_policy_keys[];
extern const size_t conf_policy_nkeys;

/* confcheck.c */
bool conf_check_whole(struct reader *r);

#endif
