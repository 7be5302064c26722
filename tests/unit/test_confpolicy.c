/* test_confpolicy.c - the policy the gate sends the front end (issue 26,
 * point 2): written from the parsed configuration, it holds no secret
 * however the file spelt it ("password: x", "password : a=b", a secret in
 * [smtp.NAME]), no key off the allow-list (the key table is walked), and
 * conf_parse reads it back to the same front-end settings. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confpriv.h"
#include "tap.h"

/* The policy of a configuration text, or NULL (the reason in f) */
static char *
policy_of(const char *text, struct conf *c, struct failure *f)
{
	char *p = NULL;
	size_t len = 0;

	if (conf_parse(text, strlen(text), "t.ini", c, f) != 0)
		return NULL;
	if (conf_policy_text(c, 65536, &p, &len, f) != 0)
		return NULL;
	if (strlen(p) != len) {
		free(p);
		return NULL;
	}
	return p;
}

/* Every setting the front end reads (src/front, sender.c) is the same. */
static bool
same_for_front_end(const struct conf *a, const struct conf *b, char *why,
    size_t whysz)
{
#define SAME(cond, name)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			(void)snprintf(why, whysz, "%s differs", name);        \
			return false;                                          \
		}                                                              \
	} while (0)
	SAME(a->disable == b->disable, "disable");
	SAME(a->async == b->async, "async");
	SAME(a->return_path == b->return_path, "return_path");
	SAME(strcmp(a->return_path_email, b->return_path_email) == 0,
	    "return_path_email");
	SAME(strcmp(a->default_sender, b->default_sender) == 0,
	    "default_sender");
	SAME(a->nallowed == b->nallowed, "the number of allowed_senders");
	for (size_t i = 0; i < a->nallowed; i++)
		SAME(strcmp(a->allowed_senders[i], b->allowed_senders[i]) == 0,
		    "an allowed_senders pattern");
	SAME(strcmp(a->domain, b->domain) == 0, "domain");
	SAME(a->allow_null_sender == b->allow_null_sender,
	    "allow_null_sender");
	SAME(a->max_recipients == b->max_recipients, "max_recipients");
	SAME(a->long_lines_refuse == b->long_lines_refuse, "long_lines");
	SAME(a->max_message_size == b->max_message_size, "max_message_size");
	SAME(a->bs_idle_timeout == b->bs_idle_timeout, "bs_idle_timeout");
	SAME(a->header_from_envelope == b->header_from_envelope,
	    "header_from");
	SAME(strcmp(a->helo_name, b->helo_name) == 0, "helo_name");
	SAME(a->naliases == b->naliases, "the number of aliases");
	for (size_t i = 0; i < a->naliases; i++) {
		const struct alias *x = &a->aliases[i], *y = &b->aliases[i];

		SAME(strcmp(x->name, y->name) == 0, "an alias name");
		SAME(x->naddrs == y->naddrs, "an alias's number of addresses");
		for (size_t k = 0; k < x->naddrs; k++)
			SAME(strcmp(x->addrs[k], y->addrs[k]) == 0,
			    "an alias address");
	}
	return true;
#undef SAME
}

/* Parse the policy back: it must parse, and give the same settings. */
static void
round_trip(const char *what, const char *text)
{
	struct conf a, b;
	struct failure f = {FAIL_NONE, ""};
	char why[128] = "";
	char *p = policy_of(text, &a, &f);

	ok(p != NULL, "%s: a policy is written", what);
	if (p == NULL) {
		printf("#   %s\n", f.msg);
		return;
	}
	if (conf_parse(p, strlen(p), "policy", &b, &f) == 0) {
		ok(same_for_front_end(&a, &b, why, sizeof(why)),
		    "%s: the policy parses to the same settings for the front "
		    "end %s", what, why);
		conf_free(&b);
	} else {
		ok(0, "%s: the policy parses: %s", what, f.msg);
		printf("#   policy:\n%s", p);
	}
	free(p);
	conf_free(&a);
}

/* A key's line ("name = ...", "name=...", any case) in the policy */
static bool
has_key_line(const char *p, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = p; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');

		if (strncasecmp(line, name, n) == 0 &&
		    (line[n] == ' ' || line[n] == '=' || line[n] == ':'))
			return true;
		line = nl != NULL ? nl + 1 : NULL;
	}
	return false;
}

/* The secrets as they were written: each a distinct substring, none of
 * which may be in any policy. */
#define SECRET_CONF(pw_line)                                                   \
	"[mail]\ndomain = example.com\n[smtp]\nhost = relay-HOSTSECRET.example\n" \
	"ssl = tls\nauth = plain\nusername = USERSECRET\n" pw_line "\n"

static const struct {
	const char *what;
	const char *text;
	const char *secrets[4];
} secret_cases[] = {
	{"password: secret", SECRET_CONF("password: PWCOLON"), {"PWCOLON"}},
	{"password : a=b", SECRET_CONF("password : PWA=PWB"), {"PWA", "PWB"}},
	{"PASSWORD=secret", SECRET_CONF("PASSWORD=PWUPPER"), {"PWUPPER"}},
	{"password = a ;comment", SECRET_CONF("password = PWSEMI;x ; comment"),
	    {"PWSEMI"}},
	{"password with spaces", SECRET_CONF("password :  PW SPACE  "),
	    {"PW SPACE", "PW"}},
	{"password_file", SECRET_CONF("password_file: /etc/PWFILESECRET"),
	    {"PWFILESECRET"}},
	{"oauth2_client_secret: x",
	    "[smtp]\nhost = smtp.example.com\nssl = tls\nauth = xoauth2\n"
	    "username: u@example.com\noauth2_token_url: https://t.example/"
	    "TOKURL\noauth2_client_id: CIDSECRET\n"
	    "oauth2_client_secret: CSCOLON\noauth2_scope: SCOPESECRET x\n",
	    {"CSCOLON", "CIDSECRET", "TOKURL", "SCOPESECRET"}},
	{"oauth2_refresh_token : a=b",
	    "[smtp]\nhost = smtp.example.com\nssl = tls\nauth = oauthbearer\n"
	    "username = u@example.com\noauth2_tenant = TENANTSECRET.example\n"
	    "oauth2_client_id = c\noauth2_refresh_token : RTA=RTB\n",
	    {"RTA", "RTB", "TENANTSECRET"}},
	{"the _file secrets",
	    "[smtp]\nhost = smtp.example.com\nssl = tls\nauth = xoauth2\n"
	    "username = u@example.com\noauth2_tenant = t.example\n"
	    "oauth2_client_id = c\noauth2_client_secret_file:/etc/CSFILE\n"
	    "oauth2_refresh_token_file:/etc/RTFILE\n",
	    {"CSFILE", "RTFILE"}},
	{"secrets in [smtp.NAME]",
	    "[mail]\ndomain = example.com\n[smtp.brand]\nhost = b.example\n"
	    "ssl = tls\nauth = login\nusername: ROUTEUSER\n"
	    "password: ROUTEPW\n[smtp.oa]\nhost = o.example\nssl = tls\n"
	    "auth = xoauth2\nusername = u@example.com\n"
	    "oauth2_token_url = https://t.example/t\noauth2_client_id = c\n"
	    "oauth2_client_secret : ROUTECS=ROUTECS2\n"
	    "[relay_by_sender]\n*@brand.example = brand\n",
	    {"ROUTEUSER", "ROUTEPW", "ROUTECS", "brand"}},
	{"TLS files and pins",
	    "[smtp]\nhost = r.example\nssl = tls\ntls_client_cert = /etc/"
	    "CERTSECRET\ntls_client_key = /etc/KEYSECRET\ntls_ca_file = /etc/"
	    "CASECRET\ntls_pin = sha256//"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	    {"CERTSECRET", "KEYSECRET", "CASECRET", "AAAAAAAA"}},
};

static void
test_no_secret(void)
{
	for (size_t i = 0; i < sizeof(secret_cases) / sizeof(*secret_cases);
	     i++) {
		struct conf c;
		struct failure f = {FAIL_NONE, ""};
		char *p = policy_of(secret_cases[i].text, &c, &f);
		bool clean = p != NULL;

		for (size_t k = 0; p != NULL && k < 4; k++) {
			const char *s = secret_cases[i].secrets[k];

			if (s != NULL && strstr(p, s) != NULL) {
				printf("#   '%s' in:\n%s", s, p);
				clean = false;
			}
		}
		ok(clean, "%s: no secret, credential or relay in the policy%s%s",
		    secret_cases[i].what, p == NULL ? ": " : "",
		    p == NULL ? f.msg : "");
		if (p != NULL)
			conf_free(&c);
		free(p);
		round_trip(secret_cases[i].what, secret_cases[i].text);
	}
}

/* Every key of the table set, with the secrets' values marked: the
 * policy holds only the allow-list's keys, and none of their values. */
static const char *const every_key[] = {
	"[mail]\ndisable = no\nasync = yes\nreturn_path = specified\n"
	"return_path_email = bounce\ndefault_sender = shop\n"
	"allowed_senders = *@example.com\ndomain = example.com\n"
	"allow_null_sender = yes\nmax_recipients = 50\n"
	"max_message_size = 1000000\nlong_lines = refuse\n"
	"bs_idle_timeout = 60\nheader_from = envelope\nsandbox = yes\n"
	"[smtp]\nhost = a.example:587, b.example\nport = 2525\nssl = tls\n"
	"auth = plain\nusername = V-USERNAME\npassword = V-PASSWORD\n"
	"tls_verify = yes\ntls_ca_file = /V-CA\ntls_min_version = 1.3\n"
	"tls_pin = sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=\n"
	"tls_client_cert = /V-CERT\ntls_client_key = /V-KEY\n"
	"allow_plaintext_auth = no\nhelo_name = web1.example.com\n"
	"connect_timeout = 7\ncommand_timeout = 8\nmessage_timeout = 9\n"
	"rate = 30\nlinger = 3\n"
	"[smtp.pwfile]\nhost = c.example\nssl = tls\nauth = login\n"
	"username = V-USER2\npassword_file = /V-PWFILE\n"
	"[smtp.oa]\nhost = d.example\nssl = tls\nauth = xoauth2\n"
	"username = V-USER3\noauth2_token_url = https://V-URL.example/t\n"
	"oauth2_client_id = V-CLIENTID\noauth2_client_secret = V-CSECRET\n"
	"oauth2_scope = V-SCOPE\noauth2_refresh_token = V-RTOKEN\n"
	"[smtp.ob]\nhost = e.example\nssl = tls\nauth = oauthbearer\n"
	"username = V-USER4\noauth2_tenant = V-TENANT.example\n"
	"oauth2_client_id = c\noauth2_client_secret_file = /V-CSFILE\n"
	"oauth2_refresh_token_file = /V-RTFILE\n"
	"[queue]\nretry = 1m, 5m\nmax_age = 2d\non_temp_failure = fail\n"
	"bounce_admin = V-ADMIN@example.com\nconnections = 2\n"
	"max_queued_messages = 10\nmax_queued_size = 1000000\n"
	"min_free_space = 1000\n"
	"[limits]\nlimit_notify = V-NOTIFY@example.com\n"
	"script_uid_must_match = yes\ndefault = 20/hour\n"
	"[gate]\nsubmit_users = V-SUBMITTER\nsubmit_groups = V-SUBMITGROUP\n"
	"[relay_by_sender]\nV-PATTERN@example.com = oa\n"
	"[aliases]\nroot = admin@example.org\n",
};

static bool
on_allow_list(enum key_id id)
{
	for (size_t i = 0; i < conf_policy_nkeys; i++)
		if (conf_policy_keys[i] == id)
			return true;
	return false;
}

static void
test_key_table(void)
{
	struct conf c;
	struct failure f = {FAIL_NONE, ""};
	char *p = policy_of(every_key[0], &c, &f);
	enum section last = SEC_NONE;
	bool grouped = true;

	ok(p != NULL, "a configuration with every key: a policy");
	if (p == NULL) {
		printf("#   %s\n", f.msg);
		return;
	}
	for (enum key_id id = 0; id < K_COUNT; id++) {
		const struct conf_key *k = &conf_keys[id];
		char set[64];

		/* the walk covers the whole table: a new key must be added to
		 * every_key, and then it is checked like the others */
		(void)snprintf(set, sizeof(set), "\n%s = ", k->name);
		ok(strstr(every_key[0], set) != NULL,
		    "key table: %s is set in the test configuration", k->name);
		if (!on_allow_list(id)) {
			ok(!has_key_line(p, k->name),
			    "key table: %s (not on the allow-list) is not in "
			    "the policy", k->name);
			continue;
		}
		ok(k->type != KT_SECRET && k->type != KT_TEXT &&
			k->type != KT_TEXT_SP && k->type != KT_PATH &&
			k->line_off == 0,
		    "key table: %s, on the allow-list, is no secret, text or "
		    "file name", k->name);
		ok(has_key_line(p, k->name),
		    "key table: %s (on the allow-list) is in the policy",
		    k->name);
	}
	for (size_t i = 0; i < conf_policy_nkeys; i++) {
		enum section s = conf_keys[conf_policy_keys[i]].sec;

		grouped &= s == last || s > last;
		last = s;
	}
	ok(grouped, "the allow-list is grouped by section (each section "
		    "written once)");
	ok(strstr(p, "V-") == NULL, "no value of a key off the allow-list is "
				    "in the policy");
	ok(strstr(p, "[smtp.") == NULL && strstr(p, "[queue]") == NULL &&
		strstr(p, "[limits]") == NULL &&
		strstr(p, "[relay_by_sender]") == NULL,
	    "no [smtp.NAME], [queue], [limits] or [relay_by_sender] section");
	free(p);
	conf_free(&c);
	round_trip("every key", every_key[0]);
}

/* The canonical form, whole. */
static void
test_canonical(void)
{
	struct conf c;
	struct failure f = {FAIL_NONE, ""};
	char *p = policy_of("[mail]\nDOMAIN: Example.COM\n"
			    "default_sender = <Shop@Example.COM>\n"
			    "allowed_senders = *@Example.com,\tnews@*.example.org\n"
			    "[smtp]\nhelo_name=web1.example.com\npassword: p\n"
			    "auth = plain\nusername = u\nssl = tls\n"
			    "[aliases]\nRoot = Admin <admin@example.org>, "
			    "ops@EXAMPLE.com ; a comment\nwebmaster: root\n",
	    &c, &f);

	is_str(p,
	    "; safemail-gate's policy for the front end\n"
	    "[mail]\ndisable = no\nasync = no\nreturn_path = no\n"
	    "default_sender = Shop@example.com\n"
	    "allowed_senders = *@example.com,news@*.example.org\n"
	    "domain = example.com\nallow_null_sender = no\n"
	    "max_recipients = 1000\nmax_message_size = 52428800\n"
	    "long_lines = split\nbs_idle_timeout = 300\n"
	    "header_from = keep\n[smtp]\nhelo_name = web1.example.com\n"
	    "[aliases]\nroot = admin@example.org,ops\nwebmaster = root\n",
	    "the policy: every allow-listed key in one form, the [aliases] "
	    "with addresses at the domain bare");
	if (p != NULL)
		conf_free(&c);
	free(p);
}

/* Values at the edges: what inih trims, splits or cuts. */
static void
test_round_trips(void)
{
	char text[4096];
	size_t o, value;

	round_trip("defaults", "");
	round_trip("keys in any case, ':' as the delimiter, comments",
	    "[MAIL]\nDisable: YES\nAsync:on\nreturn_path : yes\n"
	    "Max_Message_Size:0 ; no limit\nmax_recipients=1\n"
	    "LONG_LINES = Refuse\n# comment\nallow_null_sender = 1\n"
	    "Header_From: ENVELOPE\n");
	round_trip("return_path = specified, bare addresses qualified",
	    "[mail]\ndomain = shop.example\nreturn_path = specified\n"
	    "return_path_email = bounces\ndefault_sender = shop.orders\n");
	round_trip("aliases: bare, explicit, display names, groups, an "
		   "apostrophe, a comment",
	    "[mail]\ndomain = example.com\n[aliases]\n"
	    "root = admin, Ops <ops@example.com>, x@example.org ; c\n"
	    "team: staff: a@example.org, b; , o'neil@example.net\n"
	    "postmaster = root@EXAMPLE.COM\n");
	round_trip("aliases without a domain", "[aliases]\nroot = a@b.example\n");
	round_trip("values with marks inih could take for its own",
	    "[mail]\ndomain = example.com\n"
	    "allowed_senders = a=b@example.com, x+y@example.com\n"
	    "[aliases]\nweb.master_1 = c=d@example.com, e+f@example.com\n");
	/* an [aliases] line at the line limit (a name of 22, a value of
	 * 1000 bytes): written without the spaces, which would not fit */
	o = (size_t)snprintf(text, sizeof(text), "%s",
	    "[mail]\ndomain = example.com\n[aliases]\nlong-alias-name-012345=");
	for (value = o; o - value + 8 + 16 < CONF_VALUE_MAX;)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "a@x.org,");
	while (o - value + 6 < CONF_VALUE_MAX)
		text[o++] = 'b';
	o += (size_t)snprintf(text + o, sizeof(text) - o, "@x.org\n");
	round_trip("an alias line at the line limit", text);
	{
		struct conf c;
		struct failure f = {FAIL_NONE, ""};
		char *p = policy_of(text, &c, &f);

		ok(p != NULL && strstr(p, "\nlong-alias-name-012345=a@x.org,") !=
			NULL,
		    "  that line is written as name=value");
		if (p != NULL)
			conf_free(&c);
		free(p);
	}
}

/* Over the size the socket carries: a refusal, not a cut text. */
static void
test_too_large(void)
{
	struct conf c;
	struct failure f = {FAIL_NONE, ""};
	char *p = NULL;
	size_t len = 0;
	const char *text = "[aliases]\nroot = a@example.org\n";

	if (conf_parse(text, strlen(text), "t.ini", &c, &f) != 0) {
		ok(0, "parse: %s", f.msg);
		return;
	}
	ok(conf_policy_text(&c, 100, &p, &len, &f) != 0 &&
		p == NULL && f.kind == FAIL_CONFIG &&
		strstr(f.msg, "more than 100") != NULL,
	    "a policy over the limit is refused: %s", f.msg);
	ok(conf_policy_text(&c, 65536, &p, &len, &f) == 0, "the policy");
	free(p);
	p = NULL;
	ok(conf_policy_text(&c, len, &p, &len, &f) == 0 && p != NULL,
	    "a policy of exactly the limit is written");
	free(p);
	p = NULL;
	ok(conf_policy_text(&c, len - 1, &p, &len, &f) != 0 && p == NULL,
	    "one byte less is refused");
	conf_free(&c);
}

/* The other way round: the front end reads no field of struct conf that
 * the policy leaves out (it would see the default there, not the file's
 * value). A scan of src/front and sender.c for "->FIELD" or ".FIELD";
 * "host" and "port" are left out (other structs there have them). */
static const char *const back_end_fields[] = {"nrelays", "relays", "ssl",
    "auth", "username", "password", "password_file", "oauth2",
    "tls_verify", "tls_ca_file", "tls_min_version", "tls_pin",
    "tls_client_cert", "tls_client_key", "allow_plaintext_auth",
    "connect_timeout", "command_timeout", "message_timeout", "linger",
    "rate", "retry", "nretry", "max_age", "temp_failure_fails",
    "bounce_admin", "connections", "quota", "nlimit_rules", "limit_rules",
    "limit_notify", "script_uid_must_match", "password_line",
    "client_secret_line", "refresh_token_line", "route_name", "nroutes",
    "routes", "nsender_routes", "sender_routes", "nsubmit_users",
    "submit_users", "nsubmit_groups", "submit_groups"};

static bool
is_ident(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

static void
scan_source(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *text;
	long n;
	bool clean = true;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (text = malloc((size_t)n + 1)) == NULL) {
		ok(0, "read %s", path);
		if (fp != NULL)
			(void)fclose(fp);
		return;
	}
	text[fread(text, 1, (size_t)n, fp)] = '\0';
	(void)fclose(fp);
	for (size_t i = 0; i < sizeof(back_end_fields) / sizeof(*back_end_fields);
	     i++) {
		const char *f = back_end_fields[i];
		size_t fl = strlen(f);

		for (const char *q = text; (q = strstr(q, f)) != NULL; q += fl) {
			bool member = (q - text >= 2 && q[-2] == '-' &&
					  q[-1] == '>') ||
			    (q - text >= 1 && q[-1] == '.');

			if (member && !is_ident(q[fl])) {
				printf("#   %s reads %s\n", path, f);
				clean = false;
			}
		}
	}
	ok(clean, "%s reads only what the policy carries", path);
	free(text);
}

static void
test_front_reads(void)
{
	const char *top = getenv("top_srcdir");
	static const char *const files[] = {"argv", "bs", "bsmode", "envelope",
	    "fromalign", "hdr", "localhost", "main", "msg", "norm", "submit"};
	char path[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		(void)snprintf(path, sizeof(path), "%s/src/front/%s.c",
		    top != NULL ? top : ".", files[i]);
		scan_source(path);
	}
	(void)snprintf(path, sizeof(path), "%s/src/lib/sender.c",
	    top != NULL ? top : ".");
	scan_source(path);
}

int
main(void)
{
	test_no_secret();
	test_key_table();
	test_canonical();
	test_round_trips();
	test_too_large();
	test_front_reads();
	return done_testing();
}
