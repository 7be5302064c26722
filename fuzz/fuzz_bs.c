/* fuzz_bs - the -bs dialogue with accepting hooks: any input, in any
 * chunking, never breaks the state machine */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
reply(void *ctx, const char *line)
{
	(void)ctx;
	return strlen(line) < 3 ? -1 : 0;
}

static void
ok250(void *ctx, const char *a, const char *b, char *r, size_t sz)
{
	(void)ctx;
	(void)a;
	(void)b;
	(void)snprintf(r, sz, "250 ok");
}

static void
begin(void *ctx, char *r, size_t sz)
{
	(void)ctx;
	(void)snprintf(r, sz, "354 go");
}

static void
bytes(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
}

static void
end(void *ctx, char *r, size_t sz)
{
	(void)ctx;
	(void)snprintf(r, sz, "250 sent");
}

static void
reset(void *ctx)
{
	(void)ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_hooks h = {NULL, reply, ok250, ok250, begin, bytes, end,
	    reset, NULL};
	struct bs s;
	size_t chunk = size > 0 ? (size_t)data[0] % 64 + 1 : 1;

	bs_init(&s, &h, 1000, "fuzz");
	for (size_t i = 1; i < size; i += chunk)
		if (!bs_push(&s, (const char *)data + i,
			size - i < chunk ? size - i : chunk))
			return 0;
	bs_eof(&s);
	return 0;
}
