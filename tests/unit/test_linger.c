/* test_linger.c - the identity a process that stays is found by
 * (linger_tag) and the limits it compares (linger_same_limits) */
#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linger.h"
#include "startup.h"
#include "tap.h"

int
main(void)
{
	struct stat a, b, prog, prog2;
	struct startup st, other;
	char t1[LINGER_TAG_SIZE], t2[LINGER_TAG_SIZE];
	struct rlimit own[RLIM_NLIMITS], changed[RLIM_NLIMITS];

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
	ok(startup_backend() == 0, "startup_backend");
	linger_own_limits(own);
	ok(linger_same_limits(own), "a process's own limits are the same");
	memcpy(changed, own, sizeof(own));
	changed[RLIMIT_FSIZE].rlim_cur = 9;
	changed[RLIMIT_NOFILE].rlim_cur = 16;
	startup_backend_limits(changed);
	ok(linger_same_limits(changed),
	    "lower soft limits under the same hard ones: the same, as a back "
	    "end started with them runs");
	memcpy(changed, own, sizeof(own));
	changed[RLIMIT_FSIZE].rlim_cur =
	    own[RLIMIT_FSIZE].rlim_cur == 64 ? 65 : 64;
	ok(!linger_same_limits(changed), "another soft limit is not");
	memcpy(changed, own, sizeof(own));
	changed[RLIMIT_NOFILE].rlim_max = own[RLIMIT_NOFILE].rlim_max - 1;
	ok(!linger_same_limits(changed), "another hard limit is not");
	ok(linger_same_limits_as(getpid()),
	    "this process's limits read from the kernel are its own");

	/* the confinement lines of /proc/PID/status, in a fixed order */
	{
		static const char status[] =
		    "Name:\tsafemail\nSeccomp:\t2\nUid:\t0\t0\t0\t0\n"
		    "NoNewPrivs:\t1\nSeccomp_filters:\t3\nSpeculation:\tx\n";
		static const char plain[] = "Name:\tsh\nNoNewPrivs:\t0\n"
					    "Seccomp:\t0\nSeccomp_filters:\t0";
		char out[96], small[8];

		linger_confinement(status, sizeof(status) - 1, out,
		    sizeof(out));
		is_str(out, "NoNewPrivs:\t1;Seccomp:\t2;Seccomp_filters:\t3;",
		    "NoNewPrivs, Seccomp and Seccomp_filters, nothing else");
		linger_confinement(plain, sizeof(plain) - 1, out, sizeof(out));
		is_str(out, "NoNewPrivs:\t0;Seccomp:\t0;Seccomp_filters:\t0;",
		    "the last line without a newline counts too");
		linger_confinement(status, sizeof(status) - 1, small,
		    sizeof(small));
		is_str(small, "?", "lines that do not fit: a mark");
		linger_confinement("Name:\tx\n", 8, out, sizeof(out));
		is_str(out, "", "no such lines (an old kernel): empty");
	}
	{
		struct linger_sandbox sa, sb;

		ok(linger_sandbox_own(&sa) == 0, "this process's sandbox");
		sb = sa;
		ok(linger_same_sandbox(&sa, &sb), "is the same as itself");
		sb.ns_ino[0]++;
		ok(!linger_same_sandbox(&sa, &sb),
		    "another mount namespace is not");
		sb = sa;
		sb.ns_ino[1]++;
		ok(!linger_same_sandbox(&sa, &sb),
		    "another network namespace is not");
		sb = sa;
		sb.cgroup ^= 1;
		ok(!linger_same_sandbox(&sa, &sb), "another cgroup is not");
		sb = sa;
		sb.confinement[strlen(sb.confinement) - 2] ^= 1;
		ok(!linger_same_sandbox(&sa, &sb),
		    "another NoNewPrivs or seccomp state is not");
		memcpy(sa.confinement, "?", 2);
		sb = sa;
		ok(!linger_same_sandbox(&sa, &sb),
		    "sa state that did not fit never matches");
	}
	return done_testing();
}
