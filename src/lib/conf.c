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
#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confpriv.h"
#include "limits.h"
#include "sender.h"
#include "text.h"

const char *const conf_section_names[SEC_COUNT] = {[SEC_NONE] = "",
    [SEC_MAIL] = "mail", [SEC_SMTP] = "smtp", [SEC_QUEUE] = "queue",
    [SEC_ALIASES] = "aliases", [SEC_BY_SENDER] = "relay_by_sender",
    [SEC_LIMITS] = "limits", [SEC_GATE] = "gate",
    [SEC_ROUTE] = "smtp.NAME"};

/* conf_error - "NAME:LINE: key: what is wrong" (key may be NULL) */
void
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

/* The key name at the start of a rejected line, for the message; "" when
 * it is not one of ours. The text of a rejected line may be anything (a
 * wrapped or undelimited secret too), and this message reaches every
 * caller's stderr: only a known key's name is shown. */
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
	out[0] = '\0';
	for (size_t id = 0; id < K_COUNT; id++)
		if (strlen(conf_keys[id].name) == k &&
		    strncasecmp(conf_keys[id].name, p, k) == 0) {
			(void)snprintf(out, outsz, "%s", conf_keys[id].name);
			return;
		}
}

/* An unknown key is named only when it looks like a key: what stands
 * before the '=' of a garbled line could be part of a secret. */
static bool
key_like(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
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
	for (enum section s = SEC_MAIL; s <= SEC_GATE; s++) {
		if (!text_ieq(name, conf_section_names[s]))
			continue;
		if (r->sec_line[s] != 0) {
			char why[64];

			(void)snprintf(why, sizeof(why),
			    "section repeated (first on line %u)",
			    r->sec_line[s]);
			conf_error(r, r->line, conf_section_names[s], "%s", why);
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






/* allowed_senders: "*@example.com, bounce@*.example.org" */

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
	if (!conf_check_pattern(r, pattern, grown[n].pattern))
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




unsigned
conf_relay_port(const struct conf *c, size_t i)
{
	return i < c->nrelays && c->relays[i].port != 0 ? c->relays[i].port
							 : c->port;
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

		if (conf_keys[id].sec != want || !text_ieq(conf_keys[id].name, name))
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
			conf_error(r, r->line, conf_keys[id].name, "%s", why);
			return 0;
		}
		r->key_line[id] = r->line;
		return conf_set_key(r, id, conf_keys[id].name, value) ? 1 : 0;
	}
	char why[64];

	(void)snprintf(why, sizeof(why), "unknown key in [%s]",
	    r->sec == SEC_ROUTE ? "smtp.NAME" : conf_section_names[r->sec]);
	conf_error(r, r->line, key_like(name) ? name : NULL, "%s", why);
	return 0;
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
	c->sandbox = true;
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
		(void)conf_check_whole(&r);
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
