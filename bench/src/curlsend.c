/* curlsend - a minimal libcurl SMTP sender (the cost of the mandated
 * library): standard input to smtp://127.0.0.1:PORT, optionally with
 * STARTTLS against a CA file or a hashed CA directory. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	CURL *c;
	struct curl_slist *r = NULL;
	char url[64];
	CURLcode rc;

	if (argc < 2)
		return 2;
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%s/raw", argv[1]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	r = curl_slist_append(r, "<a@example.org>");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, "<b@example.com>");
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, r);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READDATA, stdin);
	if (argc > 2) { /* STARTTLS; argv[2] a CA file, or "capath:DIR" */
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		if (strncmp(argv[2], "capath:", 7) == 0) {
			curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
			curl_easy_setopt(c, CURLOPT_CAPATH, argv[2] + 7);
		} else {
			curl_easy_setopt(c, CURLOPT_CAINFO, argv[2]);
			curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		}
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(r);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : 1;
}
