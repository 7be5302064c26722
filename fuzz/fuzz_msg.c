/* fuzz_msg - the message pipeline: header parser, qualification, the
 * normalizer, header_from = envelope (fromalign.c); and the invariant
 * that what comes out is clean */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fromalign.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	int prev_cr;
	size_t line;
};

static int
check(void *ctx, const char *p, size_t len)
{
	struct out *o = ctx;

	/* every line ends in CRLF, no bare CR or LF, no NUL, <= 998 */
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\0')
			abort();
		if (p[i] == '\n') {
			if (!o->prev_cr)
				abort();
			o->line = 0;
		} else if (o->prev_cr) {
			abort();
		} else if (p[i] != '\r' && ++o->line > 998) {
			abort();
		}
		o->prev_cr = p[i] == '\r';
	}
	return 0;
}

static int
hook(void *ctx, struct msg *m, struct failure *f)
{
	const int *align = ctx;

	if (msg_add_field(m, true, "Received: by fuzz", 17, f) != 0)
		return -1;
	return *align ? from_align(m, "shop@example.com", f) : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int dots = 0; dots < 2; dots++) {
		struct msg_options o;
		struct msg m;
		struct out out = {0, 0};
		struct failure f = {FAIL_NONE, ""};
		size_t half = size / 2;

		memset(&o, 0, sizeof(o));
		o.ignore_dots = dots;
		o.domain = "example.com";
		o.write = check;
		o.write_ctx = &out;
		o.headers_done = hook;
		o.headers_ctx = &dots; /* aligned in the second pass */
		msg_init(&m, &o);
		if (msg_push(&m, (const char *)data, half, &f) == 0 &&
		    msg_push(&m, (const char *)data + half, size - half, &f) ==
			0 &&
		    msg_finish(&m, &f) == 0 && out.prev_cr)
			abort(); /* ended inside a line */
		msg_free(&m);
	}
	return 0;
}
