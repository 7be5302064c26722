/* msgin.c - reading the message from standard input */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "msgin.h"

void
msg_heads_free(struct msg_heads *mh)
{
	free(mh->from);
	for (size_t i = 0; i < mh->nrcpt; i++)
		free(mh->rcpt[i]);
	for (size_t i = 0; i < mh->nresent; i++)
		free(mh->resent[i]);
	free(mh->rcpt);
	free(mh->resent);
	memset(mh, 0, sizeof(*mh));
}

static int
push_value(char ***list, size_t *n, const char *v, size_t len)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));
	char *copy;

	if (grown == NULL)
		return -1;
	*list = grown;
	copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, v, len);
	copy[len] = '\0';
	(*list)[(*n)++] = copy;
	return 0;
}

static int
collect(void *ctx, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct msg_heads *mh = ctx;

	if (hdr_name_is(name, nlen, "From")) {
		if (mh->nfrom++ == 0) {
			mh->from = malloc(vlen + 1);
			if (mh->from == NULL)
				return -1;
			memcpy(mh->from, value, vlen);
			mh->from[vlen] = '\0';
		}
		return 0;
	}
	if (hdr_name_is(name, nlen, "To") || hdr_name_is(name, nlen, "Cc") ||
	    hdr_name_is(name, nlen, "Bcc"))
		return push_value(&mh->rcpt, &mh->nrcpt, value, vlen);
	if (hdr_name_is(name, nlen, "Resent-To") ||
	    hdr_name_is(name, nlen, "Resent-Cc") ||
	    hdr_name_is(name, nlen, "Resent-Bcc"))
		return push_value(&mh->resent, &mh->nresent, value, vlen);
	return 0;
}

/* msgin_read_headers - byte-at-a-time reads so that nothing past the header
 * block is consumed; the header block is small. */
int
msgin_read_headers(int fd, struct msg_heads *mh, struct failure *f)
{
	struct hdr_parser h;
	char line[LINE_MAX_OCTETS + 2];
	size_t len = 0;
	bool first = true;
	bool eof = false;
	int rc = -1;

	memset(mh, 0, sizeof(*mh));
	hdr_init(&h, collect, mh);
	f->kind = FAIL_NONE;
	while (!eof) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_set(f, FAIL_NOINPUT, "cannot read standard input: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0) {
			eof = true;
			if (len == 0)
				break;
		} else if (c != '\n') {
			if (len >= sizeof(line)) {
				fail_set(f, FAIL_DATA,
				    "header line longer than %d octets",
				    LINE_MAX_OCTETS);
				goto out;
			}
			line[len++] = c;
			continue;
		}
		if (len > 0 && line[len - 1] == '\r' && !eof)
			len--;
		if (first && len >= 5 && memcmp(line, "From ", 5) == 0) {
			first = false;
			len = 0;
			continue; /* mbox separator, not a header */
		}
		first = false;
		switch (hdr_push_line(&h, line, len, f)) {
		case HDR_MORE:
			len = 0;
			continue;
		case HDR_END:
			rc = 0;
			goto out;
		case HDR_ERROR:
			goto out;
		}
	}
	rc = hdr_finish(&h, f);
out:
	hdr_free(&h);
	if (rc != 0 && f->kind == FAIL_NONE)
		fail_set(f, FAIL_OSERR, "out of memory");
	if (rc != 0)
		msg_heads_free(mh);
	return rc;
}
