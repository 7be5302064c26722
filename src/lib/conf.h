/* conf.h - /etc/safemail.ini: typed keys, strict reading */
#ifndef SAFEMAIL_CONF_H
#define SAFEMAIL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "addr.h"
#include "fail.h"
#include "limits.h"
#include "log.h"
#include "quota.h"
#include "sendlimit.h"

enum return_path { RETURN_PATH_NO, RETURN_PATH_YES, RETURN_PATH_SPECIFIED };
enum ssl_mode { SSL_NONE, SSL_STARTTLS, SSL_IMPLICIT };
enum auth_mech {
	AUTH_NONE,
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_XOAUTH2,    /* an OAuth2 access token (token.c gets it) */
	AUTH_OAUTHBEARER /* the same, as RFC 7628 has it */
};
enum tls_version { TLS_V1_2, TLS_V1_3 };

struct alias {
	char name[ADDR_BUFSZ];
	unsigned line;
	size_t naddrs;
	char (*addrs)[ADDR_BUFSZ];
};

struct conf {
	/* [mail] */
	bool disable;
	bool async;
	enum return_path return_path;
	char return_path_email[ADDR_BUFSZ]; /* "" when unset */
	char default_sender[ADDR_BUFSZ];
	size_t nallowed;
	char (*allowed_senders)[ADDR_BUFSZ]; /* patterns, '*' wildcards */
	char domain[ADDR_BUFSZ];
	bool allow_null_sender;
	unsigned max_recipients;
	bool long_lines_refuse;               /* else split */
	unsigned long max_message_size;       /* 0: no limit */
	unsigned bs_idle_timeout;             /* -bs: seconds of silence */
	bool header_from_envelope; /* the From: address becomes the envelope
				    * sender (else it is kept) */
	enum log_target log_target; /* auto: syslog when /dev/log exists */
	bool sandbox; /* the gate and the relay client lock themselves down
		       * (sandbox.h); off only for an admin who must debug */
	/* [smtp] */
	char host[ADDR_BUFSZ]; /* the first relay of host's list */
	unsigned port;
	/* host = a.example:587, b.example: the relays tried in order when
	 * one cannot be reached or used (relay.c); port 0: [smtp] port */
	size_t nrelays;
	struct conf_relay {
		char host[ADDR_BUFSZ];
		unsigned port;
	} relays[4];
	enum ssl_mode ssl;
	enum auth_mech auth;
	char *username;
	char *password; /* wiped by conf_free */
	/* password_file: the password in a file of its own (conffile.c reads
	 * it into password for the relay client) */
	char *password_file;
	/* auth = xoauth2 or oauthbearer: where the relay client gets its
	 * access token (token.c); the secrets may be in files of their own,
	 * read by the relay client only, as password_file is */
	struct conf_oauth2 {
		char *token_url;    /* https://..., or made from tenant */
		char tenant[128];   /* Microsoft 365: the directory's id */
		char *client_id;
		char *client_secret;
		char *client_secret_file;
		char *scope;
		char *refresh_token; /* set: the refresh_token grant */
		char *refresh_token_file;
	} oauth2;
	bool tls_verify;
	char *tls_ca_file;
	enum tls_version tls_min_version;
	char tls_pin[512]; /* "" or sha256//... */
	char *tls_client_cert;
	char *tls_client_key;
	bool allow_plaintext_auth;
	char helo_name[ADDR_BUFSZ]; /* "" : the host name */
	unsigned connect_timeout;   /* seconds */
	unsigned command_timeout;
	unsigned message_timeout;
	/* seconds the relay client stays loaded after sending, ready for
	 * the next message of the same user (0: it ends at once) */
	unsigned linger;
	/* messages a minute through this relay section, 0: no limit (pace.h) */
	unsigned rate;
	/* [queue] */
	unsigned long retry[16]; /* seconds between attempts; last repeats */
	size_t nretry;
	unsigned long max_age;   /* seconds before a message is bounced */
	bool temp_failure_fails; /* on_temp_failure = fail: exit 75 */
	char bounce_admin[ADDR_BUFSZ]; /* undeliverable bounces; "" none */
	unsigned connections;    /* relay connections of a queue run */
	struct quota_limits quota; /* per uid in q/, and the free reserve */
	/* [limits]: each caller's rule (sendlimit.h), who hears of a caller
	 * over its limit, and whether X-PHP-Originating-Script must name the
	 * caller's uid */
	size_t nlimit_rules;
	struct limit_rule *limit_rules;
	char limit_notify[ADDR_BUFSZ];
	bool script_uid_must_match;
	/* [gate]: who may submit to the service (none listed: everyone) */
	unsigned nsubmit_users, nsubmit_groups;
	char submit_users[CONF_SUBMIT_NAMES_MAX][CONF_SUBMIT_NAME_MAX + 1];
	char submit_groups[CONF_SUBMIT_NAMES_MAX][CONF_SUBMIT_NAME_MAX + 1];
	/* [aliases] */
	size_t naliases;
	struct alias *aliases;
	/* where the password and the OAuth2 secrets were set, for the
	 * permission check */
	unsigned password_line;
	unsigned client_secret_line;
	unsigned refresh_token_line;
	/* [smtp.NAME]: relays of their own, each a whole [smtp] (its conf
	 * holds only [smtp] keys, the rest defaults); [relay_by_sender]:
	 * which one a sender's mail takes, first match in file order, else
	 * this [smtp]. route_name: "" here, NAME in a route's conf. */
	char route_name[CONF_ROUTE_NAME_MAX + 1];
	size_t nroutes;
	struct conf *routes[CONF_ROUTES_MAX];
	size_t nsender_routes;
	struct conf_sender_route {
		char pattern[ADDR_BUFSZ];
		const struct conf *route; /* one of routes[], or this conf */
	} *sender_routes;
	/* This machine's own names (host name, its FQDN, /etc/mailname): not
	 * from the file, learnt by the front end (localhost.h). An address at
	 * one of them is a local name, as a bare one. */
	size_t nlocal_names;
	char local_names[3][ADDR_BUFSZ];
};

/* conf_route_for - the relay configuration the envelope sender's mail
 * takes: a [smtp.NAME] chosen by [relay_by_sender], else c itself (the
 * null sender, a bounce, always takes c) */
const struct conf *conf_route_for(const struct conf *c, const char *sender);

/* conf_is_oauth2 - auth is xoauth2 or oauthbearer */
bool conf_is_oauth2(const struct conf *c);

/* conf_relay_port - the port of relay i (its own, or [smtp] port) */
unsigned conf_relay_port(const struct conf *c, size_t i);

/* conf_defaults - the documented defaults */
void conf_defaults(struct conf *c);

/* conf_parse - parse a whole configuration held in memory (pure). name is
 * the file name used in messages: "NAME:LINE: key: what is wrong". On error
 * f->kind is FAIL_CONFIG and the returned value is -1; c is then freed. */
int conf_parse(const char *buf, size_t len, const char *name, struct conf *c,
    struct failure *f);

/* Who may own the file: root always; the caller too when the process is not
 * set-ID (the caller could run any program of its own anyway). A set-ID
 * back end also requires the group it runs with and no bits for others
 * (root:safemail 0640). */
struct conf_trust {
	uid_t caller_uid;
	bool caller_may_own;
	bool require_group;
	gid_t group;
};

/* conf_load - open, check and parse the file at path (I/O, conffile.c). */
int conf_load(const char *path, const struct conf_trust *trust,
    struct conf *c, struct failure *f);

/* conf_file_unchanged - the file at path is still the one whose stat was
 * taken (was) before it was read: same file, owner, mode, size and times
 * (conffile.c). A process that stays, or a session that lasts, reads it
 * again when not. */
struct stat;
bool conf_file_unchanged(const char *path, const struct stat *was);

/* conf_load_policy - conf_load (the *_file secrets left unread), and the
 * policy for the front end (conf_policy_text, as much as the front end's
 * recv() takes: HANDOFF_PACKET_MAX - 2; malloc'd into *policy, *len). */
int conf_load_policy(const char *path, const struct conf_trust *trust,
    struct conf *c, char **policy, size_t *len, struct failure *f);

/* conf_policy_text - the policy the front end gets, written from c (pure,
 * confpolicy.c): only the keys it reads (conf_policy_keys) and [aliases],
 * as "key = value" lines that conf_parse reads back to the same values;
 * never a secret, a relay or any key not on that list. At most max bytes,
 * else a FAIL_CONFIG. malloc'd into *out, *len. */
int conf_policy_text(const struct conf *c, size_t max, char **out,
    size_t *len, struct failure *f);

/* conf_trust_for - the trust a program started as this process is gets */
void conf_trust_for(struct conf_trust *t, bool secure);

/* conf_forget_secrets - wipe and drop the password and the OAuth2
 * secrets (a program that only hands the policy on) */
void conf_forget_secrets(struct conf *c);

/* conf_free - release and wipe */
void conf_free(struct conf *c);

/* conf_find_alias - the alias for a bare name, or NULL */
const struct alias *conf_find_alias(const struct conf *c, const char *name);

/* conf_parse_duration - "90", "90s", "15m", "4h", "5d" in seconds */
bool conf_parse_duration(const char *v, unsigned long *out);

/* conf_host_is_loopback - localhost, 127.0.0.0/8 or [::1]: a relay on
 * this machine, where a password in clear text crosses no wire. */
bool conf_host_is_loopback(const char *host);

/* Names for printing. */
const char *conf_return_path_name(enum return_path rp);

#endif
