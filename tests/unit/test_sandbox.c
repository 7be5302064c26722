/* test_sandbox.c - the sandbox primitive (src/lib/sandbox.c): the
 * policy's room, the --check line for each kernel a program may meet, and
 * a lock-down in a child: what it forbids fails, what it grants works,
 * and a call outside the list kills the process with SIGSYS. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

static const struct sandbox_call few[] = {
    SANDBOX_ALLOW("read"), SANDBOX_ALLOW("write"), SANDBOX_ALLOW("openat"),
    SANDBOX_ALLOW("close"), SANDBOX_ALLOW("exit_group"),
    /* libseccomp's release after the load may give memory back */
    SANDBOX_ALLOW("brk"), SANDBOX_ALLOW("munmap"), SANDBOX_ALLOW("madvise"),
    SANDBOX_ALLOW("no_such_call_here"), /* skipped, not counted */
};

static void
policy(struct sandbox_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->program = "test";
	p->tables[p->ntables++] = (struct sandbox_calls)SANDBOX_TABLE(few);
}

static void
describe_lines(void)
{
	struct sandbox_policy p;
	struct sandbox_state s;
	char line[1024];

	policy(&p);
	ok(sandbox_add_path(&p, "/var/spool/safemail",
	       SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_CREATE) == 0 &&
		sandbox_add_path(&p, "/etc/ssl/certs", SANDBOX_FS_READ) == 0,
	    "paths added");
	ok(sandbox_add_path(&p, "relative", SANDBOX_FS_READ) == -1,
	    "a relative path is refused");
	p.restrict_tcp = true;
	ok(sandbox_add_port(&p, 587) == 0 && sandbox_add_port(&p, 587) == 0 &&
		p.nports == 1 && sandbox_add_port(&p, 0) == -1 &&
		sandbox_add_port(&p, 65536) == -1,
	    "ports: once each, 1-65535");

	{
		struct sandbox_policy full;
		struct sandbox_state st;
		struct failure f = {FAIL_NONE, ""};
		int added = 0;

		policy(&full);
		for (int i = 0; i < SANDBOX_MAX_PATHS + 1; i++)
			added += sandbox_add_path(&full, "/tmp", 0) == 0;
		ok(added == SANDBOX_MAX_PATHS && full.overflow &&
			sandbox_apply(&full, &st, &f) == -1 &&
			f.kind == FAIL_SOFTWARE && !st.seccomp,
		    "a policy past its room is refused, nothing applied: %s",
		    f.msg);
	}

	memset(&s, 0, sizeof(s));
	s.off = true;
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line, "off (sandbox = no): nothing enforced", "off");

	memset(&s, 0, sizeof(s));
	s.nnp = s.seccomp = true;
	s.calls = 5;
	(void)snprintf(s.landlock_why, sizeof(s.landlock_why),
	    "not offered by this kernel (Function not implemented)");
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line,
	    "NoNewPrivs yes; seccomp yes (5 rules, any other call kills the "
	    "process); Landlock: not offered by this kernel (Function not "
	    "implemented)",
	    "no Landlock: seccomp alone, and why");

	s.landlock = true;
	s.landlock_abi = 2;
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line,
	    "NoNewPrivs yes; seccomp yes (5 rules, any other call kills the "
	    "process); Landlock ABI 2: /var/spool/safemail read,write,create, "
	    "/etc/ssl/certs read",
	    "ABI 2 (Debian 12's kernel): paths only, no TCP rules");

	s.landlock_abi = 7;
	p.scope_signals = true;
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line,
	    "NoNewPrivs yes; seccomp yes (5 rules, any other call kills the "
	    "process); Landlock ABI 7: /var/spool/safemail read,write,create, "
	    "/etc/ssl/certs read; TCP: no bind, connect to port 587; "
	    "scoped: signals",
	    "ABI 7: paths, TCP ports, scopes");

	sandbox_plan(&p, &s);
	ok(s.nnp && s.seccomp && s.calls == 8 && !s.off,
	    "the plan counts the calls this architecture has (%u)", s.calls);
	p.off = true;
	sandbox_plan(&p, &s);
	ok(s.off && !s.seccomp, "the plan of a policy that is off: off");
}

/* In a child: lock down to few[] and the directory dir, then try.
 * Its exit code says what happened. */
static int __attribute__((unused))
child(const char *dir, const char *granted, int what)
{
	pid_t pid = fork();
	int ws = 0;

	if (pid == 0) {
		struct sandbox_policy p;
		struct sandbox_state s;
		struct failure f = {FAIL_NONE, ""};
		int fd;

		policy(&p);
		(void)sandbox_add_path(&p, dir, SANDBOX_FS_READ);
		if (sandbox_apply(&p, &s, &f) != 0 || !s.seccomp || !s.nnp)
			_exit(10);
		switch (what) {
		case 0: /* the granted file */
			fd = open(granted, O_RDONLY);
			_exit(fd >= 0 ? 0 : 11);
		case 1: /* a file outside: Landlock (when offered) */
			if (!s.landlock)
				_exit(0);
			fd = open("/etc/passwd", O_RDONLY);
			_exit(fd >= 0 ? 12 : errno == EACCES ? 0 : 13);
		default: /* a call outside the list */
			(void)socket(AF_INET, SOCK_STREAM, 0);
			_exit(14);
		}
	}
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		return -1;
	return WIFSIGNALED(ws) ? 1000 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

static void __attribute__((unused))
lock_down(void)
{
	char dir[] = "/tmp/test_sandbox.XXXXXX", file[64];
	int fd;

	if (mkdtemp(dir) == NULL)
		return;
	(void)snprintf(file, sizeof(file), "%s/granted", dir);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		(void)close(fd);
	ok(child(dir, file, 0) == 0, "locked down: the granted file opens");
	ok(child(dir, file, 1) == 0,
	    "locked down: /etc/passwd does not (EACCES), where Landlock is "
	    "offered");
	ok(child(dir, file, 2) == 1000 + SIGSYS,
	    "locked down: a call outside the list kills the process (SIGSYS)");
	(void)unlink(file);
	(void)rmdir(dir);
}

int
main(void)
{
	describe_lines();
#ifndef SAFEMAIL_SANITIZER_LOG
	/* (a sanitizer build's runtime needs calls few[] does not allow) */
	lock_down();
#endif
	return done_testing();
}
