/* fuzz_oauth2 - the token endpoint's answer (hostile network input) and
 * the token cache file: a token taken is always fit for the AUTH line,
 * and a cache file written parses back to the same token */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct oauth2_token tok, back;
static char buf[OAUTH2_TOKEN_MAX + 128], why[512];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the first byte picks the HTTP status */
	static const long statuses[] = {200, 400, 401, 302, 429, 500, 404};
	long status = size > 0 ? statuses[data[0] % 7] : 200;
	const char *body = (const char *)data + (size > 0);
	size_t len = size > 0 ? size - 1 : 0;
	size_t n;

	if (oauth2_parse_answer(status, body, len, 1000, &tok, why,
		sizeof(why)) == OAUTH2_OK) {
		if (status != 200 ||
		    !oauth2_token_ok(tok.value, strlen(tok.value)))
			abort();
		if (!oauth2_cache_format(&tok, buf, sizeof(buf), &n) ||
		    !oauth2_cache_parse(buf, n, &back) ||
		    strcmp(back.value, tok.value) != 0 ||
		    back.expires_at != tok.expires_at)
			abort();
	}
	if (strlen(why) >= sizeof(why))
		abort();
	if (oauth2_cache_parse(body, len, &back) &&
	    !oauth2_token_ok(back.value, strlen(back.value)))
		abort();
	return 0;
}
