/* test_compose.c - the fields safemail adds */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "compose.h"
#include "tap.h"

int
main(void)
{
	char buf[COMPOSE_FIELD_MAX];

	setenv("TZ", "UTC", 1);
	tzset();
	ok(compose_date(buf, sizeof(buf), 0) > 0, "a date");
	is_str(buf, "Thu, 1 Jan 1970 00:00:00 +0000", "  in RFC 5322 form");
	setenv("TZ", "EST5", 1);
	tzset();
	ok(compose_date(buf, sizeof(buf), 1800000000) > 0, "another zone");
	is_str(buf, "Fri, 15 Jan 2027 03:00:00 -0500", "  with its offset");
	ok(compose_date(buf, 10, 0) == 0, "a date that does not fit gives 0");

	compose_from(buf, sizeof(buf), NULL, "a@x.org");
	is_str(buf, "From: a@x.org", "no full name");
	compose_from(buf, sizeof(buf), "Jane Doe", "a@x.org");
	is_str(buf, "From: Jane Doe <a@x.org>", "an atom phrase as it is");
	compose_from(buf, sizeof(buf), ".(", "a@x.org");
	is_str(buf, "From: \".(\" <a@x.org>", "specials are quoted");
	compose_from(buf, sizeof(buf), "Say \"hi\" \\ bye", "a@x.org");
	is_str(buf, "From: \"Say \\\"hi\\\" \\\\ bye\" <a@x.org>",
	    "quotes and backslashes escaped");
	compose_from(buf, sizeof(buf), "Jane  Doe", "a@x.org");
	is_str(buf, "From: \"Jane  Doe\" <a@x.org>",
	    "double spaces kept by quoting");
	compose_from(buf, sizeof(buf), "M\xc3\xbcller & S\xc3\xb6hne", "a@x.org");
	is_str(buf,
	    "From: =?UTF-8?Q?M=C3=BCller_=26_S=C3=B6hne?= <a@x.org>",
	    "non-ASCII: RFC 2047 Q encoding");
	{
		char name[200];
		bool short_lines = true;
		const char *line = buf;

		for (size_t i = 0; i < 66; i++)
			memcpy(name + 3 * i, "\xc3\xa9 ", i == 65 ? 2 : 3);
		name[197] = '\0';
		ok(compose_from(buf, sizeof(buf), name, "a@x.org") > 0,
		    "a long non-ASCII name");
		for (const char *p = buf;; p++) {
			if (*p == '\n' || *p == '\0') {
				if (p - line > 78)
					short_lines = false;
				if (*p == '\0')
					break;
				line = p + 1;
			}
		}
		ok(short_lines && strstr(buf, "?=\r\n =?UTF-8?Q?") != NULL &&
			strstr(buf, "=C3\r\n") == NULL,
		    "  is folded into encoded words, no line over 78, no "
		    "character split");
	}
	compose_message_id(buf, sizeof(buf), "123.ABC", "example.com");
	is_str(buf, "Message-ID: <123.ABC@example.com>", "Message-ID");
	setenv("TZ", "UTC", 1);
	tzset();
	compose_received(buf, sizeof(buf), "web1", 33, "ABC", 0);
	is_str(buf,
	    "Received: by web1 (safemail, from userid 33)\r\n\tid ABC; Thu, 1 "
	    "Jan 1970 00:00:00 +0000",
	    "the trace field names the uid");
	return done_testing();
}
