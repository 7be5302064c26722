/* msgin.h - reading the message from standard input */
#ifndef SAFEMAIL_MSGIN_H
#define SAFEMAIL_MSGIN_H

#include "fail.h"
#include "hdr.h"

/* The header fields that decide the envelope, collected from the message. */
struct msg_heads {
	size_t nfrom;
	char *from; /* the first From: value */
	size_t nrcpt;
	char **rcpt; /* To/Cc/Bcc values */
	size_t nresent;
	char **resent; /* Resent-To/Cc/Bcc values */
};

void msg_heads_free(struct msg_heads *mh);

/* msgin_read_headers - read the header block from fd (a leading mbox
 * "From " line is skipped) and collect the envelope fields. Reads nothing
 * past the header block's end line. */
int msgin_read_headers(int fd, struct msg_heads *mh, struct failure *f);

#endif
