/* fuzz_argv - the command line policy: NUL-separated arguments */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[66];
	int argc = 0;
	struct request req;
	struct failure f = {FAIL_NONE, ""};

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	static char name[] = "sendmail";

	argv[argc++] = name;
	for (char *p = buf; argc < 65 && p <= buf + size;) {
		argv[argc++] = p;
		p += strlen(p) + 1;
	}
	argv[argc] = NULL;
	(void)argv_parse(argc, argv, &req, &f);
	free(buf);
	return 0;
}
