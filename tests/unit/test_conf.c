/* test_conf.c - the configuration reader: values, defaults, every error */
#include "config.h"

#include <stdlib.h>

#include "conf.h"
#include "tap.h"

static const struct {
	const char *text;
	const char *error; /* exact message, or NULL when valid */
} cases[] = {
	{"", NULL},
	{"; only a comment\n# another\n\n", NULL},
	{"[mail]\ndomain = example.com\n", NULL},
	{"\xef\xbb\xbf[mail]\ndomain = example.com\n", NULL},
	{"[mail]\r\ndomain = example.com\r\n", NULL},
	{"[mail]\ndisable = yes ; inline comment\n", NULL},
	/* Unknown and misplaced things. */
	{"[mail]\nhots = x\n", "t.ini:2: hots: unknown key in [mail]"},
	{"[smtp]\nreturn_path = yes\n",
	    "t.ini:2: return_path: unknown key in [smtp]"},
	{"[mial]\n",
	    "t.ini:1: [mial]: unknown section (expected [mail], [smtp], "
	    "[smtp.NAME], [queue], [relay_by_sender], [limits] or [aliases])"},
	{"host = x\n",
	    "t.ini:1: host: key outside a section ([mail], [smtp] or "
	    "[aliases])"},
	{"[mail] junk\n", "t.ini:1: text after ']'"},
	{"[mail\n", "t.ini:1: section line without ']'"},
	{"[mail]\njust words\n",
	    "t.ini:2: expected 'key = value', a [section] or a comment"},
	/* A rejected line's text reaches every caller's stderr: only a
	 * known key is named, never what could be a wrapped or undelimited
	 * secret (issue 26). */
	{"[smtp]\npassword =\n  Pw-7q!Z3-secret\n",
	    "t.ini:3: indented line (continuation lines are not supported)"},
	{"[smtp]\npassword Pw7qZ3secret\n",
	    "t.ini:2: expected 'key = value', a [section] or a comment"},
	{"[smtp]\noauth2_refresh_token 1//0gPw-secret\n",
	    "t.ini:2: expected 'key = value', a [section] or a comment"},
	{"[smtp]\npassword Pw-7q!Z3 = x\n", "t.ini:2: unknown key in [smtp]"},
	{"[smtp]\nPw7qZ3:secret\x01\n", "t.ini:2: control character"},
	/* Duplicates. */
	{"[mail]\nasync = no\nasync = yes\n",
	    "t.ini:3: async: duplicate key (first set on line 2)"},
	{"[mail]\n[smtp]\n[mail]\n",
	    "t.ini:3: mail: section repeated (first on line 1)"},
	{"[aliases]\nroot = a@x.org\nROOT = b@x.org\n",
	    "t.ini:3: ROOT: alias defined twice (first on line 2)"},
	/* inih's traps: continuation lines, over-long lines, NUL, BOM. */
	{"[smtp]\nhost = a.example\n  port = 25\n",
	    "t.ini:3: port: indented line (continuation lines are not "
	    "supported)"},
	{"[smtp]\nhost = a\x01.example\n", "t.ini:2: host: control character"},
	{"[smtp]\nhost = relay.\xef\xbb\xbf" "example\n",
	    "t.ini:2: host: byte-order mark inside the file"},
	/* Bad values. */
	{"[mail]\ndisable = maybe\n", "t.ini:2: disable: expects yes or no"},
	{"[mail]\nreturn_path = sometimes\n",
	    "t.ini:2: return_path: expects no, yes or specified"},
	{"[mail]\ndefault_sender = \"x y\"@example.com\n",
	    "t.ini:2: default_sender: the address has a local part outside the "
	    "allowed characters"},
	{"[mail]\ndomain = localhost\n",
	    "t.ini:2: domain: the domain has a domain without a dot"},
	{"[mail]\nallowed_senders = *@example.com, evil\n",
	    "t.ini:2: allowed_senders: each pattern must be local@domain ('*' "
	    "matches any characters)"},
	{"[mail]\nmax_recipients = 0\n",
	    "t.ini:2: max_recipients: expects a number from 1 to 100000"},
	{"[smtp]\nport = 70000\n",
	    "t.ini:2: port: expects a port number from 1 to 65535"},
	{"[smtp]\nport = 25x\n",
	    "t.ini:2: port: expects a port number from 1 to 65535"},
	{"[smtp]\nhost = relay example\n",
	    "t.ini:2: host: expects a host name, an IPv4 address or an [IPv6] "
	    "address (HOST or HOST:PORT, separated by commas)"},
	{"[smtp]\nssl = starttls\n", "t.ini:2: ssl: expects none, tls or ssl"},
	{"[smtp]\nauth = cram-md5\n",
	    "t.ini:2: auth: expects none, plain, login, xoauth2 or "
	    "oauthbearer"},
	/* OAuth2 (issue 16): an endpoint, a client, a secret or a refresh
	 * token, and nothing of a password. */
#define OA "[smtp]\nssl = tls\nauth = xoauth2\nusername = u@example.com\n"
	{OA "oauth2_tenant = contoso.onmicrosoft.com\noauth2_client_id = c\n"
	    "oauth2_client_secret = s\n", NULL},
	{OA "oauth2_token_url = https://oauth2.googleapis.com/token\n"
	    "oauth2_client_id = c\noauth2_refresh_token_file = /etc/rt\n",
	    NULL},
	{OA "oauth2_client_id = c\noauth2_client_secret = s\n",
	    "t.ini:3: auth: needs oauth2_token_url (or oauth2_tenant for "
	    "Microsoft 365)"},
	{OA "oauth2_tenant = t\noauth2_client_secret = s\n",
	    "t.ini:3: auth: needs oauth2_client_id"},
	{OA "oauth2_tenant = t\noauth2_client_id = c\n",
	    "t.ini:3: auth: needs oauth2_client_secret (or its _file) for the "
	    "client-credentials grant, or oauth2_refresh_token (or its _file)"},
	{"[smtp]\nssl = tls\nauth = oauthbearer\noauth2_tenant = t\n"
	    "oauth2_client_id = c\noauth2_client_secret = s\n",
	    "t.ini:3: auth: needs username (the mailbox the token is for)"},
	{OA "oauth2_tenant = t\noauth2_client_id = c\n"
	    "oauth2_client_secret = s\npassword = p\n",
	    "t.ini:8: password: not used with an OAuth2 auth (the oauth2_ keys "
	    "say how the token is had)"},
	{OA "oauth2_tenant = t\noauth2_token_url = https://x.example/t\n"
	    "oauth2_client_id = c\noauth2_client_secret = s\n",
	    "t.ini:5: oauth2_tenant: oauth2_token_url is set too: give one of "
	    "them"},
	{OA "oauth2_tenant = t\noauth2_client_id = c\n"
	    "oauth2_client_secret = s\noauth2_client_secret_file = /etc/s\n",
	    "t.ini:8: oauth2_client_secret_file: oauth2_client_secret is set "
	    "too: give one of them"},
	{OA "oauth2_token_url = http://login.example/token\n",
	    "t.ini:5: oauth2_token_url: expects an https:// address"},
	{OA "oauth2_token_url = https:///token\n",
	    "t.ini:5: oauth2_token_url: expects an https:// address"},
	{OA "oauth2_tenant = contoso/../x\n",
	    "t.ini:5: oauth2_tenant: expects the tenant's id or domain name "
	    "(letters, digits, '-' and '.')"},
	{OA "oauth2_client_id = a b\n",
	    "t.ini:5: oauth2_client_id: expects visible ASCII, no spaces"},
	{OA "oauth2_scope = https://mail.google.com/ \xc3\xa9\n",
	    "t.ini:5: oauth2_scope: expects visible ASCII and spaces"},
	{"[smtp]\nauth = plain\nusername = u\npassword = p\n"
	    "allow_plaintext_auth = yes\noauth2_client_id = c\n",
	    "t.ini:6: oauth2_client_id: set, but auth is not xoauth2 or "
	    "oauthbearer"},
	{"[smtp]\nhost = smtp.example.net\nauth = xoauth2\nusername = u\n"
	    "oauth2_tenant = t\noauth2_client_id = c\n"
	    "oauth2_client_secret = s\n",
	    "t.ini:3: auth: would send the access token in clear text: set ssl "
	    "= tls or ssl (or allow_plaintext_auth = yes; loopback counts only "
	    "on a port below 1024)"},
#undef OA
	/* [smtp.NAME] and [relay_by_sender] (issue 16, relay by sender) */
	{"[smtp.brand-b]\nhost = b.example\nauth = plain\nusername = u\n"
	    "password = p\nssl = tls\n[relay_by_sender]\n*@brand-b.example = "
	    "brand-b\nnews@*.example.org = smtp\n", NULL},
	{"[smtp.Brand]\nhost = b.example\n",
	    "t.ini:1: [smtp.Brand]: a relay name is 1 to 32 of a-z, 0-9, '-' "
	    "and '_'"},
	{"[smtp.]\nhost = b.example\n",
	    "t.ini:1: [smtp.]: a relay name is 1 to 32 of a-z, 0-9, '-' and "
	    "'_'"},
	{"[smtp.b]\nhost = b.example\n[smtp.b]\n",
	    "t.ini:3: [smtp.b]: section repeated"},
	{"[smtp.b]\nport = 587\n", "t.ini:1: [smtp.b]: needs host"},
	{"[smtp.b]\nhost = b.example\nlinger = 5\n",
	    "t.ini:3: linger: not per relay: set it in [smtp]"},
	{"[smtp.b]\nhost = b.example\nreturn_path = yes\n",
	    "t.ini:3: return_path: unknown key in [smtp.NAME]"},
	{"[smtp.b]\nhost = b.example\nauth = plain\nusername = u\n",
	    "t.ini:3: auth: needs username and password (or password_file)"},
	{"[smtp.b]\nhost = b.example\nhost = c.example\n",
	    "t.ini:3: host: duplicate key (first set on line 2)"},
	{"[smtp]\nhost = a.example\n[smtp.b]\nhost = b.example\n", NULL},
	{"[relay_by_sender]\n*@b.example = nosuch\n",
	    "t.ini:2: *@b.example: no [smtp.nosuch] section"},
	{"[relay_by_sender]\nb.example = smtp\n",
	    "t.ini:2: b.example: each pattern must be local@domain ('*' "
	    "matches any characters)"},
	{"[relay_by_sender]\n*@b.example;x = smtp\n",
	    "t.ini:2: *@b.example;x: pattern holds a character that no valid "
	    "sender can hold"},
	{"[smtp]\ntls_min_version = 1.0\n",
	    "t.ini:2: tls_min_version: expects 1.2 or 1.3"},
	{"[smtp]\ntls_ca_file = certs/ca.pem\n",
	    "t.ini:2: tls_ca_file: expects an absolute file name"},
	{"[smtp]\ntls_verify = sure\n", "t.ini:2: tls_verify: expects yes or no"},
	{"[mail]\nlong_lines = fold\n",
	    "t.ini:2: long_lines: expects split or refuse"},
	{"[mail]\nlong_lines = refuse\nmax_message_size = 0\n", NULL},
	{"[mail]\nmax_message_size = 3000000000\n",
	    "t.ini:2: max_message_size: expects a number of bytes from 0 (no "
	    "limit) to 2147483647"},
	{"[queue]\nmax_queued_messages = 10000001\n",
	    "t.ini:2: max_queued_messages: expects a number from 0 (no limit) "
	    "to 10000000"},
	{"[queue]\nmax_queued_size = -1\n",
	    "t.ini:2: max_queued_size: expects a number of bytes from 0 (no "
	    "limit) to 1125899906842624"},
	{"[queue]\nmin_free_space = 1G\n",
	    "t.ini:2: min_free_space: expects a number of bytes from 0 (none) "
	    "to 1125899906842624"},
	{"[queue]\nmax_queued_messages = 5\nmax_queued_size = 1048576\n"
	 "min_free_space = 1\n", NULL},
	{"[smtp]\nhelo_name = web1.example.com\n", NULL},
	{"[smtp]\nhelo_name = web1/x\n",
	    "t.ini:2: helo_name: expects a host name (letters, digits, '-' and "
	    "'.')"},
	{"[smtp]\ncommand_timeout = 0\n",
	    "t.ini:2: command_timeout: expects a number of seconds from 1 to "
	    "3600"},
	{"[smtp]\nconnect_timeout = 3601\n",
	    "t.ini:2: connect_timeout: expects a number of seconds from 1 to "
	    "3600"},
	{"[smtp]\nmessage_timeout = 60\nconnect_timeout = 5\n", NULL},
	{"[smtp]\nauth = plain\nusername = u\npassword_file = /etc/s\n"
	 "allow_plaintext_auth = yes\n", NULL},
	{"[smtp]\npassword_file = etc/s\n",
	    "t.ini:2: password_file: expects an absolute file name"},
	{"[smtp]\nauth = plain\nusername = u\npassword = p\n"
	 "password_file = /etc/s\nallow_plaintext_auth = yes\n",
	    "t.ini:5: password_file: password is set too: give one of them"},
	{"[smtp]\npassword_file = /etc/s\n",
	    "t.ini:2: password_file: set, but auth = none (set auth = plain "
	    "or login)"},
	{"[smtp]\nhost = a.example:587, b.example, [::1]:2525\n", NULL},
	{"[smtp]\nhost = a.example:0\n",
	    "t.ini:2: host: expects HOST or HOST:PORT (a port from 1 to 65535), "
	    "separated by commas"},
	{"[smtp]\nhost = a.example:+25\n",
	    "t.ini:2: host: expects HOST or HOST:PORT (a port from 1 to 65535), "
	    "separated by commas"},
	{"[smtp]\nhost = a.example:587,\n",
	    "t.ini:2: host: expects a host name, an IPv4 address or an [IPv6] "
	    "address (HOST or HOST:PORT, separated by commas)"},
	{"[smtp]\nhost = a.ex, b.ex, c.ex, d.ex, e.ex\n",
	    "t.ini:2: host: at most four relays"},
	{"[smtp]\nlinger = 0\n", NULL},
	{"[smtp]\nlinger = 60\n", NULL},
	{"[smtp]\nlinger = 61\n",
	    "t.ini:2: linger: expects a number of seconds from 0 to 60"},
	{"[smtp]\nlinger = -1\n",
	    "t.ini:2: linger: expects a number of seconds from 0 to 60"},
	/* found by fuzz_conf: a unit letter alone read before the value */
	{"[queue]\nretry = m\n",
	    "t.ini:2: retry: 'm' is not a duration from 1s to 30d"},
	{"[queue]\nretry = 5ms\n",
	    "t.ini:2: retry: '5ms' is not a duration from 1s to 30d"},
	{"[queue]\nretry = 30s, 5m 1h\nmax_age = 2d\n", NULL},
	{"[smtp]\ntls_pin = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	 ";sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=\n",
	    NULL},
	{"[smtp]\ntls_pin = md5//AAAA\n",
	    "t.ini:2: tls_pin: expects sha256//BASE64 public-key hashes "
	    "separated by ';'"},
	{"[smtp]\ntls_pin = sha256//short=\n",
	    "t.ini:2: tls_pin: expects sha256//BASE64 public-key hashes "
	    "separated by ';'"},
	{"[smtp]\ntls_client_cert = /etc/ssl/c.pem\n",
	    "t.ini:2: tls_client_cert: tls_client_cert and tls_client_key go "
	    "together"},
	{"[smtp]\ntls_client_cert = /c.pem\ntls_client_key = /k.pem\n", NULL},
	{"[aliases]\nroot = \"x y\"@example.com\n",
	    "t.ini:2: root: address '\"x y\"@example.com' has a local part "
	    "outside the allowed characters"},
	{"[aliases]\nroot@x = a@x.org\n",
	    "t.ini:2: root@x: an alias name is a local name such as root or "
	    "www-data"},
	{"[aliases]\nroot =\n", "t.ini:2: root: no address"},
	/* Checks across keys. */
	{"[mail]\nreturn_path = specified\n",
	    "t.ini:2: return_path: 'specified' needs return_path_email"},
	{"[smtp]\nauth = plain\nusername = u\n",
	    "t.ini:2: auth: needs username and password (or password_file)"},
	{"[smtp]\nusername = u\npassword = p\n",
	    "t.ini:2: username: set, but auth = none (set auth = plain or "
	    "login)"},
	{"[mail]\ndefault_sender = shop\n",
	    "t.ini:2: default_sender: a bare name needs [mail] domain to be "
	    "set"},
	{"[aliases]\nroot = admin\n",
	    "t.ini:2: root: a bare name needs [mail] domain to be set"},
	/* The password never crosses the network in clear text. */
	{"[smtp]\nhost = smtp.example.net\nauth = plain\nusername = u\n"
	 "password = p\n",
	    "t.ini:3: auth: would send the password in clear text: set ssl = "
	    "tls or ssl (or allow_plaintext_auth = yes; loopback counts only "
	    "on a port below 1024)"},
	{"[smtp]\nhost = smtp.example.net\nauth = plain\nusername = u\n"
	 "password = p\nssl = tls\n",
	    NULL},
	{"[smtp]\nhost = smtp.example.net\nauth = login\nusername = u\n"
	 "password = p\nallow_plaintext_auth = yes\n",
	    NULL},
	{"[smtp]\nhost = 127.0.0.2\nauth = plain\nusername = u\n"
	 "password = p\n",
	    NULL},
	/* a port any local user may bind while the relay is down */
	{"[smtp]\nhost = 127.0.0.1\nport = 2525\nauth = plain\n"
	 "username = u\npassword = p\n",
	    "t.ini:4: auth: would send the password in clear text: set ssl = "
	    "tls or ssl (or allow_plaintext_auth = yes; loopback counts only "
	    "on a port below 1024)"},
	{"[smtp]\nhost = localhost\nport = 2525\nauth = plain\n"
	 "username = u\npassword = p\nallow_plaintext_auth = yes\n",
	    NULL},
};

int
main(void)
{
	struct conf c;
	struct failure f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = conf_parse(cases[i].text, strlen(cases[i].text),
		    "t.ini", &c, &f);

		if (cases[i].error == NULL) {
			ok(rc == 0, "valid config #%zu parses (%s)", i,
			    rc == 0 ? "ok" : f.msg);
		} else {
			ok(rc != 0 && f.kind == FAIL_CONFIG,
			    "invalid config #%zu is refused", i);
			is_str(f.msg, cases[i].error, "  exact message");
		}
		conf_free(&c);
	}

	/* NUL bytes are data too; strlen cannot be used for this one. */
	{
		static const char nul[] = "[smtp]\nhost = a\0b.example\n";
		int rc = conf_parse(nul, sizeof(nul) - 1, "t.ini", &c, &f);

		ok(rc != 0, "a NUL byte is refused");
		is_str(f.msg, "t.ini:2: host: NUL byte", "  exact message");
		conf_free(&c);
	}

	/* A line one byte over the limit; inih would split it silently. */
	{
		char *big = malloc(2100);

		strcpy(big, "[smtp]\npassword = ");
		memset(big + strlen(big), 'A', 1100);
		strcpy(big + 18 + 1100, "host=evil.example\n");
		ok(conf_parse(big, strlen(big), "t.ini", &c, &f) != 0,
		    "an over-long line is refused, not split");
		is_str(f.msg, "t.ini:2: password: line longer than 1024 bytes",
		    "  exact message");
		conf_free(&c);
		free(big);
	}

	/* Defaults (DESIGN.md). */
	ok(conf_parse("", 0, "t.ini", &c, &f) == 0 && !c.disable && !c.async &&
		c.return_path == RETURN_PATH_NO && c.default_sender[0] == 0 &&
		strcmp(c.host, "localhost") == 0 && c.port == 25 &&
		c.ssl == SSL_NONE && c.auth == AUTH_NONE && c.tls_verify &&
		c.tls_min_version == TLS_V1_2 && c.max_recipients == 1000 &&
		!c.allow_null_sender,
	    "defaults");
	ok(c.max_message_size == 52428800 && c.quota.max_messages == 1000 &&
		c.quota.max_bytes == 1073741824ULL &&
		c.quota.min_free == 104857600ULL,
	    "finite defaults: 50 MiB a message; 1000 messages and 1 GiB "
	    "queued per user; 100 MiB kept free");
	conf_free(&c);
	ok(conf_parse("[queue]\nmax_queued_messages = 0\nmax_queued_size = "
		      "0\nmin_free_space = 0\n",
	       sizeof("[queue]\nmax_queued_messages = 0\nmax_queued_size = "
		      "0\nmin_free_space = 0\n") - 1,
	       "t.ini", &c, &f) == 0 &&
		c.quota.max_messages == 0 && c.quota.max_bytes == 0 &&
		c.quota.min_free == 0,
	    "each quota turned off with 0 (%s)", f.msg);
	conf_free(&c);

	/* oauth2_tenant: Microsoft's endpoint and Exchange Online's scope
	 * for the client-credentials grant; with a refresh token no scope
	 * is made up. */
	{
		static const char m365[] =
		    "[smtp]\nssl = tls\nauth = xoauth2\nusername = u@c.example\n"
		    "oauth2_tenant = 0c1f-22aa\noauth2_client_id = c\n"
		    "oauth2_client_secret = s\n";

		ok(conf_parse(m365, sizeof(m365) - 1, "t.ini", &c, &f) == 0 &&
			c.auth == AUTH_XOAUTH2 && conf_is_oauth2(&c),
		    "oauth2_tenant parses (%s)", f.msg);
		is_str(c.oauth2.token_url, "https://login.microsoftonline.com/"
					   "0c1f-22aa/oauth2/v2.0/token",
		    "  the tenant's token endpoint");
		is_str(c.oauth2.scope, "https://outlook.office365.com/.default",
		    "  Exchange Online's scope");
		conf_free(&c);
		ok(conf_parse("[smtp]\nssl = tls\nauth = oauthbearer\n"
			      "username = u\noauth2_tenant = t\n"
			      "oauth2_client_id = c\noauth2_refresh_token = r\n",
		       strlen("[smtp]\nssl = tls\nauth = oauthbearer\n"
			      "username = u\noauth2_tenant = t\n"
			      "oauth2_client_id = c\noauth2_refresh_token = r\n"),
		       "t.ini", &c, &f) == 0 &&
			c.auth == AUTH_OAUTHBEARER && c.oauth2.scope == NULL,
		    "refresh grant: no scope made up (%s)", f.msg);
		conf_free(&c);
	}

	/* The route a sender's mail takes: first match in file order, the
	 * null sender always the default. */
	{
		static const char routed[] =
		    "[smtp]\nhost = a.example\n"
		    "[smtp.b]\nhost = b.example\nport = 2525\n"
		    "[smtp.c]\nhost = c.example\n"
		    "[relay_by_sender]\nvip@brand-b.example = c\n"
		    "*@Brand-B.example = b\n*@*.brand-b.example = smtp\n";
		const struct conf *rt;

		ok(conf_parse(routed, sizeof(routed) - 1, "t.ini", &c, &f) == 0 &&
			c.nroutes == 2 && c.nsender_routes == 3,
		    "two relay sections, three sender lines (%s)", f.msg);
		rt = conf_route_for(&c, "shop@brand-b.example");
		ok(rt == c.routes[0] && strcmp(rt->host, "b.example") == 0 &&
			rt->port == 2525 && strcmp(rt->route_name, "b") == 0,
		    "  *@brand-b.example takes [smtp.b], its own host and port");
		ok(conf_route_for(&c, "vip@brand-b.example") == c.routes[1],
		    "  the first line that matches wins");
		ok(conf_route_for(&c, "x@eu.brand-b.example") == &c,
		    "  = smtp names the default section");
		ok(conf_route_for(&c, "shop@store.example") == &c &&
			conf_route_for(&c, "") == &c,
		    "  no match, and the null sender: the default");
		ok(c.routes[0]->linger == c.linger && c.routes[0]->ssl == SSL_NONE,
		    "  a relay section starts from the defaults");
		conf_free(&c);
	}

	/* A full configuration, values as typed. */
	{
		const char *full =
		    "[mail]\n"
		    "disable = no\n"
		    "async = yes\n"
		    "return_path = yes\n"
		    "return_path_email = bounce@Store.Example.com\n"
		    "default_sender = shop\n"
		    "allowed_senders = *@store.example.com, news@*.Example.org\n"
		    "domain = Store.Example.com\n"
		    "allow_null_sender = yes\n"
		    "max_recipients = 50\n"
		    "[smtp]\n"
		    "host = smtp.example.net\n"
		    "port = 587\n"
		    "ssl = tls\n"
		    "auth = login\n"
		    "username = shop@example.net\n"
		    "password = s3cr;et ;comment\n"
		    "tls_verify = no\n"
		    "tls_ca_file = /etc/ssl/relay-ca.pem\n"
		    "tls_min_version = 1.3\n"
		    "[aliases]\n"
		    "root = admin@example.com, Ops <ops@example.com>\n"
		    "www-data = webmaster\n";

		ok(conf_parse(full, strlen(full), "t.ini", &c, &f) == 0,
		    "full config parses (%s)", f.msg);
		ok(c.async && c.return_path == RETURN_PATH_YES &&
			c.allow_null_sender && c.max_recipients == 50,
		    "[mail] flags");
		is_str(c.return_path_email, "bounce@store.example.com",
		    "return_path_email: domain lower-cased");
		is_str(c.default_sender, "shop@store.example.com",
		    "default_sender: bare name qualified with domain");
		ok(c.nallowed == 2, "two allowed_senders patterns");
		is_str(c.allowed_senders[1], "news@*.example.org",
		    "pattern domain lower-cased");
		ok(c.port == 587 && c.ssl == SSL_STARTTLS &&
			c.auth == AUTH_LOGIN && !c.tls_verify &&
			c.tls_min_version == TLS_V1_3,
		    "[smtp] values");
		is_str(c.password, "s3cr;et",
		    "password: ' ;' starts a comment, ';' alone does not");
		is_str(c.tls_ca_file, "/etc/ssl/relay-ca.pem", "tls_ca_file");
		ok(c.naliases == 2, "two aliases");
		{
			const struct alias *a = conf_find_alias(&c, "ROOT");

			ok(a != NULL && a->naddrs == 2 &&
				strcmp(a->addrs[1], "ops@example.com") == 0,
			    "alias root: a list, display name dropped");
			a = conf_find_alias(&c, "www-data");
			ok(a != NULL && a->naddrs == 1 &&
				strcmp(a->addrs[0],
				    "webmaster@store.example.com") == 0,
			    "alias value qualified with domain");
		}
		conf_free(&c);
	}
	return done_testing();
}
