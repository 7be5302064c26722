/* fuzz_conf - the configuration reader (inih through our line checks) */
#include "config.h"

#include <stdint.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	struct failure f = {FAIL_NONE, ""};

	if (conf_parse((const char *)data, size, "fuzz.ini", &c, &f) == 0)
		conf_free(&c);
	return 0;
}
