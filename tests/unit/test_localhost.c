/* test_localhost - this machine's own names (localhost.h) and what an
 * address at one of them becomes (envelope.c) */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "envelope.h"
#include "localhost.h"
#include "tap.h"

static const char hosts[] =
    "# The following lines are desirable for IPv6 capable hosts\n"
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1 web1.shop.example web1   # Debian's installer line\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "10.0.0.9 db1.shop.example db1";

static const char *
fqdn_of(const char *text, const char *host)
{
	static char out[ADDR_BUFSZ];

	return localhost_fqdn_from_hosts(text, strlen(text), host, out) ? out
									 : "";
}

int
main(void)
{
	struct conf c;
	struct envelope e;
	struct failure f;

	is_str(fqdn_of(hosts, "web1"), "web1.shop.example",
	    "the canonical name of the line that lists the host");
	is_str(fqdn_of(hosts, "WEB1"), "web1.shop.example",
	    "host names compare without case");
	is_str(fqdn_of(hosts, "db1"), "db1.shop.example",
	    "the last line without a newline counts");
	is_str(fqdn_of(hosts, "localhost"), "",
	    "a host listed first (no other name) has no FQDN from the file");
	is_str(fqdn_of(hosts, "shop"), "", "a name only in a comment: none");
	is_str(fqdn_of("127.0.1.1 web1 web1.shop.example\n", "web1"), "",
	    "a canonical name without a dot is not an FQDN");
	is_str(fqdn_of("", "web1"), "", "an empty file: none");

	conf_defaults(&c);
	localhost_add(&c, "Web1", 4);
	localhost_add(&c, "web1", 4);
	localhost_add(&c, "web1.shop.example.", 18);
	localhost_add(&c, "bad_name", 8);
	localhost_add(&c, "", 0);
	ok(c.nlocal_names == 2 && strcmp(c.local_names[0], "web1") == 0 &&
		strcmp(c.local_names[1], "web1.shop.example") == 0,
	    "names are lower-cased, kept once, without the root's dot; "
	    "invalid ones are dropped");
	localhost_add(&c, "mail.shop.example", 17);
	localhost_add(&c, "fourth.shop.example", 19);
	ok(c.nlocal_names == 3, "at most three are kept");

	memcpy(c.domain, "store.example.com", sizeof("store.example.com"));
	c.aliases = NULL;
	c.naliases = 0;
	envelope_init(&e, 10);
	ok(envelope_add_list(&e, &c, "root@web1, bob@WEB1.shop.example",
	       strlen("root@web1, bob@WEB1.shop.example"), "recipient",
	       FAIL_USAGE, &f) == 0 &&
		e.nrcpt == 2 &&
		strcmp(e.rcpt[0], "root@store.example.com") == 0 &&
		strcmp(e.rcpt[1], "bob@store.example.com") == 0,
	    "an address at this host's name or FQDN is a local name: "
	    "qualified with domain");
	envelope_free(&e);
	ok(envelope_add_list(&e, &c, "user@otherhost", 14, "recipient",
	       FAIL_USAGE, &f) != 0 &&
		strstr(f.msg, "without a dot") != NULL,
	    "another dotless domain is still refused");
	envelope_free(&e);
	ok(envelope_add_list(&e, &c, "a@shop.example", 14, "recipient",
	       FAIL_USAGE, &f) == 0 &&
		strcmp(e.rcpt[0], "a@shop.example") == 0,
	    "the host's parent domain is not this host: kept");
	envelope_free(&e);
	ok(envelope_add_list(&e, &c, "\"a b\"@web1", 10, "recipient",
	       FAIL_USAGE, &f) != 0,
	    "a local part that is no local name is refused");
	envelope_free(&e);
	return done_testing();
}
