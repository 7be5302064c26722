/* fuzz_conf - the configuration reader (inih through our line checks),
 * and the policy the gate writes from what it read: conf_parse must read
 * that policy back, and writing it again must give the same text (the
 * front end gets the settings the gate parsed, whatever the file's
 * spelling). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
policy_round_trip(const struct conf *c)
{
	struct conf back;
	struct failure f = {FAIL_NONE, ""};
	char *p = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	if (conf_policy_text(c, 1 << 20, &p, &len, &f) != 0)
		abort(); /* every parsed configuration has a policy */
	if (conf_parse(p, len, "policy", &back, &f) != 0)
		abort();
	if (conf_policy_text(&back, 1 << 20, &again, &len2, &f) != 0 ||
	    len2 != len || memcmp(p, again, len) != 0)
		abort();
	free(again);
	free(p);
	conf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	struct failure f = {FAIL_NONE, ""};

	if (conf_parse((const char *)data, size, "fuzz.ini", &c, &f) == 0) {
		policy_round_trip(&c);
		conf_free(&c);
	}
	return 0;
}
