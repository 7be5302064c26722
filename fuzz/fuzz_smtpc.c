/* fuzz_smtpc - the SMTP transaction against whatever a relay replies */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t n, pos;
	int msg_done;
};

static int
sendf(void *ctx, const char *p, size_t len, struct failure *f)
{
	(void)ctx;
	(void)p;
	(void)len;
	(void)f;
	return 0;
}

static int
recvf(void *ctx, char *buf, size_t cap, size_t *got, struct failure *f)
{
	struct feed *k = ctx;
	size_t n = k->n - k->pos;

	if (n == 0) {
		fail_set(f, FAIL_TEMP, "closed");
		return -1;
	}
	if (n > cap)
		n = cap;
	if (n > 7)
		n = 7;
	memcpy(buf, k->p + k->pos, n);
	k->pos += n;
	*got = n;
	return 0;
}

static int
readf(void *ctx, char *buf, size_t cap, size_t *got, struct failure *f)
{
	struct feed *k = ctx;
	static const char msg[] = "Subject: x\r\n\r\n.dot\r\n";

	(void)f;
	*got = 0;
	if (!k->msg_done && cap >= sizeof(msg)) {
		memcpy(buf, msg, sizeof(msg) - 1);
		*got = sizeof(msg) - 1;
		k->msg_done = 1;
	}
	return 0;
}

static const char *
rcpt(const void *ctx, size_t i)
{
	(void)ctx;
	return i == 0 ? "a@x.org" : "b@x.org";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed k = {data, size, 0, 0};
	struct smtp_io io = {&k, sendf, recvf, &k, readf, NULL, NULL};
	struct smtp_caps caps;
	struct smtp_txn t;
	struct smtp_reply r[2];
	struct smtp_result res;
	struct failure f = {FAIL_NONE, ""};

	memset(&caps, 0, sizeof(caps));
	caps.pipelining = size > 0 && (data[0] & 1);
	memset(&t, 0, sizeof(t));
	t.sender = "s@x.org";
	t.nrcpt = 2;
	t.rcpt = rcpt;
	memset(&res, 0, sizeof(res));
	res.rcpt = r;
	(void)smtp_transaction(&io, &caps, &t, &res, &f);
	return 0;
}
