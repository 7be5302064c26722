/* fuzz_spoolfmt - the back end's framed input (the envelope a front end
 * hands over, a spool file on disk): parse, and what parses formats and
 * parses back to the same */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spoolfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_env e, back;
	struct failure f = {FAIL_NONE, ""};
	char *text;
	size_t len;

	if (spool_env_parse((const char *)data, size, &e, &f) != 0)
		return 0;
	text = spool_env_format(&e, &len);
	if (text == NULL)
		abort();
	if (spool_env_parse(text, len, &back, &f) != 0 ||
	    back.nrcpt != e.nrcpt || strcmp(back.sender, e.sender) != 0)
		abort();
	spool_env_free(&back);
	free(text);
	spool_env_free(&e);
	return 0;
}
