/* confcheck.c - what safemail.ini's keys must be taken together (see
 * confpriv.h): qualified addresses, the return path policy, each relay
 * section's AUTH, TLS and OAuth2 keys, the sender routes. Run once the
 * whole file is read; the first problem names its key and line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confpriv.h"
#include "limits.h"
#include "text.h"

#define M365_TOKEN_URL "https://login.microsoftonline.com/%s/oauth2/v2.0/token"
#define M365_SMTP_SCOPE "https://outlook.office365.com/.default"

static bool check_smtp(struct reader *r);
static bool resolve_sender_routes(struct reader *r);

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
		conf_error(r, r->key_line[id], conf_keys[id].name, "%s",
		    "a bare name needs [mail] domain to be set");
		return false;
	}
	st = addr_qualify(addr, r->c->domain, prof, out);
	if (st != ADDR_OK) {
		conf_error(r, r->key_line[id], conf_keys[id].name,
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

/* Two keys that say the same thing: one of them. */
static bool
one_of(struct reader *r, const void *a, enum key_id ka, const void *b,
    enum key_id kb)
{
	if (a == NULL || b == NULL)
		return true;
	conf_error(r, r->key_line[kb], conf_keys[kb].name, "%s is set too: give one "
	    "of them", conf_keys[ka].name);
	return false;
}

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

		conf_error(r, r->key_line[id], conf_keys[id].name, "%s",
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
			conf_error(r, r->key_line[id], conf_keys[id].name, "%s",
			    "set, but auth is not xoauth2 or oauthbearer");
			return false;
		}
	return true;
}

bool
conf_check_whole(struct reader *r)
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

		conf_error(r, r->key_line[id], conf_keys[id].name, "%s",
		    "tls_client_cert and tls_client_key go together");
		return false;
	}
	if (c->auth == AUTH_NONE && (c->username != NULL || c->password != NULL ||
					c->password_file != NULL)) {
		enum key_id id = c->username != NULL ? K_USERNAME
		    : c->password != NULL	     ? K_PASSWORD
						     : K_PASSWORD_FILE;

		conf_error(r, r->key_line[id], conf_keys[id].name, "%s",
		    "set, but auth = none (set auth = plain or login)");
		return false;
	}
	return true;
}

