/* test_dsn.c - the bounce's structure (the full parse is in spool.py) */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "dsn.h"
#include "tap.h"

int
main(void)
{
	char st[16];
	struct dsn_rcpt r[2] = {{"bad@x.org", "550 5.1.1 <bad@x.org> unknown",
				    NULL},
	    {"slow@x.org", "expired after 5 days: 451 later", "4.4.7"}};
	struct dsn_input in;
	static const char headers[] = "Subject: hi\r\nTo: bad@x.org\r\n";
	char *text;
	size_t len;
	bool lines_ok = true;

	dsn_status("550 5.1.1 unknown", "5.0.0", st);
	is_str(st, "5.1.1", "enhanced status from the reply");
	dsn_status("550 unknown user", "5.0.0", st);
	is_str(st, "5.0.0", "none in the reply: the fallback");
	dsn_status("554 5.7.1", "5.0.0", st);
	is_str(st, "5.7.1", "at the end of the text");
	dsn_status("550 5.1234.1 x", "5.0.0", st);
	is_str(st, "5.0.0", "a malformed code is not taken");

	memset(&in, 0, sizeof(in));
	in.host = "web1.example.com";
	in.from = "MAILER-DAEMON@example.com";
	in.to = "shop@example.com";
	in.qid = "0123456789AB";
	in.bounce_id = "BA9876543210";
	in.arrival = 0;
	in.now = 86400;
	in.rcpt = r;
	in.nrcpt = 2;
	in.headers = headers;
	in.headers_len = sizeof(headers) - 1;
	text = dsn_compose(&in, &len);
	ok(text != NULL && strlen(text) == len, "a report");
	ok(strstr(text, "Content-Type: multipart/report; "
			"report-type=delivery-status;") != NULL &&
		strstr(text, "Content-Type: message/delivery-status") != NULL &&
		strstr(text, "Content-Type: text/rfc822-headers\r\n\r\n"
			     "Subject: hi\r\nTo: bad@x.org\r\n") != NULL,
	    "multipart/report with the status and the original headers");
	ok(strstr(text, "Final-Recipient: rfc822; bad@x.org\r\nAction: failed"
			"\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1") !=
		    NULL &&
		strstr(text, "Final-Recipient: rfc822; slow@x.org\r\nAction: "
			     "failed\r\nStatus: 4.4.7") != NULL,
	    "one block per recipient, status from the reply or given");
	ok(strstr(text, "Auto-Submitted: auto-replied") != NULL &&
		strstr(text, "To: <shop@example.com>") != NULL,
	    "auto-replied, to the sender");
	for (const char *p = text; *p != '\0'; p++)
		if ((*p == '\n' && (p == text || p[-1] != '\r')) ||
		    (*p == '\r' && p[1] != '\n'))
			lines_ok = false;
	ok(lines_ok, "CRLF only");
	free(text);
	return done_testing();
}
