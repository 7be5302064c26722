/* test_hello.c - the submission service's hello (handoff.h): what the
 * caller says of itself arrives printable, anything else is refused;
 * the exit code's message */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handoff.h"
#include "tap.h"

int
main(void)
{
	/* the service's hello (handoff.h): what the caller says of itself
	 * arrives printable, labelled by the gate; anything else is refused */
	{
		int sv[2];
		char kind = 0;
		bool verbose = true;
		char claim[HANDOFF_CLAIM_MAX], big[HANDOFF_CLAIM_MAX + 50];

		ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
		ok(handoff_send_hello(sv[0], 'S', false,
		       "php-fpm8.2 (pid 7, /usr/sbin/php-fpm8.2, cwd /)") == 0 &&
			handoff_receive_hello(sv[1], &kind, &verbose, claim,
			    sizeof(claim)) == 0 &&
			kind == 'S' && !verbose &&
			strcmp(claim,
			    "php-fpm8.2 (pid 7, /usr/sbin/php-fpm8.2, cwd /)") ==
			    0,
		    "a hello round trip");
		ok(handoff_send_hello(sv[0], 'L', true, "a\nb\033[2J") == 0 &&
			handoff_receive_hello(sv[1], &kind, &verbose, claim,
			    sizeof(claim)) == 0 &&
			kind == 'L' && verbose && strchr(claim, '\n') == NULL &&
			strchr(claim, '\033') == NULL,
		    "the claim's control characters are not shown as they are");
		ok(send(sv[0], "HXv", 3, 0) == 3 &&
			handoff_receive_hello(sv[1], &kind, &verbose, claim,
			    sizeof(claim)) != 0,
		    "an unknown kind is refused");
		ok(send(sv[0], "PSv", 3, 0) == 3 &&
			handoff_receive_hello(sv[1], &kind, &verbose, claim,
			    sizeof(claim)) != 0,
		    "a packet that is not a hello is refused");
		memset(big, 'a', sizeof(big));
		memcpy(big, "HS-", 3);
		ok(send(sv[0], big, sizeof(big), 0) == (ssize_t)sizeof(big) &&
			handoff_receive_hello(sv[1], &kind, &verbose, claim,
			    sizeof(claim)) != 0,
		    "an oversized hello is refused, not cut");
		ok(send(sv[0], "HS", 2, 0) == 2 &&
			handoff_receive_hello(sv[1], &kind, &verbose, claim,
			    sizeof(claim)) != 0,
		    "a short hello is refused");
		ok(handoff_send_result(sv[0], 75) == 0 &&
			handoff_receive_result(sv[1]) == 75,
		    "an exit code round trip");
		(void)close(sv[0]);
		ok(handoff_receive_result(sv[1]) == -1,
		    "a closed socket says no exit code");
		(void)close(sv[1]);
	}
	return done_testing();
}
