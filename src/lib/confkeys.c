/* confkeys.c - the typed key table of safemail.ini (see confpriv.h):
 * each key with its section, type, bounds and place in struct conf, as
 * Postfix's typed configuration tables have them, and one parser per
 * type; keys that need more (host lists, patterns, pins) name a parser
 * of their own. tests/unit/test_keytable.c checks that safemail.ini(5)
 * documents each key with this type and these bounds. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confpriv.h"
#include "limits.h"
#include "text.h"

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
parse_enum(const char *v, const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++)
		if (text_ieq(v, names[i]))
			return i;
	return -1;
}

/* A sender address key: valid mailbox or bare name (qualified later). */
bool
conf_sender_value(struct reader *r, const char *key, const char *v,
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

/* A sender pattern: local@domain, '*' wildcards, only characters a
 * sender can hold; the domain lower-cased in place. */
bool
conf_check_pattern(struct reader *r, const char *key, char *pat)
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
		if (!conf_check_pattern(r, key, pat))
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

/* [mail] domain: the domain bare names are qualified with */
static bool
set_domain(struct reader *r, const char *key, const char *v)
{
	enum addr_status st;

	if (*v == '\0')
		return true;
	st = addr_check_domain(v, strlen(v), r->c->domain);
	if (st != ADDR_OK) {
		r->c->domain[0] = '\0';
		conf_error(r, r->line, key, "the domain %s", addr_strerror(st));
		return false;
	}
	return true;
}

static bool
set_helo(struct reader *r, const char *key, const char *v)
{
	if (!addr_check_hostname(v, strlen(v))) {
		conf_error(r, r->line, key, "%s",
		    "expects a host name (letters, digits, '-' and '.')");
		return false;
	}
	memcpy(r->c->helo_name, v, strlen(v) + 1);
	return true;
}

/* A list of user or group names, separated by commas or spaces (as
 * Postfix's authorized_submit_users): each a login name as useradd
 * takes it, looked up when a caller connects. */
static bool
parse_names(struct reader *r, const char *key, const char *v,
    char names[CONF_SUBMIT_NAMES_MAX][CONF_SUBMIT_NAME_MAX + 1],
    unsigned *n)
{
	*n = 0;
	while (*v != '\0') {
		size_t len = strcspn(v, ", \t");

		if (len == 0) {
			v++;
			continue;
		}
		if (len > CONF_SUBMIT_NAME_MAX ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz"
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") < len ||
		    v[0] == '-' || v[0] == '.') {
			conf_error(r, r->line, key, "%s",
			    "expects names of at most 32 letters, digits, '_', "
			    "'.' and '-', separated by commas or spaces");
			return false;
		}
		if (*n == CONF_SUBMIT_NAMES_MAX) {
			conf_error(r, r->line, key, "more than %d names",
			    CONF_SUBMIT_NAMES_MAX);
			return false;
		}
		memcpy(names[*n], v, len);
		names[(*n)++][len] = '\0';
		v += len;
	}
	if (*n == 0) {
		conf_error(r, r->line, key, "%s", "names nobody");
		return false;
	}
	return true;
}

static bool
set_submit_users(struct reader *r, const char *key, const char *v)
{
	return parse_names(r, key, v, r->c->submit_users,
	    &r->c->nsubmit_users);
}

static bool
set_submit_groups(struct reader *r, const char *key, const char *v)
{
	return parse_names(r, key, v, r->c->submit_groups,
	    &r->c->nsubmit_groups);
}

static const char *const rp_names[] = {"no", "yes", "specified", NULL};
static const char *const ssl_names[] = {"none", "tls", "ssl", NULL};
static const char *const auth_names[] = {"none", "plain", "login", "xoauth2",
    "oauthbearer", NULL};
static const char *const tls_names[] = {"1.2", "1.3", NULL};
static const char *const long_names[] = {"split", "refuse", NULL};
static const char *const temp_names[] = {"queue", "fail", NULL};
static const char *const header_from_names[] = {"keep", "envelope", NULL};
static const char *const log_names[] = {"auto", "syslog", "stderr", NULL};

/* enums are stored through an int: they must be int-sized */
_Static_assert(sizeof(enum return_path) == sizeof(int) &&
	sizeof(enum ssl_mode) == sizeof(int) &&
	sizeof(enum auth_mech) == sizeof(int) &&
	sizeof(enum tls_version) == sizeof(int),
    "an enum of struct conf is not int-sized");

#define AT(field) offsetof(struct conf, field)
#define BOOL(n, s, f) {n, s, KT_BOOL, AT(f), 0, 0, NULL, NULL, NULL, NULL, 0}
#define ENUM(n, s, f, ch) {n, s, KT_ENUM, AT(f), 0, 0, NULL, NULL, ch, NULL, 0}
#define FLAG(n, s, f, ch) {n, s, KT_FLAG, AT(f), 0, 0, NULL, NULL, ch, NULL, 0}
#define NUM(n, s, t, f, lo, hi, what, zero)                                    \
	{n, s, t, AT(f), lo, hi, what, zero, NULL, NULL, 0}
#define ADDRESS(n, s, f)                                                       \
	{n, s, KT_ADDRESS, AT(f), 0, 0, NULL, NULL, NULL, NULL, 0}
#define PATH(n, s, f) {n, s, KT_PATH, AT(f), 0, 0, NULL, NULL, NULL, NULL, 0}
#define TEXT(n, s, t, f, hi, line)                                             \
	{n, s, t, AT(f), 0, hi, NULL, NULL, NULL, NULL, line}
#define CUSTOM(n, s, fn) {n, s, KT_CUSTOM, 0, 0, 0, NULL, NULL, NULL, fn, 0}
#define SECONDS "a number of seconds"

const struct conf_key conf_keys[K_COUNT] = {
	[K_DISABLE] = BOOL("disable", SEC_MAIL, disable),
	[K_ASYNC] = BOOL("async", SEC_MAIL, async),
	[K_RETURN_PATH] = ENUM("return_path", SEC_MAIL, return_path, rp_names),
	[K_RETURN_PATH_EMAIL] =
	    ADDRESS("return_path_email", SEC_MAIL, return_path_email),
	[K_DEFAULT_SENDER] = ADDRESS("default_sender", SEC_MAIL, default_sender),
	[K_ALLOWED_SENDERS] =
	    CUSTOM("allowed_senders", SEC_MAIL, parse_patterns),
	[K_DOMAIN] = CUSTOM("domain", SEC_MAIL, set_domain),
	[K_ALLOW_NULL_SENDER] =
	    BOOL("allow_null_sender", SEC_MAIL, allow_null_sender),
	[K_MAX_RECIPIENTS] = NUM("max_recipients", SEC_MAIL, KT_UINT,
	    max_recipients, 1, RCPT_CEILING, "a number", ""),
	[K_MAX_MESSAGE_SIZE] = NUM("max_message_size", SEC_MAIL, KT_ULONG,
	    max_message_size, 0, CONF_MESSAGE_SIZE_CEILING, "a number of bytes",
	    " (no limit)"),
	[K_LONG_LINES] = FLAG("long_lines", SEC_MAIL, long_lines_refuse,
	    long_names),
	[K_BS_IDLE_TIMEOUT] = NUM("bs_idle_timeout", SEC_MAIL, KT_UINT,
	    bs_idle_timeout, 1, CONF_TIMEOUT_CEILING, SECONDS, ""),
	[K_HEADER_FROM] = FLAG("header_from", SEC_MAIL, header_from_envelope,
	    header_from_names),
	[K_LOG] = ENUM("log", SEC_MAIL, log_target, log_names),
	[K_HOST] = CUSTOM("host", SEC_SMTP, set_hosts),
	[K_PORT] = NUM("port", SEC_SMTP, KT_UINT, port, 1, 65535,
	    "a port number", ""),
	[K_SSL] = ENUM("ssl", SEC_SMTP, ssl, ssl_names),
	[K_AUTH] = ENUM("auth", SEC_SMTP, auth, auth_names),
	[K_USERNAME] = TEXT("username", SEC_SMTP, KT_SECRET, username, 255, 0),
	[K_PASSWORD] = TEXT("password", SEC_SMTP, KT_SECRET, password, 255,
	    AT(password_line)),
	[K_PASSWORD_FILE] = PATH("password_file", SEC_SMTP, password_file),
	[K_OAUTH2_TOKEN_URL] =
	    CUSTOM("oauth2_token_url", SEC_SMTP, set_token_url),
	[K_OAUTH2_TENANT] = CUSTOM("oauth2_tenant", SEC_SMTP, set_tenant),
	[K_OAUTH2_CLIENT_ID] = TEXT("oauth2_client_id", SEC_SMTP, KT_TEXT,
	    oauth2.client_id, 255, 0),
	[K_OAUTH2_CLIENT_SECRET] = TEXT("oauth2_client_secret", SEC_SMTP,
	    KT_TEXT, oauth2.client_secret, 1000, AT(client_secret_line)),
	[K_OAUTH2_CLIENT_SECRET_FILE] = PATH("oauth2_client_secret_file",
	    SEC_SMTP, oauth2.client_secret_file),
	[K_OAUTH2_REFRESH_TOKEN] = TEXT("oauth2_refresh_token", SEC_SMTP,
	    KT_TEXT, oauth2.refresh_token, 1000, AT(refresh_token_line)),
	[K_OAUTH2_REFRESH_TOKEN_FILE] = PATH("oauth2_refresh_token_file",
	    SEC_SMTP, oauth2.refresh_token_file),
	[K_OAUTH2_SCOPE] = TEXT("oauth2_scope", SEC_SMTP, KT_TEXT_SP,
	    oauth2.scope, 1000, 0),
	[K_TLS_VERIFY] = BOOL("tls_verify", SEC_SMTP, tls_verify),
	[K_TLS_CA_FILE] = PATH("tls_ca_file", SEC_SMTP, tls_ca_file),
	[K_TLS_MIN_VERSION] =
	    ENUM("tls_min_version", SEC_SMTP, tls_min_version, tls_names),
	[K_TLS_PIN] = CUSTOM("tls_pin", SEC_SMTP, set_pin),
	[K_TLS_CLIENT_CERT] = PATH("tls_client_cert", SEC_SMTP, tls_client_cert),
	[K_TLS_CLIENT_KEY] = PATH("tls_client_key", SEC_SMTP, tls_client_key),
	[K_ALLOW_PLAINTEXT_AUTH] =
	    BOOL("allow_plaintext_auth", SEC_SMTP, allow_plaintext_auth),
	[K_HELO_NAME] = CUSTOM("helo_name", SEC_SMTP, set_helo),
	[K_CONNECT_TIMEOUT] = NUM("connect_timeout", SEC_SMTP, KT_UINT,
	    connect_timeout, 1, CONF_TIMEOUT_CEILING, SECONDS, ""),
	[K_COMMAND_TIMEOUT] = NUM("command_timeout", SEC_SMTP, KT_UINT,
	    command_timeout, 1, CONF_TIMEOUT_CEILING, SECONDS, ""),
	[K_MESSAGE_TIMEOUT] = NUM("message_timeout", SEC_SMTP, KT_UINT,
	    message_timeout, 1, CONF_TIMEOUT_CEILING, SECONDS, ""),
	[K_RATE] = NUM("rate", SEC_SMTP, KT_UINT, rate, 0, CONF_RATE_CEILING,
	    "messages a minute", " (no limit)"),
	[K_LINGER] = NUM("linger", SEC_SMTP, KT_UINT, linger, 0,
	    CONF_LINGER_CEILING, SECONDS, ""),
	[K_RETRY] = CUSTOM("retry", SEC_QUEUE, parse_retry),
	[K_SUBMIT_USERS] = CUSTOM("submit_users", SEC_GATE, set_submit_users),
	[K_SUBMIT_GROUPS] =
	    CUSTOM("submit_groups", SEC_GATE, set_submit_groups),
	[K_MAX_AGE] = NUM("max_age", SEC_QUEUE, KT_DURATION, max_age, 1,
	    CONF_MAX_AGE_CEILING, "a duration", ""),
	[K_ON_TEMP_FAILURE] = FLAG("on_temp_failure", SEC_QUEUE,
	    temp_failure_fails, temp_names),
	[K_BOUNCE_ADMIN] = ADDRESS("bounce_admin", SEC_QUEUE, bounce_admin),
	[K_CONNECTIONS] = NUM("connections", SEC_QUEUE, KT_UINT, connections,
	    1, CONF_CONNECTIONS_MAX, "a number", ""),
	[K_MAX_QUEUED_MESSAGES] = NUM("max_queued_messages", SEC_QUEUE,
	    KT_ULONG, quota.max_messages, 0, CONF_QUEUED_MESSAGES_CEILING,
	    "a number", " (no limit)"),
	[K_MAX_QUEUED_SIZE] = NUM("max_queued_size", SEC_QUEUE, KT_ULLONG,
	    quota.max_bytes, 0, CONF_SPOOL_BYTES_CEILING, "a number of bytes",
	    " (no limit)"),
	[K_MIN_FREE_SPACE] = NUM("min_free_space", SEC_QUEUE, KT_ULLONG,
	    quota.min_free, 0, CONF_SPOOL_BYTES_CEILING, "a number of bytes",
	    " (none)"),
	[K_LIMIT_NOTIFY] = ADDRESS("limit_notify", SEC_LIMITS, limit_notify),
	[K_SCRIPT_UID_MUST_MATCH] =
	    BOOL("script_uid_must_match", SEC_LIMITS, script_uid_must_match),
	[K_SANDBOX] = BOOL("sandbox", SEC_MAIL, sandbox),
};

/* "none, tls or ssl" */
static void
join_choices(const char *const *ch, char *out, size_t outsz)
{
	size_t n = 0, o = 0;

	while (ch[n] != NULL)
		n++;
	out[0] = '\0';
	for (size_t i = 0; i < n && o < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", ch[i]);
}

/* 2592000 as "30d", 90 as "90s" */
static void
show_seconds(unsigned long long s, char *out, size_t outsz)
{
	static const struct {
		unsigned long long secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};

	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (s % units[i].secs == 0) {
			(void)snprintf(out, outsz, "%llu%c", s / units[i].secs,
			    units[i].unit);
			return;
		}
}

static bool
set_number(struct reader *r, const struct conf_key *k, const char *key,
    const char *v, char *at)
{
	unsigned long n;
	bool ok;

	if (k->type == KT_DURATION)
		ok = conf_parse_duration(v, &n);
	else
		ok = text_parse_uint(v, (unsigned long)k->max, &n);
	if (!ok || n < k->min || n > k->max) {
		if (k->type == KT_DURATION) {
			char lo[24], hi[24];

			show_seconds(k->min, lo, sizeof(lo));
			show_seconds(k->max, hi, sizeof(hi));
			conf_error(r, r->line, key,
			    "expects %s from %s to %s (s, m, h or d)", k->what, lo,
			    hi);
		} else {
			conf_error(r, r->line, key, "expects %s from %llu%s to %llu",
			    k->what, k->min, k->zero, k->max);
		}
		return false;
	}
	if (k->type == KT_UINT)
		*(unsigned *)(void *)at = (unsigned)n;
	else if (k->type == KT_ULLONG)
		*(unsigned long long *)(void *)at = n;
	else
		*(unsigned long *)(void *)at = n;
	return true;
}

bool
conf_set_key(struct reader *r, enum key_id id, const char *key,
    const char *v)
{
	const struct conf_key *k = &conf_keys[id];
	char *at = (char *)r->c + k->off;
	char expects[128];
	int e;

	if (k->line_off != 0)
		*(unsigned *)(void *)((char *)r->c + k->line_off) = r->line;
	switch (k->type) {
	case KT_BOOL:
		if (!parse_bool(v, (bool *)(void *)at)) {
			conf_error(r, r->line, key, "%s", "expects yes or no");
			return false;
		}
		return true;
	case KT_ENUM:
	case KT_FLAG:
		e = parse_enum(v, k->choices);
		if (e < 0) {
			join_choices(k->choices, expects, sizeof(expects));
			conf_error(r, r->line, key, "expects %s", expects);
			return false;
		}
		if (k->type == KT_FLAG)
			*(bool *)(void *)at = e == 1;
		else
			*(int *)(void *)at = e;
		return true;
	case KT_UINT:
	case KT_ULONG:
	case KT_ULLONG:
	case KT_DURATION:
		return set_number(r, k, key, v, at);
	case KT_ADDRESS:
		return *v == '\0' || conf_sender_value(r, key, v, at);
	case KT_PATH:
		return set_path(r, key, v, (char **)(void *)at);
	case KT_SECRET:
		return set_secret_max(r, key, v, (char **)(void *)at,
		    (size_t)k->max);
	case KT_TEXT:
	case KT_TEXT_SP:
		return set_visible(r, key, v, (char **)(void *)at,
		    (size_t)k->max, k->type == KT_TEXT_SP);
	case KT_CUSTOM:
		return k->parse(r, key, v);
	}
	return false;
}
