/* test_hdr.c - the header push parser */
#include "config.h"

#include <stdlib.h>

#include "hdr.h"
#include "tap.h"

static char seen[4096];
static char raw[4096];

static int
record(void *ctx, const struct hdr_field *fld)
{
	size_t n = strlen(seen);
	size_t r = strlen(raw);

	(void)ctx;
	snprintf(seen + n, sizeof(seen) - n, "[%.*s=%.*s]", (int)fld->nlen,
	    fld->name, (int)fld->vlen, fld->value);
	snprintf(raw + r, sizeof(raw) - r, "[%.*s]", (int)fld->rawlen,
	    fld->raw);
	return 0;
}

/* Push "\n"-separated lines; returns the index of the line that ended the
 * block, or -1 on error. */
static int
run(const char *text, struct failure *f)
{
	struct hdr_parser h;
	const char *p = text;
	int i = 0;
	int rc = -2;

	seen[0] = raw[0] = '\0';
	f->kind = FAIL_NONE;
	hdr_init(&h, record, NULL);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		enum hdr_push r = hdr_push_line(&h, p, len, f);

		if (r == HDR_ERROR) {
			rc = -1;
			break;
		}
		if (r == HDR_END) {
			rc = i;
			break;
		}
		i++;
		p += len + (nl ? 1 : 0);
	}
	if (rc == -2)
		rc = hdr_finish(&h, f) == 0 ? i : -1;
	hdr_free(&h);
	return rc;
}

int
main(void)
{
	struct failure f;

	ok(run("To: a@x.org\nSubject: hi\n\nbody\n", &f) == 2,
	    "the empty line ends the block");
	is_str(seen, "[To= a@x.org][Subject= hi]", "two fields");
	ok(run("To: a@x.org,\n b@y.org\n\tc@z.org\nX: 1\n\n", &f) == 4,
	    "folded field");
	is_str(seen, "[To= a@x.org, b@y.org\tc@z.org][X= 1]", "unfolded");
	is_str(raw, "[To: a@x.org,\r\n b@y.org\r\n\tc@z.org][X: 1]",
	    "the raw field keeps its folding, joined by CRLF");
	ok(run("From: a@x.org\nNotAHeader without colon\nTo: b@y.org\n", &f) ==
		1,
	    "a line without a colon starts the body");
	is_str(seen, "[From= a@x.org]", "only the field before it");
	ok(run(" leading continuation\nTo: x\n", &f) == 0,
	    "a continuation with nothing to continue starts the body");
	ok(run("Subject: hi\rBcc: evil@example.net\n", &f) == -1 &&
		f.kind == FAIL_DATA,
	    "bare CR in a header is refused");
	{
		static const char nul[] = "Subject: hi\0there";
		struct hdr_parser h;

		hdr_init(&h, record, NULL);
		ok(hdr_push_line(&h, nul, sizeof(nul) - 1, &f) == HDR_ERROR &&
			f.kind == FAIL_DATA,
		    "NUL in a header is refused");
		hdr_free(&h);
	}
	{
		char line[1100];

		memcpy(line, "X: ", 3);
		memset(line + 3, 'a', 995);
		line[998] = '\0';
		ok(run(line, &f) == 1, "a 998-octet header line is accepted");
		memset(line + 3, 'a', 996);
		line[999] = '\0';
		ok(run(line, &f) == -1 && f.kind == FAIL_DATA,
		    "a 999-octet header line is refused");
	}
	return done_testing();
}
