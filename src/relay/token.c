/* token.c - the OAuth2 access token: cache and endpoint (see token.h) */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "relay.h"
#include "rundir.h"
#include "sandbox_relay.h"
#include "text.h"
#include "token.h"

#define CACHE_FILE_MODE 0660
#define CACHE_FILE_MAX (OAUTH2_TOKEN_MAX + 128)

static bool
refresh_grant(const struct conf *c)
{
	return c->oauth2.refresh_token != NULL;
}

/* ---- the cache, in <spool>/run (rundir.h) ---- */

/* "oauth2-" and a hash of what the token is for: endpoint, client,
 * scope, mailbox and grant (no secret) */
static void
cache_name(const struct conf *c, char *name, size_t namesz)
{
	const struct conf_oauth2 *o = &c->oauth2;
	const char *parts[] = {o->token_url, o->client_id,
	    o->scope != NULL ? o->scope : "", c->username,
	    refresh_grant(c) ? "refresh_token" : "client_credentials"};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t o_ = 0;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++)
			(void)EVP_DigestUpdate(ctx, parts[i],
			    strlen(parts[i]) + 1);
		(void)EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	EVP_MD_CTX_free(ctx);
	o_ = (size_t)snprintf(name, namesz, "oauth2-");
	for (unsigned i = 0; i < mdlen && i < 16 && o_ + 3 <= namesz; i++)
		o_ += (size_t)snprintf(name + o_, namesz - o_, "%02x", md[i]);
}

static bool
cache_read(int dfd, const char *name, struct oauth2_token *tok)
{
	char buf[CACHE_FILE_MAX];
	struct stat st;
	size_t got = 0;
	bool ok = false;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 007) == 0 && st.st_size > 0 &&
	    st.st_size < (off_t)sizeof(buf)) {
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + got, sizeof(buf) - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		ok = got == (size_t)st.st_size &&
		    oauth2_cache_parse(buf, got, tok);
	}
	/* written whole by cache_write: anything else is not obeyed */
	if (!ok)
		log_emit(LOG_ERR, "%s/%s: not an OAuth2 token cache: ignored, "
				  "a token is asked for",
		    rundir_path(), name);
	explicit_bzero(buf, sizeof(buf));
	(void)close(fd);
	return ok;
}

/* written whole under a name of its own, then renamed over the old one:
 * a reader sees the old file or the new, never half of one */
static void
cache_write(int dfd, const char *name, const struct oauth2_token *tok)
{
	char buf[CACHE_FILE_MAX], tmp[96];
	size_t len, off = 0;
	int fd;

	if (!oauth2_cache_format(tok, buf, sizeof(buf), &len))
		return;
	(void)snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, CACHE_FILE_MODE);
	if (fd < 0 && errno == EEXIST && unlinkat(dfd, tmp, 0) == 0)
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
			O_NOFOLLOW | O_CLOEXEC, CACHE_FILE_MODE);
	if (fd >= 0) {
		(void)fchmod(fd, CACHE_FILE_MODE);
		while (off < len) {
			ssize_t n = write(fd, buf + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	if (fd < 0 || close(fd) != 0 || off != len ||
	    renameat(dfd, tmp, dfd, name) != 0) {
		log_emit(LOG_WARNING, "OAuth2 token cache: cannot write %s/%s: "
				      "%s (the token is used uncached)",
		    rundir_path(), name, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
	}
}

void
token_forget(const struct conf *c, const struct oauth2_token *tok)
{
	struct oauth2_token cached;
	char name[64];
	int dfd = rundir_open();

	if (dfd < 0)
		return;
	cache_name(c, name, sizeof(name));
	if (cache_read(dfd, name, &cached) &&
	    strcmp(cached.value, tok->value) == 0)
		(void)unlinkat(dfd, name, 0);
	oauth2_wipe(&cached);
	(void)close(dfd);
}

/* ---- the endpoint ---- */

struct body {
	char buf[OAUTH2_BODY_MAX];
	size_t len;
	bool too_long;
};

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t len = size * n;

	if (len > sizeof(b->buf) - b->len) {
		b->too_long = true;
		return 0; /* curl stops: CURLE_WRITE_ERROR */
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return len;
}

/* "&name=value", the value escaped; false when out of memory */
static bool
add_field(CURL *h, char **form, size_t *len, const char *name,
    const char *value)
{
	char *esc = curl_easy_escape(h, value, 0);
	size_t add, elen;
	char *grown;

	if (esc == NULL)
		return false;
	elen = strlen(esc);
	add = strlen(name) + elen + 2;
	grown = malloc(*len + add + 1);
	if (grown == NULL) {
		explicit_bzero(esc, elen);
		curl_free(esc);
		return false;
	}
	if (*form != NULL) {
		memcpy(grown, *form, *len);
		explicit_bzero(*form, *len);
		free(*form);
	}
	(void)snprintf(grown + *len, add + 1, "%s%s=%s", *len > 0 ? "&" : "",
	    name, esc);
	*len = strlen(grown);
	*form = grown;
	explicit_bzero(esc, elen);
	curl_free(esc);
	return true;
}

static char *
request_form(CURL *h, const struct conf *c, size_t *len)
{
	const struct conf_oauth2 *o = &c->oauth2;
	char *form = NULL;
	bool ok;

	*len = 0;
	ok = add_field(h, &form, len, "grant_type",
		 refresh_grant(c) ? "refresh_token" : "client_credentials") &&
	    add_field(h, &form, len, "client_id", o->client_id) &&
	    (o->client_secret == NULL ||
		add_field(h, &form, len, "client_secret", o->client_secret)) &&
	    (!refresh_grant(c) ||
		add_field(h, &form, len, "refresh_token", o->refresh_token)) &&
	    (o->scope == NULL || add_field(h, &form, len, "scope", o->scope));
	if (!ok && form != NULL) {
		explicit_bzero(form, *len);
		free(form);
		form = NULL;
	}
	return form;
}

/* A transport failure: a TLS certificate problem is the admin's (and
 * never retried blindly), anything else may pass. */
static enum oauth2_outcome
transport_outcome(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return OAUTH2_REFUSED;
	default:
		return OAUTH2_TEMP;
	}
}

static enum oauth2_outcome
fetch(const struct conf *c, struct oauth2_token *tok, char *why, size_t whysz)
{
	struct body *b = calloc(1, sizeof(*b));
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *form = NULL;
	size_t flen = 0;
	long status = 0;
	CURLcode rc = CURLE_OK;
	enum oauth2_outcome out = OAUTH2_TEMP;
	CURL *h = curl_easy_init();

	(void)snprintf(why, whysz, "cannot set up the request");
	if (h == NULL || b == NULL)
		goto done;
	form = request_form(h, c, &flen);
	hdr = curl_slist_append(NULL, "Accept: application/json");
	if (form == NULL || hdr == NULL)
		goto done;
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)
	SET(CURLOPT_URL, c->oauth2.token_url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout);
	SET(CURLOPT_TIMEOUT, (long)c->connect_timeout + c->command_timeout);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SET(CURLOPT_HTTPHEADER, hdr);
	SET(CURLOPT_POSTFIELDS, form);
	SET(CURLOPT_POSTFIELDSIZE, (long)flen);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, b);
	/* the endpoint is sent the client secret: always verified, against
	 * the relay's CA choice */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
#undef SET
	if (rc == CURLE_OK && relay_set_trust(h, c) != 0)
		rc = CURLE_FAILED_INIT;
	if (rc != CURLE_OK)
		goto done;
	if (relay_pin_url(h, c->oauth2.token_url, why, whysz) != 0)
		goto done; /* sandboxed: its name did not resolve before */
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		out = b->too_long ? OAUTH2_TEMP : transport_outcome(rc);
		(void)snprintf(why, whysz, "%s",
		    b->too_long ? "the answer is larger than 64 KiB"
		    : errbuf[0] != '\0' ? errbuf
					: curl_easy_strerror(rc));
		goto done;
	}
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	out = oauth2_parse_answer(status, b->buf, b->len, (long long)time(NULL),
	    tok, why, whysz);
done:
	if (form != NULL) {
		explicit_bzero(form, flen);
		free(form);
	}
	if (b != NULL) {
		explicit_bzero(b->buf, b->len);
		free(b);
	}
	curl_slist_free_all(hdr);
	if (h != NULL)
		curl_easy_cleanup(h);
	return out;
}

enum oauth2_outcome
token_get(const struct conf *c, bool fresh, bool verbose,
    struct oauth2_token *tok, bool *fetched, char *why, size_t whysz)
{
	const char *grant =
	    refresh_grant(c) ? "refresh-token" : "client-credentials";
	long long now = (long long)time(NULL);
	char name[64], detail[400];
	enum oauth2_outcome out;
	int dfd = rundir_open();

	*fetched = false;
	why[0] = '\0';
	cache_name(c, name, sizeof(name));
	if (!fresh && dfd >= 0 && cache_read(dfd, name, tok)) {
		if (!oauth2_cache_plausible(tok, now)) {
			log_emit(LOG_ERR, "%s/%s: an OAuth2 token said to be "
					  "good until %lld, further ahead than "
					  "any endpoint gives: ignored",
			    rundir_path(), name, tok->expires_at);
		} else if (oauth2_fresh(tok, now)) {
			if (verbose)
				(void)fprintf(stderr,
				    "* OAuth2: a cached access token, good "
				    "for %lld s more\n",
				    tok->expires_at - now);
			(void)close(dfd);
			return OAUTH2_OK;
		}
	}
	oauth2_wipe(tok);
	if (verbose)
		(void)fprintf(stderr, "* OAuth2: asking %s for an access token "
				      "(%s grant, client %s)\n",
		    c->oauth2.token_url, grant, c->oauth2.client_id);
	out = fetch(c, tok, detail, sizeof(detail));
	if (out == OAUTH2_OK) {
		*fetched = true;
		if (verbose)
			(void)fprintf(stderr, "* OAuth2: got an access token%s\n",
			    tok->expires_at != 0 ? "" : " (no expiry given: not "
							"cached)");
		if (dfd >= 0 && tok->expires_at != 0)
			cache_write(dfd, name, tok);
	} else {
		(void)snprintf(why, whysz, "OAuth2 token endpoint %s %s (%s "
					   "grant): %s",
		    c->oauth2.token_url,
		    out == OAUTH2_REFUSED ? "refused the request"
					  : "is unavailable",
		    grant, detail);
	}
	if (dfd >= 0)
		(void)close(dfd);
	return out;
}
