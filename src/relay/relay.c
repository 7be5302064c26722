/* relay.c - the session with the relay through libcurl (see relay.h)
 *
 * The traps of libcurl 7.88 this avoids (notes/libcurl-and-inih.md):
 * STARTTLS is CURLUSESSL_ALL, never TRY; the AUTH mechanism is pinned and
 * a 235 reply is required, since curl silently skips AUTH the relay does
 * not offer; protocols are smtp/smtps and proxies are off whatever the
 * environment says; the CA store is the hashed directory (not the 45 ms
 * bundle) unless tls_ca_file is set; every timeout is bounded, including
 * the QUIT curl sends at cleanup.
 *
 * libcurl's connect phase ends after AUTH, so its connect timeout would
 * bound EHLO, STARTTLS and AUTH too (a relay that delays AUTH replies
 * after failed logins, as Dovecot does, would fail a good login): it is
 * set to message_timeout, and on_progress makes connect_timeout bound the
 * connection and each TLS handshake only; command_timeout is curl's
 * SERVER_RESPONSE_TIMEOUT, from each command sent to its reply.
 *
 * AUTH XOAUTH2 is ours (auth_xoauth2): curl 7.88 gives up at the relay's
 * 334 error challenge instead of ending the exchange (RFC 7628 3.2.3). */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "relay.h"
#include "sandbox_relay.h"
#include "text.h"
#include "token.h"

#define SYSTEM_CA_DIR "/etc/ssl/certs"
/* After a successful transaction, how long QUIT may wait for its 221. */
#define QUIT_WAIT_S 5

struct relay {
	CURL *curl;
	curl_socket_t sock;
	const struct conf *c;
	bool verbose;
	/* what the header callback saw */
	struct smtp_caps caps;
	bool expect_ehlo; /* the next 250 reply answers EHLO */
	bool ehlo_first;  /* its first line is the relay's name */
	bool authenticated;
	bool in_auth;     /* lines sent now carry credentials */
	bool offers_xoauth2; /* the EHLO reply's AUTH line names XOAUTH2 */
	bool tls_up;         /* a TLS handshake was completed */
	long long started_ms;   /* this relay's set-up began */
	long long handshake_ms; /* a TLS handshake under way since, or 0 */
	enum { GAVE_UP_NONE, GAVE_UP_CONNECT, GAVE_UP_TLS } gave_up;
	bool timed_out;  /* wait_for gave up (not: the relay hung up) */
	/* the command whose reply is awaited, for errors: curl's (""
	 * before any, the greeting), ours, then smtpc's (io_awaiting) */
	char awaiting[16];
	char challenge[SMTP_REPLY_TEXT]; /* OAuth2: the relay's 334 error */
	int code;
	char reply[SMTP_REPLY_TEXT];
	char ehlo[2048];
	char tls_version[32];
	char peer_subject[256];
	char peer_issuer[256];
	long long deadline_ms; /* the whole message (message_timeout) */
	char errbuf[CURL_ERROR_SIZE];
	char name[ADDR_BUFSZ + 8]; /* host:port of the relay it talks to */
	char token_note[200];      /* OAuth2: where the token came from */
};

/* Does an EHLO keyword line "AUTH PLAIN XOAUTH2" offer mech? */
static bool
auth_line_offers(const char *p, size_t len, const char *mech)
{
	size_t i = 5, m = strlen(mech);

	if (len < 5 || !text_ieqn(p, 4, "AUTH") || (p[4] != ' ' && p[4] != '='))
		return false;
	while (i < len) {
		size_t w = i;

		while (w < len && p[w] != ' ')
			w++;
		if (w - i == m && text_ieqn(p + i, m, mech))
			return true;
		i = w + 1;
	}
	return false;
}

/* Every reply line curl reads in the connect phase: capabilities, the
 * 235 that proves AUTH, and the last reply for error messages. */
static size_t
on_reply_line(char *p, size_t size, size_t n, void *ctx)
{
	struct relay *r = ctx;
	size_t len = size * n;
	size_t l = len;

	while (l > 0 && (p[l - 1] == '\n' || p[l - 1] == '\r'))
		l--;
	if (l >= 3 && p[0] >= '2' && p[0] <= '5') {
		bool last = l == 3 || p[3] == ' ';

		r->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		text_cut(r->reply, sizeof(r->reply), p, l);
		if (r->code == 220) { /* greeting, or STARTTLS go-ahead */
			memset(&r->caps, 0, sizeof(r->caps));
			r->offers_xoauth2 = false;
			r->ehlo[0] = '\0';
			r->expect_ehlo = true;
			r->ehlo_first = true;
		} else if (r->code == 250 && r->expect_ehlo) {
			if (!r->ehlo_first && l > 4) {
				size_t have = strlen(r->ehlo);

				smtp_caps_line(&r->caps, p + 4, l - 4);
				if (auth_line_offers(p + 4, l - 4, "XOAUTH2"))
					r->offers_xoauth2 = true;
				if (have + (l - 4) + 2 < sizeof(r->ehlo)) {
					memcpy(r->ehlo + have, p + 4, l - 4);
					r->ehlo[have + l - 4] = '\n';
					r->ehlo[have + l - 3] = '\0';
				}
			}
			r->ehlo_first = false;
			if (last)
				r->expect_ehlo = false;
		} else if (r->code == 235) {
			r->authenticated = true;
		} else if (r->code == 334) {
			/* OAUTHBEARER's error challenge, before curl's \x01 */
			text_cut(r->challenge, sizeof(r->challenge), p, l);
		}
	}
	return len;
}

/* -v output: whatever the relay sends is shown with control bytes made
 * harmless, so a hostile relay cannot write to the admin's terminal. */
static void
show_line(const char *prefix, const char *p, size_t len)
{
	char shown[600];

	text_show(shown, sizeof(shown), p, len, 512);
	(void)fprintf(stderr, "%s %s\n", prefix, shown);
}

static void
trace_line(bool sent, const char *p, size_t len)
{
	show_line(sent ? ">>>" : "<<<", p, len);
}

/* The command curl sent, whose reply the set-up now waits for: its verb
 * (AUTH's continuation lines leave it at AUTH). */
static void
note_command(struct relay *r, const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && n + 1 < sizeof(r->awaiting) &&
	    ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z')))
		n++;
	memcpy(r->awaiting, p, n);
	r->awaiting[n] = '\0';
}

/* curl's side of the dialogue: which command awaits its reply, always;
 * with -v it is shown, with AUTH's base64 lines hidden. */
static int
on_debug(CURL *h, curl_infotype type, char *p, size_t len, void *ctx)
{
	struct relay *r = ctx;

	(void)h;
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	switch (type) {
	case CURLINFO_TEXT:
		/* curl's own notes; "reached easy.c:N" is internal noise */
		if (r->verbose && (len < 8 || memcmp(p, "reached ", 8) != 0))
			show_line("*", p, len);
		break;
	case CURLINFO_HEADER_IN:
		if (len >= 3 && memcmp(p, "334", 3) != 0)
			r->in_auth = false;
		if (r->verbose)
			trace_line(false, p, len);
		break;
	case CURLINFO_HEADER_OUT:
		if (len >= 5 && text_ieqn(p, 5, "AUTH ")) {
			size_t mech = 5;
			char shown[80];

			note_command(r, p, len);
			while (mech < len && p[mech] != ' ')
				mech++;
			text_show(shown, sizeof(shown), p, mech, 64);
			if (r->verbose)
				(void)fprintf(stderr, ">>> %s%s\n", shown,
				    mech < len ? " [credentials hidden]" : "");
			r->in_auth = true;
		} else if (r->in_auth) {
			if (r->verbose)
				(void)fprintf(stderr,
				    ">>> [credentials hidden]\n");
		} else {
			note_command(r, p, len);
			if (r->verbose)
				trace_line(true, p, len);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* connect_timeout bounds the connection (with implicit TLS, its
 * handshake) and a STARTTLS handshake, and nothing else: called by curl
 * at least once a second while it sets up the session. */
static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct relay *r = ctx;
	long long limit = (long long)r->c->connect_timeout * 1000;
	long long now = clock_ms();
	curl_off_t connected = 0;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	/* CONNECT_TIME stays 0 until the connection (and implicit TLS) is
	 * up; a STARTTLS handshake starts its own clock */
	if (curl_easy_getinfo(r->curl, CURLINFO_CONNECT_TIME_T, &connected) !=
		CURLE_OK)
		connected = 0;
	if ((connected == 0 && now - r->started_ms >= limit) ||
	    (r->handshake_ms != 0 && now - r->handshake_ms >= limit)) {
		r->gave_up =
		    r->handshake_ms != 0 ? GAVE_UP_TLS : GAVE_UP_CONNECT;
		return 1;
	}
	return 0;
}

static enum relay_error
classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return RELAY_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return RELAY_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return RELAY_TIMEOUT;
	case CURLE_USE_SSL_FAILED:
		return RELAY_TLS_REQUIRED;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
		return RELAY_TLS_VERIFY;
	case CURLE_SSL_CONNECT_ERROR:
		return RELAY_TLS_FAILED;
	case CURLE_LOGIN_DENIED:
		return RELAY_AUTH;
	case CURLE_WEIRD_SERVER_REPLY:
		return RELAY_REFUSED;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return RELAY_IO;
	default:
		return RELAY_INTERNAL;
	}
}

static CURLcode on_ssl_ctx(CURL *h, void *sslctx, void *parm);

int
relay_set_trust(void *curl, const struct conf *c)
{
	CURL *h = curl;
	CURLcode rc;
	const struct curl_blob *blob = relay_ca_blob(c->tls_ca_file);

	if (blob != NULL) {
		/* read before the sandbox (sandbox_relay.c) */
		rc = curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, blob);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else if (c->tls_ca_file != NULL) {
		rc = curl_easy_setopt(h, CURLOPT_CAINFO, c->tls_ca_file);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else {
		/* the hashed directory is read lazily, per issuer (the
		 * bundle costs 45 ms to load) */
		rc = curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(h, CURLOPT_CAPATH, SYSTEM_CA_DIR);
	}
	return rc == CURLE_OK ? 0 : -1;
}

static int
setup(struct relay *r, const struct conf *c, const struct relay_options *o,
    const char *host, unsigned port, const char *bearer)
{
	CURL *h = r->curl;
	char url[ADDR_BUFSZ * 2 + 32];
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)

	/* The EHLO name travels as the URL's path; it is a checked host
	 * name, so nothing in it needs escaping. */
	(void)snprintf(url, sizeof(url), "%s://%s:%u/%s",
	    c->ssl == SSL_IMPLICIT ? "smtps" : "smtp", host, port, o->helo);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECT_ONLY, 1L);
	/* curl's connect phase ends after AUTH: connect_timeout is
	 * on_progress's, command_timeout bounds each reply */
	SET(CURLOPT_CONNECTTIMEOUT, (long)c->message_timeout);
	SET(CURLOPT_TIMEOUT, (long)c->message_timeout);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)c->command_timeout);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_HEADERFUNCTION, on_reply_line);
	SET(CURLOPT_HEADERDATA, r);
	/* the commands sent, for errors that name the one whose reply did
	 * not come; shown only with -v */
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, r);
	SET(CURLOPT_VERBOSE, 1L);
	if (c->ssl != SSL_NONE) {
		SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		SET(CURLOPT_SSLVERSION, c->tls_min_version == TLS_V1_3
			? (long)CURL_SSLVERSION_TLSv1_3
			: (long)CURL_SSLVERSION_TLSv1_2);
		if (rc == CURLE_OK && relay_set_trust(h, c) != 0)
			rc = CURLE_FAILED_INIT;
		SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		SET(CURLOPT_SSL_CTX_DATA, r);
		SET(CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
		SET(CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
		if (c->tls_pin[0] != '\0')
			SET(CURLOPT_PINNEDPUBLICKEY, c->tls_pin);
		if (c->tls_client_cert != NULL) {
			SET(CURLOPT_SSLCERT, c->tls_client_cert);
			SET(CURLOPT_SSLKEY, c->tls_client_key);
		}
	}
	if (c->auth == AUTH_XOAUTH2) {
		/* no credentials for curl: it skips AUTH, auth_xoauth2 does it */
		SET(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
	} else if (c->auth == AUTH_OAUTHBEARER) {
		/* curl builds RFC 7628's gs2 header, and answers an error
		 * challenge with \x01 and reads the final reply */
		SET(CURLOPT_USERNAME, c->username);
		SET(CURLOPT_XOAUTH2_BEARER, bearer);
		SET(CURLOPT_LOGIN_OPTIONS, "AUTH=OAUTHBEARER");
		SET(CURLOPT_SASL_IR, 1L);
	} else if (c->auth != AUTH_NONE) {
		SET(CURLOPT_USERNAME, c->username);
		SET(CURLOPT_PASSWORD, c->password);
		SET(CURLOPT_LOGIN_OPTIONS,
		    c->auth == AUTH_PLAIN ? "AUTH=PLAIN" : "AUTH=LOGIN");
		SET(CURLOPT_SASL_IR, 1L);
	}
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static void
set_status(struct relay_status *st, enum relay_error e, const struct relay *r,
    const char *detail)
{
	st->error = e;
	st->code = r->code;
	text_cut(st->reply, sizeof(st->reply), r->reply, strlen(r->reply));
	text_cut(st->detail, sizeof(st->detail), detail, strlen(detail));
	/* for the log line: TLS was up, whatever came after; not for a
	 * certificate curl refused after OpenSSL's handshake was done */
	if (r->tls_up && e != RELAY_TLS_VERIFY)
		text_cut(st->tls, sizeof(st->tls), r->tls_version,
		    strlen(r->tls_version));
}

/* A CONNECT_ONLY session leaves no TLS details to ask curl for after
 * the perform, so an OpenSSL info callback notes them when the handshake
 * is done: the version for the log, the certificate for --check. */
static int relay_ex_index = -1;

static void
on_ssl_info(const SSL *ssl, int where, int ret)
{
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	struct relay *r;
	X509 *cert;

	(void)ret;
	if ((where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE)) == 0 ||
	    ctx == NULL || relay_ex_index < 0)
		return;
	r = SSL_CTX_get_ex_data(ctx, relay_ex_index);
	if (r == NULL)
		return;
	if ((where & SSL_CB_HANDSHAKE_DONE) == 0) {
		/* connect_timeout runs from here (on_progress) */
		if (!r->tls_up && r->handshake_ms == 0)
			r->handshake_ms = clock_ms();
		return;
	}
	r->handshake_ms = 0;
	r->tls_up = true;
	(void)snprintf(r->tls_version, sizeof(r->tls_version), "%s",
	    SSL_get_version(ssl));
	cert = SSL_get1_peer_certificate(ssl);
	if (cert != NULL) {
		(void)X509_NAME_oneline(X509_get_subject_name(cert),
		    r->peer_subject, (int)sizeof(r->peer_subject));
		(void)X509_NAME_oneline(X509_get_issuer_name(cert),
		    r->peer_issuer, (int)sizeof(r->peer_issuer));
		X509_free(cert);
	}
}

static CURLcode
on_ssl_ctx(CURL *h, void *sslctx, void *parm)
{
	(void)h;
	if (relay_ex_index < 0)
		relay_ex_index =
		    SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (relay_ex_index < 0 ||
	    SSL_CTX_set_ex_data(sslctx, relay_ex_index, parm) != 1)
		return CURLE_SSL_CONNECT_ERROR;
	SSL_CTX_set_info_callback(sslctx, on_ssl_info);
	return CURLE_OK;
}

/* One relay of the list: connected and ready for MAIL FROM, or NULL
 * with st filled in. */
static bool
global_init(void)
{
	static bool initialized;

	if (!initialized && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		initialized = true;
	return initialized;
}

/* The 334 error challenge to an OAuth2 AUTH carries the relay's error as
 * base64 JSON ({"status":"401","schemes":"bearer",...}): shown decoded;
 * the final reply (535) is quoted after it. */
static void
token_refusal(const struct relay *r, char *out, size_t outsz)
{
	const char *b64 = r->challenge + 4;
	unsigned char raw[sizeof(r->challenge)];
	size_t n = strlen(r->challenge) > 4 ? strlen(b64) : 0;
	int got = 0;

	while (n > 0 && (b64[n - 1] == ' ' || b64[n - 1] == '\t'))
		n--;
	if (n > 0 && n % 4 == 0)
		got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	while (got > 0 && raw[got - 1] == '\0') /* the padding */
		got--;
	if (got > 0) {
		char shown[200];

		text_show(shown, sizeof(shown), (const char *)raw, (size_t)got,
		    160);
		(void)snprintf(out, outsz, "the relay refused the access "
					   "token: %s",
		    shown);
	} else {
		(void)snprintf(out, outsz, "the relay refused the access "
					   "token");
	}
}

/* What the set-up waits for now, for its errors. */
static void
awaited(struct relay *r, char *out, size_t outsz)
{
	curl_off_t connected = 0;

	if (curl_easy_getinfo(r->curl, CURLINFO_CONNECT_TIME_T, &connected) !=
		CURLE_OK)
		connected = 0;
	if (r->handshake_ms != 0)
		(void)snprintf(out, outsz, "the TLS handshake");
	else if (connected == 0)
		(void)snprintf(out, outsz, "the connection");
	else if (r->awaiting[0] == '\0')
		(void)snprintf(out, outsz, "the greeting");
	else
		(void)snprintf(out, outsz, "the reply to %s", r->awaiting);
}

/* curl's set-up failed: what went wrong, naming what it waited for when
 * the relay did not answer or hung up (never quoting an earlier reply as
 * if it were the answer). */
static void
setup_failed(struct relay *r, CURLcode rc, bool oauth2,
    struct relay_status *st)
{
	enum relay_error e = classify(rc);
	const char *curl_why =
	    r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc);
	char why[CURL_ERROR_SIZE + 100], what[64];

	awaited(r, what, sizeof(what));
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->gave_up != GAVE_UP_NONE) {
		e = RELAY_TIMEOUT;
		(void)snprintf(why, sizeof(why),
		    "timed out waiting for %s (connect_timeout, %u s)", what,
		    r->c->connect_timeout);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		bool whole = clock_ms() - r->started_ms >=
		    (long long)r->c->message_timeout * 1000;

		(void)snprintf(why, sizeof(why),
		    "timed out waiting for %s (%s, %u s)", what,
		    whole ? "message_timeout" : "command_timeout",
		    whole ? r->c->message_timeout : r->c->command_timeout);
	} else if (rc == CURLE_LOGIN_DENIED && oauth2) {
		token_refusal(r, why, sizeof(why));
	} else if (e == RELAY_IO) {
		(void)snprintf(why, sizeof(why), "%s (waiting for %s)",
		    curl_why, what);
	} else {
		(void)snprintf(why, sizeof(why), "%s", curl_why);
	}
	set_status(st, e, r, why);
	if (e == RELAY_TIMEOUT) { /* no answer: quote none */
		st->code = 0;
		st->reply[0] = '\0';
	}
}

static int auth_xoauth2(struct relay *r, const char *bearer,
    struct relay_status *st, bool *in_step);

static struct relay *
open_one(const struct conf *c, const struct relay_options *o,
    const char *host, unsigned port, const char *bearer,
    struct relay_status *st)
{
	struct relay *r;
	CURLcode rc;
	curl_socket_t sock = CURL_SOCKET_BAD;
	char why[200];

	memset(st, 0, sizeof(*st));
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		st->error = RELAY_INTERNAL;
		(void)snprintf(st->detail, sizeof(st->detail), "out of memory");
		return NULL;
	}
	r->c = c;
	r->sock = CURL_SOCKET_BAD;
	(void)snprintf(r->name, sizeof(r->name), "%s:%u", host, port);
	(void)snprintf(st->relay, sizeof(st->relay), "%s", r->name);
	r->verbose = o->verbose;
	(void)snprintf(r->tls_version, sizeof(r->tls_version), "none");
	r->deadline_ms = clock_ms() + (long long)c->message_timeout * 1000;
	if (!global_init())
		goto internal;
	r->curl = curl_easy_init();
	if (r->curl == NULL || setup(r, c, o, host, port, bearer) != 0)
		goto internal;
	if (relay_pin_name(r->curl, host, port, why, sizeof(why)) != 0) {
		/* sandboxed: only names resolved before it */
		set_status(st, RELAY_CONNECT, r, why);
		relay_close(r, false);
		return NULL;
	}
	r->started_ms = clock_ms();
	rc = curl_easy_perform(r->curl);
	if (rc != CURLE_OK) {
		setup_failed(r, rc, bearer != NULL, st);
		relay_close(r, false);
		return NULL;
	}
	if (curl_easy_getinfo(r->curl, CURLINFO_ACTIVESOCKET, &sock) !=
		CURLE_OK ||
	    sock == CURL_SOCKET_BAD)
		goto internal;
	r->sock = sock;
	if (c->auth == AUTH_XOAUTH2 && bearer != NULL) {
		bool in_step = true;

		if (auth_xoauth2(r, bearer, st, &in_step) != 0) {
			relay_close(r, in_step);
			return NULL;
		}
	}
	if (c->auth != AUTH_NONE && !r->authenticated) {
		/* curl skips AUTH when the relay does not offer it. */
		set_status(st, RELAY_AUTH, r,
		    "the relay did not authenticate us (no AUTH offered, or "
		    "no 235 reply): not sending without the configured "
		    "authentication");
		relay_close(r, true);
		return NULL;
	}
	r->awaiting[0] = '\0'; /* ready: the transaction's waits are smtpc's */
	return r;
internal:
	set_status(st, RELAY_INTERNAL, r, "cannot set up libcurl");
	relay_close(r, false);
	return NULL;
}

/* Failures of a relay that the next one on the list may not have: it
 * cannot be reached or used before MAIL FROM (a refusal of the message
 * itself comes later and is never a reason to send it twice). */
static bool
try_next(enum relay_error e)
{
	switch (e) {
	case RELAY_CONNECT:
	case RELAY_TIMEOUT:
	case RELAY_REFUSED:
	case RELAY_TLS_REQUIRED:
	case RELAY_TLS_VERIFY:
	case RELAY_TLS_FAILED:
	case RELAY_IO:
		return true;
	default:
		return false;
	}
}

/* The relays of the list in order, with the token when there is one. */
static struct relay *
open_list(const struct conf *c, const struct relay_options *o,
    const char *bearer, struct relay_status *st)
{
	size_t n = c->nrelays > 0 ? c->nrelays : 1;

	for (size_t i = 0;; i++) {
		const char *host = c->nrelays > 0 ? c->relays[i].host : c->host;
		struct relay *r =
		    open_one(c, o, host, conf_relay_port(c, i), bearer, st);

		if (r != NULL || i + 1 == n || !try_next(st->error))
			return r;
		if (o->on_failover != NULL)
			o->on_failover(o->ctx, st);
	}
}

static void
token_failed(struct relay_status *st, enum oauth2_outcome out,
    const char *why)
{
	memset(st, 0, sizeof(*st));
	st->error = out == OAUTH2_REFUSED ? RELAY_TOKEN : RELAY_TOKEN_TEMP;
	text_cut(st->detail, sizeof(st->detail), why, strlen(why));
}

/* OAuth2: a token first (the cache's, or the endpoint's); a cached one
 * the relay refuses (revoked, or expired early) is dropped and a fresh
 * one tried once. */
static struct relay *
open_oauth2(const struct conf *c, const struct relay_options *o,
    struct relay_status *st)
{
	struct oauth2_token *tok = malloc(sizeof(*tok));
	struct relay *r = NULL;
	bool fetched = false;
	char why[512];
	enum oauth2_outcome out;

	if (tok == NULL || !global_init()) {
		memset(st, 0, sizeof(*st));
		st->error = RELAY_INTERNAL;
		(void)snprintf(st->detail, sizeof(st->detail),
		    "cannot set up libcurl");
		free(tok);
		return NULL;
	}
	out = token_get(c, o->fresh_token, o->verbose, tok, &fetched, why,
	    sizeof(why));
	if (out == OAUTH2_OK) {
		r = open_list(c, o, tok->value, st);
		if (r == NULL && st->error == RELAY_AUTH && !fetched &&
		    (st->code == 334 || st->code == 535)) {
			if (o->verbose)
				(void)fprintf(stderr, "* OAuth2: the relay "
						      "refused the cached "
						      "token: asking for a "
						      "new one\n");
			token_forget(c, tok);
			out = token_get(c, true, o->verbose, tok, &fetched, why,
			    sizeof(why));
			if (out == OAUTH2_OK)
				r = open_list(c, o, tok->value, st);
		}
	}
	if (out != OAUTH2_OK) {
		token_failed(st, out, why);
	} else if (r != NULL) {
		(void)snprintf(r->token_note, sizeof(r->token_note), "%s",
		    fetched ? "fetched from the token endpoint" : "cached");
	} else if (st->error == RELAY_AUTH) {
		size_t len = strlen(st->detail);

		(void)snprintf(st->detail + len, sizeof(st->detail) - len,
		    " (a token fresh from %.100s)", c->oauth2.token_url);
	}
	oauth2_wipe(tok);
	free(tok);
	return r;
}

struct relay *
relay_open(const struct conf *c, const struct relay_options *o,
    struct relay_status *st)
{
	if (conf_is_oauth2(c))
		return open_oauth2(c, o, st);
	return open_list(c, o, NULL, st);
}

const char *
relay_token_note(const struct relay *r)
{
	return r->token_note;
}

const char *
relay_name(const struct relay *r)
{
	return r->name;
}

const struct smtp_caps *
relay_caps(const struct relay *r)
{
	return &r->caps;
}

const char *
relay_tls_version(const struct relay *r)
{
	return r->tls_version;
}

const char *
relay_ehlo_lines(const struct relay *r)
{
	return r->ehlo;
}

bool
relay_authenticated(const struct relay *r)
{
	return r->authenticated;
}

void
relay_peer(const struct relay *r, char *subject, size_t ssz, char *issuer,
    size_t isz)
{
	(void)snprintf(subject, ssz, "%s", r->peer_subject);
	(void)snprintf(issuer, isz, "%s", r->peer_issuer);
}

/* Wait for the socket, within the command timeout and what is left of
 * the message's time. */
static int
wait_for(struct relay *r, short events, struct failure *f)
{
	struct pollfd p = {r->sock, events, 0};
	long long left = r->deadline_ms - clock_ms();
	long long wait = (long long)r->c->command_timeout * 1000;
	int n;
	bool whole;
	char what[40] = "the relay";

	if (events == POLLOUT)
		(void)snprintf(what, sizeof(what), "the relay to read");
	else if (r->awaiting[0] != '\0')
		(void)snprintf(what, sizeof(what), "the reply to %s",
		    r->awaiting);
	if (left < wait)
		wait = left;
	whole = wait < (long long)r->c->command_timeout * 1000;
	if (wait > 0) {
		do
			n = poll(&p, 1, (int)wait);
		while (n < 0 && errno == EINTR);
	} else {
		n = 0;
	}
	if (n == 0) {
		r->timed_out = true;
		fail_set(f, FAIL_TEMP, "timed out waiting for %s (%s, %u s)",
		    what, whole ? "message_timeout" : "command_timeout",
		    whole ? r->c->message_timeout : r->c->command_timeout);
		return -1;
	}
	if (n < 0) {
		fail_set(f, FAIL_TEMP, "poll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
io_send(void *ctx, const char *p, size_t len, struct failure *f)
{
	struct relay *r = ctx;

	while (len > 0) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(r->curl, p, len, &sent);

		if (rc == CURLE_AGAIN) {
			if (wait_for(r, POLLOUT, f) != 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK) {
			fail_set(f, FAIL_TEMP, "lost the connection to the "
					       "relay while sending: %s",
			    curl_easy_strerror(rc));
			return -1;
		}
		p += sent;
		len -= sent;
	}
	return 0;
}

static int
io_recv(void *ctx, char *buf, size_t cap, size_t *got, struct failure *f)
{
	struct relay *r = ctx;

	for (;;) {
		CURLcode rc = curl_easy_recv(r->curl, buf, cap, got);

		if (rc == CURLE_AGAIN) {
			if (wait_for(r, POLLIN, f) != 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK || *got == 0) {
			char what[48] = "";

			if (r->awaiting[0] != '\0')
				(void)snprintf(what, sizeof(what),
				    " (waiting for the reply to %s)",
				    r->awaiting);
			fail_set(f, FAIL_TEMP,
			    "the relay closed the connection%s%s%s",
			    rc != CURLE_OK ? ": " : "",
			    rc != CURLE_OK ? curl_easy_strerror(rc) : "", what);
			return -1;
		}
		return 0;
	}
}

static void
io_trace(void *ctx, bool sent, const char *line, size_t len)
{
	(void)ctx;
	trace_line(sent, line, len);
}

static void
io_awaiting(void *ctx, const char *command)
{
	struct relay *r = ctx;

	(void)snprintf(r->awaiting, sizeof(r->awaiting), "%s", command);
}

void
relay_io(struct relay *r, struct smtp_io *io)
{
	io->ctx = r;
	io->send = io_send;
	io->recv = io_recv;
	io->trace = r->verbose ? io_trace : NULL;
	io->awaiting = io_awaiting;
}

/* AUTH XOAUTH2 (see the top): user=U ^A auth=Bearer T ^A^A in base64,
 * as the initial response when the line keeps within RFC 4954's 512
 * bytes, else after the relay's 334. An error challenge (334 with base64
 * JSON) gets the empty response, and the final reply (535) decides. */
static int
auth_xoauth2(struct relay *r, const char *bearer, struct relay_status *st,
    bool *in_step)
{
	const char *user = r->c->username;
	size_t raw_len = 20 + strlen(user) + strlen(bearer);
	size_t b64_len = 4 * ((raw_len + 2) / 3);
	size_t line_len = 13 + b64_len + 2; /* "AUTH XOAUTH2 " b64 CRLF */
	char *raw = malloc(raw_len + 1), *line = malloc(line_len + 1);
	struct smtp_io io;
	struct smtp_reader rd;
	struct smtp_reply rep = {0, ""};
	struct failure f = {FAIL_NONE, ""};
	char why[300];
	int rc = -1;

	if (raw == NULL || line == NULL) {
		set_status(st, RELAY_INTERNAL, r, "out of memory");
		goto out;
	}
	if (!r->offers_xoauth2) {
		r->code = 0;
		r->reply[0] = '\0';
		set_status(st, RELAY_AUTH, r,
		    "the relay does not offer AUTH XOAUTH2 (its EHLO reply): "
		    "not sending without the configured authentication");
		goto out;
	}
	(void)snprintf(raw, raw_len + 1, "user=%s\001auth=Bearer %s\001\001",
	    user, bearer);
	memcpy(line, "AUTH XOAUTH2 ", 13);
	(void)EVP_EncodeBlock((unsigned char *)line + 13,
	    (const unsigned char *)raw, (int)raw_len);
	memcpy(line + 13 + b64_len, "\r\n", 3);
	(void)snprintf(r->awaiting, sizeof(r->awaiting), "AUTH");
	relay_io(r, &io);
	rd.len = 0;
	if (8 + 7 + b64_len <= 512) {
		if (r->verbose)
			(void)fprintf(stderr,
			    ">>> AUTH XOAUTH2 [credentials hidden]\n");
		if (io_send(r, line, line_len, &f) != 0)
			goto io_failed;
	} else {
		if (r->verbose)
			trace_line(true, "AUTH XOAUTH2", 12);
		if (io_send(r, "AUTH XOAUTH2\r\n", 14, &f) != 0 ||
		    smtp_read_reply(&io, &rd, &rep, &f) != 0)
			goto io_failed;
		if (rep.code != 334)
			goto answered;
		if (r->verbose)
			(void)fprintf(stderr, ">>> [credentials hidden]\n");
		if (io_send(r, line + 13, b64_len + 2, &f) != 0)
			goto io_failed;
	}
	if (smtp_read_reply(&io, &rd, &rep, &f) != 0)
		goto io_failed;
	if (rep.code == 334) {
		/* the error challenge: the empty response ends the exchange,
		 * and the relay's final reply is its word */
		text_cut(r->challenge, sizeof(r->challenge), rep.text,
		    strlen(rep.text));
		if (r->verbose)
			trace_line(true, "", 0);
		if (io_send(r, "\r\n", 2, &f) != 0 ||
		    smtp_read_reply(&io, &rd, &rep, &f) != 0)
			goto io_failed;
	}
answered:
	r->code = rep.code;
	text_cut(r->reply, sizeof(r->reply), rep.text, strlen(rep.text));
	if (rep.code == 235) {
		r->authenticated = true;
		rc = 0;
		goto out;
	}
	*in_step = rep.code != 334; /* a second challenge: not over */
	token_refusal(r, why, sizeof(why));
	set_status(st, RELAY_AUTH, r, why);
	goto out;
io_failed:
	*in_step = false;
	r->code = 0;
	r->reply[0] = '\0';
	set_status(st, r->timed_out ? RELAY_TIMEOUT : RELAY_IO, r, f.msg);
out:
	if (raw != NULL)
		explicit_bzero(raw, raw_len + 1);
	if (line != NULL)
		explicit_bzero(line, line_len + 1);
	free(raw);
	free(line);
	return rc;
}

bool
relay_next_message(struct relay *r)
{
	struct pollfd p = {r->sock, POLLIN, 0};

	/* after a transaction in step nothing is due from the relay: any
	 * byte, or its end, is a 421 or a close */
	if (r->sock == CURL_SOCKET_BAD || poll(&p, 1, 0) != 0)
		return false;
	r->deadline_ms = clock_ms() + (long long)r->c->message_timeout * 1000;
	return true;
}

/* QUIT and its 221, waiting a few seconds at most: curl does not send
 * QUIT for a CONNECT_ONLY session, and the message is already accepted. */
static void
quit(struct relay *r)
{
	struct smtp_io io;
	struct smtp_reader rd;
	struct smtp_reply rep;
	struct failure f = {FAIL_NONE, ""};
	long long deadline = clock_ms() + QUIT_WAIT_S * 1000;

	if (deadline < r->deadline_ms)
		r->deadline_ms = deadline;
	relay_io(r, &io);
	rd.len = 0;
	(void)snprintf(r->awaiting, sizeof(r->awaiting), "QUIT");
	if (r->verbose)
		trace_line(true, "QUIT", 4);
	if (io_send(r, "QUIT\r\n", 6, &f) == 0)
		(void)smtp_read_reply(&io, &rd, &rep, &f);
}

void
relay_close(struct relay *r, bool polite)
{
	if (r == NULL)
		return;
	if (r->curl != NULL) {
		if (polite && r->sock != CURL_SOCKET_BAD)
			quit(r);
		if (r->sock != CURL_SOCKET_BAD) {
			/* after QUIT, or out of step (mid-DATA, timed out): no
			 * QUIT from curl, no wait */
			(void)shutdown(r->sock, SHUT_RDWR);
		}
		curl_easy_cleanup(r->curl);
	}
	free(r);
}
