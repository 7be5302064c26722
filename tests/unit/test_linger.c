/* test_linger.c - the identity the service's relay client that stays
 * is found by (linger_tag), the exit code's message, and the service's
 * hello (handoff.h) */
#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/socket.h>

#include "handoff.h"
#include "linger.h"
#include "startup.h"
#include "tap.h"

int
main(void)
{
	struct stat a, b, prog, prog2;
	struct startup st, other;
	char t1[LINGER_TAG_SIZE], t2[LINGER_TAG_SIZE];

	memset(&a, 0, sizeof(a));
	memset(&st, 0, sizeof(st));
	a.st_dev = 2049;
	a.st_ino = 131;
	a.st_ctim.tv_sec = 1700000000;
	a.st_ctim.tv_nsec = 5;
	memset(&prog, 0, sizeof(prog));
	prog.st_dev = 2049;
	prog.st_ino = 77;
	linger_tag(&a, &prog, &st, t1);
	ok(strlen(t1) == 16 && strspn(t1, "0123456789abcdef") == 16,
	    "the tag is 16 hex digits (%s)", t1);
	b = a;
	b.st_size = 999; /* not part of the identity: ctime moves with it */
	linger_tag(&b, &prog, &st, t2);
	ok(strcmp(t1, t2) == 0, "the same file: the same tag");

	b = a;
	b.st_ctim.tv_nsec = 6;
	linger_tag(&b, &prog, &st, t2);
	ok(strcmp(t1, t2) != 0, "a changed file (ctime): another tag");
	b = a;
	b.st_ino = 132;
	linger_tag(&b, &prog, &st, t2);
	ok(strcmp(t1, t2) != 0, "a replaced file (inode): another tag");
	b = a;
	b.st_dev = 2050;
	linger_tag(&b, &prog, &st, t2);
	ok(strcmp(t1, t2) != 0, "another file system: another tag");
	prog2 = prog;
	prog2.st_ino = 99;
	linger_tag(&a, &prog2, &st, t2);
	ok(strcmp(t1, t2) != 0, "another program file (an upgrade): another "
				"tag");

	other = st;
	memcpy(other.spool_path, "/tmp/spool", sizeof("/tmp/spool"));
	linger_tag(&a, &prog, &other, t2);
	ok(strcmp(t1, t2) != 0, "another spool override: another tag");
	other = st;
	memcpy(other.log_socket, "/tmp/log", sizeof("/tmp/log"));
	linger_tag(&a, &prog, &other, t2);
	ok(strcmp(t1, t2) != 0, "another log socket override: another tag");
	/* the overrides are hashed with their ends: "ab"+"" is not "a"+"b" */
	other = st;
	memcpy(other.config_path, "ab", 3);
	linger_tag(&a, &prog, &other, t1);
	other = st;
	memcpy(other.config_path, "a", 2);
	memcpy(other.log_socket, "b", 2);
	linger_tag(&a, &prog, &other, t2);
	ok(strcmp(t1, t2) != 0, "overrides are not merely concatenated");

	/* as the gate and the relay client run: soft limits raised */
	/* the service's hello (handoff.h): what the caller says of itself
	 * arrives printable, labelled by the gate; anything else is refused */
	{
		int sv[2];
		bool send_now = false, verbose = true;
		char claim[HANDOFF_CLAIM_MAX], big[HANDOFF_CLAIM_MAX + 50];

		ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
		ok(handoff_send_hello(sv[0], true, false,
		       "php-fpm8.2 (pid 7, /usr/sbin/php-fpm8.2, cwd /)") == 0 &&
			handoff_receive_hello(sv[1], &send_now, &verbose, claim,
			    sizeof(claim)) == 0 &&
			send_now && !verbose &&
			strcmp(claim,
			    "php-fpm8.2 (pid 7, /usr/sbin/php-fpm8.2, cwd /)") ==
			    0,
		    "a hello round trip");
		ok(handoff_send_hello(sv[0], false, true, "a\nb\033[2J") == 0 &&
			handoff_receive_hello(sv[1], &send_now, &verbose, claim,
			    sizeof(claim)) == 0 &&
			!send_now && verbose && strchr(claim, '\n') == NULL &&
			strchr(claim, '\033') == NULL,
		    "the claim's control characters are not shown as they are");
		ok(send(sv[0], "HXv", 3, 0) == 3 &&
			handoff_receive_hello(sv[1], &send_now, &verbose, claim,
			    sizeof(claim)) != 0,
		    "an unknown kind is refused");
		ok(send(sv[0], "PSv", 3, 0) == 3 &&
			handoff_receive_hello(sv[1], &send_now, &verbose, claim,
			    sizeof(claim)) != 0,
		    "a packet that is not a hello is refused");
		memset(big, 'a', sizeof(big));
		memcpy(big, "HS-", 3);
		ok(send(sv[0], big, sizeof(big), 0) == (ssize_t)sizeof(big) &&
			handoff_receive_hello(sv[1], &send_now, &verbose, claim,
			    sizeof(claim)) != 0,
		    "an oversized hello is refused, not cut");
		ok(send(sv[0], "HS", 2, 0) == 2 &&
			handoff_receive_hello(sv[1], &send_now, &verbose, claim,
			    sizeof(claim)) != 0,
		    "a short hello is refused");
		ok(linger_send_result(sv[0], 75) == 0 &&
			linger_receive_result(sv[1]) == 75,
		    "an exit code round trip");
		(void)close(sv[0]);
		ok(linger_receive_result(sv[1]) == -1,
		    "a closed socket says no exit code");
		(void)close(sv[1]);
	}
	return done_testing();
}
