/* fuzz_gatecheck - the gate's own check of a message a caller may have
 * written by hand; whatever it accepts must hold the invariants the
 * relay relies on, checked here independently */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatecheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
clean_or_abort(const char *p, size_t len)
{
	size_t line = 0;

	if (len < 2 || p[len - 2] != '\r' || p[len - 1] != '\n')
		abort();
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\0')
			abort();
		if (p[i] == '\r') {
			if (i + 1 >= len || p[i + 1] != '\n')
				abort();
			i++;
			line = 0;
		} else if (p[i] == '\n' || ++line > 998) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct failure f = {FAIL_NONE, ""};
	char *copy;
	unsigned uid;

	if (size < 1)
		return 0;
	uid = data[0] % 3 == 0 ? 0 : data[0] % 3 == 1 ? 33 : 1000;
	/* an exact-size copy, so that ASan sees any read past the end */
	copy = malloc(size - 1 > 0 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (gatecheck_message(copy, size - 1, uid, "web1", &f) == 0) {
		clean_or_abort(copy, size - 1);
		if (f.kind != FAIL_NONE)
			abort();
	} else if (f.kind != FAIL_DATA || f.msg[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	free(copy);
	return 0;
}
