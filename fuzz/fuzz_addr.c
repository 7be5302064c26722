/* fuzz_addr - the strict address grammar and RFC 5322 address lists */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
count(void *ctx, const char *spec, size_t len, size_t end)
{
	char out[ADDR_BUFSZ];

	(void)end;
	(void)addr_check(spec, len, ADDR_PROFILE_RECIPIENT, out);
	++*(int *)ctx;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[ADDR_BUFSZ];
	const char *err;
	int n = 0;

	(void)addr_check(s, size, ADDR_PROFILE_SENDER, out);
	(void)addr_check(s, size, ADDR_PROFILE_RECIPIENT, out);
	(void)addr_check_domain(s, size, out);
	(void)addr_check_hostname(s, size);
	(void)addr_list_parse(s, size, count, &n, &err);
	return 0;
}
