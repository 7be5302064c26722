/* conf.c - /etc/safemail.ini: typed keys, strict reading
 *
 * Debian's inih splits over-long lines silently, stops a line at a NUL and
 * calls the handler again for duplicate and continuation lines
 * (notes/libcurl-and-inih.md 9). So inih only splits "key = value": our own
 * reader hands it one checked line at a time (length, NUL, BOM, control
 * bytes, indentation, section names), and the handler refuses unknown and
 * duplicate keys and bad values. The first error stops everything and the
 * half-read configuration is thrown away. */
#include "config.h"

#include <arpa/inet.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "limits.h"
#include "sender.h"
#include "text.h"

enum section {
	SEC_NONE,
	SEC_MAIL,
	SEC_SMTP,
	SEC_QUEUE,
	SEC_ALIASES,
	SEC_BY_SENDER, /* [relay_by_sender] */
	SEC_LIMITS,
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
	K_COUNT
};

static const struct keyspec {
	enum section sec;
	const char *name;
} keys[K_COUNT] = {
	[K_DISABLE] = {SEC_MAIL, "disable"},
	[K_ASYNC] = {SEC_MAIL, "async"},
	[K_RETURN_PATH] = {SEC_MAIL, "return_path"},
	[K_RETURN_PATH_EMAIL] = {SEC_MAIL, "return_path_email"},
	[K_DEFAULT_SENDER] = {SEC_MAIL, "default_sender"},
	[K_ALLOWED_SENDERS] = {SEC_MAIL, "allowed_senders"},
	[K_DOMAIN] = {SEC_MAIL, "domain"},
	[K_ALLOW_NULL_SENDER] = {SEC_MAIL, "allow_null_sender"},
	[K_MAX_RECIPIENTS] = {SEC_MAIL, "max_recipients"},
	[K_HOST] = {SEC_SMTP, "host"},
	[K_PORT] = {SEC_SMTP, "port"},
	[K_SSL] = {SEC_SMTP, "ssl"},
	[K_AUTH] = {SEC_SMTP, "auth"},
	[K_USERNAME] = {SEC_SMTP, "username"},
	[K_PASSWORD] = {SEC_SMTP, "password"},
	[K_TLS_VERIFY] = {SEC_SMTP, "tls_verify"},
	[K_TLS_CA_FILE] = {SEC_SMTP, "tls_ca_file"},
	[K_TLS_MIN_VERSION] = {SEC_SMTP, "tls_min_version"},
	[K_LONG_LINES] = {SEC_MAIL, "long_lines"},
	[K_MAX_MESSAGE_SIZE] = {SEC_MAIL, "max_message_size"},
	[K_HELO_NAME] = {SEC_SMTP, "helo_name"},
	[K_CONNECT_TIMEOUT] = {SEC_SMTP, "connect_timeout"},
	[K_COMMAND_TIMEOUT] = {SEC_SMTP, "command_timeout"},
	[K_MESSAGE_TIMEOUT] = {SEC_SMTP, "message_timeout"},
	[K_TLS_PIN] = {SEC_SMTP, "tls_pin"},
	[K_TLS_CLIENT_CERT] = {SEC_SMTP, "tls_client_cert"},
	[K_TLS_CLIENT_KEY] = {SEC_SMTP, "tls_client_key"},
	[K_ALLOW_PLAINTEXT_AUTH] = {SEC_SMTP, "allow_plaintext_auth"},
	[K_RETRY] = {SEC_QUEUE, "retry"},
	[K_MAX_AGE] = {SEC_QUEUE, "max_age"},
	[K_ON_TEMP_FAILURE] = {SEC_QUEUE, "on_temp_failure"},
	[K_BOUNCE_ADMIN] = {SEC_QUEUE, "bounce_admin"},
	[K_CONNECTIONS] = {SEC_QUEUE, "connections"},
	[K_BS_IDLE_TIMEOUT] = {SEC_MAIL, "bs_idle_timeout"},
	[K_LINGER] = {SEC_SMTP, "linger"},
	[K_MAX_QUEUED_MESSAGES] = {SEC_QUEUE, "max_queued_messages"},
	[K_MAX_QUEUED_SIZE] = {SEC_QUEUE, "max_queued_size"},
	[K_MIN_FREE_SPACE] = {SEC_QUEUE, "min_free_space"},
	[K_PASSWORD_FILE] = {SEC_SMTP, "password_file"},
	[K_OAUTH2_TOKEN_URL] = {SEC_SMTP, "oauth2_token_url"},
	[K_OAUTH2_TENANT] = {SEC_SMTP, "oauth2_tenant"},
	[K_OAUTH2_CLIENT_ID] = {SEC_SMTP, "oauth2_client_id"},
	[K_OAUTH2_CLIENT_SECRET] = {SEC_SMTP, "oauth2_client_secret"},
	[K_OAUTH2_CLIENT_SECRET_FILE] = {SEC_SMTP, "oauth2_client_secret_file"},
	[K_OAUTH2_SCOPE] = {SEC_SMTP, "oauth2_scope"},
	[K_OAUTH2_REFRESH_TOKEN] = {SEC_SMTP, "oauth2_refresh_token"},
	[K_OAUTH2_REFRESH_TOKEN_FILE] = {SEC_SMTP, "oauth2_refresh_token_file"},
	[K_RATE] = {SEC_SMTP, "rate"},
	[K_LIMIT_NOTIFY] = {SEC_LIMITS, "limit_notify"},
	[K_SCRIPT_UID_MUST_MATCH] = {SEC_LIMITS, "script_uid_must_match"},
};

static const char *const section_names[] = {
	[SEC_NONE] = "", [SEC_MAIL] = "mail", [SEC_SMTP] = "smtp",
	[SEC_QUEUE] = "queue", [SEC_ALIASES] = "aliases",
	[SEC_BY_SENDER] = "relay_by_sender", [SEC_LIMITS] = "limits",
	[SEC_ROUTE] = "smtp.NAME"};

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

static void conf_error(struct reader *r, unsigned line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* conf_error - "NAME:LINE: key: what is wrong" (key may be NULL) */
static void
conf_error(struct reader *r, unsigned line, const char *key, const char *fmt,
    ...)
{
	char what[256];
	char shown_key[80];
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key != NULL) {
		text_show(shown_key, sizeof(shown_key), key, strlen(key), 40);
		fail_set(r->f, FAIL_CONFIG, "%s:%u: %s: %s", r->name, line,
		    shown_key, what);
	} else {
		fail_set(r->f, FAIL_CONFIG, "%s:%u: %s", r->name, line, what);
	}
}

/* The key name at the start of a rejected line, for the message. */
static void
line_key(const char *p, size_t n, char *out, size_t outsz)
{
	size_t k = 0;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	while (k < n && p[k] != '=' && p[k] != ':' && p[k] != '\n')
		k++;
	while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
		k--;
	text_show(out, outsz, p, k, 40);
}

static bool
is_blank_or_comment(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	return i == n || p[i] == '\n' || p[i] == ';' || p[i] == '#';
}

/* "[smtp.NAME]": a relay of its own, its keys those of [smtp] and its
 * values from the defaults, not from [smtp] (a route inherits no
 * credentials by accident). */
static bool
open_route(struct reader *r, const char *name)
{
	struct conf *m = r->main, *rc;
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			(name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
			name[i] == '_'))
			n = 0;
	if (n == 0 || n > CONF_ROUTE_NAME_MAX) {
		conf_error(r, r->line, NULL, "[smtp.%.40s]: a relay name is 1 to "
					     "32 of a-z, 0-9, '-' and '_'",
		    name);
		return false;
	}
	for (size_t i = 0; i < m->nroutes; i++)
		if (strcmp(m->routes[i]->route_name, name) == 0) {
			conf_error(r, r->line, NULL, "[smtp.%s]: section "
						     "repeated",
			    name);
			return false;
		}
	if (m->nroutes == CONF_ROUTES_MAX) {
		conf_error(r, r->line, NULL, "[smtp.%s]: at most %d relay "
					     "sections",
		    name, CONF_ROUTES_MAX);
		return false;
	}
	rc = malloc(sizeof(*rc));
	if (rc == NULL) {
		conf_error(r, r->line, NULL, "%s", "out of memory");
		return false;
	}
	conf_defaults(rc);
	memcpy(rc->route_name, name, n + 1);
	r->route_line[m->nroutes] = r->line;
	m->routes[m->nroutes++] = rc;
	r->c = rc;
	r->key_line = r->route_key_line[m->nroutes - 1];
	r->sec = SEC_ROUTE;
	return true;
}

/* A "[name]" line, optionally followed by a comment. */
static bool
read_section(struct reader *r, const char *p, size_t n)
{
	const char *close = memchr(p, ']', n);
	char name[48];

	if (close == NULL) {
		conf_error(r, r->line, NULL, "%s", "section line without ']'");
		return false;
	}
	if (!is_blank_or_comment(close + 1, n - (size_t)(close + 1 - p))) {
		conf_error(r, r->line, NULL, "%s", "text after ']'");
		return false;
	}
	if (!text_copy(name, sizeof(name), p + 1, (size_t)(close - p - 1)))
		name[0] = '\0';
	r->c = r->main;
	r->key_line = r->main_key_line;
	if (name[0] != '\0' && strncmp(name, "smtp.", 5) == 0)
		return open_route(r, name + 5);
	for (enum section s = SEC_MAIL; s <= SEC_LIMITS; s++) {
		if (!text_ieq(name, section_names[s]))
			continue;
		if (r->sec_line[s] != 0) {
			char why[64];

			(void)snprintf(why, sizeof(why),
			    "section repeated (first on line %u)",
			    r->sec_line[s]);
			conf_error(r, r->line, section_names[s], "%s", why);
			return false;
		}
		r->sec_line[s] = r->line;
		r->sec = s;
		return true;
	}
	char shown[48];

	text_show(shown, sizeof(shown), p, (size_t)(close - p + 1), 40);
	conf_error(r, r->line, shown, "%s",
	    "unknown section (expected [mail], [smtp], [smtp.NAME], [queue], "
	    "[relay_by_sender], [limits] or [aliases])");
	return false;
}

/* What is wrong with one raw line (content excludes its line ending), or
 * NULL. Section lines are judged by read_section. */
static const char *
line_problem(const char *p, size_t n, size_t content, size_t limit,
    char *why, size_t whysz)
{
	if (content > limit) {
		(void)snprintf(why, whysz, "line longer than %zu bytes", limit);
		return why;
	}
	if (memchr(p, '\0', n) != NULL)
		return "NUL byte";
	if (memmem(p, content, "\xef\xbb\xbf", 3) != NULL)
		return "byte-order mark inside the file";
	for (size_t i = 0; i < content; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character";
	}
	if (is_blank_or_comment(p, content) || p[0] == '[')
		return NULL;
	if (p[0] == ' ' || p[0] == '\t')
		return "indented line (continuation lines are not supported)";
	if (memchr(p, '=', content) == NULL && memchr(p, ':', content) == NULL)
		return "expected 'key = value', a [section] or a comment";
	return NULL;
}

/* reader_gets - inih's fgets: one checked line per call, NULL to stop */
static char *
reader_gets(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *p;
	const char *nl;
	const char *problem;
	size_t n;
	size_t content;
	size_t limit;
	char why[64];

	if (r->failed || r->pos >= r->len || num < 2)
		return NULL;
	p = r->buf + r->pos;
	nl = memchr(p, '\n', r->len - r->pos);
	n = nl != NULL ? (size_t)(nl - p) + 1 : r->len - r->pos;
	r->line++;

	content = n;
	if (content > 0 && p[content - 1] == '\n')
		content--;
	if (content > 0 && p[content - 1] == '\r')
		content--;
	/* inih needs room for the newline and its NUL. */
	limit = (size_t)num - 2;
	if (limit > CONF_LINE_MAX)
		limit = CONF_LINE_MAX;
	problem = line_problem(p, n, content, limit, why, sizeof(why));
	if (problem != NULL) {
		char key[48];

		line_key(p, content, key, sizeof(key));
		conf_error(r, r->line, key[0] ? key : NULL, "%s", problem);
		return NULL;
	}
	if (p[0] == '[' && !read_section(r, p, content))
		return NULL;

	memcpy(str, p, content);
	str[content] = '\n';
	str[content + 1] = '\0';
	r->pos += n;
	return str;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (text_ieq(v, "yes") || text_ieq(v, "true") || text_ieq(v, "on") ||
	    strcmp(v, "1") == 0) {
		*out = true;
		return true;
	}
	if (text_ieq(v, "no") || text_ieq(v, "false") || text_ieq(v, "off") ||
	    strcmp(v, "0") == 0) {
		*out = false;
		return true;
	}
	return false;
}

/* Pick one of names[]; returns its index or -1. */
static int
parse_enum(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (text_ieq(v, names[i]))
			return i;
	return -1;
}

/* An enumerated value; on error the message lists what is expected. */
static int
enum_value(struct reader *r, const char *key, const char *v,
    const char *const *names, int n, const char *expects)
{
	int e = parse_enum(v, names, n);

	if (e < 0)
		conf_error(r, r->line, key, "expects %s", expects);
	return e;
}

/* A number from 1 to max; on error the message gives the range. */
static bool
number_value(struct reader *r, const char *key, const char *v,
    unsigned long max, const char *what, unsigned *out)
{
	unsigned long n;

	if (!text_parse_uint(v, max, &n) || n == 0) {
		conf_error(r, r->line, key, "expects %s from 1 to %lu", what,
		    max);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

/* A sender address key: valid mailbox or bare name (qualified later). */
static bool
parse_sender_key(struct reader *r, const char *key, const char *v,
    char out[ADDR_BUFSZ])
{
	const char *s = v;
	size_t n = strlen(v);
	enum addr_status st;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	st = addr_check(s, n, ADDR_PROFILE_SENDER, out);
	if (st != ADDR_OK && st != ADDR_BARE) {
		conf_error(r, r->line, key, "the address %s", addr_strerror(st));
		return false;
	}
	return true;
}

/* allowed_senders: "*@example.com, bounce@*.example.org" */
/* A sender pattern: local@domain, '*' wildcards, only characters a
 * sender can hold; the domain lower-cased in place. */
static bool
check_pattern(struct reader *r, const char *key, char *pat)
{
	const char *at = strchr(pat, '@');

	if (at == NULL || at == pat || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL) {
		conf_error(r, r->line, key, "%s",
		    "each pattern must be local@domain ('*' matches "
		    "any characters)");
		return false;
	}
	for (const char *q = pat; *q; q++) {
		unsigned char ch = (unsigned char)*q;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("*.-_+=@", ch) != NULL;

		if (!ok) {
			conf_error(r, r->line, key, "%s",
			    "pattern holds a character that no valid "
			    "sender can hold");
			return false;
		}
	}
	text_lower(pat + (at - pat));
	return true;
}

/* [relay_by_sender] "PATTERN = NAME": NAME is resolved at the end, when
 * every [smtp.NAME] is known. */
static bool
set_sender_route(struct reader *r, const char *pattern, const char *name)
{
	struct conf *c = r->main;
	size_t n = c->nsender_routes;
	struct conf_sender_route *grown;
	void *names, *lines;

	if (strlen(pattern) > ADDR_MAX) {
		conf_error(r, r->line, NULL, "%s", "pattern too long");
		return false;
	}
	if (strlen(name) == 0 || strlen(name) > CONF_ROUTE_NAME_MAX) {
		conf_error(r, r->line, pattern, "%s",
		    "expects the NAME of a [smtp.NAME] section, or smtp");
		return false;
	}
	if (n == CONF_PATTERNS_MAX) {
		conf_error(r, r->line, pattern, "%s", "too many patterns");
		return false;
	}
	grown = realloc(c->sender_routes, (n + 1) * sizeof(*grown));
	if (grown != NULL)
		c->sender_routes = grown;
	names = realloc(r->by_sender_name, (n + 1) * sizeof(*r->by_sender_name));
	if (names != NULL)
		r->by_sender_name = names;
	lines = realloc(r->by_sender_line, (n + 1) * sizeof(*r->by_sender_line));
	if (lines != NULL)
		r->by_sender_line = lines;
	if (grown == NULL || names == NULL || lines == NULL) {
		conf_error(r, r->line, pattern, "%s", "out of memory");
		return false;
	}
	memset(&grown[n], 0, sizeof(grown[n]));
	memcpy(grown[n].pattern, pattern, strlen(pattern) + 1);
	if (!check_pattern(r, pattern, grown[n].pattern))
		return false;
	memcpy(r->by_sender_name[n], name, strlen(name) + 1);
	r->by_sender_line[n] = r->line;
	c->nsender_routes = n + 1;
	return true;
}

/* [limits] "default", "user.NAME", ... = "20/hour, ..., hold" */
static bool
set_limit_rule(struct reader *r, const char *key, const char *value)
{
	struct conf *c = r->main;
	struct limit_rule rule, *grown;
	char why[200];

	if (!sendlimit_parse_rule(key, value, &rule, why, sizeof(why))) {
		conf_error(r, r->line, key, "%s", why);
		return false;
	}
	for (size_t i = 0; i < c->nlimit_rules; i++)
		if (strcmp(c->limit_rules[i].label, rule.label) == 0) {
			conf_error(r, r->line, key,
			    "duplicate rule (first set on line %u)",
			    c->limit_rules[i].line);
			return false;
		}
	if (c->nlimit_rules == CONF_PATTERNS_MAX) {
		conf_error(r, r->line, key, "%s", "too many rules");
		return false;
	}
	grown = realloc(c->limit_rules, (c->nlimit_rules + 1) * sizeof(*grown));
	if (grown == NULL) {
		conf_error(r, r->line, key, "%s", "out of memory");
		return false;
	}
	rule.line = r->line;
	grown[c->nlimit_rules++] = rule;
	c->limit_rules = grown;
	return true;
}

static bool
parse_patterns(struct reader *r, const char *key, const char *v)
{
	struct conf *c = r->c;
	const char *p = v;

	while (*p) {
		size_t n;
		char pat[ADDR_BUFSZ];

		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (n > ADDR_MAX) {
			conf_error(r, r->line, key, "%s", "pattern too long");
			return false;
		}
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (!check_pattern(r, key, pat))
			return false;
		if (c->nallowed >= CONF_PATTERNS_MAX) {
			conf_error(r, r->line, key, "%s", "too many patterns");
			return false;
		}
		if (c->allowed_senders == NULL) {
			c->allowed_senders = calloc(CONF_PATTERNS_MAX,
			    sizeof(*c->allowed_senders));
			if (c->allowed_senders == NULL) {
				conf_error(r, r->line, key, "%s",
				    "out of memory");
				return false;
			}
		}
		memcpy(c->allowed_senders[c->nallowed++], pat, n + 1);
		p += n;
	}
	return true;
}

/* Host name, IPv4 address or [IPv6] literal. */
static bool
is_host(const char *v)
{
	size_t n = strlen(v);

	if (n > 2 && v[0] == '[') {
		char tmp[64];
		unsigned char bin[16];

		if (v[n - 1] != ']' || !text_copy(tmp, sizeof(tmp), v + 1, n - 2))
			return false;
		return inet_pton(AF_INET6, tmp, bin) == 1;
	}
	return addr_check_hostname(v, n);
}

/* host = NAME[:PORT], ...: up to four relays, tried in order. */
static bool
set_hosts(struct reader *r, const char *key, const char *v)
{
	struct conf *c = r->c;
	size_t max = sizeof(c->relays) / sizeof(c->relays[0]);

	c->nrelays = 0;
	for (const char *p = v;;) {
		const char *end = strchr(p, ','), *colon;
		size_t n;
		char one[ADDR_BUFSZ + 8];
		unsigned long port = 0;

		end = end != NULL ? end : p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (c->nrelays == max || !text_copy(one, sizeof(one), p, n)) {
			conf_error(r, r->line, key, "%s",
			    c->nrelays == max ? "at most four relays"
					      : "a relay name is too long");
			return false;
		}
		/* the port after the last ':' (after ']' for [IPv6]) */
		colon = strrchr(one, ':');
		if (colon != NULL && (one[0] != '[' ||
					 (colon > one && colon[-1] == ']'))) {
			char *e;

			port = strtoul(colon + 1, &e, 10);
			if (colon[1] < '0' || colon[1] > '9' || *e != '\0' ||
			    port == 0 || port > 65535) {
				conf_error(r, r->line, key, "%s",
				    "expects HOST or HOST:PORT (a port from 1 "
				    "to 65535), separated by commas");
				return false;
			}
			one[colon - one] = '\0';
		}
		if (strlen(one) >= sizeof(c->relays[0].host) || !is_host(one)) {
			conf_error(r, r->line, key, "%s",
			    "expects a host name, an IPv4 address or an "
			    "[IPv6] address (HOST or HOST:PORT, separated by "
			    "commas)");
			return false;
		}
		memcpy(c->relays[c->nrelays].host, one, strlen(one) + 1);
		c->relays[c->nrelays++].port = (unsigned)port;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	memcpy(c->host, c->relays[0].host, strlen(c->relays[0].host) + 1);
	return true;
}

unsigned
conf_relay_port(const struct conf *c, size_t i)
{
	return i < c->nrelays && c->relays[i].port != 0 ? c->relays[i].port
							 : c->port;
}

static bool
set_secret_max(struct reader *r, const char *key, const char *v, char **out,
    size_t max)
{
	size_t n = strlen(v);

	if (n > max) {
		conf_error(r, r->line, key, "longer than %zu bytes", max);
		return false;
	}
	if (!text_is_clean_utf8(v, n)) {
		conf_error(r, r->line, key, "%s",
		    "control characters or invalid UTF-8");
		return false;
	}
	if (*out != NULL) {
		explicit_bzero(*out, strlen(*out));
		free(*out);
		*out = NULL;
	}
	if (n == 0)
		return true;
	*out = strdup(v);
	if (*out == NULL) {
		conf_error(r, r->line, key, "%s", "out of memory");
		return false;
	}
	return true;
}

static bool
set_secret(struct reader *r, const char *key, const char *v, char **out)
{
	return set_secret_max(r, key, v, out, 255);
}

/* OAuth2 values travel in an HTTPS form (escaped there) and are printed
 * by --check: visible ASCII only, spaces only where allowed (scope). */
static bool
set_visible(struct reader *r, const char *key, const char *v, char **out,
    size_t max, bool spaces)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if ((ch < 0x21 && !(spaces && ch == ' ')) || ch > 0x7e) {
			conf_error(r, r->line, key, "%s",
			    spaces ? "expects visible ASCII and spaces"
				   : "expects visible ASCII, no spaces");
			return false;
		}
	}
	return set_secret_max(r, key, v, out, max);
}

/* The token endpoint: https only (it is sent the client secret), with a
 * host; the rest is libcurl's to parse. */
static bool
set_token_url(struct reader *r, const char *key, const char *v)
{
	if (*v != '\0' && (strncmp(v, "https://", 8) != 0 || v[8] == '\0' ||
			      v[8] == '/')) {
		conf_error(r, r->line, key, "%s",
		    "expects an https:// address");
		return false;
	}
	return set_visible(r, key, v, &r->c->oauth2.token_url, 2048, false);
}

/* A Microsoft Entra tenant: its GUID or a domain name. */
static bool
set_tenant(struct reader *r, const char *key, const char *v)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			n = 0;
	}
	if (*v != '\0' && (n == 0 || n >= sizeof(r->c->oauth2.tenant))) {
		conf_error(r, r->line, key, "%s",
		    "expects the tenant's id or domain name (letters, digits, "
		    "'-' and '.')");
		return false;
	}
	memcpy(r->c->oauth2.tenant, v, strlen(v) + 1);
	return true;
}

/* conf_parse_duration - see conf.h */
bool
conf_parse_duration(const char *v, unsigned long *out)
{
	static const struct {
		char unit;
		unsigned long seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char digits[16];
	size_t n = strlen(v);
	unsigned long mult = 1, num;

	if (n == 0 || n >= sizeof(digits))
		return false;
	/* one unit letter at most, after at least one digit */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (v[n - 1] == units[i].unit) {
			mult = units[i].seconds;
			n--;
			break;
		}
	if (n == 0)
		return false;
	memcpy(digits, v, n);
	digits[n] = '\0';
	if (!text_parse_uint(digits, 100000000UL, &num))
		return false;
	*out = num * mult;
	return true;
}

/* retry: the waits between attempts, "5m, 15m, 1h"; the last repeats. */
static bool
parse_retry(struct reader *r, const char *key, const char *v)
{
	const char *p = v;

	r->c->nretry = 0;
	while (*p != '\0') {
		char item[16];
		size_t n = 0;
		unsigned long secs;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		while (p[n] != '\0' && p[n] != ' ' && p[n] != ',')
			n++;
		if (n >= sizeof(item) || r->c->nretry == CONF_RETRY_MAX) {
			conf_error(r, r->line, key, "at most %d durations",
			    CONF_RETRY_MAX);
			return false;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (!conf_parse_duration(item, &secs) || secs < 1 ||
		    secs > CONF_MAX_AGE_CEILING) {
			conf_error(r, r->line, key,
			    "'%s' is not a duration from 1s to 30d", item);
			return false;
		}
		r->c->retry[r->c->nretry++] = secs;
		p += n;
	}
	if (r->c->nretry == 0) {
		conf_error(r, r->line, key, "%s", "expects durations");
		return false;
	}
	return true;
}

/* An absolute file name, read by the back end (tls_* keys). */
static bool
set_path(struct reader *r, const char *key, const char *v, char **out)
{
	if (*v == '\0')
		return true;
	if (v[0] != '/' || strlen(v) > 4095 ||
	    !text_is_clean_utf8(v, strlen(v))) {
		conf_error(r, r->line, key, "%s",
		    "expects an absolute file name");
		return false;
	}
	*out = strdup(v);
	if (*out == NULL) {
		conf_error(r, r->line, key, "%s", "out of memory");
		return false;
	}
	return true;
}

/* libcurl's CURLOPT_PINNEDPUBLICKEY: "sha256//BASE64" hashes of the
 * relay's public key, separated by ';'. */
static bool
set_pin(struct reader *r, const char *key, const char *v)
{
	const char *p = v;

	if (*v == '\0')
		return true;
	if (strlen(v) >= sizeof(r->c->tls_pin))
		goto bad;
	while (*p != '\0') {
		size_t n = 0;

		if (strncmp(p, "sha256//", 8) != 0)
			goto bad;
		p += 8;
		while (p[n] != '\0' && p[n] != ';') {
			char ch = p[n];

			if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
				(ch >= '0' && ch <= '9') || ch == '+' ||
				ch == '/' || ch == '='))
				goto bad;
			n++;
		}
		if (n != 44)
			goto bad;
		p += n;
		if (*p == ';')
			p++;
	}
	memcpy(r->c->tls_pin, v, strlen(v) + 1);
	return true;
bad:
	conf_error(r, r->line, key, "%s",
	    "expects sha256//BASE64 public-key hashes separated by ';'");
	return false;
}

static bool
set_key(struct reader *r, enum key_id id, const char *key, const char *v)
{
	static const char *const rp_names[] = {"no", "yes", "specified"};
	static const char *const ssl_names[] = {"none", "tls", "ssl"};
	static const char *const auth_names[] = {"none", "plain", "login",
	    "xoauth2", "oauthbearer"};
	static const char *const tls_names[] = {"1.2", "1.3"};
	static const char *const long_names[] = {"split", "refuse"};
	static const char *const temp_names[] = {"queue", "fail"};
	struct conf *c = r->c;
	int e;

	switch (id) {
	case K_DISABLE:
	case K_ASYNC:
	case K_ALLOW_NULL_SENDER:
	case K_ALLOW_PLAINTEXT_AUTH:
	case K_SCRIPT_UID_MUST_MATCH:
	case K_TLS_VERIFY: {
		bool b;

		if (!parse_bool(v, &b)) {
			conf_error(r, r->line, key, "%s", "expects yes or no");
			return false;
		}
		if (id == K_DISABLE)
			c->disable = b;
		else if (id == K_ASYNC)
			c->async = b;
		else if (id == K_ALLOW_NULL_SENDER)
			c->allow_null_sender = b;
		else if (id == K_ALLOW_PLAINTEXT_AUTH)
			c->allow_plaintext_auth = b;
		else if (id == K_SCRIPT_UID_MUST_MATCH)
			c->script_uid_must_match = b;
		else
			c->tls_verify = b;
		return true;
	}
	case K_RETURN_PATH:
		e = enum_value(r, key, v, rp_names, 3, "no, yes or specified");
		if (e < 0)
			return false;
		c->return_path = (enum return_path)e;
		return true;
	case K_RETURN_PATH_EMAIL:
		return *v == '\0' ||
		    parse_sender_key(r, key, v, c->return_path_email);
	case K_DEFAULT_SENDER:
		return *v == '\0' ||
		    parse_sender_key(r, key, v, c->default_sender);
	case K_ALLOWED_SENDERS:
		return parse_patterns(r, key, v);
	case K_DOMAIN: {
		enum addr_status st;

		if (*v == '\0')
			return true;
		st = addr_check_domain(v, strlen(v), c->domain);
		if (st != ADDR_OK) {
			c->domain[0] = '\0';
			conf_error(r, r->line, key, "the domain %s",
			    addr_strerror(st));
			return false;
		}
		return true;
	}
	case K_MAX_RECIPIENTS:
		return number_value(r, key, v, RCPT_CEILING, "a number",
		    &c->max_recipients);
	case K_HOST:
		return set_hosts(r, key, v);
	case K_PORT:
		return number_value(r, key, v, 65535, "a port number",
		    &c->port);
	case K_SSL:
		e = enum_value(r, key, v, ssl_names, 3, "none, tls or ssl");
		if (e < 0)
			return false;
		c->ssl = (enum ssl_mode)e;
		return true;
	case K_AUTH:
		e = enum_value(r, key, v, auth_names, 5,
		    "none, plain, login, xoauth2 or oauthbearer");
		if (e < 0)
			return false;
		c->auth = (enum auth_mech)e;
		return true;
	case K_USERNAME:
		return set_secret(r, key, v, &c->username);
	case K_PASSWORD:
		c->password_line = r->line;
		return set_secret(r, key, v, &c->password);
	case K_TLS_CA_FILE:
		return set_path(r, key, v, &c->tls_ca_file);
	case K_TLS_CLIENT_CERT:
		return set_path(r, key, v, &c->tls_client_cert);
	case K_TLS_CLIENT_KEY:
		return set_path(r, key, v, &c->tls_client_key);
	case K_PASSWORD_FILE:
		return set_path(r, key, v, &c->password_file);
	case K_LIMIT_NOTIFY:
		return *v == '\0' ||
		    parse_sender_key(r, key, v, c->limit_notify);
	case K_RATE: {
		unsigned long n;

		if (!text_parse_uint(v, CONF_RATE_CEILING, &n)) {
			conf_error(r, r->line, key,
			    "expects messages a minute from 0 (no limit) to %u",
			    CONF_RATE_CEILING);
			return false;
		}
		c->rate = (unsigned)n;
		return true;
	}
	case K_OAUTH2_TOKEN_URL:
		return set_token_url(r, key, v);
	case K_OAUTH2_TENANT:
		return set_tenant(r, key, v);
	case K_OAUTH2_CLIENT_ID:
		return set_visible(r, key, v, &c->oauth2.client_id, 255, false);
	case K_OAUTH2_CLIENT_SECRET:
		c->client_secret_line = r->line;
		return set_visible(r, key, v, &c->oauth2.client_secret, 1000,
		    false);
	case K_OAUTH2_CLIENT_SECRET_FILE:
		return set_path(r, key, v, &c->oauth2.client_secret_file);
	case K_OAUTH2_SCOPE:
		return set_visible(r, key, v, &c->oauth2.scope, 1000, true);
	case K_OAUTH2_REFRESH_TOKEN:
		c->refresh_token_line = r->line;
		return set_visible(r, key, v, &c->oauth2.refresh_token, 1000,
		    false);
	case K_OAUTH2_REFRESH_TOKEN_FILE:
		return set_path(r, key, v, &c->oauth2.refresh_token_file);
	case K_TLS_PIN:
		return set_pin(r, key, v);
	case K_LONG_LINES:
		e = enum_value(r, key, v, long_names, 2, "split or refuse");
		if (e < 0)
			return false;
		c->long_lines_refuse = e == 1;
		return true;
	case K_MAX_MESSAGE_SIZE: {
		unsigned long n;

		if (!text_parse_uint(v, CONF_MESSAGE_SIZE_CEILING, &n)) {
			conf_error(r, r->line, key,
			    "expects a number of bytes from 0 (no limit) to %lu",
			    (unsigned long)CONF_MESSAGE_SIZE_CEILING);
			return false;
		}
		c->max_message_size = n;
		return true;
	}
	case K_MAX_QUEUED_MESSAGES:
	case K_MAX_QUEUED_SIZE:
	case K_MIN_FREE_SPACE: {
		unsigned long n, max = id == K_MAX_QUEUED_MESSAGES
		    ? CONF_QUEUED_MESSAGES_CEILING
		    : CONF_SPOOL_BYTES_CEILING;

		if (!text_parse_uint(v, max, &n)) {
			conf_error(r, r->line, key,
			    "expects a number%s from 0 (%s) to %lu",
			    id == K_MAX_QUEUED_MESSAGES ? "" : " of bytes",
			    id == K_MIN_FREE_SPACE ? "none" : "no limit", max);
			return false;
		}
		if (id == K_MAX_QUEUED_MESSAGES)
			c->quota.max_messages = n;
		else if (id == K_MAX_QUEUED_SIZE)
			c->quota.max_bytes = n;
		else
			c->quota.min_free = n;
		return true;
	}
	case K_HELO_NAME:
		if (!addr_check_hostname(v, strlen(v))) {
			conf_error(r, r->line, key, "%s",
			    "expects a host name (letters, digits, '-' and "
			    "'.')");
			return false;
		}
		memcpy(c->helo_name, v, strlen(v) + 1);
		return true;
	case K_CONNECT_TIMEOUT:
		return number_value(r, key, v, CONF_TIMEOUT_CEILING,
		    "a number of seconds", &c->connect_timeout);
	case K_COMMAND_TIMEOUT:
		return number_value(r, key, v, CONF_TIMEOUT_CEILING,
		    "a number of seconds", &c->command_timeout);
	case K_MESSAGE_TIMEOUT:
		return number_value(r, key, v, CONF_TIMEOUT_CEILING,
		    "a number of seconds", &c->message_timeout);
	case K_LINGER: {
		unsigned long n;

		/* 0 is allowed here: never stay */
		if (!text_parse_uint(v, CONF_LINGER_CEILING, &n)) {
			conf_error(r, r->line, key,
			    "expects a number of seconds from 0 to %u",
			    CONF_LINGER_CEILING);
			return false;
		}
		c->linger = (unsigned)n;
		return true;
	}
	case K_TLS_MIN_VERSION:
		e = enum_value(r, key, v, tls_names, 2, "1.2 or 1.3");
		if (e < 0)
			return false;
		c->tls_min_version = (enum tls_version)e;
		return true;
	case K_RETRY:
		return parse_retry(r, key, v);
	case K_MAX_AGE:
		if (!conf_parse_duration(v, &c->max_age) || c->max_age < 1 ||
		    c->max_age > CONF_MAX_AGE_CEILING) {
			conf_error(r, r->line, key, "%s",
			    "expects a duration from 1s to 30d (s, m, h or d)");
			return false;
		}
		return true;
	case K_ON_TEMP_FAILURE:
		e = enum_value(r, key, v, temp_names, 2, "queue or fail");
		if (e < 0)
			return false;
		c->temp_failure_fails = e == 1;
		return true;
	case K_BOUNCE_ADMIN:
		return *v == '\0' ||
		    parse_sender_key(r, key, v, c->bounce_admin);
	case K_CONNECTIONS:
		return number_value(r, key, v, CONF_CONNECTIONS_MAX,
		    "a number", &c->connections);
	case K_BS_IDLE_TIMEOUT:
		return number_value(r, key, v, CONF_TIMEOUT_CEILING,
		    "a number of seconds", &c->bs_idle_timeout);
	case K_COUNT:
		break;
	}
	return false;
}

struct alias_ctx {
	struct reader *r;
	struct alias *a;
	const char *key;
};

static int
alias_addr(void *ctx, const char *spec, size_t len, size_t end)
{
	(void)end;
	struct alias_ctx *ac = ctx;
	char out[ADDR_BUFSZ];
	enum addr_status st;
	char shown[96];

	st = addr_check(spec, len, ADDR_PROFILE_RECIPIENT, out);
	if (st != ADDR_OK && st != ADDR_BARE) {
		char why[200];

		text_show(shown, sizeof(shown), spec, len, 60);
		(void)snprintf(why, sizeof(why), "address '%s' %s", shown,
		    addr_strerror(st));
		conf_error(ac->r, ac->r->line, ac->key, "%s", why);
		return -1;
	}
	if (ac->a->naddrs >= (size_t)RCPT_DEFAULT_MAX) {
		conf_error(ac->r, ac->r->line, ac->key, "%s",
		    "too many addresses");
		return -1;
	}
	if (ac->a->naddrs % 8 == 0) {
		void *grown = realloc(ac->a->addrs,
		    (ac->a->naddrs + 8) * sizeof(*ac->a->addrs));

		if (grown == NULL) {
			conf_error(ac->r, ac->r->line, ac->key, "%s",
			    "out of memory");
			return -1;
		}
		ac->a->addrs = grown;
	}
	memcpy(ac->a->addrs[ac->a->naddrs++], out, strlen(out) + 1);
	return 0;
}

static bool
set_alias(struct reader *r, const char *name, const char *v)
{
	struct conf *c = r->c;
	char lname[ADDR_BUFSZ];
	enum addr_status st;
	struct alias *a;
	struct alias_ctx ac;
	const char *err;

	st = addr_check(name, strlen(name), ADDR_PROFILE_RECIPIENT, lname);
	if (st != ADDR_BARE) {
		conf_error(r, r->line, name, "%s",
		    "an alias name is a local name such as root or "
		    "www-data");
		return false;
	}
	text_lower(lname);
	for (size_t i = 0; i < c->naliases; i++) {
		if (!text_ieq(c->aliases[i].name, lname))
			continue;
		char why[64];

		(void)snprintf(why, sizeof(why),
		    "alias defined twice (first on line %u)",
		    c->aliases[i].line);
		conf_error(r, r->line, name, "%s", why);
		return false;
	}
	if (c->naliases >= CONF_ALIASES_MAX) {
		conf_error(r, r->line, name, "%s", "too many aliases");
		return false;
	}
	if (c->naliases % 16 == 0) {
		void *grown = realloc(c->aliases,
		    (c->naliases + 16) * sizeof(*c->aliases));

		if (grown == NULL) {
			conf_error(r, r->line, name, "%s", "out of memory");
			return false;
		}
		c->aliases = grown;
	}
	a = &c->aliases[c->naliases++];
	memset(a, 0, sizeof(*a));
	memcpy(a->name, lname, strlen(lname) + 1);
	a->line = r->line;
	ac.r = r;
	ac.a = a;
	ac.key = name;
	if (addr_list_parse(v, strlen(v), alias_addr, &ac, &err) != ALIST_OK) {
		if (!r->failed)
			conf_error(r, r->line, name, "%s", err);
		return false;
	}
	if (a->naddrs == 0) {
		conf_error(r, r->line, name, "%s", "no address");
		return false;
	}
	return true;
}

/* handler - called by inih for each "key = value" */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;

	(void)section; /* the reader tracks sections, with line numbers */
	if (r->failed)
		return 0;
	if (r->sec == SEC_NONE) {
		conf_error(r, r->line, name, "%s",
		    "key outside a section ([mail], [smtp] or [aliases])");
		return 0;
	}
	if (strlen(value) > CONF_VALUE_MAX) {
		conf_error(r, r->line, name, "%s", "value too long");
		return 0;
	}
	if (r->sec == SEC_ALIASES)
		return set_alias(r, name, value) ? 1 : 0;
	if (r->sec == SEC_BY_SENDER)
		return set_sender_route(r, name, value) ? 1 : 0;
	if (r->sec == SEC_LIMITS && !text_ieq(name, "limit_notify") &&
	    !text_ieq(name, "script_uid_must_match"))
		return set_limit_rule(r, name, value) ? 1 : 0;
	for (enum key_id id = 0; id < K_COUNT; id++) {
		enum section want = r->sec == SEC_ROUTE ? SEC_SMTP : r->sec;

		if (keys[id].sec != want || !text_ieq(keys[id].name, name))
			continue;
		if (r->sec == SEC_ROUTE && id == K_LINGER) {
			conf_error(r, r->line, name, "%s",
			    "not per relay: set it in [smtp]");
			return 0;
		}
		if (r->key_line[id] != 0) {
			char why[64];

			(void)snprintf(why, sizeof(why),
			    "duplicate key (first set on line %u)",
			    r->key_line[id]);
			conf_error(r, r->line, keys[id].name, "%s", why);
			return 0;
		}
		r->key_line[id] = r->line;
		return set_key(r, id, keys[id].name, value) ? 1 : 0;
	}
	char why[64];

	(void)snprintf(why, sizeof(why), "unknown key in [%s]",
	    r->sec == SEC_ROUTE ? "smtp.NAME" : section_names[r->sec]);
	conf_error(r, r->line, name, "%s", why);
	return 0;
}

/* Qualify a bare configured address with domain. */
static bool
qualify_key(struct reader *r, enum key_id id, char addr[ADDR_BUFSZ],
    enum addr_profile prof)
{
	char out[ADDR_BUFSZ];
	enum addr_status st;

	if (addr[0] == '\0' || strchr(addr, '@') != NULL)
		return true;
	if (r->c->domain[0] == '\0') {
		conf_error(r, r->key_line[id], keys[id].name, "%s",
		    "a bare name needs [mail] domain to be set");
		return false;
	}
	st = addr_qualify(addr, r->c->domain, prof, out);
	if (st != ADDR_OK) {
		conf_error(r, r->key_line[id], keys[id].name,
		    "the qualified address %s", addr_strerror(st));
		return false;
	}
	memcpy(addr, out, strlen(out) + 1);
	return true;
}

/* Every relay on loopback at a port below 1024 (only root binds one) */
static bool
all_loopback_below_1024(const struct conf *c)
{
	for (size_t i = 0; i < c->nrelays; i++)
		if (!conf_host_is_loopback(c->relays[i].host) ||
		    conf_relay_port(c, i) >= 1024)
			return false;
	return true;
}

/* Checks that involve more than one key, once everything is read. */
/* Two keys that say the same thing: one of them. */
static bool
one_of(struct reader *r, const void *a, enum key_id ka, const void *b,
    enum key_id kb)
{
	if (a == NULL || b == NULL)
		return true;
	conf_error(r, r->key_line[kb], keys[kb].name, "%s is set too: give one "
	    "of them", keys[ka].name);
	return false;
}

#define M365_TOKEN_URL "https://login.microsoftonline.com/%s/oauth2/v2.0/token"
#define M365_SMTP_SCOPE "https://outlook.office365.com/.default"

/* auth = xoauth2 / oauthbearer: an endpoint, a client, and a secret or
 * a refresh token; oauth2_tenant names Microsoft's endpoint (and, for
 * the client-credentials grant, Exchange Online's scope). */
static bool
check_oauth2(struct reader *r)
{
	struct conf *c = r->c;
	struct conf_oauth2 *o = &c->oauth2;
	const char *tenant = o->tenant[0] != '\0' ? o->tenant : NULL;
	bool refresh = o->refresh_token != NULL || o->refresh_token_file != NULL;

	if (c->password != NULL || c->password_file != NULL) {
		enum key_id id = c->password != NULL ? K_PASSWORD
						     : K_PASSWORD_FILE;

		conf_error(r, r->key_line[id], keys[id].name, "%s",
		    "not used with an OAuth2 auth (the oauth2_ keys say how "
		    "the token is had)");
		return false;
	}
	if (!one_of(r, o->token_url, K_OAUTH2_TOKEN_URL, tenant,
		K_OAUTH2_TENANT) ||
	    !one_of(r, o->client_secret, K_OAUTH2_CLIENT_SECRET,
		o->client_secret_file, K_OAUTH2_CLIENT_SECRET_FILE) ||
	    !one_of(r, o->refresh_token, K_OAUTH2_REFRESH_TOKEN,
		o->refresh_token_file, K_OAUTH2_REFRESH_TOKEN_FILE))
		return false;
	if (c->username == NULL || o->client_id == NULL ||
	    (o->token_url == NULL && tenant == NULL) ||
	    (!refresh && o->client_secret == NULL &&
		o->client_secret_file == NULL)) {
		conf_error(r, r->key_line[K_AUTH], "auth", "%s",
		    c->username == NULL ? "needs username (the mailbox the "
					  "token is for)"
		    : o->client_id == NULL ? "needs oauth2_client_id"
		    : o->client_secret == NULL && o->client_secret_file == NULL &&
			!refresh
			? "needs oauth2_client_secret (or its _file) for the "
			  "client-credentials grant, or oauth2_refresh_token "
			  "(or its _file)"
			: "needs oauth2_token_url (or oauth2_tenant for "
			  "Microsoft 365)");
		return false;
	}
	if (tenant != NULL) {
		char url[sizeof(M365_TOKEN_URL) + sizeof(o->tenant)];

		(void)snprintf(url, sizeof(url), M365_TOKEN_URL, tenant);
		o->token_url = strdup(url);
		if (o->scope == NULL && !refresh)
			o->scope = strdup(M365_SMTP_SCOPE);
		if (o->token_url == NULL || (o->scope == NULL && !refresh)) {
			conf_error(r, r->key_line[K_OAUTH2_TENANT],
			    "oauth2_tenant", "%s", "out of memory");
			return false;
		}
	}
	return true;
}

/* The OAuth2 keys mean nothing with another auth. */
static bool
check_no_oauth2(struct reader *r)
{
	for (enum key_id id = K_OAUTH2_TOKEN_URL; id <= K_OAUTH2_REFRESH_TOKEN_FILE;
	     id++)
		if (r->key_line[id] != 0) {
			conf_error(r, r->key_line[id], keys[id].name, "%s",
			    "set, but auth is not xoauth2 or oauthbearer");
			return false;
		}
	return true;
}

static bool check_smtp(struct reader *r);
static bool resolve_sender_routes(struct reader *r);

static bool
check_whole(struct reader *r)
{
	struct conf *c = r->main;

	r->c = c;
	r->key_line = r->main_key_line;
	if (!qualify_key(r, K_RETURN_PATH_EMAIL, c->return_path_email,
		ADDR_PROFILE_SENDER) ||
	    !qualify_key(r, K_DEFAULT_SENDER, c->default_sender,
		ADDR_PROFILE_SENDER) ||
	    !qualify_key(r, K_BOUNCE_ADMIN, c->bounce_admin,
		ADDR_PROFILE_SENDER) ||
	    !qualify_key(r, K_LIMIT_NOTIFY, c->limit_notify,
		ADDR_PROFILE_SENDER))
		return false;
	for (size_t i = 0; i < c->naliases; i++) {
		struct alias *a = &c->aliases[i];

		for (size_t k = 0; k < a->naddrs; k++) {
			char out[ADDR_BUFSZ];

			if (strchr(a->addrs[k], '@') != NULL)
				continue;
			if (c->domain[0] == '\0' ||
			    addr_qualify(a->addrs[k], c->domain,
				ADDR_PROFILE_RECIPIENT, out) != ADDR_OK) {
				conf_error(r, a->line, a->name, "%s",
				    "a bare name needs [mail] domain to be "
				    "set");
				return false;
			}
			memcpy(a->addrs[k], out, strlen(out) + 1);
		}
	}
	if (c->return_path == RETURN_PATH_SPECIFIED &&
	    c->return_path_email[0] == '\0') {
		conf_error(r, r->key_line[K_RETURN_PATH], "return_path", "%s",
		    "'specified' needs return_path_email");
		return false;
	}
	if (!check_smtp(r))
		return false;
	for (size_t i = 0; i < c->nroutes; i++) {
		bool ok;

		r->c = c->routes[i];
		r->key_line = r->route_key_line[i];
		if (r->key_line[K_HOST] == 0)
			conf_error(r, r->route_line[i], NULL, "[smtp.%s]: needs "
							      "host",
			    r->c->route_name);
		ok = r->key_line[K_HOST] != 0 && check_smtp(r);
		r->c = c;
		r->key_line = r->main_key_line;
		if (!ok)
			return false;
	}
	return resolve_sender_routes(r);
}

/* Each [relay_by_sender] line names a [smtp.NAME] (or smtp itself). */
static bool
resolve_sender_routes(struct reader *r)
{
	struct conf *c = r->main;

	for (size_t i = 0; i < c->nsender_routes; i++) {
		const char *want = r->by_sender_name[i];

		c->sender_routes[i].route = strcmp(want, "smtp") == 0 ? c : NULL;
		for (size_t k = 0; k < c->nroutes; k++)
			if (strcmp(c->routes[k]->route_name, want) == 0)
				c->sender_routes[i].route = c->routes[k];
		if (c->sender_routes[i].route == NULL) {
			conf_error(r, r->by_sender_line[i],
			    c->sender_routes[i].pattern,
			    "no [smtp.%.40s] section", want);
			return false;
		}
	}
	return true;
}

/* The [smtp] keys of one relay section taken together. */
static bool
check_smtp(struct reader *r)
{
	struct conf *c = r->c;

	if (c->password != NULL && c->password_file != NULL) {
		conf_error(r, r->key_line[K_PASSWORD_FILE], "password_file",
		    "%s", "password is set too: give one of them");
		return false;
	}
	if (!(conf_is_oauth2(c) ? check_oauth2(r) : check_no_oauth2(r)))
		return false;
	if (c->auth != AUTH_NONE && !conf_is_oauth2(c) &&
	    (c->username == NULL ||
		(c->password == NULL && c->password_file == NULL))) {
		conf_error(r, r->key_line[K_AUTH], "auth", "%s",
		    "needs username and password (or password_file)");
		return false;
	}
	if (c->auth != AUTH_NONE && c->ssl == SSL_NONE &&
	    !c->allow_plaintext_auth &&
	    !all_loopback_below_1024(c)) {
		/* loopback too: any local user can bind a free port above
		 * 1023 while the relay is down and read the password; only
		 * root binds a port below */
		conf_error(r, r->key_line[K_AUTH], "auth",
		    "would send the %s in clear text: set ssl = tls or "
		    "ssl (or allow_plaintext_auth = yes; loopback counts only "
		    "on a port below 1024)",
		    conf_is_oauth2(c) ? "access token" : "password");
		return false;
	}
	if ((c->tls_client_cert == NULL) != (c->tls_client_key == NULL)) {
		enum key_id id = c->tls_client_cert != NULL ? K_TLS_CLIENT_CERT
							   : K_TLS_CLIENT_KEY;

		conf_error(r, r->key_line[id], keys[id].name, "%s",
		    "tls_client_cert and tls_client_key go together");
		return false;
	}
	if (c->auth == AUTH_NONE && (c->username != NULL || c->password != NULL ||
					c->password_file != NULL)) {
		enum key_id id = c->username != NULL ? K_USERNAME
		    : c->password != NULL	     ? K_PASSWORD
						     : K_PASSWORD_FILE;

		conf_error(r, r->key_line[id], keys[id].name, "%s",
		    "set, but auth = none (set auth = plain or login)");
		return false;
	}
	return true;
}

bool
conf_is_oauth2(const struct conf *c)
{
	return c->auth == AUTH_XOAUTH2 || c->auth == AUTH_OAUTHBEARER;
}

/* conf_host_is_loopback - see conf.h */
bool
conf_host_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strncmp(host, "127.", 4) == 0;
}

/* conf_defaults - the documented defaults (DESIGN.md) */
void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->return_path = RETURN_PATH_NO;
	c->max_recipients = RCPT_DEFAULT_MAX;
	c->max_message_size = CONF_DEFAULT_MESSAGE_SIZE;
	c->quota.max_messages = CONF_DEFAULT_QUEUED_MESSAGES;
	c->quota.max_bytes = CONF_DEFAULT_QUEUED_SIZE;
	c->quota.min_free = CONF_DEFAULT_MIN_FREE;
	memcpy(c->host, "localhost", sizeof("localhost"));
	c->nrelays = 1;
	memcpy(c->relays[0].host, "localhost", sizeof("localhost"));
	c->relays[0].port = 0;
	c->port = 25;
	c->ssl = SSL_NONE;
	c->auth = AUTH_NONE;
	c->tls_verify = true;
	c->tls_min_version = TLS_V1_2;
	c->connect_timeout = 30;
	c->command_timeout = 60;
	c->message_timeout = 600;
	c->linger = 2;
	/* Postfix-like backoff: quick at first, then hourly up to 4 hours. */
	{
		static const unsigned long retry[] = {60, 300, 900, 1800, 3600,
		    7200, 14400};

		memcpy(c->retry, retry, sizeof(retry));
		c->nretry = sizeof(retry) / sizeof(retry[0]);
	}
	c->max_age = 5 * 86400;
	c->connections = 4;
	c->bs_idle_timeout = 300;
}

/* Debian's libinih reads its switches at run time; make them strict. */
static void
tune_inih(void)
{
#if HAVE_DECL_INI_MAX_LINE
	ini_max_line = CONF_LINE_MAX + 2;
#endif
#if HAVE_DECL_INI_STOP_ON_FIRST_ERROR
	ini_stop_on_first_error = true;
#endif
#if HAVE_DECL_INI_ALLOW_MULTILINE
	ini_allow_multiline = false;
#endif
#if HAVE_DECL_INI_ALLOW_BOM
	ini_allow_bom = false; /* the leading BOM is skipped below */
#endif
#if HAVE_DECL_INI_ALLOW_NO_VALUE
	ini_allow_no_value = false;
#endif
}

/* conf_parse - see conf.h */
int
conf_parse(const char *buf, size_t len, const char *name, struct conf *c,
    struct failure *f)
{
	struct reader r;
	int rc;

	conf_defaults(c);
	memset(&r, 0, sizeof(r));
	r.buf = buf;
	r.len = len;
	r.name = name;
	r.f = f;
	r.c = c;
	r.main = c;
	r.key_line = r.main_key_line;
	f->kind = FAIL_NONE;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		r.pos = 3; /* one leading byte-order mark is harmless */
	tune_inih();
	rc = ini_parse_stream(reader_gets, &r, handler, &r);
	if (!r.failed && rc > 0)
		conf_error(&r, (unsigned)rc, NULL, "%s",
		    "expected 'key = value', a [section] or a comment");
	else if (!r.failed && rc != 0)
		conf_error(&r, r.line, NULL, "%s", "cannot be parsed");
	if (!r.failed)
		(void)check_whole(&r);
	free(r.by_sender_name);
	free(r.by_sender_line);
	if (r.failed) {
		conf_free(c);
		return -1;
	}
	return 0;
}

static void
wipe(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void
conf_forget_secrets(struct conf *c)
{
	wipe(&c->password);
	wipe(&c->oauth2.client_secret);
	wipe(&c->oauth2.refresh_token);
	for (size_t i = 0; i < c->nroutes; i++)
		conf_forget_secrets(c->routes[i]);
}

const struct conf *
conf_route_for(const struct conf *c, const char *sender)
{
	if (sender == NULL || sender[0] == '\0')
		return c;
	for (size_t i = 0; i < c->nsender_routes; i++)
		if (sender_pattern_match(c->sender_routes[i].pattern, sender))
			return c->sender_routes[i].route;
	return c;
}

/* conf_free - release everything and wipe the secrets */
void
conf_free(struct conf *c)
{
	wipe(&c->username);
	free(c->tls_ca_file);
	free(c->tls_client_cert);
	free(c->tls_client_key);
	free(c->password_file);
	conf_forget_secrets(c);
	wipe(&c->oauth2.client_id);
	wipe(&c->oauth2.token_url);
	wipe(&c->oauth2.scope);
	wipe(&c->oauth2.client_secret_file);
	wipe(&c->oauth2.refresh_token_file);
	for (size_t i = 0; i < c->nroutes; i++) {
		conf_free(c->routes[i]);
		free(c->routes[i]);
	}
	free(c->sender_routes);
	free(c->limit_rules);
	free(c->allowed_senders);
	for (size_t i = 0; i < c->naliases; i++)
		free(c->aliases[i].addrs);
	free(c->aliases);
	conf_defaults(c);
}

/* conf_find_alias - linear search; aliases are few */
const struct alias *
conf_find_alias(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->naliases; i++)
		if (text_ieq(c->aliases[i].name, name))
			return &c->aliases[i];
	return NULL;
}

const char *
conf_return_path_name(enum return_path rp)
{
	switch (rp) {
	case RETURN_PATH_NO:
		return "no";
	case RETURN_PATH_YES:
		return "yes";
	case RETURN_PATH_SPECIFIED:
		return "specified";
	}
	return "?";
}
