/* sandbox_none.c - no filter built with the program: what the generator
 * of the prebuilt filters (src/tools/sandbox-bpf.c), the tests and a
 * cross build link instead of the generated list. Every policy's filter
 * is then built at run time (sandbox.c). */
#include "config.h"

#include "sandbox.h"

const struct sandbox_prebuilt *
sandbox_prebuilt_list(size_t *n)
{
	*n = 0;
	return NULL;
}
