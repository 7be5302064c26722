/* dsn.c - the bounce: an RFC 3464 delivery status notification (pure) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "dsn.h"
#include "strbuf.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
dsn_status(const char *reply, const char *fallback, char out[16])
{
	/* "550 5.1.1 text": class.subject.detail after the code */
	const char *p = reply;
	size_t n = 0;

	if (strlen(p) > 4 && is_digit(p[0]) && p[3] == ' ')
		p += 4;
	if ((p[0] == '4' || p[0] == '5') && p[1] == '.') {
		n = 2;
		while (is_digit(p[n]) && n < 5)
			n++;
		if (p[n] == '.' && n > 2) {
			size_t k = n + 1;

			while (is_digit(p[k]) && k < n + 4)
				k++;
			if (k > n + 1 && (p[k] == ' ' || p[k] == '\0') &&
			    k < 16) {
				memcpy(out, p, k);
				out[k] = '\0';
				return;
			}
		}
	}
	(void)snprintf(out, 16, "%s", fallback);
}

char *
dsn_compose(const struct dsn_input *in, size_t *len)
{
	struct strbuf o = {NULL, 0, 0, false};
	char date[64], arrival[64], boundary[64], status[16];

	(void)compose_date(date, sizeof(date), in->now);
	(void)compose_date(arrival, sizeof(arrival), in->arrival);
	(void)snprintf(boundary, sizeof(boundary), "%s.%lld/%s", in->bounce_id,
	    (long long)in->now, in->host);
	strbuf_putf(&o, "From: Mail Delivery System <%s>\r\n", in->from);
	strbuf_putf(&o, "To: <%s>\r\n", in->to);
	strbuf_putf(&o, "Subject: Undelivered Mail Returned to Sender\r\n");
	strbuf_putf(&o, "Date: %s\r\n", date);
	strbuf_putf(&o, "Message-ID: <%s.%lld@%s>\r\n", in->bounce_id,
	    (long long)in->now, in->host);
	strbuf_putf(&o, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	strbuf_putf(&o, "Content-Type: multipart/report; "
		 "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n",
	    boundary);
	strbuf_putf(&o, "\r\nThis is a MIME-encapsulated message.\r\n\r\n");

	strbuf_putf(&o, "--%s\r\nContent-Description: Notification\r\n"
		 "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    boundary);
	strbuf_putf(&o, "This is the mail system at host %s.\r\n\r\n", in->host);
	strbuf_putf(&o, "Your message (queue id %s) could not be delivered to one "
		 "or more\r\nrecipients. The relay's replies follow.\r\n\r\n",
	    in->qid);
	for (size_t i = 0; i < in->nrcpt; i++)
		strbuf_putf(&o, "<%s>: %s\r\n", in->rcpt[i].addr, in->rcpt[i].reply);

	strbuf_putf(&o, "\r\n--%s\r\nContent-Description: Delivery report\r\n"
		 "Content-Type: message/delivery-status\r\n\r\n",
	    boundary);
	strbuf_putf(&o, "Reporting-MTA: dns; %s\r\nX-Safemail-Queue-ID: %s\r\n"
		 "Arrival-Date: %s\r\n",
	    in->host, in->qid, arrival);
	for (size_t i = 0; i < in->nrcpt; i++) {
		dsn_status(in->rcpt[i].reply,
		    in->rcpt[i].status != NULL ? in->rcpt[i].status : "5.0.0",
		    status);
		if (in->rcpt[i].status != NULL)
			(void)snprintf(status, sizeof(status), "%s",
			    in->rcpt[i].status);
		strbuf_putf(&o, "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\n"
			 "Status: %s\r\nDiagnostic-Code: smtp; %s\r\n",
		    in->rcpt[i].addr, status, in->rcpt[i].reply);
	}

	strbuf_putf(&o, "\r\n--%s\r\nContent-Description: Undelivered Message "
		 "Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n",
	    boundary);
	strbuf_put(&o, in->headers, in->headers_len);
	if (in->headers_len < 2 ||
	    memcmp(in->headers + in->headers_len - 2, "\r\n", 2) != 0)
		strbuf_put(&o, "\r\n", 2);
	strbuf_putf(&o, "\r\n--%s--\r\n", boundary);
	return strbuf_take(&o, len);
}
