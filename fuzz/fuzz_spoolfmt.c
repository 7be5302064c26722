/* fuzz_spoolfmt - the back end's framed input (the envelope a front end
 * hands over, a spool file on disk, the request that carries them):
 * parse, and what parses formats and parses back to the same */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "spoolfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_env e, back;
	struct failure f = {FAIL_NONE, ""};
	struct handoff_req r;
	char *text;
	size_t len;

	if (handoff_parse_request((const char *)data, size, &r) == 0 &&
	    !(r.started >= 0 && r.started <= 1e12))
		abort();
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
