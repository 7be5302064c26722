/* check.c - "safemail --check" */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "caller.h"
#include "check.h"
#include "explain.h"
#include "relay.h"
#include "sandbox_relay.h"
#include "text.h"
#include "verdict.h"

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *
or_unset(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "(not set)";
}

/* Text from the relay (capabilities, certificate names), made printable
 * so that a hostile relay cannot write to the admin's terminal. */
static const char *
shown(const char *p, size_t len, char *buf, size_t sz)
{
	text_show(buf, sz, p, len, 256);
	return buf;
}

static const char *
masked(const char *secret, const char *file)
{
	return secret == NULL ? "(not set)"
	    : file != NULL    ? "******** (read from its _file, not shown)"
			      : "******** (set, not shown)";
}

static void
print_oauth2(const struct conf *c)
{
	const struct conf_oauth2 *o = &c->oauth2;

	(void)printf("oauth2_token_url = %s%s\n", o->token_url,
	    o->tenant[0] != '\0' ? " (from oauth2_tenant)" : "");
	(void)printf("oauth2_client_id = %s\noauth2_scope = %s\n",
	    o->client_id, or_unset(o->scope));
	(void)printf("oauth2_client_secret = %s\n",
	    masked(o->client_secret, o->client_secret_file));
	if (o->client_secret_file != NULL)
		(void)printf("oauth2_client_secret_file = %s\n",
		    o->client_secret_file);
	(void)printf("oauth2_refresh_token = %s\n",
	    masked(o->refresh_token, o->refresh_token_file));
	if (o->refresh_token_file != NULL)
		(void)printf("oauth2_refresh_token_file = %s\n",
		    o->refresh_token_file);
	(void)printf("oauth2 grant = %s\n", o->refresh_token != NULL
		? "refresh_token"
		: "client_credentials");
}

/* One relay section: [smtp] or a [smtp.NAME] */
static void
print_smtp(const struct conf *c)
{
	static const char *const ssl[] = {"none", "tls", "ssl"};
	static const char *const auth[] = {"none", "plain", "login", "xoauth2",
	    "oauthbearer"};

	if (c->route_name[0] != '\0')
		(void)printf("\n[smtp.%s]\nhost = ", c->route_name);
	else
		(void)printf("\n[smtp]\nhost = ");
	for (size_t i = 0; i < c->nrelays; i++)
		(void)printf("%s%s:%u", i > 0 ? ", " : "", c->relays[i].host,
		    conf_relay_port(c, i));
	(void)printf("%s\nport = %u\nssl = %s\nauth = %s\n",
	    c->nrelays == 0 ? c->host : "", c->port, ssl[c->ssl],
	    auth[c->auth]);
	(void)printf("username = %s\npassword = %s\n", or_unset(c->username),
	    c->password == NULL	       ? "(not set)"
	    : c->password_file != NULL ? "******** (read from password_file, "
					 "not shown)"
				       : "******** (set, not shown)");
	if (c->password_file != NULL)
		(void)printf("password_file = %s\n", c->password_file);
	if (conf_is_oauth2(c))
		print_oauth2(c);
	(void)printf("tls_verify = %s\ntls_ca_file = %s\n",
	    yes_no(c->tls_verify),
	    c->tls_ca_file != NULL ? c->tls_ca_file
				   : "(not set: the system store)");
	(void)printf("tls_min_version = %s\ntls_pin = %s\n",
	    c->tls_min_version == TLS_V1_3 ? "1.3" : "1.2",
	    or_unset(c->tls_pin));
	(void)printf("tls_client_cert = %s\ntls_client_key = %s\n",
	    or_unset(c->tls_client_cert), or_unset(c->tls_client_key));
	(void)printf("allow_plaintext_auth = %s\nhelo_name = %s\n",
	    yes_no(c->allow_plaintext_auth), or_unset(c->helo_name));
	(void)printf("connect_timeout = %u\ncommand_timeout = %u\n"
		     "message_timeout = %u\n",
	    c->connect_timeout, c->command_timeout, c->message_timeout);
	if (c->route_name[0] == '\0')
		(void)printf("linger = %u\n", c->linger);
}

static void
print_config(const struct conf *c, const char *path)
{
	(void)printf("configuration: %s\n\n[mail]\n", path);
	(void)printf("disable = %s\nasync = %s\nreturn_path = %s\n",
	    yes_no(c->disable), yes_no(c->async),
	    conf_return_path_name(c->return_path));
	(void)printf("return_path_email = %s\ndefault_sender = %s\n",
	    or_unset(c->return_path_email), or_unset(c->default_sender));
	(void)printf("allowed_senders =");
	for (size_t i = 0; i < c->nallowed; i++)
		(void)printf(" %s", c->allowed_senders[i]);
	(void)printf("%s\n", c->nallowed == 0 ? " (any)" : "");
	(void)printf("domain = %s\nallow_null_sender = %s\n",
	    or_unset(c->domain), yes_no(c->allow_null_sender));
	(void)printf("max_recipients = %u\nmax_message_size = %lu%s\n",
	    c->max_recipients, c->max_message_size,
	    c->max_message_size == 0 ? " (no limit)" : "");
	(void)printf("long_lines = %s\n",
	    c->long_lines_refuse ? "refuse" : "split");
	print_smtp(c);
	for (size_t i = 0; i < c->nroutes; i++)
		print_smtp(c->routes[i]);
	if (c->nsender_routes > 0)
		(void)printf("\n[relay_by_sender]\n");
	for (size_t i = 0; i < c->nsender_routes; i++)
		(void)printf("%s = %s\n", c->sender_routes[i].pattern,
		    c->sender_routes[i].route == c
			? "smtp"
			: c->sender_routes[i].route->route_name);
	(void)printf("\n[queue]\nmax_queued_messages = %lu%s\n"
		     "max_queued_size = %llu%s\nmin_free_space = %llu%s\n",
	    c->quota.max_messages, c->quota.max_messages == 0 ? " (no limit)" : "",
	    c->quota.max_bytes, c->quota.max_bytes == 0 ? " (no limit)" : "",
	    c->quota.min_free, c->quota.min_free == 0 ? " (none)" : "");
	(void)printf("\n[aliases]\n");
	for (size_t i = 0; i < c->naliases; i++) {
		(void)printf("%s =", c->aliases[i].name);
		for (size_t k = 0; k < c->aliases[i].naddrs; k++)
			(void)printf(" %s", c->aliases[i].addrs[k]);
		(void)printf("\n");
	}
}

static void
print_policy(const struct conf *c)
{
	(void)printf("\npolicy: ");
	switch (c->return_path) {
	case RETURN_PATH_NO:
		(void)printf("the envelope sender is %s; a caller's -f is "
			     "ignored\n",
		    c->default_sender[0] != '\0' ? c->default_sender
						 : "the caller's login@domain");
		break;
	case RETURN_PATH_SPECIFIED:
		(void)printf("the envelope sender is always %s\n",
		    c->return_path_email);
		break;
	case RETURN_PATH_YES:
		(void)printf("a caller's -f is used when it is a valid "
			     "address%s; else the From: header, else %s\n",
		    c->nallowed > 0 ? " matching allowed_senders" : "",
		    c->default_sender[0] != '\0' ? c->default_sender
						 : "login@domain");
		break;
	}
	if (c->disable)
		(void)printf("disable = yes: messages are read, checked and "
			     "discarded\n");
}

static void
say_failover(void *ctx, const struct relay_status *st)
{
	(void)ctx;
	(void)printf("relay %s cannot be used (%s): trying the next one\n",
	    st->relay, st->detail);
}

/* Connect to one relay section's relays as a delivery would, AUTH
 * included, and quit without sending. */
static int
check_relay(const struct conf *c, struct failure *f)
{
	struct relay_options ro;
	struct relay_status st;
	struct relay *r;
	char helo[ADDR_BUFSZ], relay[ADDR_BUFSZ + 8];
	char subject[256], issuer[256], b1[300], b2[300];

	local_host_name(c->helo_name, helo, sizeof(helo));
	(void)snprintf(relay, sizeof(relay), "%s:%u", c->host,
	    conf_relay_port(c, 0));
	(void)printf("\n%s%s%sconnecting to %s as %s (%s)...\n",
	    c->route_name[0] != '\0' ? "[smtp." : "", c->route_name,
	    c->route_name[0] != '\0' ? "]: " : "", relay, helo,
	    c->ssl == SSL_IMPLICIT   ? "implicit TLS"
	    : c->ssl == SSL_STARTTLS ? "STARTTLS required"
				     : "no TLS");
	(void)fflush(stdout);
	memset(&ro, 0, sizeof(ro));
	ro.helo = helo;
	ro.on_failover = say_failover;
	ro.fresh_token = true; /* prove the endpoint, not the cache */
	r = relay_open(c, &ro, &st);
	if (r == NULL) {
		verdict_session(&st, st.relay, f);
		if (st.code != 0)
			(void)explain_add(f, st.reply, conf_is_oauth2(c)
				? EXPLAIN_OAUTH2
				: EXPLAIN_PASSWORD);
		(void)printf("FAILED: %s\n", f->msg);
		(void)fflush(stdout);
		return -1;
	}
	(void)printf("TLS: %s\n", relay_tls_version(r));
	relay_peer(r, subject, sizeof(subject), issuer, sizeof(issuer));
	if (subject[0] != '\0')
		(void)printf("certificate: subject %s\n             issuer  %s\n"
			     "             %s\n",
		    shown(subject, strlen(subject), b1, sizeof(b1)),
		    shown(issuer, strlen(issuer), b2, sizeof(b2)),
		    c->tls_verify ? "verified (chain and host name)"
				  : "NOT verified (tls_verify = no)");
	(void)printf("relay offers:\n");
	for (const char *p = relay_ehlo_lines(r); *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		(void)printf("  %s\n", shown(p, n, b1, sizeof(b1)));
		p += n + (nl != NULL);
	}
	if (conf_is_oauth2(c))
		(void)printf("OAuth2: an access token %s (%s)\n",
		    relay_token_note(r), c->oauth2.token_url);
	(void)printf("authentication: %s\n",
	    c->auth == AUTH_NONE	    ? "none configured"
	    : !relay_authenticated(r)	    ? "NOT done"
	    : c->auth == AUTH_PLAIN	    ? "AUTH PLAIN accepted (235)"
	    : c->auth == AUTH_LOGIN	    ? "AUTH LOGIN accepted (235)"
	    : c->auth == AUTH_XOAUTH2 ? "AUTH XOAUTH2 accepted (235)"
				      : "AUTH OAUTHBEARER accepted (235)");
	relay_close(r, true);
	return 0;
}

int
check_run(const struct conf *c, const char *path, const char *spool_path,
    struct failure *f)
{
	struct failure first = {FAIL_NONE, ""};
	int rc = 0;

	print_config(c, path);
	print_policy(c);
	/* what a delivery's relay client enforces (this one does not: it
	 * reads the configuration's files to report on them) */
	relay_sandbox_print(c, spool_path, stdout);
	/* every relay section, each tried even when one before failed */
	for (size_t i = 0; i <= c->nroutes; i++) {
		if (check_relay(i == 0 ? c : c->routes[i - 1], f) != 0) {
			if (rc == 0)
				first = *f;
			rc = -1;
		}
	}
	if (rc != 0) {
		*f = first;
		return -1;
	}
	(void)printf("OK: the relay%s ready; nothing was sent.\n",
	    c->nroutes > 0 ? "s are" : " is");
	return fflush(stdout) == 0 ? 0 : -1;
}
